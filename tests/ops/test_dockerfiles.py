"""The services' images (static checks: no Docker engine here): slim Python 3.11, installed from
uv.lock for exactly one workspace package, running as a non-root user, health-checked on /healthz."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.ops.deploy_refs import REPO, SERVICES

LOCKED = {package["name"] for package in tomllib.loads((REPO / "uv.lock").read_text())["package"]}


DOCKERFILE = REPO / "deploy/docker/service.Dockerfile"


def test_the_service_dockerfile_builds_one_service_from_the_lock_file_and_runs_it_unprivileged() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim(-\w+)?$", text, re.M)
    assert re.findall(r"^FROM (\S+)", text, re.M) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    syncs = re.findall(r"uv sync ([^\n]+)", text)
    assert syncs and all('--frozen --no-dev' in s and '--package "mentionflow-${SERVICE}"' in s for s in syncs)
    # Only the chosen service's code is copied: services never import each other.
    copied = re.findall(r"^COPY (services/\S+)", text, re.M)
    assert copied and all(path.startswith("services/${SERVICE}/") or path == "services/${SERVICE}" for path in copied)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\\\n\s+CMD .*/healthz", text, re.M)
    assert re.search(r'^CMD exec "mentionflow-\$\{MENTIONFLOW_SERVICE\}"$', text, re.M)


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_locked_and_has_the_console_script_the_image_runs(name: str) -> None:
    assert f"mentionflow-{name}" in LOCKED, f"mentionflow-{name} is not in uv.lock: run `uv lock`"
    pyproject = tomllib.loads((REPO / "services" / name / "pyproject.toml").read_text())
    assert f"mentionflow-{name}" in pyproject["project"]["scripts"], "CMD runs the console script"
