#!/usr/bin/env python3
"""Prints the pass/fail counts of a Gateway API ConformanceReport, per profile, core and extended,
and the failed tests. Exit 1 when a core test failed (or with --fail-on-any, any test), 2 when the
report is missing or unreadable. Usage: conformance-summary.py REPORT [--fail-on-any]"""
import sys

import yaml


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    try:
        with open(argv[1]) as f:
            report = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"conformance: no report ({e})")
        return 2
    fail_on_any = "--fail-on-any" in argv[2:]
    failed_core = failed_any = 0
    totals = {"Passed": 0, "Failed": 0, "Skipped": 0}
    for profile in report.get("profiles") or []:
        for part in ("core", "extended"):
            r = profile.get(part)
            if not r:
                continue
            st = r.get("statistics") or {}
            p, fl, sk = st.get("Passed", 0), st.get("Failed", 0), st.get("Skipped", 0)
            for k, v in (("Passed", p), ("Failed", fl), ("Skipped", sk)):
                totals[k] += v
            print(f"conformance: {profile.get('name')} {part}: {p} passed, {fl} failed, {sk} skipped"
                  f" ({r.get('result')})")
            for t in r.get("failedTests") or []:
                print(f"conformance:   FAILED {t}")
            if part == "core":
                failed_core += fl
            failed_any += fl
    print(f"conformance: total {totals['Passed']} passed, {totals['Failed']} failed,"
          f" {totals['Skipped']} skipped")
    if failed_core or (fail_on_any and failed_any):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
