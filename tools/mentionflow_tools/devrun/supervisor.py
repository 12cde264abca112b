"""A small process supervisor: start child processes, restart any that dies (with backoff,
logged), stop them all cleanly on request.

Each child runs in its own process group with its output appended to its own log file, so a
restart keeps the history and `kill` reaches its whole tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

RESTART_BACKOFF_S = (1, 2, 5, 10, 30)
STABLE_AFTER_S = 60  # a child up this long has its backoff reset


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_file: Path | None = None


@dataclass
class _Child:
    spec: ProcessSpec
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = 0.0


class Supervisor:
    def __init__(self, specs: list[ProcessSpec], log_dir: Path) -> None:
        self.children = {spec.name: _Child(spec) for spec in specs}
        self.log_dir = log_dir
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for child in self.children.values():
            await self._spawn(child)
            self._tasks.append(asyncio.create_task(self._watch(child), name=f"watch:{child.spec.name}"))

    async def _spawn(self, child: _Child) -> None:
        spec = child.spec
        log_path = spec.log_file or self.log_dir / f"{spec.name}.log"
        with open(log_path, "ab") as out:  # noqa: ASYNC230 - opening a local log file does not block
            child.process = await asyncio.create_subprocess_exec(
                *spec.argv, env={**os.environ, **spec.env}, stdout=out, stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL, start_new_session=True,
            )
        child.started_at = time.monotonic()
        log.info("started %s (pid %d), log %s", spec.name, child.process.pid, log_path)

    async def _watch(self, child: _Child) -> None:
        while not self._stopping.is_set():
            assert child.process is not None
            code = await child.process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - child.started_at > STABLE_AFTER_S:
                child.restarts = 0
            delay = RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]
            child.restarts += 1
            log.warning("%s exited with %s; restart #%d in %ds (see its log)", child.spec.name, code,
                        child.restarts, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            if not self._stopping.is_set():
                await self._spawn(child)

    async def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM every child's group, SIGKILL what is left after the timeout."""
        self._stopping.set()
        running = [c.process for c in self.children.values() if c.process and c.process.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        if running:
            _, pending = await asyncio.wait([asyncio.create_task(p.wait()) for p in running], timeout=timeout_s)
            for process in running:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
