# HumanCompatibleAI/tensor-trust-data: hijacking + extraction robustness benchmarks.
import json
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "HumanCompatibleAI+tensor-trust-data/repo")
rows = []
for name, path in [("hijacking", "benchmarks/hijacking-robustness/v1/hijacking_robustness_dataset.jsonl"),
                   ("extraction", "benchmarks/extraction-robustness/v1/extraction_robustness_dataset.jsonl")]:
    for line in git_show(G, path).splitlines():
        d = json.loads(line)
        sid = d["sample_id"]
        rows.append(dict(id=f"{name}-{sid}-attack", kind="user_prompt", text=d["attack"], label=1, payload=d["attack"],
                         label_raw=f"tensor_trust_{name}_attack"))
        # defender system prompt (pre_prompt): benign instruction-heavy hard negative
        rows.append(dict(id=f"{name}-{sid}-defense", kind="document", text=d["pre_prompt"], label=0, payload=None,
                         label_raw=f"tensor_trust_{name}_defense_pre_prompt(system prompt; hard negative, unverified)"))
write("tensor_trust", rows)
