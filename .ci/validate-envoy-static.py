#!/usr/bin/env python3
"""For every status-corpus case, asks the CLI's `translate --output envoy-static` for the complete
static Envoy config of each IR key, and checks that `envoy --mode validate` accepts it. Prints the
count; exits non-zero only when the tooling itself fails (a rejected config is a finding, printed
with Envoy's reason, not a CI failure).

The CLI's translate command runs in one JVM for all cases (translate_all.py)."""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from envoy_standins import StandIns  # noqa: E402
from translate_all import result, translate_all as translate_all_cases  # noqa: E402

cases_dir = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
names = sorted(n for n in os.listdir(cases_dir) if os.path.isdir(os.path.join(cases_dir, n)))
tmp = tempfile.mkdtemp(prefix="eg4j-validate-")
workers = int(os.environ.get("EG4J_VALIDATE_WORKERS", "2"))

def translate_all():
    return translate_all_cases(root, cases_dir, names, ["envoy-static"])


stand_ins = StandIns(tmp)


def check(name, out):
    text, err = result(out, name, "envoy-static")
    if err is not None:
        return name, 0, 0, ["translate " + err[-300:]]
    docs = [d for d in yaml.safe_load_all(text) if d]
    ok, problems = 0, []
    for i, doc in enumerate(docs):
        stand_ins.apply(doc)
        path = os.path.join(tmp, "%s-%d.yaml" % (name, i))
        with open(path, "w") as f:
            yaml.safe_dump(doc, f)
        v = subprocess.run(["envoy", "--mode", "validate", "--disable-hot-restart", "-l", "error",
                            "-c", path], capture_output=True, text=True, timeout=120)
        if v.returncode == 0:
            ok += 1
        else:
            problems.append((v.stdout + v.stderr).strip().splitlines()[-1:] or ["rejected"])
    return name, ok, len(docs), [str(x) for x in problems]


out_dir = translate_all()
total_docs = total_ok = cases_ok = cases_with_config = 0
failures = []
with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
    for name, ok, n, problems in pool.map(lambda n: check(n, out_dir), names):
        total_docs += n
        total_ok += ok
        if n:
            cases_with_config += 1
        if problems:
            failures.append((name, problems))
        elif n:
            cases_ok += 1
for name, problems in failures[:40]:
    print("  REJECTED %s: %s" % (name, "; ".join(problems)[:400]))
print("envoy --mode validate: %d of %d static configs accepted; %d of %d cases with a config fully"
      " accepted (%d cases have no Gateway to configure)"
      % (total_ok, total_docs, cases_ok, cases_with_config, len(names) - cases_with_config
         - sum(1 for _, p in failures if p and p[0].startswith("translate"))))
