"""The services under test as real processes (`python -m mentionflow_<name>.main`), configured
only through MENTIONFLOW_* variables, exactly as in production."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from mentionflow_tools.infra import stack as infra_stack
from mentionflow_tools.infra.processes import free_port

from bench.e2e.cpu import postmaster_pid

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 20.0
# A running stack for the benchmarks to use (a folder of `mentionflow infra up --dir`).
INFRA_ENV = "MENTIONFLOW_BENCH_INFRA_DIR"


@dataclass(frozen=True)
class Endpoints:
    """Where the stack under test is: one broker (or several) and one PostgreSQL server."""

    bootstrap_servers: str
    postgres_dsn: str  # the server's maintenance database; each run creates its own
    replication_factor: int = 1
    min_insync_replicas: int = 1
    # The stack's own processes, for CPU accounting (empty when unknown).
    broker_pids: tuple[int, ...] = ()
    postgres_pid: int | None = None


@contextlib.contextmanager
def bench_stack(infra_dir: Path | None, own_dir: Path) -> Iterator[Endpoints]:
    """The stack of `infra_dir` when given (left running), else Kafka (1 broker) and PostgreSQL
    started under `own_dir` and stopped on exit."""
    if infra_dir is not None:
        yield endpoints_of(infra_stack.load(infra_dir))
        return
    log.info("starting Kafka (1 broker) and PostgreSQL under %s", own_dir)
    stack = infra_stack.up(own_dir, nodes=1)
    try:
        yield endpoints_of(stack)
    finally:
        infra_stack.down(own_dir)


def endpoints_of(stack: infra_stack.Stack) -> Endpoints:
    return Endpoints(stack.kafka.bootstrap_servers, stack.postgres.dsn, stack.kafka.replication_factor,
                     stack.kafka.min_insync_replicas,
                     broker_pids=tuple(node.pid for node in stack.kafka.nodes if node.pid),
                     postgres_pid=postmaster_pid(stack.postgres.data_dir))


def service_env(endpoints: Endpoints, *, topic_prefix: str, dsn: str, port: int, brand_config: Path,
                extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of one service. MENTIONFLOW_* variables of the calling shell are left
    out, so a developer's settings (or a real PagerDuty key) never leak into a benchmark."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTIONFLOW_")}
    env.update({
        "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": endpoints.bootstrap_servers,
        "MENTIONFLOW_KAFKA__TOPIC_PREFIX": topic_prefix,
        "MENTIONFLOW_KAFKA__REPLICATION_FACTOR": str(endpoints.replication_factor),
        "MENTIONFLOW_KAFKA__MIN_INSYNC_REPLICAS": str(endpoints.min_insync_replicas),
        "MENTIONFLOW_POSTGRES__DSN": dsn,
        "MENTIONFLOW_HTTP__PORT": str(port),
        "MENTIONFLOW_BRAND_CONFIG": str(brand_config),
        "MENTIONFLOW_LOG_LEVEL": "INFO",
        "MENTIONFLOW_LOG_JSON": "true",
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    })
    return env


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


def start_service(name: str, env_for_port: dict[str, str], log_dir: Path, *, port: int | None = None,
                  label: str | None = None) -> ServiceProcess:
    """Start `mentionflow_<name>.main`; its output goes to <log_dir>/<label or name>.log."""
    port = port or free_port()
    env = {**env_for_port, "MENTIONFLOW_HTTP__PORT": str(port)}
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{label or name}.log"
    with log_path.open("ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen([sys.executable, "-m", f"mentionflow_{name}.main"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    log.info("started %s (pid %d, http %d, log %s)", name, process.pid, port, log_path)
    return ServiceProcess(name, process, port, log_path)


async def wait_healthy(service: ServiceProcess, *, timeout_s: float = 120.0) -> None:
    """Until /healthz answers 200; raises with the log's tail if the process exits first."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                response = await client.get(f"http://127.0.0.1:{service.port}/healthz")
                if response.status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service.name} not healthy after {timeout_s:.0f}s:\n{service.log_tail()}")
            await asyncio.sleep(0.2)


async def metrics_text(service: ServiceProcess) -> str:
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(f"http://127.0.0.1:{service.port}/metrics")
        response.raise_for_status()
        return response.text


def rss_mb(pid: int) -> float | None:
    """Resident set size (VmRSS) of a live process in MiB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a live process has used (Linux /proc), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # after "pid (command)"
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def stop_service(service: ServiceProcess, *, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
    """SIGTERM (the service drains and commits), SIGKILL after the timeout; the exit code."""
    if service.process.poll() is None:
        service.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(service.process.wait, timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0fs: killing it", service.name, timeout_s)
            service.process.kill()
            await asyncio.to_thread(service.process.wait)
    return service.process.returncode
