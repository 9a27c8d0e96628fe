import json, hashlib, subprocess, os, collections
import os
OUT = os.path.join(os.environ.get("HARNESS_TRAIN_DATA", "/work/data"), "injection")
MAXC = 8000
def git_show(gitdir, path):
    return subprocess.run(["git", "--git-dir", gitdir, "show", f"HEAD:{path}"], capture_output=True, check=True).stdout.decode("utf-8", "replace")
def git_head(gitdir):
    return subprocess.run(["git", "--git-dir", gitdir, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
def norm(t):
    return " ".join(t.split()).lower()
def write(source, rows):
    seen = set(); out = []; dropped = collections.Counter()
    for r in rows:
        t = r["text"]
        if not isinstance(t, str) or not t.strip():
            dropped["empty"] += 1; continue
        t = t.strip()
        if len(t) > MAXC: t = t[:MAXC]
        h = hashlib.md5(norm(t).encode()).hexdigest()
        if h in seen:
            dropped["duplicate"] += 1; continue
        seen.add(h)
        p = r.get("payload")
        out.append({"id": f"{source}:{r.get('id', len(out))}", "source": source, "kind": r["kind"], "text": t,
                    "label": int(r["label"]), "payload": p if p else None, "label_raw": r.get("label_raw")})
    ids = collections.Counter(o["id"] for o in out)
    assert max(ids.values()) == 1, "dup ids"
    with open(f"{OUT}/{source}.jsonl", "w") as f:
        for o in out: f.write(json.dumps(o, ensure_ascii=False) + "\n")
    c = collections.Counter((o["kind"], o["label"]) for o in out)
    print(source, len(out), dict(c), "dropped", dict(dropped))
    return out
