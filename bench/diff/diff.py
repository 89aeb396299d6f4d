#!/usr/bin/env python3
"""Differential status tester: eg4j's translator against Envoy Gateway v1.9.0's own.

The oracle is Envoy Gateway's gatewayapi translator, driven by bench/diff/eg/diff_status_test.go
(copied into internal/diffstatus/ of the module copy bench/duel/build-eg.sh keeps, compiled once
with `go test -c`). eg4j runs in one JVM through .ci/translate_all.py. Statuses are normalized
and compared as /work/shared/conformance/run-status-corpus does (type, status, reason; messages
are ignored).

  bench/diff/diff.py oracle-check [--cases DIR]             # oracle vs the corpus expected.yaml
  bench/diff/diff.py mutate OUT --count N [--seed S]        # N mutated cases of the corpus inputs
  bench/diff/diff.py compare DIR [--report FILE] [--top N]  # eg4j vs oracle on DIR/*/input.yaml

Needs the eg4j launcher jar (`./mvnw install -DskipTests`; run with EG4J_NO_BUILD=1), Go at
/usr/local/go/bin and PyYAML. The mutated inputs come only from the visible corpus inputs.
"""
import argparse
import collections
import copy
import importlib.machinery
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFORMANCE = os.environ.get("EG4J_CONFORMANCE", "/work/shared/conformance")
CASES = os.path.join(CONFORMANCE, "eg-status", "cases")
EG_SRC = os.path.join(os.environ.get("EG4J_CACHE", os.path.expanduser("~/.cache/eg4j")),
                      "duel", "eg-v1.9.0", "src")
ORACLE_BIN = os.path.join(os.environ.get("EG4J_CACHE", os.path.expanduser("~/.cache/eg4j")),
                          "diff", "diffstatus.test")


def _load_module(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


rsc = _load_module("run_status_corpus", os.path.join(CONFORMANCE, "run-status-corpus"))
import yaml  # noqa: E402  (after the corpus module, which needs it too)

STATUS_KINDS = {"GatewayClass", "Gateway", "ListenerSet", "XListenerSet", "HTTPRoute", "GRPCRoute",
                "TLSRoute", "TCPRoute", "UDPRoute", "ClientTrafficPolicy", "BackendTrafficPolicy",
                "SecurityPolicy", "EnvoyExtensionPolicy", "EnvoyPatchPolicy", "BackendTLSPolicy",
                "Backend", "EnvoyProxy", "HTTPRouteFilter"}


# --------------------------------------------------------------------------- oracle

def build_oracle():
    """Compiles the oracle test binary (once; again when the Go file changed)."""
    src = os.path.join(HERE, "eg", "diff_status_test.go")
    if not os.path.isfile(os.path.join(EG_SRC, "go.mod")):
        subprocess.run([os.path.join(ROOT, "bench", "duel", "build-eg.sh")], check=True)
    if os.path.exists(ORACLE_BIN) and os.path.getmtime(ORACLE_BIN) > os.path.getmtime(src):
        return ORACLE_BIN
    pkg = os.path.join(EG_SRC, "internal", "diffstatus")
    os.makedirs(pkg, exist_ok=True)
    shutil.copy(src, pkg)
    os.makedirs(os.path.dirname(ORACLE_BIN), exist_ok=True)
    env = dict(os.environ, GOFLAGS="-mod=mod", CGO_ENABLED="0",
               PATH="/usr/local/go/bin:" + os.environ.get("PATH", ""))
    print("diff: compiling the oracle (go test -c)...", file=sys.stderr)
    subprocess.run(["go", "test", "-c", "-o", ORACLE_BIN, "./internal/diffstatus"],
                   cwd=EG_SRC, env=env, check=True)
    return ORACLE_BIN


def run_oracle(cases_dir, names):
    """{name: {key: normalized status}} or {name: "error"} from Envoy Gateway's translator."""
    binary = build_oracle()
    tmp = tempfile.mkdtemp(prefix="eg4j-diff-oracle-")
    lst = os.path.join(tmp, "list.tsv")
    with open(lst, "w") as f:
        for n in names:
            d = os.path.join(cases_dir, n)
            f.write("%s\t%s\t%s\n" % (os.path.join(d, "input.yaml"), os.path.join(d, "config.yaml"),
                                      os.path.join(tmp, n + ".json")))
    subprocess.run([binary, "-test.run", "TestDiffStatus"], env=dict(os.environ, DIFF_LIST=lst),
                   check=True, stdout=subprocess.DEVNULL)
    out = {}
    for n in names:
        p = os.path.join(tmp, n + ".json")
        if not os.path.exists(p):
            out[n] = "no output"
            continue
        with open(p) as f:
            r = json.load(f)
        if r.get("error"):
            out[n] = r["error"]
            continue
        out[n] = {(s["kind"], s["namespace"], s["name"]): rsc.normalize_status(s.get("status"), s["namespace"])
                  for s in r.get("resources") or []}
    shutil.rmtree(tmp, ignore_errors=True)
    return out


def run_eg4j(cases_dir, names):
    """{name: {key: normalized status}} or {name: "error"} from eg4j's `translate --output status`."""
    ta = _load_module("translate_all", os.path.join(ROOT, ".ci", "translate_all.py"))
    os.environ["EG4J_NO_BUILD"] = "1"
    out_dir = ta.translate_all(ROOT, cases_dir, names, ["status"])
    out = {}
    for n in names:
        text, err = ta.result(out_dir, n, "status")
        if err:
            out[n] = err.splitlines()[0][:200]
            continue
        try:
            docs = rsc.actual_resources(rsc.load_all(text))
        except Exception as e:  # noqa: BLE001 - unparsable output is eg4j's failure
            out[n] = "unparsable: %s" % e
            continue
        out[n] = {k: rsc.normalize_status(d.get("status"), k[1]) for k, d in docs.items()}
    shutil.rmtree(os.path.dirname(out_dir), ignore_errors=True)
    return out


# --------------------------------------------------------------------------- comparison

def _by_type(conds):
    m = {}
    for t, s, r in conds:
        m.setdefault(t, []).append("%s/%s" % (s, r))
    return {t: ",".join(sorted(v)) for t, v in m.items()}


def divergences(kind, want, got):
    """(kind, place, type, eg4j value, EG value) of every difference of two normalized statuses."""
    out = []

    def conds(place, w, g):
        wt, gt = _by_type(w), _by_type(g)
        for t in sorted(set(wt) | set(gt)):
            if wt.get(t) != gt.get(t):
                out.append((kind, place, t, gt.get(t, "-"), wt.get(t, "-")))

    conds("status", want.get("conditions", ()), got.get("conditions", ()))
    wl, gl = want.get("listeners", {}), got.get("listeners", {})
    for ln in sorted(set(wl) | set(gl)):
        if ln not in gl or ln not in wl:
            out.append((kind, "listener", "<entry>", "present" if ln in gl else "-",
                        "present" if ln in wl else "-"))
            continue
        conds("listener", wl[ln]["conditions"], gl[ln]["conditions"])
        if wl[ln]["attachedRoutes"] != gl[ln]["attachedRoutes"]:
            out.append((kind, "listener", "attachedRoutes", str(gl[ln]["attachedRoutes"]),
                        str(wl[ln]["attachedRoutes"])))
        if wl[ln]["supportedKinds"] != gl[ln]["supportedKinds"]:
            short = lambda ks: "+".join(k.rsplit("/", 1)[1] for k in ks) or "none"  # noqa: E731
            out.append((kind, "listener", "supportedKinds", short(gl[ln]["supportedKinds"]),
                        short(wl[ln]["supportedKinds"])))
    for section in ("parents", "ancestors"):
        ws, gs = want.get(section, {}), got.get(section, {})
        for ref in sorted(set(ws) | set(gs)):
            if ref not in gs or ref not in ws:
                src = ws if ref in ws else gs
                label = ";".join("%s=%s" % kv for kv in sorted(_by_type(src[ref]).items()))
                out.append((kind, section, "<entry>", "present" if ref in gs else "-",
                            "present" if ref in ws else "-") if False else
                           (kind, section, "<entry>", label if ref in gs else "-",
                            label if ref in ws else "-"))
                continue
            conds(section, ws[ref], gs[ref])
    return out


def compare_case(eg, mine):
    """List of divergence tuples between the oracle's and eg4j's statuses of one input."""
    out = []
    for key in sorted(set(eg) | set(mine)):
        if key[0] not in STATUS_KINDS:
            continue
        w, g = eg.get(key, {}), mine.get(key, {})
        if w == g:
            continue
        out.extend(divergences(key[0], w, g))
    return out


# --------------------------------------------------------------------------- mutation

POLICY_KINDS = ("ClientTrafficPolicy", "BackendTrafficPolicy", "SecurityPolicy",
                "EnvoyExtensionPolicy", "BackendTLSPolicy", "EnvoyPatchPolicy")
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
MUTABLE_KINDS = set(POLICY_KINDS) | set(ROUTE_KINDS) | {
    "Gateway", "ListenerSet", "XListenerSet", "Backend", "EnvoyProxy", "HTTPRouteFilter",
    "ReferenceGrant", "GatewayClass"}
PROTOCOLS = {"HTTP": 80, "HTTPS": 443, "TCP": 5000, "UDP": 5001, "TLS": 8443}


def _paths(node, prefix=()):
    """Every (path, value) below node, lists indexed."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _generic(path):
    return tuple("[]" if isinstance(p, int) else p for p in path)


def _get(node, path):
    for p in path:
        node = node[p]
    return node


def _set(node, path, value):
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _del(node, path):
    for p in path[:-1]:
        node = node[p]
    if isinstance(node, list):
        node.pop(path[-1])
    else:
        node.pop(path[-1], None)


def load_corpus(cases_dir):
    cases = {}
    for n in sorted(os.listdir(cases_dir)):
        d = os.path.join(cases_dir, n)
        if not os.path.isfile(os.path.join(d, "input.yaml")):
            continue
        with open(os.path.join(d, "input.yaml")) as f:
            docs = [x for x in rsc.load_all(f.read()) if isinstance(x, dict)]
        with open(os.path.join(d, "config.yaml")) as f:
            config = f.read()
        cases[n] = (docs, config)
    return cases


def value_pool(cases):
    """Values seen at each generic (kind, path) across the corpus: realistic replacements."""
    pool = collections.defaultdict(list)
    for docs, _ in cases.values():
        for doc in docs:
            kind = doc.get("kind")
            if kind not in MUTABLE_KINDS:
                continue
            for path, v in _paths(doc.get("spec") or {}, ("spec",)):
                if len(path) > 1:
                    pool[(kind, _generic(path))].append(v)
    return pool


class Mutator:
    def __init__(self, cases, seed):
        self.cases = cases
        self.pool = value_pool(cases)
        self.rng = random.Random(seed)

    def targets(self, docs, kinds=MUTABLE_KINDS):
        return [d for d in docs if d.get("kind") in kinds]

    # Each mutation returns a short description or None when it does not apply.
    def m_drop(self, docs):
        ts = [d for d in self.targets(docs) if d.get("spec")]
        if not ts:
            return None
        d = self.rng.choice(ts)
        paths = [p for p, _ in _paths(d["spec"], ("spec",)) if len(p) > 1]
        if not paths:
            return None
        p = self.rng.choice(paths)
        _del(d, p)
        return "drop %s %s" % (d["kind"], ".".join(map(str, p)))

    def m_replace(self, docs):
        ts = [d for d in self.targets(docs) if d.get("spec")]
        if not ts:
            return None
        d = self.rng.choice(ts)
        paths = [p for p, _ in _paths(d["spec"], ("spec",)) if len(p) > 1
                 and len(self.pool.get((d["kind"], _generic(p)), ())) > 1]
        if not paths:
            return None
        p = self.rng.choice(paths)
        v = copy.deepcopy(self.rng.choice(self.pool[(d["kind"], _generic(p))]))
        _set(d, p, v)
        return "replace %s %s" % (d["kind"], ".".join(map(str, p)))

    def m_graft(self, docs):
        """Adds a field another corpus resource of the same kind sets (a subtree)."""
        ts = [d for d in self.targets(docs, set(POLICY_KINDS) | {"Backend", "EnvoyProxy", "Gateway",
                                                                   "HTTPRoute", "GRPCRoute"})
              if isinstance(d.get("spec"), dict)]
        if not ts:
            return None
        d = self.rng.choice(ts)
        keys = [k for (kind, path) in self.pool if kind == d["kind"] and len(path) == 2
                for k in [path[1]] if k not in ("targetRef", "targetRefs", "targetSelectors")]
        if not keys:
            return None
        k = self.rng.choice(sorted(set(keys)))
        d["spec"][k] = copy.deepcopy(self.rng.choice(self.pool[(d["kind"], ("spec", k))]))
        return "graft %s spec.%s" % (d["kind"], k)

    def m_target(self, docs):
        """Points a policy at another resource: a Gateway, a route, a listener, or nothing."""
        pols = [d for d in self.targets(docs, POLICY_KINDS) if isinstance(d.get("spec"), dict)]
        if not pols:
            return None
        d = self.rng.choice(pols)
        spec = d["spec"]
        refs = spec.get("targetRefs") or ([spec["targetRef"]] if spec.get("targetRef") else [])
        if not refs:
            return None
        ref = self.rng.choice(refs)
        ns = (d.get("metadata") or {}).get("namespace")
        gws = [g for g in docs if g.get("kind") == "Gateway" and (g.get("metadata") or {}).get("namespace") == ns]
        routes = [r for r in docs if r.get("kind") in ROUTE_KINDS and (r.get("metadata") or {}).get("namespace") == ns]
        choice = self.rng.randrange(5)
        if choice == 0 and gws:
            g = self.rng.choice(gws)
            ref.clear()
            ref.update({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": g["metadata"]["name"]})
            return "target %s -> Gateway" % d["kind"]
        if choice == 1 and routes:
            r = self.rng.choice(routes)
            ref.clear()
            ref.update({"group": "gateway.networking.k8s.io", "kind": r["kind"], "name": r["metadata"]["name"]})
            return "target %s -> %s" % (d["kind"], r["kind"])
        if choice == 2 and gws:
            g = self.rng.choice(gws)
            ls = (g.get("spec") or {}).get("listeners") or []
            ref.clear()
            ref.update({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": g["metadata"]["name"],
                        "sectionName": self.rng.choice(ls)["name"] if ls and self.rng.random() < 0.7 else "nope"})
            return "target %s -> Gateway listener" % d["kind"]
        if choice == 3:
            ref["name"] = str(ref.get("name", "x")) + "-missing"
            return "target %s -> missing" % d["kind"]
        if choice == 4 and "sectionName" in ref:
            ref.pop("sectionName")
            return "target %s drop sectionName" % d["kind"]
        return None

    def m_parent(self, docs):
        """Changes a route's parentRef: sectionName, port, a missing gateway, another namespace."""
        routes = [r for r in self.targets(docs, ROUTE_KINDS) if (r.get("spec") or {}).get("parentRefs")]
        if not routes:
            return None
        r = self.rng.choice(routes)
        ref = self.rng.choice(r["spec"]["parentRefs"])
        gw = [g for g in docs if g.get("kind") == "Gateway" and g["metadata"].get("name") == ref.get("name")]
        ls = ((gw[0].get("spec") or {}).get("listeners") or []) if gw else []
        choice = self.rng.randrange(5)
        if choice == 0 and ls:
            ref["sectionName"] = self.rng.choice(ls)["name"]
            return "parent %s sectionName" % r["kind"]
        if choice == 1:
            ref["sectionName"] = "no-such-listener"
            return "parent %s bad sectionName" % r["kind"]
        if choice == 2 and ls:
            ref["port"] = self.rng.choice([l.get("port", 80) for l in ls] + [12345])
            return "parent %s port" % r["kind"]
        if choice == 3:
            ref["name"] = str(ref.get("name")) + "-missing"
            return "parent %s missing" % r["kind"]
        if choice == 4:
            ref.pop("sectionName", None)
            ref.pop("port", None)
            return "parent %s whole gateway" % r["kind"]
        return None

    def m_listener(self, docs):
        """Adds a listener of another protocol, or changes a listener's protocol, port or hostname."""
        gws = [g for g in self.targets(docs, ("Gateway",)) if (g.get("spec") or {}).get("listeners")]
        if not gws:
            return None
        g = self.rng.choice(gws)
        ls = g["spec"]["listeners"]
        choice = self.rng.randrange(4)
        if choice == 0:
            proto = self.rng.choice(sorted(PROTOCOLS))
            new = {"name": "extra-" + proto.lower(), "protocol": proto,
                   "port": self.rng.choice([PROTOCOLS[proto], ls[0].get("port", 80)])}
            if proto in ("HTTPS", "TLS"):
                tls = next((l.get("tls") for l in ls if l.get("tls")), None)
                new["tls"] = copy.deepcopy(tls) if tls else {
                    "mode": "Passthrough" if proto == "TLS" else "Terminate",
                    "certificateRefs": [{"name": "default-cert"}]}
                if proto == "TLS" and self.rng.random() < 0.5:
                    new["tls"] = {"mode": "Passthrough"}
            if self.rng.random() < 0.3:
                new["hostname"] = "*.example.com"
            ls.append(new)
            return "listener add %s" % proto
        l = self.rng.choice(ls)
        if choice == 1:
            l["protocol"] = self.rng.choice(sorted(PROTOCOLS))
            return "listener protocol"
        if choice == 2:
            l["port"] = self.rng.choice([80, 443, 8080, 5000, ls[0].get("port", 80)])
            return "listener port"
        l["hostname"] = self.rng.choice(["foo.example.com", "*.example.com", "bar.com"])
        return "listener hostname"

    def m_backend(self, docs):
        """Changes a route backendRef: missing service, wrong port, Backend kind, other namespace."""
        refs = []
        for r in self.targets(docs, ROUTE_KINDS):
            for rule in (r.get("spec") or {}).get("rules") or []:
                for b in rule.get("backendRefs") or []:
                    refs.append((r, b))
        if not refs:
            return None
        r, b = self.rng.choice(refs)
        choice = self.rng.randrange(4)
        if choice == 0:
            b["name"] = "no-such-service"
        elif choice == 1:
            b["port"] = 9999
        elif choice == 2:
            b["namespace"] = "other"
        else:
            b.pop("port", None)
        return "backendRef %s %d" % (r["kind"], choice)

    def m_move_policy(self, docs):
        """Copies a route-targeted policy so that a second one targets the route's Gateway."""
        pols = [d for d in self.targets(docs, POLICY_KINDS) if isinstance(d.get("spec"), dict)]
        if not pols:
            return None
        d = self.rng.choice(pols)
        gws = [g for g in docs if g.get("kind") == "Gateway"]
        if not gws:
            return None
        g = self.rng.choice(gws)
        twin = copy.deepcopy(d)
        twin["metadata"]["name"] = d["metadata"]["name"] + "-twin"
        twin["metadata"]["namespace"] = g["metadata"].get("namespace")
        twin["spec"].pop("targetRef", None)
        twin["spec"].pop("targetSelectors", None)
        twin["spec"]["targetRefs"] = [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                       "name": g["metadata"]["name"]}]
        docs.append(twin)
        return "twin %s on Gateway" % d["kind"]

    def m_secret(self, docs):
        secrets = [s for s in docs if s.get("kind") in ("Secret", "ConfigMap")]
        if not secrets:
            return None
        s = self.rng.choice(secrets)
        if self.rng.random() < 0.5:
            docs.remove(s)
            return "remove %s" % s["kind"]
        data = s.get("data") or {}
        if data:
            k = self.rng.choice(sorted(data))
            data[k] = "bm90IGEgY2VydA=="  # "not a cert"
            return "corrupt %s" % s["kind"]
        return None

    MUTATIONS = ("m_drop", "m_replace", "m_replace", "m_graft", "m_graft", "m_target", "m_target",
                 "m_parent", "m_listener", "m_backend", "m_move_policy", "m_secret")

    def mutate(self, docs):
        notes = []
        for _ in range(self.rng.choice((1, 1, 2, 3))):
            for _ in range(10):
                note = getattr(self, self.rng.choice(self.MUTATIONS))(docs)
                if note:
                    notes.append(note)
                    break
        return notes


def cmd_mutate(args):
    cases = load_corpus(args.cases)
    names = sorted(cases)
    m = Mutator(cases, args.seed)
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.count):
        base = m.rng.choice(names)
        docs, config = copy.deepcopy(cases[base][0]), cases[base][1]
        notes = m.mutate(docs)
        if not notes:
            continue
        d = os.path.join(args.out, "m%05d" % i)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input.yaml"), "w") as f:
            f.write("# mutated from %s: %s\n" % (base, "; ".join(notes)))
            yaml.safe_dump_all(docs, f, sort_keys=False)
        with open(os.path.join(d, "config.yaml"), "w") as f:
            f.write(config)
    print("diff: wrote %d cases to %s" % (args.count, args.out))


# --------------------------------------------------------------------------- commands

def cmd_oracle_check(args):
    names = sorted(n for n in os.listdir(args.cases)
                   if os.path.isfile(os.path.join(args.cases, n, "expected.yaml")))
    got = run_oracle(args.cases, names)
    passed, failed = 0, []
    for n in names:
        with open(os.path.join(args.cases, n, "expected.yaml")) as f:
            expected = yaml.load(f, Loader=rsc.Loader) or {}
        g = got[n]
        if isinstance(g, str):
            failed.append((n, ["error: " + g]))
            continue
        diffs = []
        for r in expected.get("resources") or []:
            key = (rsc._str(r.get("kind")), rsc._str(r.get("namespace")), rsc._str(r.get("name")))
            want = rsc.normalize_status(r.get("status"), key[1])
            diffs.extend(rsc.diff_status(key, want, g.get(key, {}), key in g))
        if diffs:
            failed.append((n, diffs))
        else:
            passed += 1
    for n, d in failed:
        print("FAIL %s: %s" % (n, "; ".join(d[:3])))
    print("oracle agreement with the corpus: %d/%d (%.1f%%)" % (passed, len(names), 100.0 * passed / len(names)))


def cmd_compare(args):
    names = sorted(n for n in os.listdir(args.dir) if os.path.isfile(os.path.join(args.dir, n, "input.yaml")))
    if args.limit:
        names = names[:args.limit]
    eg = run_oracle(args.dir, names)
    mine = run_eg4j(args.dir, names)
    groups = collections.Counter()
    examples = {}
    per_case = {}
    errors = collections.Counter()
    same = 0
    for n in names:
        if isinstance(eg[n], str):
            errors["oracle: " + eg[n][:80]] += 1
            continue
        if isinstance(mine[n], str):
            errors["eg4j: " + mine[n][:80]] += 1
            continue
        divs = compare_case(eg[n], mine[n])
        per_case[n] = divs
        if not divs:
            same += 1
        for dv in set(divs):
            groups[dv] += 1
            examples.setdefault(dv, []).append(n)
    compared = len(per_case)
    print("diff: %d inputs, %d compared, %d identical (%.1f%%), %d errors"
          % (len(names), compared, same, 100.0 * same / max(1, compared), sum(errors.values())))
    for e, c in errors.most_common(10):
        print("  error %4d  %s" % (c, e))
    print("%5s  %-22s %-9s %-16s %-34s %s" % ("cases", "kind", "place", "type", "eg4j", "Envoy Gateway"))
    for dv, c in groups.most_common(args.top):
        kind, place, t, g, w = dv
        print("%5d  %-22s %-9s %-16s %-34s %s   e.g. %s" % (c, kind, place, t, g, w, ",".join(examples[dv][:3])))
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"inputs": len(names), "compared": compared, "identical": same,
                       "errors": dict(errors),
                       "groups": [{"count": c, "divergence": list(dv), "examples": examples[dv][:20]}
                                  for dv, c in groups.most_common()],
                       "cases": {n: [list(d) for d in v] for n, v in per_case.items() if v}}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("oracle-check")
    p.add_argument("--cases", default=CASES)
    p.set_defaults(fn=cmd_oracle_check)
    p = sub.add_parser("mutate")
    p.add_argument("out")
    p.add_argument("--cases", default=CASES)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=cmd_mutate)
    p = sub.add_parser("compare")
    p.add_argument("dir")
    p.add_argument("--report")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--limit", type=int, default=0)
    p.set_defaults(fn=cmd_compare)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
