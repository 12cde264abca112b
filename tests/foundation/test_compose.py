"""docker-compose.yml cannot run here (no Docker engine); check what can be checked."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from mentionflow_tools.infra.kafka import KAFKA_VERSION

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_compose_parses_and_pins_the_tested_kafka_major_version() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"kafka", "postgres"} <= set(services)
    image = services["kafka"]["image"]
    match = re.fullmatch(r"apache/kafka:(\d+)\.(\d+)\.(\d+)", image)
    assert match, f"kafka image {image!r} is not a pinned apache/kafka version"
    assert match.group(1) == KAFKA_VERSION.split(".")[0]
    for name, service in services.items():
        assert "healthcheck" in service or "build" in service, f"{name} has no health check"
