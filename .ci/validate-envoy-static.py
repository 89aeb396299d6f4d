#!/usr/bin/env python3
"""For every status-corpus case, asks `./eg4j translate --output envoy-static` for the complete
static Envoy config of each IR key, and checks that `envoy --mode validate` accepts it. Prints the
count; exits non-zero only when the tooling itself fails (a rejected config is a finding, printed
with Envoy's reason, not a CI failure)."""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import yaml

cases_dir = sys.argv[1]
names = sorted(n for n in os.listdir(cases_dir) if os.path.isdir(os.path.join(cases_dir, n)))
tmp = tempfile.mkdtemp(prefix="eg4j-validate-")


def check(name):
    case = os.path.join(cases_dir, name)
    p = subprocess.run(["./eg4j", "translate", "--config", os.path.join(case, "config.yaml"),
                        "--output", "envoy-static", os.path.join(case, "input.yaml")],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return name, 0, 0, ["translate exited %d: %s" % (p.returncode, p.stderr.strip()[-300:])]
    docs = [d for d in yaml.safe_load_all(p.stdout) if d]
    ok, problems = 0, []
    for i, doc in enumerate(docs):
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


total_docs = total_ok = cases_ok = cases_with_config = 0
failures = []
with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
    for name, ok, n, problems in pool.map(check, names):
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
