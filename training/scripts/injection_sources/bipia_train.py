# BIPIA (microsoft/BIPIA) TRAIN files only: contexts (email/code/table) + train attacks. No *test* file is read.
import json, random
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "microsoft+BIPIA/repo")
FILES = {"email": "benchmark/email/train.jsonl", "code": "benchmark/code/train.jsonl", "table": "benchmark/table/train.jsonl"}
for p in list(FILES.values()) + ["benchmark/text_attack_train.json", "benchmark/code_attack_train.json"]:
    assert "test" not in p
rng = random.Random(0)
text_att = json.loads(git_show(G, "benchmark/text_attack_train.json"))
code_att = json.loads(git_show(G, "benchmark/code_attack_train.json"))
text_att = [(c, a) for c, l in text_att.items() for a in l]
code_att = [(c, a) for c, l in code_att.items() for a in l]
def insert(ctx, att, pos, sep):
    if pos == "start": return att + sep + ctx
    if pos == "end": return ctx + sep + att
    # middle: nearest sentence/line boundary to the centre
    mid = len(ctx) // 2
    cands = [i + 1 for i, ch in enumerate(ctx) if ch in ".\n" and 0 < i < len(ctx) - 1]
    k = min(cands, key=lambda i: abs(i - mid)) if cands else mid
    return ctx[:k] + sep + att + sep + ctx[k:]
rows = []
PER = {"email": 12, "code": 12, "table": 2}
KIND = {"email": "email", "code": "code", "table": "document"}
for task, path in FILES.items():
    for i, line in enumerate(git_show(G, path).splitlines()):
        d = json.loads(line)
        ctx = d["context"]
        if isinstance(ctx, list): ctx = "\n".join(ctx)
        if task == "email": ctx = ctx.replace("|CONTENT: ", "\n\n", 1)
        rows.append(dict(id=f"{task}-{i}-clean", kind=KIND[task], text=ctx, label=0, payload=None, label_raw=f"bipia_{task}_train_context_clean"))
        pool = code_att if task == "code" else text_att
        for j, (cat, att) in enumerate(rng.sample(pool, PER[task])):
            pos = rng.choice(["start", "middle", "end"])
            sep = "\n" if task != "email" else rng.choice([" ", "\n", "\n\n"])
            rows.append(dict(id=f"{task}-{i}-att{j}", kind=KIND[task], text=insert(ctx, att, pos, sep), label=1, payload=att,
                             label_raw=f"bipia_{task}_train+{'code' if task=='code' else 'text'}_attack_train:{cat}:{pos}"))
# malicious code-attack instructions alone
for j, (cat, att) in enumerate(code_att):
    rows.append(dict(id=f"codeattack-{j}", kind="attack_payload", text=att, label=1, payload=att, label_raw=f"bipia_code_attack_train:{cat}"))
write("bipia_train", rows)
