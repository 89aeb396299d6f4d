#!/usr/bin/env python3
"""Prints the xDS-corpus score from run-xds-corpus's JSON report: the whole score, per family,
and the SecurityPolicy score of issue #10 (securitypolicy-* cases where none of Envoy Gateway's
security filters or their per-route configs is missing)."""
import collections
import json
import sys

SECURITY = ("jwt_authn", "ext_authz", "oauth2", "basic_auth", "api_key_auth", "rbac", "cors", "csrf")

report = json.load(open(sys.argv[1]))
results = report["results"]


def ok(r):
    return not r["missing"] and "error" not in r


passed = sum(ok(r) for r in results)
print("xds corpus: %d of %d cases with no Envoy Gateway feature missing (%.1f%%), %d features waived"
      % (passed, len(results), 100.0 * passed / max(len(results), 1), len(report["waivers"])))
fam = collections.defaultdict(lambda: [0, 0])
for r in results:
    f = fam[r["case"].split("-")[0]]
    f[0] += ok(r)
    f[1] += 1
for name, (p, n) in sorted(fam.items(), key=lambda kv: -kv[1][1]):
    print("  %-22s %4d of %4d" % (name, p, n))
sec = [r for r in results if r["case"].startswith("securitypolicy-")]
sec_ok = [r for r in sec if "error" not in r
          and not any(m.split(":", 1)[-1].replace("envoy.filters.http.", "") in SECURITY
                      for m in r["missing"] if m.startswith(("http_filter:", "per_filter:")))]
print("xds corpus, SecurityPolicy filters: %d of %d securitypolicy cases with no security filter or"
      " per-route security config missing (%.1f%%)"
      % (len(sec_ok), len(sec), 100.0 * len(sec_ok) / max(len(sec), 1)))
bad = sorted(set(r["case"] for r in sec) - set(r["case"] for r in sec_ok))
if bad:
    print("  missing security features in: " + ", ".join(bad))
miss = collections.Counter(m for r in results for m in r["missing"])
print("most missing features (cases): " + ", ".join("%s %d" % kv for kv in miss.most_common(12)))
