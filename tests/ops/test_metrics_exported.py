"""The real services, started as processes against the test Kafka and PostgreSQL: every metric the
alert rules and the dashboard read is on some service's /metrics, and a real Prometheus (Debian's
package) configured by render_local.py scrapes every one of them and loads the rules; and none of
them imports the operator tools (CPython's `-X importtime` lists every module a service imports).

Services are found at run time (services/<name>/mentionflow_<name>/main.py), so a service being
written is covered as soon as its entry point exists.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml
from mentionflow.kafka.admin import ensure_topics
from mentionflow.settings import KafkaSettings
from mentionflow_tools.infra.processes import free_port
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import eventually
from tests.ops.deploy_refs import (
    PROMETHEUS_CONFIG,
    PROMETHEUS_DIR,
    REPO,
    SERVICES,
    exposed_sample_names,
    referenced_metrics,
)
from tests.ops.promtool import binary
from tests.ops.test_prometheus_rules import ALERTS, load_render_local

pytestmark = pytest.mark.slow

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
# What a service needs beyond the common settings to start without the outside world.
EXTRA_ENV = {
    "ingest": {"MENTIONFLOW_X__ENABLED": "false"},  # no polling of the real X API from a test
}
IMPORT_TIME = "import time:"
# The operator toolbox (tools/) and its old homes inside the runtime. (Not rich: httpx imports it
# when installed, as it is in a development environment and not in an image.)
TOOLS_MODULES = ("mentionflow_tools", "mentionflow.cli", "mentionflow.devrun", "mentionflow.infra",
                 "mentionflow.fakex", "mentionflow.generate", "mentionflow.training")


@dataclass
class RunningService:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        logged = self.log.read_text(errors="replace").splitlines()
        logged = [line for line in logged if not line.startswith(IMPORT_TIME)]
        return "\n".join(logged[-lines:])

    def imported_modules(self) -> set[str]:
        """Every module the process imported so far, from its `-X importtime` lines."""
        lines = self.log.read_text(errors="replace").splitlines()
        names = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith(IMPORT_TIME)}
        return names - {"imported package"}  # the header line


def present_services() -> list[str]:
    return [name for name in SERVICES if (REPO / "services" / name / f"mentionflow_{name}" / "main.py").is_file()]


async def ready(service: RunningService) -> bool:
    if service.process.poll() is not None:
        raise AssertionError(f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}")
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"http://127.0.0.1:{service.port}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


def launch(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a process writing stdout and stderr to `log` (the child keeps its own descriptor)."""
    with open(log, "wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)


def stop(services: list[RunningService]) -> None:
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        try:
            service.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(5)


@pytest.fixture(scope="module")
async def running_services(kafka_bootstrap: str, postgres_dsn: str,
                           tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[list[RunningService]]:
    names = present_services()
    assert names, "no service entry point found under services/"
    logs = tmp_path_factory.mktemp("services")
    prefix = f"t{uuid.uuid4().hex[:10]}."
    # Topics first, so five services do not race to create the same ones.
    await ensure_topics(KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=prefix, partitions_override=4))
    admin = await asyncpg.connect(postgres_dsn)
    databases = {name: f"t_{name}_{uuid.uuid4().hex[:8]}" for name in names}  # each service its own tables
    services: list[RunningService] = []
    try:
        for database in databases.values():
            await admin.execute(f"CREATE DATABASE {database}")
        for name in names:
            port = free_port()
            env = {
                **os.environ,
                "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
                "MENTIONFLOW_KAFKA__TOPIC_PREFIX": prefix,
                "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": "4",
                "MENTIONFLOW_POSTGRES__DSN": postgres_dsn.rsplit("/", 1)[0] + f"/{databases[name]}",
                "MENTIONFLOW_HTTP__HOST": "127.0.0.1",
                "MENTIONFLOW_HTTP__PORT": str(port),
                "MENTIONFLOW_BRAND_CONFIG": str(REPO / "deploy" / "config" / "demo"),
                "MENTIONFLOW_LOG_JSON": "false",
                **EXTRA_ENV.get(name, {}),
            }
            log = logs / f"{name}.log"
            process = launch([sys.executable, "-X", "importtime", "-m", f"mentionflow_{name}.main"], log, env)
            services.append(RunningService(name, port, process, log))
        for service in services:
            await eventually(lambda s=service: ready(s), timeout_s=START_TIMEOUT_S, what=f"{service.name} /readyz")
        yield services
    finally:
        await asyncio.to_thread(stop, services)
        for database in databases.values():
            await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await admin.close()


async def test_no_service_imports_the_operator_tools(running_services: list[RunningService]) -> None:
    assert len(running_services) == len(SERVICES)
    for service in running_services:
        modules = service.imported_modules()
        assert {"mentionflow.settings", f"mentionflow_{service.name}"} <= modules, service.name
        tools = sorted(m for m in modules if any(m == t or m.startswith(t + ".") for t in TOOLS_MODULES))
        assert not tools, f"{service.name} imports operator tools: {tools}"


async def scrape(service: RunningService) -> set[str]:
    """The sample names the service's /metrics exposes, every declared family included (also
    a labelled one that has no sample yet: its HELP/TYPE lines say it is exported)."""
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"http://127.0.0.1:{service.port}/metrics")
    assert response.status_code == 200, f"{service.name} /metrics: {response.status_code}"
    names: set[str] = set()
    for family in text_string_to_metric_families(response.text):
        names |= exposed_sample_names(family.name, family.type)
        names |= {sample.name for sample in family.samples}
    return names


async def test_every_metric_of_the_alerts_and_the_dashboard_is_exported(
        running_services: list[RunningService]) -> None:
    exported: dict[str, set[str]] = {}
    for service in running_services:
        exported[service.name] = await scrape(service)
        assert any(name.startswith("mentionflow_") for name in exported[service.name]), service.name
    everywhere = set().union(*exported.values())
    used = referenced_metrics()
    missing = {name: sorted(where) for name, where in used.items() if name not in everywhere}
    assert not missing, f"referenced by deploy/ but exported by none of {sorted(exported)}: {missing}"
    # The consuming services run the shared runner: its lag and DLQ series are there too.
    for service in running_services:
        if service.name in ("classify", "routing", "publish"):
            assert "mentionflow_runner_consumer_lag_messages" in exported[service.name]
            assert "mentionflow_runner_dlq_messages_total" in exported[service.name]


async def test_a_real_prometheus_scrapes_every_service_and_loads_the_rules(
        running_services: list[RunningService], tmp_path: Path) -> None:
    render_local = load_render_local()
    running = {service.name: f"127.0.0.1:{service.port}" for service in running_services}
    base = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    base["scrape_configs"] = [job for job in base["scrape_configs"] if job["job_name"] in running]
    config = render_local.render(base, running, base_dir=PROMETHEUS_DIR, scrape_interval="1s")
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = tmp_path / "prometheus.log"
    process = launch([binary("prometheus"), f"--config.file={config_path}", f"--storage.tsdb.path={tmp_path / 'data'}",
                      f"--web.listen-address=127.0.0.1:{port}"], log)
    api = f"http://127.0.0.1:{port}/api/v1"
    targets: list[dict[str, object]] = []

    async def all_up() -> bool:
        nonlocal targets
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                targets = (await client.get(f"{api}/targets")).json()["data"]["activeTargets"]
        except (httpx.HTTPError, ValueError, KeyError):
            return False
        return len(targets) == len(running) and all(t["health"] == "up" for t in targets)

    try:
        await eventually(all_up, timeout_s=30, what=f"prometheus to scrape {sorted(running)} (targets: {targets})")
        assert {t["labels"]["job"]: t["scrapeUrl"] for t in targets} == {  # type: ignore[index]
            name: f"http://{address}/metrics" for name, address in running.items()}
        async with httpx.AsyncClient(timeout=5) as client:
            groups = (await client.get(f"{api}/rules")).json()["data"]["groups"]
            up = (await client.get(f"{api}/query", params={"query": "up"})).json()["data"]["result"]
        assert {rule["name"] for group in groups for rule in group["rules"]} == ALERTS
        assert {r["metric"]["job"]: r["value"][1] for r in up} == dict.fromkeys(running, "1")
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 15)
