"""The services' images (static checks: no Docker engine here): slim Python 3.11, installed from
uv.lock for exactly one workspace package, running as a non-root user, health-checked on /healthz."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

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


def _build_stage_copies() -> list[str]:
    """The sources the build stage copies from the build context (not `--from` another stage)."""
    build_stage = DOCKERFILE.read_text().split("\nFROM ")[1]
    sources = []
    for line in build_stage.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    return sources


def test_a_service_image_copies_the_runtime_and_its_service_never_the_tools() -> None:
    sources = _build_stage_copies()
    assert sources, "the build stage copies the workspace files"
    allowed = {"pyproject.toml", "uv.lock", "libs/mentionflow/pyproject.toml", "libs/mentionflow",
               "services/${SERVICE}/pyproject.toml", "services/${SERVICE}"}
    assert set(sources) <= allowed, f"the image copies more than the runtime and its service: {sources}"
    assert not any(source.startswith("tools") for source in sources)
    # Nor is tools/ sent to the builder at all (a later `COPY . .` could not pick it up).
    ignored = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert "tools" in ignored
    assert "--all-packages" not in DOCKERFILE.read_text()


@pytest.mark.parametrize("name", SERVICES)
def test_the_image_installs_the_runtime_and_the_service_only(name: str, tmp_path: Path) -> None:
    """What the build stage's `uv sync` installs, asked of uv in a copy of the build context the
    Dockerfile's COPY lines make: the runtime, the one service and their locked dependencies."""
    for source in _build_stage_copies():
        relative = source.replace("${SERVICE}", name)
        origin, target = REPO / relative, tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
        else:
            shutil.copy2(origin, target)
    standalone = shutil.which("uv")
    uv = [standalone] if standalone else ["python3", "-m", "uv"]  # else the Makefile's: uv in the interpreter
    export = [*uv, "export", "--frozen", "--no-dev", "--no-hashes", "--package", f"mentionflow-{name}"]
    exported = subprocess.run(export, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    lines = [line.strip() for line in exported.stdout.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    workspace = {line.removeprefix("-e ") for line in lines if line.startswith(("-e ", "./"))}
    assert workspace == {"./libs/mentionflow", f"./services/{name}"}
    pinned = {line.split("==")[0].lower() for line in lines if "==" in line}
    assert "aiokafka" in pinned
    assert not pinned & {"mentionflow-tools", "typer", "rich"}, "the operator tools' dependencies are not installed"
