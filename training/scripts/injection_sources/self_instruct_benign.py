# yizhongw/self-instruct: seed tasks + user-oriented eval instructions (benign requests) and
# T0 training prompts (P3 templates over reviews/news/wiki/dialogue) as benign documents / document-with-task prompts.
import json, random, subprocess, re
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "yizhongw+self-instruct/repo")
rng = random.Random(0)
rows = []
for path, tag in [("data/seed_tasks.jsonl", "seed"), ("human_eval/user_oriented_instructions.jsonl", "user_oriented")]:
    for line in git_show(G, path).splitlines():
        d = json.loads(line)
        for k, inst in enumerate(d["instances"][:2]):
            txt = d["instruction"] + (("\n\n" + inst["input"]) if inst.get("input") else "")
            rows.append(dict(id=f"{d['id']}-{k}", kind="user_prompt", text=txt, label=0, payload=None, label_raw=f"self_instruct_{tag}"))
# T0 documents: (template file, kind, extractor)
def xsum(p): return p.split("\n\n===\n\n")[0]
def review(p):
    m = re.search(r"Review: (.*)\n[^\n]*\?\s*$", p, re.S); return m.group(1) if m else None
def lastline_strip(p):
    lines = p.rstrip("\n").split("\n"); return "\n".join(lines[:-1]) if len(lines) > 1 else None
T = [("xsum_DOC_write_summary_of_above", "web", xsum, 150),
     ("cnn_dailymail_3_0_0_tldr_summary", "web", lambda p: p, 150),
     ("multi_news_summary_scenario", "web", lambda p: p, 120),
     ("amazon_polarity_Is_this_review", "web", review, 150),
     ("yelp_review_full_this_place", "web", lambda p: re.sub(r"\s*My rating for this place is\s*$", "", p), 150),
     ("dbpedia_14_pick_one_category_for_the_following_text", "document", lambda p: p, 0),
     ("samsum_Summarize_this_dialogue_", "document", lambda p: p.replace("Summarize this dialogue: ", "", 1), 150),
     ("wiki_bio_who", "user_prompt", lambda p: p, 60),
     ("imdb_Movie_Expressed_Sentiment", "user_prompt", lambda p: p, 80),
     ("quoref_Answer_Question_Given", "user_prompt", lambda p: p, 80),
     ("ropes_prompt_bottom_hint_beginning", "user_prompt", lambda p: p, 60),
     ("wiqa_what_might_be_the_first_step_of_the_process", "user_prompt", lambda p: p, 60),
     ("trec_what_category_best_describe", "user_prompt", lambda p: p, 60)]
files = subprocess.run(["git", "--git-dir", G, "ls-tree", "-r", "--name-only", "HEAD", "data/finetuning/t0_train_50k/data_per_template/"], capture_output=True, text=True).stdout.split()
for prefix, kind, ext, n in T:
    fs = [f for f in files if f.split("/")[-1].startswith(prefix)]
    if not fs or n == 0: print("skip", prefix); continue
    lines = git_show(G, fs[0]).splitlines()
    for k, line in enumerate(rng.sample(lines, min(n, len(lines)))):
        p = json.loads(line)["prompt"]
        t = ext(p)
        if t: rows.append(dict(id=f"t0-{prefix}-{k}", kind=kind, text=t, label=0, payload=None, label_raw=f"t0_train:{fs[0].split('/')[-1][:-6]}"))
write("self_instruct_benign", rows)
