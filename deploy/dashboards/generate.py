#!/usr/bin/env python3
"""Writes the Grafana dashboards in this directory from the panel tables below.

Why generated: a panel is a title and a PromQL query; the rest of Grafana's JSON is
boilerplate that drifts when edited by hand. The JSON files are committed (Grafana imports
them as they are, and the chart ships them); deploy/test checks they match this script.

Metric names are the services' Micrometer names (docs/architecture.md) as Prometheus shows
them: dots become underscores, counters end in _total, timers in _seconds_{count,sum,max}.

Usage: generate.py [--check]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}


def panel(title, exprs, unit="short", kind="timeseries", desc="", w=12, h=8, legend=None):
    """One panel; exprs is a list of (PromQL, legend) pairs."""
    targets = [
        {"datasource": DS, "expr": e, "legendFormat": l, "refId": chr(ord("A") + i)}
        for i, (e, l) in enumerate(exprs)
    ]
    p = {
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"w": w, "h": h},
        "options": {},
    }
    if kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": legend or ["lastNotNull", "max"]}}
    if kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    return p


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "gridPos": {"w": 24, "h": 1}, "panels": []}


def layout(items):
    """Places panels left to right, wrapping at Grafana's 24 columns, and numbers them."""
    x = y = 0
    line_h = 0
    for i, p in enumerate(items, start=1):
        p["id"] = i
        g = p["gridPos"]
        if p["type"] == "row" or x + g["w"] > 24:
            x, y = 0, y + line_h
            line_h = 0
        g["x"], g["y"] = x, y
        x += g["w"]
        line_h = max(line_h, g["h"])
        if p["type"] == "row":
            x, y, line_h = 0, y + 1, 0
    return items


def variables(extra=()):
    v = [
        {
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
        },
        {
            "name": "namespace",
            "label": "Namespace",
            "type": "query",
            "datasource": DS,
            "query": {"query": "label_values(eg4j_leader, namespace)", "refId": "ns"},
            "definition": "label_values(eg4j_leader, namespace)",
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "current": {},
            "refresh": 2,
            "hide": 0,
        },
    ]
    v.extend(extra)
    return {"list": v}


def dashboard(uid, title, desc, items, extra_vars=()):
    return {
        "uid": uid,
        "title": title,
        "description": desc,
        "tags": ["eg4j", "envoy-gateway"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": variables(extra_vars),
        "annotations": {"list": []},
        "panels": layout(items),
    }


NS = 'namespace=~"$namespace"'
GW = 'ir_key=~"$gateway"'

OVERVIEW = dashboard(
    "eg4j-overview",
    "eg4j / Control plane",
    "The eg4j pipeline end to end: watcher events, translation, xDS pushes and NACKs, Kafka lag, "
    "status writes, provisioner applies and leaders.",
    [
        row("Health"),
        panel("Leaders per service", [(f"sum by (service) (eg4j_leader{{{NS}}})", "{{service}}")],
              kind="stat", w=8, h=5,
              desc="Exactly 1 per service is healthy: 0 means nobody publishes or writes, >1 split brain."),
        panel("Connected Envoys", [(f"sum(eg4j_xds_connected_envoys{{{NS}}})", "Envoys")],
              kind="stat", w=4, h=5),
        panel("xDS NACKs (1h)", [(f"sum(increase(eg4j_xds_nacks_total{{{NS}}}[1h]))", "NACKs")],
              kind="stat", w=4, h=5),
        panel("Dead letters (1h)", [(f"sum(increase(eg4j_bus_dead_letters_total{{{NS}}}[1h]))", "dead letters")],
              kind="stat", w=4, h=5),
        panel("Max consumer lag", [(f"max(kafka_consumer_fetch_manager_records_lag_max{{{NS}}})", "records")],
              kind="stat", w=4, h=5),
        row("Watcher"),
        panel("Events published by kind", [(f"sum by (kind) (rate(eg4j_watcher_events_total{{{NS}}}[$__rate_interval]))", "{{kind}}")],
              unit="ops"),
        panel("Publish latency", [
            (f"sum(rate(eg4j_watcher_publish_latency_seconds_sum{{{NS}}}[$__rate_interval])) / sum(rate(eg4j_watcher_publish_latency_seconds_count{{{NS}}}[$__rate_interval]))", "mean"),
            (f"max(eg4j_watcher_publish_latency_seconds_max{{{NS}}})", "max"),
        ], unit="s"),
        row("Translator"),
        panel("Translation latency", [
            (f"sum(rate(eg4j_translator_translation_seconds_sum{{{NS}}}[$__rate_interval])) / sum(rate(eg4j_translator_translation_seconds_count{{{NS}}}[$__rate_interval]))", "mean"),
            (f"max(eg4j_translator_translation_seconds_max{{{NS}}})", "max"),
        ], unit="s", desc="Time of one full translation of the resource snapshot."),
        panel("Translations and publishes", [
            (f"sum(rate(eg4j_translator_translation_seconds_count{{{NS}}}[$__rate_interval]))", "translations"),
            (f"sum by (topic) (rate(eg4j_translator_publishes_total{{{NS}}}[$__rate_interval]))", "publish {{topic}}"),
        ], unit="ops", desc="Publishes count changed payloads only: an unchanged content hash publishes nothing."),
        row("xDS"),
        panel("Snapshot pushes per Gateway", [(f"sum by (ir_key) (rate(eg4j_xds_snapshot_pushes_total{{{NS},{GW}}}[$__rate_interval]))", "{{ir_key}}")],
              unit="ops"),
        panel("NACKs per Gateway and type", [(f"sum by (ir_key, type_url) (increase(eg4j_xds_nacks_total{{{NS},{GW}}}[$__rate_interval]))", "{{ir_key}} {{type_url}}")],
              desc="Envoy rejected a config: the Gateway keeps serving its last good one."),
        panel("Connected Envoys per replica", [(f"sum by (instance) (eg4j_xds_connected_envoys{{{NS}}})", "{{instance}}")],
              desc="Every replica serves every Envoy; an uneven spread is fine, a replica at 0 with others busy may be unready."),
        row("Kafka"),
        panel("Consumer lag (max records) by client", [(f"max by (client_id) (kafka_consumer_fetch_manager_records_lag_max{{{NS}}})", "{{client_id}}")],
              desc="Records behind the log end, per consumer client. Sustained lag means stale config or status."),
        panel("Dead letters by topic", [(f"sum by (topic) (increase(eg4j_bus_dead_letters_total{{{NS}}}[$__rate_interval]))", "{{topic}}")],
              desc="Records that could not be deserialized; each carries its reason on the dead-letter topic."),
        row("Status and infrastructure"),
        panel("Status writes by result", [(f"sum by (result) (rate(eg4j_status_writes_total{{{NS}}}[$__rate_interval]))", "{{result}}")],
              unit="ops", desc="written, skipped (nothing changed), conflict (retried), failed."),
        panel("Status write conflicts", [(f'sum(rate(eg4j_status_writes_total{{{NS},result="conflict"}}[$__rate_interval]))', "conflicts")],
              unit="ops"),
        panel("Provisioner applies by kind and result", [(f"sum by (kind, result) (rate(eg4j_provisioner_applies_total{{{NS}}}[$__rate_interval]))", "{{kind}} {{result}}")],
              unit="ops", w=24),
    ],
    extra_vars=[
        {
            "name": "gateway",
            "label": "Gateway (IR key)",
            "type": "query",
            "datasource": DS,
            "query": {"query": "label_values(eg4j_xds_snapshot_pushes_total, ir_key)", "refId": "gw"},
            "definition": "label_values(eg4j_xds_snapshot_pushes_total, ir_key)",
            "includeAll": True,
            "multi": True,
            "allValue": ".*",
            "current": {},
            "refresh": 2,
            "hide": 0,
        }
    ],
)

JVM = dashboard(
    "eg4j-jvm",
    "eg4j / Services (JVM)",
    "Per-service JVM and process health from Spring Boot Actuator.",
    [
        panel("Heap used", [(f'sum by (application, instance) (jvm_memory_used_bytes{{{NS},area="heap"}})', "{{application}} {{instance}}")], unit="bytes"),
        panel("CPU", [(f"max by (application, instance) (process_cpu_usage{{{NS}}})", "{{application}} {{instance}}")], unit="percentunit"),
        panel("GC pause", [(f"sum by (application) (rate(jvm_gc_pause_seconds_sum{{{NS}}}[$__rate_interval]))", "{{application}}")], unit="s"),
        panel("Live threads", [(f"sum by (application, instance) (jvm_threads_live_threads{{{NS}}})", "{{application}} {{instance}}")]),
    ],
)

DASHBOARDS = {"eg4j-overview.json": OVERVIEW, "eg4j-jvm.json": JVM}


def render(d):
    return json.dumps(d, indent=2, sort_keys=False) + "\n"


def main():
    check = "--check" in sys.argv
    stale = []
    for name, d in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(d)
        if check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("stale dashboards (run deploy/dashboards/generate.py): " + ", ".join(stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
