#!/usr/bin/env python3
"""Where a probe route's time goes, from the services' own timestamps (issue #16).

Reads one eg4j data directory of a probe run (duel.py --scenarios probe --keep: the work
directory's eg4j-data-probe) and prints, per stage, the mean and p50 in ms over the routes:

  request  first probe request for /rN in Envoy's access log (about when the file landed: the
           probe starts polling right after the rename)
  watcher  the watcher published the HTTPRoute (ResourcePublisher "published .../route-N")
  xds-ir   the translator published the xDS IR after that (OutputPublisher "... to eg4j.xds-ir")
  xds      the xds-server applied it (XdsIrConsumer "IR ... updated to")
  cds      Envoy applied the CDS step (cds_api_helper "added/updated")
  served   the first 200 for /rN in Envoy's access log

Wall-clock stamps on a loaded machine: read them with the load average of the run.

  bench/duel/probe-stages.py WORK/eg4j-data-probe [FIRST LAST]   # only routes FIRST..LAST

With EG4J_SLOWEST=N in the environment, it also prints the N slowest routes, each with the time
spent in each stage (watcher, translator, xds-server, until CDS, until served), to tell a tail
made by one stage from one spread over all of them.
"""
import datetime
import glob
import json
import os
import re
import statistics
import sys


def ts(s):
    # The services and Envoy log local time; the harness runs with TZ unset (UTC).
    return datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def main():
    data = sys.argv[1]
    svc = open(os.path.join(data, "logs", "eg4j.log"), errors="replace").read().splitlines()
    envoy_log = glob.glob(os.path.join(data, "envoy", "*.log"))[0]
    watcher, xdsir, xds = {}, [], []
    for line in svc:
        m = re.match(r"(\S+ \S+) .*ResourcePublisher +- published \S+/HTTPRoute/default/route-(\d+)$", line)
        if m:
            watcher.setdefault(int(m.group(2)), ts(m.group(1)))
            continue
        m = re.match(r"(\S+ \S+) .*OutputPublisher +- published \d+ records to eg4j.xds-ir", line)
        if m:
            xdsir.append(ts(m.group(1)))
            continue
        m = re.match(r"(\S+ \S+) .*XdsIrConsumer.* - IR \S+ updated to", line)
        if m:
            xds.append(ts(m.group(1)))
    first_req, served, cds = {}, {}, []
    for line in open(envoy_log, errors="replace"):
        if line.startswith("{"):
            try:
                a = json.loads(line)
            except ValueError:
                continue
            m = re.match(r"/r(\d+)$", a.get("x-envoy-origin-path") or "")
            if not m:
                continue
            i = int(m.group(1))
            t = datetime.datetime.strptime(a["start_time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            first_req.setdefault(i, t)
            if a.get("response_code") == 200:
                served.setdefault(i, t)
        else:
            m = re.match(r"\[([\d-]+ [\d:.]+)\].*cds: added/updated", line)
            if m:
                cds.append(ts(m.group(1)))

    def after(xs, t):
        return next((x for x in xs if x >= t), None)

    lo = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    hi = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 30
    stages = {"watcher": [], "xds-ir": [], "xds": [], "cds": [], "served": []}
    per_route = []
    for i in sorted(watcher):
        if i == 0 or i < lo or i > hi or i not in first_req or i not in served:
            continue
        t0 = first_req[i]
        w = watcher[i]
        if w < t0 - 1.0:
            # Published long before the probe asked for it: a route present at start, not probed.
            continue
        a = after(xdsir, w)
        b = after(xds, a) if a else None
        c = after(cds, a) if a else None
        if None in (a, b, c):
            continue
        for k, v in (("watcher", w), ("xds-ir", a), ("xds", b), ("cds", c), ("served", served[i])):
            stages[k].append((v - t0) * 1000)
        per_route.append((i, [(v - t0) * 1000 for v in (w, a, b, c, served[i])]))
    n = len(stages["served"])
    print(f"{n} routes; ms since the first probe request (mean / p50):")
    for k, v in stages.items():
        if v:
            print(f"  {k:8s} {statistics.mean(v):7.1f} {statistics.median(v):7.1f}")
    slowest = int(os.environ.get("EG4J_SLOWEST", "0"))
    if slowest and per_route:
        print(f"the {slowest} slowest routes; ms spent in each stage:")
        print("  route  watcher translator xds-server   cds  served   total")
        for i, t in sorted(per_route, key=lambda r: -r[1][4])[:slowest]:
            parts = [t[0]] + [t[k] - t[k - 1] for k in range(1, 5)]
            print(f"  {i:5d} " + " ".join(f"{x:8.1f}" for x in parts) + f" {t[4]:7.1f}")


if __name__ == "__main__":
    main()
