"""Services as real subprocesses that the harness can kill -9, SIGSTOP and restart.

Each incarnation writes its own log file (`<name>.<n>.log`), so a test can scan every log of
a run, and a crash leaves the previous log intact for reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from mentionflow_tools.infra.processes import free_port

log = logging.getLogger(__name__)


@dataclass
class ServiceProcess:
    """One replica of one service: `python -m <module>` with `env`, HTTP on a fixed port."""

    name: str
    module: str
    env: dict[str, str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    incarnation: int = 0

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_files(self) -> list[Path]:
        return sorted(self.log_dir.glob(f"{self.name}.*.log"))

    def start(self) -> None:
        self.incarnation += 1
        path = self.log_dir / f"{self.name}.{self.incarnation}.log"
        with open(path, "wb") as out:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                # taskdump: SIGUSR1 prints every asyncio task's stack (diagnosing a stuck service)
                [sys.executable, "-m", "bench.chaos.taskdump", self.module],
                env={**self.env, "MENTIONFLOW_HTTP__PORT": str(self.port)},
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.info("started %s (pid %d, log %s)", self.name, self.process.pid, path.name)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or committed."""
        if self.running():
            os.kill(self.pid, signal.SIGKILL)
            assert self.process is not None
            self.process.wait(timeout=30)
            log.info("killed %s with SIGKILL", self.name)

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def dump_tasks(self) -> None:
        """Ask the process to write every asyncio task's stack to its log (see taskdump)."""
        if self.running():
            os.kill(self.pid, signal.SIGUSR1)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM (the service drains and exits 0), SIGKILL after the timeout."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)  # a paused process cannot handle SIGTERM
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("%s ignored SIGTERM for %.0fs; killing it", self.name, timeout_s)
                self.kill9()
        return self.process.returncode

    async def probe(self, path: str = "/readyz") -> bool:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                return (await client.get(self.base_url + path)).status_code == 200
        except httpx.HTTPError:
            return False

    async def wait_ready(self, timeout_s: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await self.probe():
            if not self.running():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode if self.process else None} "
                                   f"during start-up; see {self.log_files()[-1]}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{self.name} not ready after {timeout_s:.0f}s; see {self.log_files()[-1]}")
            await asyncio.sleep(0.25)
