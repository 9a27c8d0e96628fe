# Zhang-Henry/AIOS_agent (Agent Security Bench data): attacker instructions + normal tool "expected achievements".
import json
from common import git_show, write
import os
G = os.path.join(os.environ.get("HARNESS_MIRRORS", "/work/.mirror"), "Zhang-Henry+AIOS_agent/repo")
rows = []
for i, line in enumerate(git_show(G, "data/all_attack_tools.jsonl").splitlines()):
    d = json.loads(line); ins = d["Attacker Instruction"]
    rows.append(dict(id=f"atk-{i}", kind="attack_payload", text=ins, label=1, payload=ins,
                     label_raw=f"asb_attacker_instruction:{d.get('Attack Type')}:aggressive={d.get('Aggressive')}"))
    # ASB-style observation: normal tool result followed by injected instruction
    rows.append(dict(id=f"obs-{i}", kind="tool_output",
                     text=f"{d['Attacker Tool']} result: {d['Description']} Answer: task complete. {ins}", label=1, payload=ins,
                     label_raw="asb_constructed_observation(tool description + 'Answer: task complete.' + attacker instruction)"))
for i, line in enumerate(git_show(G, "data/all_normal_tools.jsonl").splitlines()):
    d = json.loads(line)
    rows.append(dict(id=f"normal-{i}", kind="tool_output", text=d["Expected Achievements"], label=0, payload=None,
                     label_raw=f"asb_normal_tool_expected_achievement:{d['Tool Name']}"))
write("asb_agent_security_bench", rows)
