#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Check deploy/grafana/xdpwatch.json: valid JSON, a dashboard Grafana can
import (unique panel ids, grid positions inside 24 columns, every query
panel with targets, refIds unique per panel, the datasource variable
defined, every $variable defined), and every metric a query names is one
that exists: in the collector's /metrics output (--metrics FILE, as the
integration test passes it from a live collector) or, without a live
collector, among the names collector/promstats.c formats (--source), or in
the detector's list below.

Exit 0 when it holds; otherwise each problem on stderr and exit 1.
"""
import argparse
import json
import re
import sys

# The detector's metrics, as its author promised them.
DETECTOR = {
    "xdpwatch_detector_records_total",
    "xdpwatch_detector_attacks_active",
    "xdpwatch_detector_verdicts_published_total",
    "xdpwatch_detector_consumer_lag_records",
}
BUILTIN_VARS = {"__rate_interval", "__interval", "__range", "__all"}
METRIC = re.compile(r"\bxdpwatch_[a-z0-9_]+\b")


def names_from_exposition(text):
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def names_from_source(text):
    """The P "name" literals of collector/promstats.c, and its Kafka rows
    R("name", ...), which are prefixed with kafka_."""
    names = {"xdpwatch_collector_" + n for n in re.findall(r'\bP "([a-z0-9_]+)"', text)}
    names |= {"xdpwatch_collector_kafka_" + n for n in re.findall(r'\bR\("([a-z0-9_]+)"', text)}
    return names


def balanced(expr):
    pairs, stack = {")": "(", "}": "{", "]": "["}, []
    in_str = False
    for i, c in enumerate(expr):
        if c == '"' and (i == 0 or expr[i - 1] != "\\"):
            in_str = not in_str
        elif not in_str and c in "({[":
            stack.append(c)
        elif not in_str and c in ")}]":
            if not stack or stack.pop() != pairs[c]:
                return False
    return not stack and not in_str


def check(dash, known):
    errs = []
    for k in ("uid", "title", "panels", "schemaVersion", "templating"):
        if k not in dash:
            errs.append("dashboard has no %r" % k)
    variables = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    if "datasource" not in variables:
        errs.append("no 'datasource' template variable")
    exprs = []
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
            exprs.append(("variable " + v["name"], q))
    ids = set()
    for p in dash.get("panels", []):
        title = "panel %r" % p.get("title")
        if p.get("id") in ids:
            errs.append("%s: duplicate id %s" % (title, p.get("id")))
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "hwxy") or g["x"] + g["w"] > 24 or g["w"] <= 0:
            errs.append("%s: bad gridPos %s" % (title, g))
        if p.get("type") == "row":
            continue
        if not p.get("title") or not p.get("type"):
            errs.append("%s: no title or type" % title)
        targets = p.get("targets") or []
        if not targets:
            errs.append("%s: no targets" % title)
        refids = [t.get("refId") for t in targets]
        if len(set(refids)) != len(refids) or None in refids:
            errs.append("%s: refIds %s" % (title, refids))
        for t in targets:
            exprs.append((title, t.get("expr", "")))
        for ds in [p.get("datasource")] + [t.get("datasource") for t in targets]:
            if ds and ds.get("uid") != "${datasource}":
                errs.append("%s: datasource %s is not ${datasource}" % (title, ds))
    for where, e in exprs:
        if not e.strip():
            errs.append("%s: empty expr" % where)
            continue
        if not balanced(e):
            errs.append("%s: unbalanced brackets or quotes in %r" % (where, e))
        names = METRIC.findall(e)
        if not names:
            errs.append("%s: names no xdpwatch metric: %r" % (where, e))
        for n in names:
            if n not in known:
                errs.append("%s: unknown metric %s" % (where, n))
        for var in re.findall(r"\$\{?([A-Za-z_]\w*)", e):
            if var not in variables and var not in BUILTIN_VARS:
                errs.append("%s: undefined variable $%s" % (where, var))
    return errs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dashboard")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--metrics", help="a /metrics body from a live collector")
    g.add_argument("--source", help="collector/promstats.c")
    a = ap.parse_args(argv)
    with open(a.dashboard) as f:
        dash = json.load(f)
    with open(a.metrics or a.source) as f:
        text = f.read()
    known = (names_from_exposition(text) if a.metrics else names_from_source(text)) | DETECTOR
    errs = check(dash, known)
    for e in errs:
        print("check_dashboard: " + e, file=sys.stderr)
    if not errs:
        print("dashboard OK: %d panels" % sum(1 for p in dash["panels"] if p.get("type") != "row"))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
