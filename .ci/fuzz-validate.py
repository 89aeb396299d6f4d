#!/usr/bin/env python3
"""Validates every distinct static Envoy config the fuzzer wrote (OUT/configs/*.yaml) with
`envoy --mode validate`, in batches, and prints the figures.

    fuzz-validate.py OUT_DIR

Envoy validates one bootstrap per process (about 0.3 s each, more on a loaded machine), so
configs are merged into batches of up to BATCH bootstraps: each member's listeners, clusters and
secrets get a member prefix ("f3~NAME") on their names and on every string equal to one of those
names (the references to them), and each member's valid listener ports are moved to ports no
other member uses. A reference a member cannot resolve on its own stays unresolved in the batch
(no other member defines an unprefixed name), and an invalid port stays as it is, so a member
Envoy would reject alone makes the batch rejected. A rejected batch is split in halves until each
rejected config is found alone, so a batch-only rejection never counts against a config; those
are counted separately (they would show the merging to be wrong). Configs whose top level differs from the others in more than
the node, and configs PyYAML cannot read, are validated alone.

Each config's first line names where it first came from ("# baseline CASE" for an unmutated
case, "# #I CASE ..." for mutation I); OUT/baselines.txt lists the hash of every unmutated case's
configs. Exit status: 1 when Envoy rejects a config of a case whose
unmutated configs it accepts, 0 otherwise."""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from envoy_standins import StandIns  # noqa: E402

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

out_dir = os.path.abspath(sys.argv[1])
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
workers = int(os.environ.get("EG4J_VALIDATE_WORKERS", "2"))
BATCH = int(os.environ.get("EG4J_FUZZ_BATCH", "40"))
BATCH_BYTES = 4_000_000
tmp = tempfile.mkdtemp(prefix="eg4j-fuzz-validate-")

stand_ins = StandIns(tmp)


runs = [0]


def envoy(path):
    """(accepted, reason) of `envoy --mode validate` on one file."""
    with counts_lock:
        runs[0] += 1
    try:
        v = subprocess.run(["envoy", "--mode", "validate", "--disable-hot-restart", "-l", "error",
                            "-c", path], capture_output=True, text=True, errors="replace",
                           timeout=300)
    except subprocess.TimeoutExpired:
        return False, "envoy --mode validate did not finish in 300 s"
    if v.returncode == 0:
        return True, ""
    lines = (v.stdout + v.stderr).strip().splitlines()
    return False, (lines[-1] if lines else "rejected")[:500]


def rename(value, names, prefix):
    if isinstance(value, dict):
        return {k: rename(v, names, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [rename(v, names, prefix) for v in value]
    if isinstance(value, str) and value in names:
        return prefix + value
    return value


def move_ports(node, ports, next_port):
    """Moves every valid socket port of a listener to a port of this member's own."""
    if isinstance(node, dict):
        sa = node.get("socket_address")
        if isinstance(sa, dict):
            p = sa.get("port_value")
            if isinstance(p, int) and 0 < p <= 65535:
                if p not in ports:
                    ports[p] = next_port[0]
                    next_port[0] += 1
                sa["port_value"] = ports[p]
        for v in node.values():
            move_ports(v, ports, next_port)
    elif isinstance(node, list):
        for v in node:
            move_ports(v, ports, next_port)


def merge(members):
    """One bootstrap holding every member's resources, renamed and on distinct ports."""
    first = members[0][1]
    merged = {k: v for k, v in first.items() if k not in ("node", "static_resources")}
    merged["node"] = {"id": "fuzz-batch", "cluster": "fuzz-batch"}
    sr = {"listeners": [], "clusters": [], "secrets": []}
    next_port = [20000]
    for i, (_, doc) in enumerate(members):
        res = doc.get("static_resources") or {}
        names = set()
        for kind in ("listeners", "clusters", "secrets"):
            for r in res.get(kind) or []:
                if isinstance(r, dict) and isinstance(r.get("name"), str) and r["name"]:
                    names.add(r["name"])
        res = rename(res, names, "f%d~" % i)
        ports = {}
        for l in res.get("listeners") or []:
            move_ports(l, ports, next_port)
        for kind in sr:
            sr[kind].extend(res.get(kind) or [])
    merged["static_resources"] = sr
    return merged


def load(path):
    with open(path, encoding="utf-8", errors="strict") as f:
        text = f.read()
    origin = text.split("\n", 1)[0][2:] if text.startswith("# ") else ""
    return origin, text


def check_batch(batch):
    """[(hash, origin, accepted, reason)] for one batch of (hash, origin, doc): a rejected batch
    is split in halves until the rejected configs are found alone."""
    if len(batch) == 1:
        return [check_alone(*batch[0])]
    path = os.path.join(tmp, "batch-%s.yaml" % batch[0][0])
    with open(path, "w") as f:
        yaml.dump(merge([(h, d) for h, _, d in batch]), f, Dumper=Dumper)
    ok, _ = envoy(path)
    os.unlink(path)
    if ok:
        return [(h, o, True, "") for h, o, _ in batch]
    half = len(batch) // 2
    results = check_batch(batch[:half]) + check_batch(batch[half:])
    if all(r[2] for r in results):
        global batch_only
        with counts_lock:
            batch_only += 1
    return results


def check_alone(h, origin, doc):
    path = os.path.join(tmp, "alone-%s.yaml" % h)
    if isinstance(doc, str):  # PyYAML could not read it: Envoy reads the text as written
        with open(path, "w") as f:
            f.write(doc)
    else:
        with open(path, "w") as f:
            yaml.dump(doc, f, Dumper=Dumper)
    ok, reason = envoy(path)
    os.unlink(path)
    return h, origin, ok, reason


counts_lock = threading.Lock()
batch_only = 0
files = sorted(f for f in os.listdir(os.path.join(out_dir, "configs")) if f.endswith(".yaml"))
groups = {}
alone = []
for name in files:
    h = name[:-5]
    origin, text = load(os.path.join(out_dir, "configs", name))
    try:
        doc = yaml.load(text, Loader=Loader)
    except yaml.YAMLError:
        alone.append([(h, origin, text)])
        continue
    if not isinstance(doc, dict):
        alone.append([(h, origin, text)])
        continue
    stand_ins.apply(doc)
    top = json.dumps({k: v for k, v in doc.items() if k not in ("node", "static_resources")},
                     sort_keys=True)
    groups.setdefault(top, []).append((h, origin, doc, len(text)))

batches = list(alone)
for members in groups.values():
    cur, size = [], 0
    for h, origin, doc, n in members:
        if cur and (len(cur) >= BATCH or size + n > BATCH_BYTES):
            batches.append(cur)
            cur, size = [], 0
        cur.append((h, origin, doc))
        size += n
    if cur:
        batches.append(cur)

accepted, rejected = 0, []
with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
    for results in pool.map(check_batch, batches):
        for h, origin, ok, reason in results:
            if ok:
                accepted += 1
            else:
                rejected.append((h, origin, reason))


def case_of(origin):
    """The corpus case a config came from: "baseline CASE" or "#I CASE KIND/NAME ..."."""
    parts = origin.split()
    return parts[1] if len(parts) > 1 else ""


# A case whose unmutated config Envoy rejects is the corpus validation step's finding already;
# its mutations' rejections are counted apart and do not fail the fuzzer.
rejected_hashes = {h for h, _, _ in rejected}
known = set()
with open(os.path.join(out_dir, "baselines.txt")) as f:
    for line in f:  # "HASH CASE" for every config of every unmutated case
        h, _, case = line.strip().partition(" ")
        if h in rejected_hashes:
            known.add(case)
new_rejections = [r for r in rejected if case_of(r[1]) not in known]
with open(os.path.join(out_dir, "rejected.txt"), "w") as f:
    for h, origin, reason in rejected:
        f.write("%s %s\n  %s\n" % (h, origin, reason))
for h, origin, reason in new_rejections[:30]:
    print("  REJECTED %s (%s): %s" % (origin[:300], h, reason[:300]))
print("fuzz: envoy --mode validate: %d of %d distinct static configs accepted, %d rejected"
      " (%d envoy runs: batches of up to %d, halved when rejected; %d batches rejected only when"
      " merged)" % (accepted, len(files), len(rejected), runs[0], BATCH, batch_only))
print("fuzz: %d rejected configs come from the %d cases whose unmutated config Envoy rejects"
      " already (%s); %d rejections are the fuzzer's own"
      % (len(rejected) - len(new_rejections), len(known), ", ".join(sorted(known)) or "none",
         len(new_rejections)))
sys.exit(1 if new_rejections else 0)
