#!/usr/bin/env python3
"""Prints the status-corpus score from run-status-corpus's JSON report: the whole score, the
score of the Gateway API group the translator issue is measured on, and per-prefix rates."""
import json
import sys

GROUP = ("gateway-", "httproute-", "grpcroute-", "tlsroute-", "tcproute-", "udproute-",
         "backendtlspolicy-", "listenerset-")

report = json.load(open(sys.argv[1]))
cases = report["cases"]
s = report["summary"]
total, passed = s["total"], s["passed"]
group = [c for c in cases if c["name"].startswith(GROUP)]
gpassed = sum(c["result"] == "pass" for c in group)
print("status corpus: %d of %d cases (%.1f%%), condition accuracy %d of %d (%.1f%%), errors %d"
      % (passed, total, 100.0 * passed / max(total, 1), s["conditions_matched"],
         s["conditions_expected"], 100.0 * s["conditions_matched"] / max(s["conditions_expected"], 1),
         s["errors"]))
print("status corpus, Gateway API group (%s): %d of %d cases (%.1f%%)"
      % (" ".join(p.rstrip("-") for p in GROUP), gpassed, len(group),
         100.0 * gpassed / max(len(group), 1)))
for prefix, v in sorted(s["per_prefix"].items(), key=lambda kv: -kv[1]["total"]):
    print("  %-22s %4d of %4d" % (prefix, v["passed"], v["total"]))
print("  median seconds per case: %.2f" % s["median_seconds"])
failing = [c["name"] for c in group if c["result"] != "pass"]
if failing:
    print("failing in the Gateway API group: " + ", ".join(failing))
