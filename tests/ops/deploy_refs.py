"""What the deploy/ files refer to, read the way Prometheus and Grafana read them.

Shared by the static checks (test_compose, test_grafana_dashboard) and the live one
(test_metrics_exported): the PromQL of the alert rules and of the dashboard, the metric names in
it, and the sample names a metric family exposes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS_DIR = DEPLOY / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULES = PROMETHEUS_DIR / "rules" / "mentionflow.yml"
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "mentionflow-overview.json"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yml"
COMPOSE = REPO / "docker-compose.yml"

SERVICES = ("ingest", "classify", "routing", "publish", "console")
INFRASTRUCTURE = ("kafka", "postgres", "prometheus", "grafana")

_METRIC = re.compile(r"\bmentionflow_[a-zA-Z0-9_]+")
# Sample names each family type exposes (prometheus_client, text format 0.0.4).
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "enum": ("",),
    "untyped": ("",),
    "unknown": ("",),
}
# Grafana's variables, replaced by what they expand to so promtool can parse the expressions.
_GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h", "$brand": ".*"}


def rule_expressions() -> dict[str, str]:
    """Alert (or recording rule) name → PromQL, from every group of the rules file."""
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule.get("alert") or rule["record"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def dashboard_panels() -> list[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    panels = []
    for panel in dashboard()["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def dashboard_expressions(*, expand_variables: bool = False) -> dict[str, str]:
    """"panel title / refId" → PromQL of every dashboard query (and template variable)."""
    exprs = {}
    for panel in dashboard_panels():
        for target in panel.get("targets", []):
            exprs[f"{panel['title']} / {target['refId']}"] = target["expr"]
    if expand_variables:
        for key, expr in exprs.items():
            for variable, value in _GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            exprs[key] = expr
    return exprs


def template_variable_queries() -> dict[str, str]:
    """Variable name → label_values(...) query."""
    return {v["name"]: v["definition"] for v in dashboard()["templating"]["list"] if v["type"] == "query"}


def metric_names(expr: str) -> set[str]:
    """The mentionflow_* series names an expression reads (label values never start with it)."""
    return set(_METRIC.findall(expr))


def referenced_metrics() -> dict[str, set[str]]:
    """Metric name → where it is used (alert names and dashboard panels)."""
    used: dict[str, set[str]] = {}
    sources = {**{f"alert {k}": v for k, v in rule_expressions().items()},
               **{f"panel {k}": v for k, v in dashboard_expressions().items()},
               **{f"variable {k}": v for k, v in template_variable_queries().items()}}
    for where, expr in sources.items():
        for name in metric_names(expr):
            used.setdefault(name, set()).add(where)
    return used


def exposed_sample_names(family: str, kind: str) -> set[str]:
    """The series names a family called `family` of type `kind` puts on /metrics.

    prometheus_client names a counter's family without `_total`; the parser of the text format
    does the same, so both the catalog and a scrape go through this one mapping.
    """
    return {family + suffix for suffix in _SUFFIXES[kind]}
