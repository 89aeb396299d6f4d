#!/usr/bin/env python3
"""Writes deploy/helm/eg4j/README.md: the chart's summary and a table of every value, from
values.yaml (the "# --" comment above a key is its description) and values.schema.json (types).

Usage: generate-readme.py [--check]   (--check: exit 1 when README.md is stale)
"""
import json
import os
import re
import sys

import yaml

CHART = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eg4j")

HEADER = """# eg4j Helm chart

Envoy Gateway's APIs on Kubernetes, served by eg4j's five Spring Boot services (watcher,
translator, xds-server, provisioner, status-writer) that talk over Kafka. This file is generated
by `deploy/helm/generate-readme.py` from `values.yaml`; `deploy/README.md` explains the chart
(CRDs, multi-tenancy, RBAC, Kafka and Strimzi, xDS mTLS, images, monitoring).

```sh
helm install eg4j deploy/helm/eg4j -n eg4j-system --create-namespace \\
  --set kafka.bootstrapServers=my-kafka.kafka:9092
```

Examples: `deploy/helm/examples/{multi-tenant,ha,strimzi}-values.yaml`.

## Values

| key | type | default | description |
|---|---|---|---|
"""


def descriptions(text):
    """key path -> description, from "# -- text" comments (continued by plain "#" lines)."""
    out, stack, pending = {}, [], None
    for line in text.splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("# --"):
            pending = stripped[4:].strip()
            continue
        if stripped.startswith("#") and pending is not None:
            pending += " " + stripped[1:].strip()
            continue
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):", line)
        if not m:
            if stripped and not stripped.startswith("#") and not stripped.startswith("-"):
                pending = None
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
        if pending is not None:
            out[".".join(k for _, k in stack)] = pending
            pending = None
    return out


def schema_type(schema, path):
    node = schema
    for part in path:
        node = node.get("properties", {}).get(part)
        if node is None:
            return ""
    if "type" in node:
        t = node["type"]
        return "/".join(t) if isinstance(t, list) else t
    if "enum" in node:
        return " \\| ".join(str(e) for e in node["enum"])
    if "anyOf" in node:
        return "/".join(sorted({x.get("type", "?") for x in node["anyOf"]}))
    return ""


def schema_description(schema, path):
    node = schema
    for part in path:
        node = node.get("properties", {}).get(part)
        if node is None:
            return ""
    return node.get("description", "")


def rows(values, schema, descs, prefix=()):
    for key, value in values.items():
        path = prefix + (key,)
        dotted = ".".join(path)
        if isinstance(value, dict) and value and dotted not in ("podSecurityContext", "securityContext"):
            yield from rows(value, schema, descs, path)
            continue
        default = json.dumps(value, separators=(", ", ": "))
        if len(default) > 60:
            default = default[:57] + "..."
        desc = descs.get(dotted) or schema_description(schema, path)
        yield f"| `{dotted}` | {schema_type(schema, path)} | `{default}` | {desc} |"


def render():
    text = open(os.path.join(CHART, "values.yaml")).read()
    values = yaml.safe_load(text)
    schema = json.load(open(os.path.join(CHART, "values.schema.json")))
    return HEADER + "\n".join(rows(values, schema, descriptions(text))) + "\n"


def main():
    path = os.path.join(CHART, "README.md")
    text = render()
    if "--check" in sys.argv:
        if not os.path.exists(path) or open(path).read() != text:
            print("deploy/helm/eg4j/README.md is stale: run deploy/helm/generate-readme.py")
            sys.exit(1)
        return
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
