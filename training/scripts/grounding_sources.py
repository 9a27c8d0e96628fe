"""Convert fetched grounding sources to the training JSONL format (run from anywhere)."""
import csv, io, json, random, subprocess, sys
from pathlib import Path
import os
M = Path(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"))
OUT = Path(os.environ.get("HARNESS_TRAIN_DATA", "/work/data")) / "grounding"
csv.field_size_limit(10**9)
def show(repo, path):
    return subprocess.run(["git", f"--git-dir={M/repo/'repo'}", "show", f"HEAD:{path}"],
                          capture_output=True, check=True).stdout
def write(name, rows, cap=6000):
    random.Random(0).shuffle(rows)
    seen=set(); out=[]
    for r in rows:
        k=(r["context"][:300], r["claim"])
        if k in seen or not r["claim"].strip(): continue
        seen.add(k); out.append(r)
    out=out[:cap]
    with (OUT/f"{name}.jsonl").open("w") as f:
        for r in out: f.write(json.dumps(r)+"\n")
    print(name, len(out), sum(r["label"] for r in out))

# QAGS: sentence-level majority of 3 annotators
rows=[]
for part in ("cnndm","xsum"):
    for i,line in enumerate(show("W4ngatang+qags", f"data/mturk_{part}.jsonl").decode().splitlines()):
        d=json.loads(line); art=d["article"]
        sents=d["summary_sentences"]
        labs=[]
        for k,s in enumerate(sents):
            votes=[r["response"]=="yes" for r in s["responses"]]
            lab=int(sum(votes)*2 < len(votes))
            labs.append(lab)
            rows.append({"id":f"qags-{part}-{i}-s{k}","source":"qags","task":"summary","context":art[:6000],
                         "claim":s["sentence"],"question":None,"label":lab,"label_raw":sum(votes)})
        rows.append({"id":f"qags-{part}-{i}","source":"qags","task":"summary","context":art[:6000],
                     "claim":" ".join(s["sentence"] for s in sents),"question":None,"label":int(any(labs)),"label_raw":labs})
write("qags", rows)

# WiCE oracle chunks (claim level)
rows=[]
for split in ("dev","test"):
    for i,line in enumerate(show("ryokamoi+wice", f"code_and_resources/entailment_inputs/oracle_chunks/claim/{split}.jsonl").decode().splitlines()):
        d=json.loads(line)
        rows.append({"id":f"wice-{split}-{i}","source":"wice","task":"fact","context":" ".join(d["evidence"])[:6000],
                     "claim":d["claim"],"question":None,"label":int(d["label"]!="supported"),"label_raw":d["label"]})
write("wice", rows)

# AggreFact-Unified xlsx files hold no document text: not usable.
# CLIFF and Goyal'21 error-type annotations (error_type 'no error' = faithful)
for repo_file,name in (("CLIFF_error_types.csv","cliff"),("Goyal21_error_types.csv","goyal21")):
    text=show("Liyan06+AggreFact", f"data/error_type_mapping/{repo_file}").decode()
    rows=[]
    by={}
    for i,d in enumerate(csv.DictReader(io.StringIO(text))):
        key=(d["doc"][:200], d["summ"])
        by.setdefault(key, {"d":d,"errs":set()})["errs"].add(d["error_type"].strip().lower())
    for i,(k,v) in enumerate(by.items()):
        d=v["d"]; errs=v["errs"]
        lab=int(not errs <= {"no error","","none","correct"})
        rows.append({"id":f"{name}-{i}","source":name,"task":"summary","context":d["doc"][:6000],
                     "claim":d["summ"],"question":None,"label":lab,"label_raw":sorted(errs)})
    write(name, rows)

# DialFact small test file
rows=[]
for i,line in enumerate(show("salesforce+DialFact","scripts/testsmall.jsonl").decode().splitlines()):
    d=json.loads(line)
    ev=" ".join(e[2] for e in d.get("evidence_list",[]))
    if not ev or d.get("type_label")!="factual": continue
    rows.append({"id":f"dialfact-{i}","source":"dialfact","task":"dialogue","context":ev[:6000],"claim":d["response"],
                 "question":d["context"][-1] if d["context"] else None,"label":int(d["response_label"]!="SUPPORTS"),"label_raw":d["response_label"]})
write("dialfact", rows)
