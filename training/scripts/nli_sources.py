"""Build binary NLI JSONL files for training/nli_head.py from fetched git mirrors (the
repositories and commits in training/DATA_CARD.md, under $HARNESS_MIRRORS) (reads blobs via `git show`; runs no fetched code).
label: 0 = entailed, 1 = not entailed (neutral/contradiction/refutes/NEI)."""
import csv, io, json, os, random, subprocess, zipfile, collections, sys
csv.field_size_limit(sys.maxsize)
M = os.environ.get('HARNESS_MIRRORS', '/work/.mirror')
OUT = os.path.join(os.environ.get('HARNESS_TRAIN_DATA', '/work/data'), 'nli')
os.makedirs(OUT, exist_ok=True)
CAP = 60000
def show(repo, path, rev='HEAD'):
    return subprocess.run(['git', '-C', f'{M}/{repo}/repo', 'show', f'{rev}:{path}'], check=True, capture_output=True).stdout
def text(repo, path, rev='HEAD'):
    return show(repo, path, rev).decode('utf-8')
def tsv(s):
    return list(csv.DictReader(io.StringIO(s), delimiter='\t', quoting=csv.QUOTE_NONE))
ENT = {'entailment', 'entailed', 'e', 'supports', 'support', 'supported'}
NOT = {'neutral', 'contradiction', 'not-entailed', 'not_entailment', 'non_entailment', 'not_entail', 'n', 'c',
       'refutes', 'refute', 'not_enough_info', 'neutral.', 'contradicts'}
def lab(x):
    x = str(x).strip().lower()
    if x in ENT: return 0
    if x in NOT: return 1
    return None
stats = {}
def write(name, rows, src_tag=None):
    seen, clean = set(), []
    for p, h, l, s in rows:
        p = ' '.join(str(p).split()); h = ' '.join(str(h).split())
        if not p or not h or l is None: continue
        k = (p, h)
        if k in seen: continue
        seen.add(k); clean.append({'premise': p, 'hypothesis': h, 'label': l, 'source': s})
    n_all = len(clean)
    if len(clean) > CAP:
        clean = random.Random(0).sample(clean, CAP)
    with open(f'{OUT}/{name}.jsonl', 'w') as f:
        for r in clean: f.write(json.dumps(r, ensure_ascii=False) + '\n')
    c = collections.Counter(r['label'] for r in clean)
    stats[name] = (n_all, len(clean), c[0], c[1])
    print(name, n_all, len(clean), dict(c), flush=True)

# 1. ANLI dev+test R1-R3 (train files absent from snapshot) from curriculum-ling history
R = 'eric11eca+curriculum-ling'
rows = []
for r in ['R1', 'R2', 'R3']:
    for sp in ['dev', 'test']:
        for line in text(R, f'data/anli_v1.0/{r}/{sp}.jsonl', '1c79904').splitlines():
            d = json.loads(line); rows.append((d['context'], d['hypothesis'], lab(d['label']), f'anli/{r}/{sp}'))
write('anli', rows)

# 2. Curriculum benchmark (recast NLI tasks), train splits, per-task cap 2000; ConTRoL separately
SKIP = {'verbcorner', 'verbnet', 'syntactic_alternation', 'hypernymy', 'hyponymy', 'control'}
names = subprocess.run(['git', '-C', f'{M}/{R}/repo', 'ls-tree', '--name-only', 'HEAD', 'benchmark/tasks/'], capture_output=True, text=True).stdout.split()
rows, ctrl = [], []
for path in [n for n in names if n.endswith('.zip')]:
    task = path.split('/')[-1][:-4]
    z = zipfile.ZipFile(io.BytesIO(show(R, path)))
    for sp in ['train', 'val']:
        fn = f'{task}/{sp}.jsonl'
        if fn not in z.namelist(): continue
        recs = [json.loads(l) for l in z.read(fn).decode('utf-8').splitlines() if l.strip()]
        recs = [(d['premise'], d['hypothesis'], lab(d['gold_label']), f'curriculum/{task}/{sp}') for d in recs]
        if task == 'control':
            ctrl += recs
        elif task not in SKIP and sp == 'train':
            random.Random(0).shuffle(recs); rows += recs[:2000]
write('curriculum', rows)
write('control', ctrl)

# 3. DocNLI repo: binary MNLI, binary FEVER, MCTest-NLI
D = 'salesforce+DocNLI'
def docnli(paths, tag):
    out = []
    for pth in paths:
        for line in text(D, pth).splitlines():
            parts = line.split('\t')
            if len(parts) != 3: continue
            out.append((parts[1], parts[2], lab(parts[0]), f'{tag}/{pth.split("/")[-1]}'))
    return out
write('mnli_binary', docnli(['Data/binary-MNLI/dev.txt', 'Data/binary-MNLI/test.txt'], 'docnli_binary_mnli'))
write('mctest_nli', docnli([f'Data/MCTest-NLI/{f}' for f in ['mc160.train_in_entail.txt', 'mc160.dev_in_entail.txt', 'mc160.test_in_entail.txt', 'mc500.dev_in_entail.txt', 'mc500.test_in_entail.txt']], 'docnli_mctest'))
fever = docnli(['Data/binary-FEVER-NLI/dev.txt', 'Data/binary-FEVER-NLI/test.txt'], 'docnli_binary_fever')
C = 'asaakyan+covidfact'
p0 = text(C, 'RTE-Fever/processed/dev.raw.input0').splitlines()
p1 = text(C, 'RTE-Fever/processed/dev.raw.input1').splitlines()
pl = text(C, 'RTE-Fever/processed/dev.label').splitlines()
assert len(p0) == len(p1) == len(pl), (len(p0), len(p1), len(pl))
fever += [(a, b, lab(c), 'covidfact_rte_fever/dev') for a, b, c in zip(p0, p1, pl)]
write('fever_nli', fever)

# 4. COVID-Fact / SciFact RTE files (covidfact repo)
rows = []
for pth in ['RTE-covidfact/train.tsv', 'RTE-covidfact/dev.tsv', 'RTE-scifact/train.tsv', 'RTE-scifact/dev.tsv']:
    for d in tsv(text(C, pth)):
        v = list(d.values()); rows.append((v[1], v[2], lab(v[-1]), pth))
write('covidfact_scifact', rows)

# 5. HealthVer dev+test (train absent)
rows = []
for sp in ['dev', 'test']:
    for d in csv.DictReader(io.StringIO(text('sarrouti+HealthVer', f'data/healthver_{sp}.csv'))):
        rows.append((d['evidence'], d['claim'], lab(d['label']), f'healthver/{sp}'))
write('healthver', rows)

# 6. Climate-FEVER (evidence-level labels)
rows = []
for line in text('tdiggelm+climate-fever-dataset', 'dataset/climate-fever.jsonl').splitlines():
    d = json.loads(line)
    for e in d['evidences']:
        rows.append((e['evidence'], d['claim'], lab(e['evidence_label']), 'climate_fever'))
write('climate_fever', rows)

# 7. SNLI dev+test via e-SNLI repo; SNLI counterfactually-augmented (CAD)
E = 'OanaMariaCamburu+e-SNLI'
rows = []
for sp in ['dev', 'test']:
    s1 = text(E, f'dataset/eSNLI/s1.{sp}').splitlines(); s2 = text(E, f'dataset/eSNLI/s2.{sp}').splitlines(); lb = text(E, f'dataset/eSNLI/labels.{sp}').splitlines()
    assert len(s1) == len(s2) == len(lb)
    rows += [(a, b, lab(c), f'esnli/{sp}') for a, b, c in zip(s1, s2, lb)]
write('snli_esnli', rows)
A = 'acmi-lab+counterfactually-augmented-data'
rows = []
for sp in ['train', 'dev', 'test']:
    for d in tsv(text(A, f'NLI/all_combined/{sp}.tsv')):
        rows.append((d['sentence1'], d['sentence2'], lab(d['gold_label']), f'snli_cad/all_combined/{sp}'))
write('snli_cad', rows)

# 8. SICK
rows = [(d['sentence_A'], d['sentence_B'], lab(d['entailment_label']), f"sick/{d['SemEval_set'].lower()}")
        for d in tsv(text('kkalouli+SICK-processing', 'SICK.txt'))]
write('sick', rows)

# 9. GLUE RTE (train/dev; val.tsv is a headerless subset of train; test unlabeled)
rows = []
for sp in ['train', 'dev']:
    for d in tsv(text('amrnag+Specialized-Transformers', f'data/RTE/{sp}.tsv')):
        rows.append((d['sentence1'], d['sentence2'], lab(d['label']), f'glue_rte/{sp}'))
write('rte', rows)

json.dump(stats, open(f'{OUT}/stats.json', 'w'), indent=1)
print('TOTAL', sum(v[1] for v in stats.values()))
