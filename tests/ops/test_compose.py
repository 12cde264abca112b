"""docker-compose.yml cannot run here (no Docker engine); everything that can be checked without
one is: it parses, names every service, pins the tested Kafka, wires health checks, secrets and
hostnames consistently with the Prometheus config, and every metric the alert rules and the
dashboard read is declared in the one catalog."""

from __future__ import annotations

import re
from typing import Any

import yaml
from mentionflow.metrics import catalog
from mentionflow_tools.infra.kafka import KAFKA_VERSION
from prometheus_client.metrics import MetricWrapperBase

from tests.ops.deploy_refs import (
    COMPOSE,
    DASHBOARD_PROVIDERS,
    INFRASTRUCTURE,
    PROMETHEUS_CONFIG,
    REPO,
    SERVICES,
    exposed_sample_names,
    referenced_metrics,
)


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def catalog_sample_names() -> set[str]:
    names = set()
    for metric in vars(catalog).values():
        if isinstance(metric, MetricWrapperBase):
            for family in metric.describe():
                names |= exposed_sample_names(family.name, family.type)
    return names


def test_compose_names_every_service_and_pins_the_tested_kafka_version() -> None:
    services = compose()["services"]
    assert set(SERVICES) | set(INFRASTRUCTURE) <= set(services)
    match = re.fullmatch(r"apache/kafka:(\d+)\.(\d+)\.(\d+)", services["kafka"]["image"])
    assert match, f"kafka image {services['kafka']['image']!r} is not a pinned apache/kafka version"
    assert match.group(1) == KAFKA_VERSION.split(".")[0], "compose and the tests run different Kafka majors"
    assert ".".join(match.groups()) == KAFKA_VERSION
    assert services["postgres"]["image"] == "postgres:15"
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        image = service.get("image", "")
        assert "build" in service or re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), (
            f"{name}: image {image!r} is not pinned")


def test_every_mentionflow_service_is_built_here_and_waits_for_healthy_dependencies() -> None:
    services = compose()["services"]
    for name in SERVICES:
        service = services[name]
        assert service["build"]["context"] == "."  # the uv workspace is the build context
        dockerfile = REPO / service["build"]["dockerfile"]
        assert dockerfile == REPO / "deploy/docker/service.Dockerfile" and dockerfile.is_file()
        assert service["build"]["args"] == {"SERVICE": name}
        depends = service["depends_on"]
        assert depends["kafka"] == {"condition": "service_healthy"}, name
        env = service["environment"]
        assert env["MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert "@postgres:5432/" in env["MENTIONFLOW_POSTGRES__DSN"]
        assert env["MENTIONFLOW_HTTP__HOST"] == "0.0.0.0"  # reachable by Prometheus from its container
        if name in ("ingest", "publish", "console"):  # they own tables
            assert depends["postgres"] == {"condition": "service_healthy"}, name
        config = env.get("MENTIONFLOW_BRAND_CONFIG")
        if config is not None:
            mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
            assert (REPO / mounts[config]).is_dir(), f"{name}: brand config {config} is not mounted"
    assert services["grafana"]["depends_on"]["prometheus"] == {"condition": "service_healthy"}


def test_secrets_are_required_never_defaulted() -> None:
    text = COMPOSE.read_text()
    interpolations = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}", text)
    assert {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} <= {name for name, _ in interpolations}
    for name, modifier in interpolations:
        assert modifier.startswith(":?"), f"${{{name}{modifier}}} must fail when unset (${{{name}:?...}})"
    for line in text.splitlines():
        if re.search(r"PASSWORD\s*:", line):
            assert "${" in line, f"a literal secret in docker-compose.yml: {line.strip()}"


def test_prometheus_scrapes_each_compose_service_where_it_listens() -> None:
    services = compose()["services"]
    prometheus = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    targets = {job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
               for job in prometheus["scrape_configs"]}
    assert set(targets) == set(SERVICES)
    for name in SERVICES:
        port = services[name]["environment"]["MENTIONFLOW_HTTP__PORT"]
        assert targets[name] == [f"{name}:{port}"]
    mounts = dict(volume.split(":")[:2] for volume in services["prometheus"]["volumes"])
    assert mounts["./deploy/prometheus/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./deploy/prometheus/rules"] == "/etc/prometheus/rules"  # rule_files: rules/*.yml
    assert prometheus["rule_files"] == ["rules/*.yml"]


def test_grafana_is_provisioned_from_the_repository() -> None:
    grafana = compose()["services"]["grafana"]
    mounts = dict(volume.split(":")[:2] for volume in grafana["volumes"])
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load(DASHBOARD_PROVIDERS.read_text())["providers"][0]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]


def test_every_metric_of_the_alerts_and_the_dashboard_is_in_the_catalog() -> None:
    used = referenced_metrics()
    assert len(used) >= 15  # the extraction found the metrics, not nothing
    declared = catalog_sample_names()
    missing = {name: sorted(where) for name, where in used.items() if name not in declared}
    assert not missing, f"not declared in mentionflow/metrics/catalog.py: {missing}"


def test_the_catalog_check_catches_an_undeclared_metric() -> None:
    declared = catalog_sample_names()
    assert "mentionflow_runner_dlq_messages_total" in declared
    assert "mentionflow_runner_processing_seconds_bucket" in declared
    assert "mentionflow_runner_dlq_messages" not in declared  # a counter is read as ..._total
    assert "mentionflow_runner_dlq_message_total" not in declared
