# tangqiaoyu/ToolAlpaca eval files: benign API docs (OpenAPI JSON / NL function docs) and benign agent user requests.
import json
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "tangqiaoyu+ToolAlpaca/repo")
rows = []
for f in ["data/eval_simulated.json", "data/eval_real.json"]:
    tag = f.split("/")[-1][:-5]
    for i, x in enumerate(json.loads(git_show(G, f))):
        n = x.get("Name", str(i))
        if x.get("Documentation"):
            rows.append(dict(id=f"{tag}-{i}-openapi", kind="code", text=x["Documentation"], label=0, payload=None, label_raw=f"toolalpaca_{tag}_openapi_json:{n}"))
        if x.get("NLDocumentation"):
            rows.append(dict(id=f"{tag}-{i}-nldoc", kind="document", text=x["NLDocumentation"], label=0, payload=None, label_raw=f"toolalpaca_{tag}_nl_api_doc:{n}"))
        if x.get("Introduction"):
            rows.append(dict(id=f"{tag}-{i}-intro", kind="web", text=x["Introduction"], label=0, payload=None, label_raw=f"toolalpaca_{tag}_api_introduction:{n}"))
        for j, ins in enumerate(x.get("Instructions") or []):
            rows.append(dict(id=f"{tag}-{i}-ins{j}", kind="user_prompt", text=ins, label=0, payload=None, label_raw=f"toolalpaca_{tag}_user_instruction:{n}"))
write("toolalpaca_benign", rows)
