#!/usr/bin/env python3
"""The Gateway API conformance suite's status checks, run offline against eg4j's translator.

For every record of shared/conformance/gateway-api/tests (the upstream v1.6.1 suite's
expectations as data, see its SPEC.md), the base manifests, the objects upstream generates at
setup (TLS Secrets and CA ConfigMaps, made here with fresh keys) and the test's manifests go
through `eg4j translate --output written-status` (statuses as the status writer stores them); each status check (SPEC.md section 4) is then
evaluated on the statuses, in step order. Mutations (section 8) are applied to the manifests
and the input translated again, so checks after a mutation see its effect.

What a translation cannot show is not checked and is counted apart: Pods and addresses
(`gatewayAddress`, the Pod half of `namespacesReady`), traffic, and observedGeneration
freshness (one translation is always fresh).

This complements the live suite (conformance/suite, `make conformance`): it needs no cluster
and runs in a few minutes, so every status rule is checked against the upstream expectations
on each CI run.

Usage: gateway-api-status.py SHARED_CONFORMANCE_DIR [--cmd ./eg4j] [--jobs 2] [--filter RE]
       [--verbose] [--allow-failures N]
"""

import argparse
import copy
import datetime
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import yaml

CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
CLASS = "eg4j-conformance"

# Upstream tests that check how an implementation refuses a feature it lacks, and skip themselves
# when the feature is claimed.
SKIPPED_WHEN_CLAIMED = {
    "TLSRouteListenerTerminateNotSupported": "TLSRouteModeTerminate",
    "TLSRouteListenerMixedTerminationNotSupported": "TLSRouteModeMixed",
}

NOT_CHECKABLE = {"gatewayAddress", "mirroredRequestLogged", "weightedDistribution"}
ALWAYS_FRESH = {
    "routeLatestConditions",
    "gatewayLatestConditions",
    "gatewayClassLatestConditions",
    "backendTLSPolicyLatestConditions",
}


# ---------------------------------------------------------------- generated objects


def generated_objects(path):
    """The Secrets and ConfigMaps of generated-objects.yaml, with real keys and certificates."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import base64
    import ipaddress

    specs = yaml.safe_load(open(path))
    cas = {}
    out = []
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(subject):
        attrs = []
        oid = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME, "C": NameOID.COUNTRY_NAME}
        for part in subject.split(","):
            k, v = part.split("=", 1)
            attrs.append(x509.NameAttribute(oid[k.strip()], v.strip()))
        return x509.Name(attrs)

    def pem(cert):
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    ekus = {"serverAuth": ExtendedKeyUsageOID.SERVER_AUTH, "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH}
    for spec in specs:
        c = spec.get("certificate", {})
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = name(c.get("subject", "CN=default,O=Acme Co"))
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=365))
        )
        if c.get("ca"):
            b = b.issuer_name(subject).add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        sans = []
        for h in c.get("hosts") or []:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                if re.fullmatch(r"(\*\.)?[A-Za-z0-9.-]+", h):
                    sans.append(x509.DNSName(h))
                else:
                    sans.append(x509.UniformResourceIdentifier(h))
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), False)
        if c.get("extKeyUsage"):
            b = b.add_extension(x509.ExtendedKeyUsage([ekus[e] for e in c["extKeyUsage"] if e in ekus]), False)
        signer_key, issuer = key, subject
        if c.get("signedBy"):
            signer_key, issuer_cert = cas[c["signedBy"]]
            issuer = issuer_cert.subject
        if not c.get("ca"):
            b = b.issuer_name(issuer)
        cert = b.sign(signer_key, hashes.SHA256())
        meta = {"namespace": spec["namespace"], "name": spec["name"]}
        if spec["kind"] == "ConfigMap":
            cas[f"{spec['namespace']}/{spec['name']}"] = (key, cert)
            out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"ca.crt": pem(cert)}})
        else:
            keypem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "kubernetes.io/tls",
                    "metadata": meta,
                    "data": {
                        "tls.crt": base64.b64encode(pem(cert).encode()).decode(),
                        "tls.key": base64.b64encode(keypem).decode(),
                    },
                }
            )
    return out


# ---------------------------------------------------------------- manifests


def load_manifests(path):
    text = open(path).read().replace("{GATEWAY_CLASS_NAME}", CLASS)
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and d.get("kind")]
    for d in docs:
        if d["kind"] == "GatewayClass":
            d.setdefault("spec", {})["controllerName"] = CONTROLLER
    return docs


def key_of(doc):
    m = doc.get("metadata", {})
    return (doc["kind"], m.get("namespace", ""), m.get("name", ""))


def split_ref(ref):
    ns, _, name = ref.rpartition("/")
    return ns, name


PATH_TOKEN = re.compile(r"([^.\[]+)|\[(\d+)\]|\['([^']*)'\]")


def path_parts(path):
    parts = []
    for m in PATH_TOKEN.finditer(path):
        if m.group(1) is not None:
            parts.append(m.group(1))
        elif m.group(2) is not None:
            parts.append(int(m.group(2)))
        else:
            parts.append(m.group(3))
    return parts


def get_path(obj, path):
    for p in path_parts(path):
        obj = obj[p]
    return obj


def set_path(obj, path, value, append=False):
    parts = path_parts(path)
    for p in parts[:-1]:
        if isinstance(p, int):
            obj = obj[p]
        else:
            obj = obj.setdefault(p, {})
    last = parts[-1]
    if append:
        obj.setdefault(last, []).extend(copy.deepcopy(value))
    else:
        obj[last] = copy.deepcopy(value)


def find(docs, kind, ref):
    ns, name = split_ref(ref)
    for d in docs:
        if key_of(d) == (kind, ns, name):
            return d
    return None


def resolve_value_from(node, docs, snapshots):
    """Replaces each {valueFrom: {kind, object, path}} in node by that field's value, or None."""
    if isinstance(node, dict):
        if set(node) == {"valueFrom"}:
            vf = node["valueFrom"]
            src = snapshots.get((vf["kind"], vf["object"])) or find(docs, vf["kind"], vf["object"])
            if src is None:
                return None
            return copy.deepcopy(get_path(src, vf["path"]))
        out = {}
        for k, v in node.items():
            r = resolve_value_from(v, docs, snapshots)
            if r is None and v is not None:
                return None
            out[k] = r
        return out
    if isinstance(node, list):
        out = [resolve_value_from(v, docs, snapshots) for v in node]
        return None if any(r is None and v is not None for r, v in zip(out, node)) else out
    return node


def mutate(docs, m, snapshots):
    """Apply one mutation (SPEC.md section 8); False when it cannot be applied offline."""
    op = m["op"]
    if op == "delete":
        target = find(docs, m["kind"], m["object"])
        if target is not None:
            docs.remove(target)
        return True
    if op == "create":
        for o in m.get("objects", []):
            o = resolve_value_from(copy.deepcopy(o), docs, snapshots)
            if o is None:
                return False
            if o.get("kind") == "GatewayClass":
                o.setdefault("spec", {})["controllerName"] = CONTROLLER
            if find(docs, o["kind"], f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}") is None:
                docs.append(o)
        return True
    target = find(docs, m["kind"], m["object"])
    if target is None:
        return False
    for ch in m.get("changes", []):
        if "valueFrom" in ch:
            vf = ch["valueFrom"]
            src = snapshots.get((vf["kind"], vf["object"]))
            if src is None:
                return False
            value = get_path(src, vf["path"])
        else:
            value = ch.get("value")
        if isinstance(value, str) and value.startswith("<unresolved"):
            return False
        set_path(target, ch["path"], value, append=ch.get("op") == "append")
    return True


# ---------------------------------------------------------------- translation


def translate(cmd, docs, workdir, tag):
    path = os.path.join(workdir, f"{tag}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)
    p = subprocess.run(
        [cmd, "translate", "--output", "written-status", path],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "EG4J_NO_BUILD": "1"},
    )
    if p.returncode != 0:
        raise RuntimeError(f"translate failed ({p.returncode}): {p.stderr[-2000:]}")
    out = {}
    for d in yaml.safe_load_all(p.stdout):
        if isinstance(d, dict) and d.get("kind"):
            out[key_of(d)] = d
    return out


# ---------------------------------------------------------------- checks


def cond_match(actual, expected):
    for e in expected:
        ok = any(
            a.get("type") == e.get("type")
            and (e.get("status") is None or a.get("status") == e.get("status"))
            and (e.get("reason") is None or a.get("reason") == e.get("reason"))
            for a in actual
        )
        if not ok:
            return False
    return len(actual) >= len(expected)


def show(conds):
    return ", ".join(f"{c.get('type')}={c.get('status')}/{c.get('reason')}" for c in conds or []) or "none"


def status_of(statuses, kind, ref):
    ns, name = split_ref(ref)
    d = statuses.get((kind, ns, name))
    return (d or {}).get("status") or {}


def check(item, statuses, docs):
    """None when the check holds, else why not."""
    t = item["type"]
    if t == "namespacesReady":
        for d in docs:
            if d["kind"] == "Gateway" and d["metadata"].get("namespace") in item["namespaces"]:
                ann = d["metadata"].get("annotations") or {}
                if ann.get("gateway-api/skip-this-for-readiness") == "true":
                    continue
                conds = status_of(statuses, "Gateway", f"{d['metadata']['namespace']}/{d['metadata']['name']}").get(
                    "conditions", []
                )
                # Programmed comes from the running fleet (the provisioner), not from translation.
                want = [{"type": "Accepted", "status": "True"}]
                if not cond_match(conds, want):
                    return f"Gateway {d['metadata']['name']} not ready: {show(conds)}"
        return None
    if t == "routeParents":
        parents = status_of(statuses, item["routeKind"], item["route"]).get("parents", [])
        for ep in item["parents"]:
            ref = ep["parentRef"]
            found = False
            for ap in parents:
                # The API server defaults a status parentRef's group and kind, as in the spec.
                ar = {"group": "gateway.networking.k8s.io", "kind": "Gateway", **ap.get("parentRef", {})}
                if ap.get("controllerName") != CONTROLLER:
                    continue
                if ar.get("group") != ref.get("group") or ar.get("kind") != ref.get("kind"):
                    continue
                if ar.get("name") != ref.get("name"):
                    continue
                if ar.get("namespace") != ref.get("namespace") and not (
                    ar.get("namespace") is None and not item.get("namespaceRequired")
                ):
                    continue
                if cond_match(ap.get("conditions", []), ep.get("conditions", [])):
                    found = True
                    break
            if not found:
                got = "; ".join(f"{p.get('parentRef', {}).get('name')}: {show(p.get('conditions'))}" for p in parents)
                return f"no parent {ref.get('name')} with {show(ep.get('conditions'))} (got {got or 'no parents'})"
        return None
    if t == "routeCondition":
        parents = status_of(statuses, item["routeKind"], item["route"]).get("parents", [])
        pns, pname = split_ref(item["parent"])
        for ap in parents:
            ar = ap.get("parentRef", {})
            if ar.get("name") == pname and ar.get("namespace") in (None, pns):
                if cond_match(ap.get("conditions", []), [item["condition"]]):
                    return None
        return f"{show([item['condition']])} not on parent {pname} (got {'; '.join(show(p.get('conditions')) for p in parents) or 'no parents'})"
    if t == "routeNoAcceptedParents":
        parents = status_of(statuses, item["routeKind"], item["route"]).get("parents", [])
        if not parents:
            return None
        if len(parents) == 1 and cond_match(parents[0].get("conditions", []), [{"type": "Accepted", "status": "False"}]):
            return None
        return f"parents: {'; '.join(show(p.get('conditions')) for p in parents)}"
    if t == "listenersConditions":
        kind = item.get("parentKind", "Gateway")
        listeners = status_of(statuses, kind, item["parent"]).get("listeners", [])
        names = item.get("listeners")
        by_name = {l.get("name"): l for l in listeners}
        selected = listeners if names in (None, "all") else [by_name.get(n) for n in names]
        if not selected:
            return "no listeners in status"
        for i, l in enumerate(selected):
            if l is None:
                return f"listener {names[i]} missing from status"
            if not cond_match(l.get("conditions", []), item["conditions"]):
                return f"listener {l.get('name')}: want {show(item['conditions'])}, got {show(l.get('conditions'))}"
        return None
    if t in ("gatewayCondition", "listenerSetCondition"):
        kind = "Gateway" if t == "gatewayCondition" else "ListenerSet"
        ref = item.get("gateway") or item.get("listenerSet")
        conds = status_of(statuses, kind, ref).get("conditions", [])
        if cond_match(conds, [item["condition"]]):
            return None
        return f"want {show([item['condition']])}, got {show(conds)}"
    if t in ("gatewayListeners", "listenerSetListeners"):
        kind = "Gateway" if t == "gatewayListeners" else "ListenerSet"
        ref = item.get("gateway") or item.get("listenerSet")
        listeners = status_of(statuses, kind, ref).get("listeners", [])
        if len(listeners) != len(item["listeners"]):
            return f"{len(listeners)} listeners in status, want {len(item['listeners'])}"
        by_name = {l.get("name"): l for l in listeners}
        for el in item["listeners"]:
            al = by_name.get(el["name"])
            if al is None:
                return f"listener {el['name']} missing"
            want_kinds = {(k.get("group") or "gateway.networking.k8s.io", k["kind"]) for k in el.get("supportedKinds") or []}
            got_kinds = {(k.get("group") or "gateway.networking.k8s.io", k["kind"]) for k in al.get("supportedKinds") or []}
            if el.get("supportedKinds") == [] and got_kinds:
                return f"listener {el['name']}: supportedKinds {sorted(got_kinds)}, want none"
            if not want_kinds <= got_kinds:
                return f"listener {el['name']}: supportedKinds {sorted(got_kinds)}, want {sorted(want_kinds)}"
            if al.get("attachedRoutes") != el.get("attachedRoutes"):
                return f"listener {el['name']}: attachedRoutes {al.get('attachedRoutes')}, want {el.get('attachedRoutes')}"
            if not cond_match(al.get("conditions", []), el.get("conditions", [])):
                return f"listener {el['name']}: want {show(el.get('conditions'))}, got {show(al.get('conditions'))}"
        return None
    if t == "gatewayZeroRoutes":
        listeners = status_of(statuses, "Gateway", item["gateway"]).get("listeners", [])
        if not listeners or (len(listeners) == 1 and listeners[0].get("attachedRoutes") == 0):
            return None
        return f"listeners: {[(l.get('name'), l.get('attachedRoutes')) for l in listeners]}"
    if t == "gatewayAttachedListenerSets":
        got = status_of(statuses, "Gateway", item["gateway"]).get("attachedListenerSets", 0) or 0
        return None if got == item["count"] else f"attachedListenerSets {got}, want {item['count']}"
    if t == "gatewayClassAccepted":
        d = statuses.get(("GatewayClass", "", item["gatewayClass"]))
        conds = ((d or {}).get("status") or {}).get("conditions", [])
        want = [{"type": "Accepted", "status": item.get("status")}]
        return None if cond_match(conds, want) else f"got {show(conds)}"
    if t == "backendTLSPolicyCondition":
        ancestors = status_of(statuses, "BackendTLSPolicy", item["policy"]).get("ancestors", [])
        ans, aname = split_ref(item["ancestor"])
        for a in ancestors:
            ar = a.get("ancestorRef", {})
            if ar.get("name") == aname and ar.get("namespace") in (None, ans):
                if cond_match(a.get("conditions", []), [item["condition"]]):
                    return None
        return f"{show([item['condition']])} not on ancestor {aname} (got {'; '.join(show(a.get('conditions')) for a in ancestors) or 'no ancestors'})"
    raise KeyError(t)


# ---------------------------------------------------------------- runner


def run_record(args, name, base, generated, workdir):
    rec = yaml.safe_load(open(os.path.join(args.dir, "tests", f"{name}.yaml")))
    docs = base + copy.deepcopy(generated)
    if rec.get("manifests", {}).get("file"):
        docs += load_manifests(os.path.join(args.dir, "tests", rec["manifests"]["file"]))
    items = sorted(
        [("status", s) for s in rec.get("status") or []] + [("mutation", m) for m in rec.get("mutations") or []],
        key=lambda x: x[1]["step"],
    )
    result = {"name": name, "passed": 0, "failed": [], "skipped": 0, "stopped": None}
    statuses = None
    snapshots = {}
    seq = 0
    for what, item in items:
        if what == "mutation":
            for ref_kind, ref in {(c.get("valueFrom", {}).get("kind"), c.get("valueFrom", {}).get("object")) for c in item.get("changes", [])}:
                if ref_kind:
                    src = find(docs, ref_kind, ref)
                    if src is not None:
                        snapshots.setdefault((ref_kind, ref), copy.deepcopy(src))
            if not mutate(docs, item, snapshots):
                result["stopped"] = f"step {item['step']}: mutation not reproducible offline"
                break
            statuses = None
            continue
        t = item["type"]
        if t in NOT_CHECKABLE:
            result["skipped"] += 1
            continue
        if t in ALWAYS_FRESH:
            result["passed"] += 1
            continue
        if statuses is None:
            seq += 1
            statuses = translate(args.cmd, docs, workdir, f"{name}-{seq}")
        why = check(item, statuses, docs)
        if why is None:
            result["passed"] += 1
        else:
            result["failed"].append(f"step {item['step']} {t} [{item.get('subtest') or '-'}]: {why}")
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shared", help="the shared conformance directory (holds gateway-api/)")
    ap.add_argument("--cmd", default="./eg4j")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--filter", default="")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--allow-failures", type=int, default=0, help="exit 1 when more checks fail")
    args = ap.parse_args()
    args.dir = os.path.join(args.shared, "gateway-api")
    base = load_manifests(os.path.join(args.dir, "base-manifests.yaml"))
    base.append(
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": CLASS},
            "spec": {"controllerName": CONTROLLER},
        }
    )
    generated = generated_objects(os.path.join(args.dir, "generated-objects.yaml"))
    claimed = {
        line.strip()
        for line in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance", "suite", "supported-features.txt"))
        if line.strip() and not line.startswith("#")
    }
    names, unclaimed = [], []
    for f in sorted(os.listdir(os.path.join(args.dir, "tests"))):
        if not f.endswith(".yaml") or f.endswith(".manifests.yaml") or not re.search(args.filter, f):
            continue
        name = f[: -len(".yaml")]
        rec = yaml.safe_load(open(os.path.join(args.dir, "tests", f)))
        # As the suite: a test runs when eg4j claims all its features, and a "not supported"
        # test is skipped when eg4j claims the feature it is about.
        if not set(rec.get("features") or []) <= claimed or SKIPPED_WHEN_CLAIMED.get(name) in claimed:
            unclaimed.append(name)
        else:
            names.append(name)
    with tempfile.TemporaryDirectory(prefix="eg4j-gwapi-status-") as workdir:
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda n: run_record(args, n, base, generated, workdir), names))
    passed = sum(r["passed"] for r in results)
    failed = sum(len(r["failed"]) for r in results)
    skipped = sum(r["skipped"] for r in results)
    clean = [r for r in results if not r["failed"]]
    for r in results:
        if r["failed"] or (args.verbose and r["stopped"]):
            print(f"FAIL {r['name']}" if r["failed"] else f"PART {r['name']}")
            for f in r["failed"]:
                print(f"  {f}")
            if r["stopped"]:
                print(f"  ({r['stopped']}; later checks not run)")
    stopped = sum(1 for r in results if r["stopped"])
    print(
        f"gateway-api status checks (offline, translator): {passed} of {passed + failed} passed; "
        f"{len(clean)} of {len(results)} tests with no failing check; "
        f"{skipped} checks need traffic, Pods or addresses (live suite only); "
        f"{stopped} tests stop at a mutation that needs a live object; "
        f"{len(unclaimed)} tests need features eg4j does not claim ({', '.join(unclaimed) or 'none'})"
    )
    if failed > args.allow_failures:
        print(f"FAILED: {failed} status checks fail (allowed: {args.allow_failures})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
