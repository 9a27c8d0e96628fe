# Beelzabi/awesome-chatgpt-prompts (copy of f/awesome-chatgpt-prompts; upstream snapshot lacks prompts.csv/PROMPTS.md >4MiB)
import csv, io, re
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "Beelzabi+awesome-chatgpt-prompts/repo")
rows = []; flagged = 0
BAD = re.compile(r"jailbreak|\bDAN\b|do anything now|unfiltered|uncensored|no (ethical|moral)|ignore (all|any|previous)|without (any )?restrictions|developer mode", re.I)
for i, r in enumerate(csv.DictReader(io.StringIO(git_show(G, "prompts.csv")))):
    t = r["prompt"]
    if BAD.search(t) or BAD.search(r["act"]):
        flagged += 1; continue
    rows.append(dict(id=f"{i}", kind="user_prompt", text=t, label=0, payload=None, label_raw=f"awesome_chatgpt_prompt:{r['act']}"))
print("dropped as jailbreak-like:", flagged)
write("awesome_chatgpt_prompts", rows)
