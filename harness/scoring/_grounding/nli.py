"""An entailment head over MiniLM's word-piece vectors (the `[ml]` extra), trained here.

No NLI model can be had from PyPI, and fine-tuning a cross-encoder does not fit this
project's CPUs, so the head reads what `semantic.py` already computes for the `embedding`
mode: all-MiniLM-L6-v2's last hidden states of the claim and of its candidate evidence,
each encoded on its own. It aligns the two by soft attention and compares them, as ESIM
does (Chen et al. 2017): for every word piece of the claim, the evidence read through the
attention, then [a, b, a - b, a * b] projected and pooled (max and mean, both sides), and a
small MLP gives the probability that the claim is *not* entailed by the evidence.

It was trained on public NLI and fact-verification pairs (`training/nli_head.py`, sources
in training/DATA_CARD.md) and ships as `model_nli_head.npz` (float16, about 1 MB). Its
probability is one more feature of the semantic claim model, never a verdict on its own.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

PACKAGE = "harness.scoring._grounding"
WEIGHTS = "model_nli_head.npz"
HIDDEN = 384  # all-MiniLM-L6-v2
WIDTH = 128


def build_head(torch: Any, width: int = WIDTH) -> Any:
    """The head as a torch module (training builds it the same way)."""
    nn = torch.nn

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.claim_proj = nn.Linear(4 * HIDDEN, width)
            self.evidence_proj = nn.Linear(4 * HIDDEN, width)
            self.hidden = nn.Linear(4 * width, width)
            self.out = nn.Linear(width, 1)
            self.drop = nn.Dropout(0.15)  # training only; eval mode turns it off

        def forward(self, c: Any, cm: Any, e: Any, em: Any) -> Any:
            """c [B, Lc, H], cm [B, Lc] (1 = a real piece); e, em the evidence. Logits [B]."""
            scores = c @ e.transpose(1, 2) / HIDDEN ** 0.5  # [B, Lc, Le]
            neg = torch.finfo(scores.dtype).min
            to_e = scores.masked_fill(em[:, None, :] == 0, neg).softmax(-1)
            to_c = scores.masked_fill(cm[:, :, None] == 0, neg).softmax(1)
            c_read = to_e @ e  # the evidence as each claim piece sees it
            e_read = to_c.transpose(1, 2) @ c
            mc = torch.relu(self.claim_proj(torch.cat([c, c_read, c - c_read, c * c_read], -1)))
            me = torch.relu(self.evidence_proj(torch.cat([e, e_read, e - e_read, e * e_read],
                                                         -1)))
            pooled = self.drop(torch.cat([_pool(torch, mc, cm), _pool(torch, me, em)], -1))
            return self.out(self.drop(torch.relu(self.hidden(pooled)))).squeeze(-1)

    return Head()


def _pool(torch: Any, x: Any, mask: Any) -> Any:
    m = mask[:, :, None].to(x.dtype)
    mean = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
    top = x.masked_fill(m == 0, -1e4).max(1).values
    return torch.cat([top, mean], -1)


def export(head: Any) -> dict[str, Any]:
    """The head's weights as float16 arrays (what `np.savez` writes)."""
    return {k: v.detach().cpu().numpy().astype("float16") for k, v in head.state_dict().items()}


def available() -> bool:
    return resources.files(PACKAGE).joinpath(WEIGHTS).is_file()


@cache
def load_head() -> Any:
    """The shipped head in float32, eval mode; None when no weights ship."""
    if not available():
        return None
    import numpy as np
    import torch

    with resources.files(PACKAGE).joinpath(WEIGHTS).open("rb") as fh:
        arrays = dict(np.load(fh))
    head = build_head(torch, width=int(arrays["out.weight"].shape[1]))
    head.load_state_dict({k: torch.from_numpy(v.astype("float32")) for k, v in arrays.items()})
    return head.eval()


def not_entailed(torch: Any, claim: Any, claim_mask: Any, evidence: Any,
                 evidence_mask: Any) -> list[float]:
    """P(not entailed) for a batch of (claim, evidence) piece vectors, padded alike."""
    head = load_head()
    if head is None:
        raise RuntimeError(f"{WEIGHTS} is not in the package")
    with torch.inference_mode():
        return torch.sigmoid(head(claim, claim_mask, evidence, evidence_mask)).tolist()
