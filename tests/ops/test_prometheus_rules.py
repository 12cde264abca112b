"""The Prometheus config and alert rules, checked and unit-tested by promtool itself, and the
local-config renderer `make run` uses."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.ops.deploy_refs import PROMETHEUS_CONFIG, PROMETHEUS_DIR, RULE_TESTS, RULES, SERVICES, rule_expressions
from tests.ops.promtool import promtool

RENDER_LOCAL = PROMETHEUS_DIR / "render_local.py"
ALERTS = {
    "MentionflowServiceDown", "MentionflowConsumerLagGrowing", "MentionflowDeadLetters",
    "MentionflowEndToEndLatencyHigh", "MentionflowSlaBreachRate", "MentionflowCrisisUnacknowledged",
    "MentionflowXApiQuotaLow",
}


def load_render_local() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_local", RENDER_LOCAL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_promtool_accepts_the_config_and_the_rules() -> None:
    config = promtool("check", "config", PROMETHEUS_CONFIG)
    assert config.returncode == 0, config.stdout + config.stderr
    assert "1 rule files found" in config.stdout  # the rules glob resolves next to the config
    rules = promtool("check", "rules", RULES)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"{len(ALERTS)} rules found" in rules.stdout


def test_every_required_alert_exists_and_is_unit_tested_firing_and_quiet() -> None:
    assert set(rule_expressions()) == ALERTS
    fired, quiet = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case["alert_rule_test"]:
                (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    assert fired == ALERTS, f"never shown firing: {ALERTS - fired}"
    assert quiet == ALERTS, f"never shown staying quiet: {ALERTS - quiet}"


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    assert len(RULE_TESTS) >= len(ALERTS)
    result = promtool("test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_a_wrong_expectation_makes_promtool_fail(tmp_path: Path) -> None:
    # Guards the guard: the unit tests really compare, so a rule change that breaks them shows.
    case = yaml.safe_load((PROMETHEUS_DIR / "tests" / "service_down.yml").read_text())
    case["rule_files"] = [str(RULES)]
    case["tests"][0]["alert_rule_test"][0]["exp_alerts"] = [{"exp_labels": {"severity": "page", "job": "classify",
                                                                            "instance": "classify:8000"}}]
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(case))
    result = promtool("test", "rules", broken)
    assert result.returncode != 0
    assert "MentionflowServiceDown" in result.stdout + result.stderr


def test_render_local_points_every_job_at_its_local_port(tmp_path: Path) -> None:
    out = tmp_path / "run" / "prometheus.yml"
    ports = {name: 18000 + i for i, name in enumerate(SERVICES)}
    args = [f"--target={name}={port}" for name, port in ports.items()]
    result = subprocess.run([sys.executable, RENDER_LOCAL, "--out", out, "--scrape-interval", "2s", *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(out.read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in rendered["scrape_configs"]}
    assert targets == {name: [f"127.0.0.1:{port}"] for name, port in ports.items()}
    assert rendered["global"]["scrape_interval"] == "2s"
    assert rendered["rule_files"] == [str(PROMETHEUS_DIR.resolve() / "rules" / "*.yml")]
    # Rendered far from deploy/, the config still finds the rules and promtool accepts it.
    check = promtool("check", "config", out, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 rule files found" in check.stdout


def test_render_local_refuses_to_leave_a_service_unscraped(tmp_path: Path) -> None:
    out = tmp_path / "prometheus.yml"
    result = subprocess.run([sys.executable, RENDER_LOCAL, "--out", out, "--target", "classify=8002"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "no target for job(s) console, ingest, publish, routing" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("classify=8002", ("classify", "127.0.0.1:8002")),
    ("console=localhost:8080", ("console", "localhost:8080")),
])
def test_render_local_parses_targets(text: str, expected: tuple[str, str]) -> None:
    assert load_render_local().parse_target(text) == expected


@pytest.mark.parametrize("text", ["classify", "classify=", "=8000", "classify=http", "classify=70000"])
def test_render_local_rejects_malformed_targets(text: str) -> None:
    module = load_render_local()
    with pytest.raises(module.RenderError):
        module.parse_target(text)


def test_render_local_rejects_an_unknown_job_and_leaves_the_base_alone() -> None:
    module = load_render_local()
    base = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    before = yaml.safe_dump(base)
    targets = {name: f"127.0.0.1:{9000 + i}" for i, name in enumerate(SERVICES)}
    with pytest.raises(module.RenderError, match="no job named billing"):
        module.render(base, {**targets, "billing": "127.0.0.1:1"}, base_dir=PROMETHEUS_DIR)
    module.render(base, targets, base_dir=PROMETHEUS_DIR, scrape_interval="5s")
    assert yaml.safe_dump(base) == before
