"""`mentionflow run`'s supervisor: a child that dies is restarted and logged; stop ends all."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from mentionflow_tools.devrun.supervisor import ProcessSpec, Supervisor

from tests.helpers import eventually


async def test_a_crashing_child_is_restarted_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    starts = tmp_path / "starts.txt"
    crasher = ProcessSpec("crasher", [sys.executable, "-c",
                                      f"open({str(starts)!r}, 'a').write('start\\n'); raise SystemExit(3)"])
    sleeper = ProcessSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"])
    supervisor = Supervisor([crasher, sleeper], tmp_path / "logs")
    caplog.set_level(logging.INFO, logger="mentionflow_tools.devrun.supervisor")
    await supervisor.start()
    try:
        async def restarted() -> bool:
            return starts.exists() and starts.read_text().count("start") >= 2

        await eventually(restarted, timeout_s=15, what="the crashed child started again")
    finally:
        await supervisor.stop(timeout_s=5)
    assert any("crasher exited with 3; restart #1" in r.getMessage() for r in caplog.records)
    sleeper_process = supervisor.children["sleeper"].process
    assert sleeper_process is not None and sleeper_process.returncode is not None, "stop() ended every child"
    assert (tmp_path / "logs" / "crasher.log").exists()


async def test_stop_kills_a_child_that_ignores_sigterm(tmp_path: Path) -> None:
    stubborn = ProcessSpec("stubborn", [sys.executable, "-c",
                                        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                        "print('ready', flush=True); time.sleep(600)"])
    supervisor = Supervisor([stubborn], tmp_path / "logs")
    await supervisor.start()
    log = tmp_path / "logs" / "stubborn.log"

    async def ready() -> bool:
        return log.exists() and "ready" in log.read_text()

    await eventually(ready, timeout_s=15, what="child running")
    await asyncio.wait_for(supervisor.stop(timeout_s=1), timeout=10)
    process = supervisor.children["stubborn"].process
    assert process is not None and process.returncode == -9
