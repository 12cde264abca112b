"""The provisioned Grafana datasource and the "mentionflow overview" dashboard (static checks:
the JSON model's structure, its datasource, and every query parsed by promtool)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.ops.deploy_refs import (
    DATASOURCES,
    dashboard,
    dashboard_expressions,
    dashboard_panels,
    metric_names,
)
from tests.ops.promtool import promtool

GRID_WIDTH = 24


def test_datasource_is_the_compose_prometheus_with_a_fixed_uid() -> None:
    (source,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert source["uid"] == "mentionflow-prometheus"


def test_dashboard_model_is_well_formed() -> None:
    model = dashboard()
    assert model["title"] == "mentionflow overview"
    assert model["uid"] and len(model["uid"]) <= 40
    assert isinstance(model["schemaVersion"], int) and model["schemaVersion"] >= 36
    panels = dashboard_panels()
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    occupied: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= GRID_WIDTH, panel["title"]
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & occupied, f"panel {panel['title']!r} overlaps another"
        occupied |= cells
        if panel["type"] != "row":
            assert panel["type"] in {"timeseries", "stat"}
            assert panel["targets"], f"panel {panel['title']!r} has no query"
            assert panel["datasource"]["uid"] == "mentionflow-prometheus"
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "mentionflow-prometheus"
            ref_ids = [t["refId"] for t in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids))


def test_dashboard_covers_what_ops_watch() -> None:
    used = set().union(*(metric_names(e) for e in dashboard_expressions().values()))
    wanted = {
        "throughput per topic": "mentionflow_runner_messages_consumed_total",
        "throughput per brand and category": "mentionflow_classify_mentions_total",
        "consumer lag": "mentionflow_runner_consumer_lag_messages",
        "stage latency": "mentionflow_runner_processing_seconds_bucket",
        "end-to-end latency": "mentionflow_publish_delivery_latency_seconds_bucket",
        "DLQ": "mentionflow_runner_dlq_messages_total",
        "queue depth": "mentionflow_publish_queue_depth_items",
        "SLA breaches": "mentionflow_publish_sla_breaches_total",
        "incidents": "mentionflow_publish_open_incidents",
        "unacknowledged incidents": "mentionflow_publish_unacknowledged_incidents",
    }
    missing = {what: name for what, name in wanted.items() if name not in used}
    assert not missing
    exprs = " ".join(dashboard_expressions().values())
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(mentionflow_publish_delivery" in exprs


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool has no "check this expression" command; as recording rules, each one is parsed.
    exprs = dashboard_expressions(expand_variables=True)
    assert all("$" not in expr for expr in exprs.values()), "a Grafana variable promtool cannot parse"
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(exprs.values())]}]}
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(exprs)} rules found" in result.stdout


def test_an_invalid_query_would_be_caught(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"record": "bad", "expr": "sum by (topic (rate(mentionflow_runner_messages_consumed_total[1m]))"}]}]}))
    assert promtool("check", "rules", path).returncode != 0

