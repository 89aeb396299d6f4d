#!/usr/bin/env python3
"""The fail-closed check (DESIGN.md invariant 9): no policy is Accepted unless every field it sets
reaches the configuration Envoy receives.

For every corpus case it translates the input to statuses and to xDS (one JVM, translate_all.py).
For every SecurityPolicy, BackendTrafficPolicy, ClientTrafficPolicy and EnvoyExtensionPolicy with
an Accepted=True ancestor, each top-level spec field it sets must be listed in
conformance/enforcement-map.yaml, and each xDS feature listed for that field (the feature
fingerprints of run-xds-corpus) must be in the case's xDS. Features that live on routes cannot
show where the policy reaches no route; those fields are counted as skipped.

usage: fail-closed-check.py SHARED_CONFORMANCE_DIR [CASE_REGEX] [--xds-report FILE]
Prints one line per violation and a summary; exits 1 when there is any violation.

With --xds-report it also scores the xDS corpus from the same translations, exactly as
run-xds-corpus does (its own fingerprint code: a case passes when no feature of Envoy Gateway's
configuration is missing from ours), and writes run-xds-corpus's JSON report: one JVM for all
cases instead of one per case."""
import collections
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from translate_all import result, translate_all  # noqa: E402

KINDS = ("SecurityPolicy", "BackendTrafficPolicy", "ClientTrafficPolicy", "EnvoyExtensionPolicy")
args = sys.argv[1:]
xds_report = None
if "--xds-report" in args:
    i = args.index("--xds-report")
    xds_report = args[i + 1]
    del args[i:i + 2]
conformance = os.path.abspath(args[0])
pattern = re.compile(args[1]) if len(args) > 1 else None
cases_dir = os.path.join(conformance, "eg-status", "cases")

# The feature fingerprints are the xDS corpus scorer's own.
scorer = {"__file__": os.path.join(conformance, "run-xds-corpus")}
with open(scorer["__file__"]) as f:
    src = f.read()
exec(compile(src.split("# ------------------------------------------------------------------ running")[0],
             "run-xds-corpus", "exec"), scorer)

with open(os.path.join(ROOT, "conformance", "enforcement-map.yaml")) as f:
    enforcement = yaml.safe_load(f)

names = sorted(n for n in os.listdir(cases_dir)
               if os.path.isdir(os.path.join(cases_dir, n)) and (not pattern or pattern.search(n)))
out = translate_all(ROOT, cases_dir, names, ["status", "xds"])


def extra_features(resources):
    """Features the corpus scorer's fingerprint skips but a policy field can be proven by."""
    out = set()
    for c in resources.get("Cluster", []):
        if (c.get("common_lb_config") or {}).get("healthy_panic_threshold"):
            out.add("cluster:healthy_panic_threshold")
        # Upstream HTTP filters (admission control) sit in the cluster's HTTP protocol options.
        for opts in (c.get("typed_extension_protocol_options") or {}).values():
            for f in (opts or {}).get("http_filters", []) or []:
                out.add("cluster:upstream_filter:%s" % f.get("name"))
    return out


def accepted(status):
    for a in (status or {}).get("ancestors", []) or []:
        for c in a.get("conditions", []) or []:
            if c.get("type") == "Accepted" and str(c.get("status")) == "True":
                return True
    return False


def declined(status, field):
    """True when every Accepted ancestor carries a Warning saying spec.FIELD is not applied."""
    marker = "spec.%s is not applied" % field
    ancestors = [a for a in (status or {}).get("ancestors", []) or []
                 if any(c.get("type") == "Accepted" and str(c.get("status")) == "True"
                        for c in a.get("conditions", []) or [])]
    return bool(ancestors) and all(
        any(c.get("type") == "Warning" and marker in (c.get("message") or "")
            for c in a.get("conditions", []) or [])
        for a in ancestors)


expected_dir = os.path.join(conformance, "eg-xds", "expected")
xds_results = []
policies = fields = skipped = reported = 0
violations = []
per_kind = collections.Counter()
for name in names:
    status_text, err = result(out, name, "status")
    xds_text, xerr = result(out, name, "xds")
    expected = os.path.join(expected_dir, name + ".json")
    if xds_report and os.path.exists(expected):
        want = scorer["fingerprint"](scorer["expected_resources"](expected))
        if xerr:
            xds_results.append({"case": name, "error": xerr[-200:], "missing": sorted(want),
                                "extra": []})
        else:
            got = scorer["fingerprint"](scorer["dump_resources"](xds_text))
            xds_results.append({"case": name, "missing": sorted(want - got),
                                "extra": sorted(got - want)})
    if err or xerr:
        continue  # the status corpus reports translation failures
    with open(os.path.join(cases_dir, name, "input.yaml")) as f:
        inputs = {(d.get("kind"), (d.get("metadata") or {}).get("namespace", ""),
                   (d.get("metadata") or {}).get("name")): d
                  for d in yaml.safe_load_all(f) if isinstance(d, dict)}
    resources = scorer["dump_resources"](xds_text)
    fp = scorer["fingerprint"](resources) | extra_features(resources)
    # HTTP routes, or TCP, TLS and UDP routes (their clusters are named after the route).
    has_routes = any(x.startswith("action:") for x in fp) or any(
        c.get("name", "").startswith(("tcproute/", "tlsroute/", "udproute/"))
        for c in resources.get("Cluster", []))
    for doc in yaml.safe_load_all(status_text):
        if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
            continue
        if not accepted(doc.get("status")):
            continue
        kind = doc["kind"]
        meta = doc.get("metadata") or {}
        obj = inputs.get((kind, meta.get("namespace", ""), meta.get("name")))
        if obj is None:
            continue
        policies += 1
        per_kind[kind] += 1
        known = enforcement.get(kind) or {}
        for field, value in sorted(((obj.get("spec") or {}).items())):
            if value is None:
                continue
            fields += 1
            where = "%s: %s %s/%s spec.%s" % (name, kind, meta.get("namespace"), meta.get("name"),
                                              field)
            if field not in known:
                violations.append(where + " is Accepted but has no known xDS mapping")
                continue
            need = known[field] or []
            # Route-level features (filters, per-route configs, the routes' clusters) cannot
            # appear where the policy reaches no route.
            if need and not has_routes and all(
                    alt.startswith(("per_filter:", "http_filter:", "cluster:", "cluster_protocol_options:",
                                    "upstream:", "route_action:"))
                    for n in need for alt in n.split("|")):
                skipped += 1
                continue
            # "a|b" is satisfied by either feature (a field with several ways to reach Envoy).
            missing = [n for n in need if not any(alt in fp for alt in n.split("|"))]
            if missing and declined(doc.get("status"), field):
                # Left out on purpose and said so: every ancestor's Warning states that the field
                # is not applied (e.g. HTTP/3 with client certificate validation).
                reported += 1
                continue
            if missing:
                violations.append(where + " is Accepted but Envoy gets none of " + ", ".join(missing))

if xds_report:
    import json
    with open(xds_report, "w") as f:
        json.dump({"results": xds_results, "waivers": []}, f, indent=1)

for v in violations:
    print("  VIOLATION " + v)
print("fail-closed check: %d Accepted policies (%s), %d fields checked, %d skipped (no route to "
      "enforce on), %d not applied and said so in a Warning, %d violations"
      % (policies, ", ".join("%s %d" % kv for kv in sorted(per_kind.items())) or "none", fields,
         skipped, reported, len(violations)))
sys.exit(1 if violations else 0)
