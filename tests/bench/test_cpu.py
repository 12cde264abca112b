"""CPU accounting from /proc: process trees, parts measured apart, µs per mention."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.e2e.cpu import TICKS_PER_S, CpuMeter, ProcStat, per_mention_us, read_stat, tree_cpu_s


def _fake_stat(proc: Path, pid: int, ppid: int, utime: int, stime: int, cutime: int = 0, cstime: int = 0,
               name: str = "svc") -> None:
    (proc / str(pid)).mkdir(parents=True)
    # Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime ...
    (proc / str(pid) / "stat").write_text(
        f"{pid} ({name}) S {ppid} 1 1 0 -1 0 0 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 1 0\n")


def test_a_name_with_spaces_and_parentheses_is_read(tmp_path: Path) -> None:
    _fake_stat(tmp_path, 7, 1, utime=3 * TICKS_PER_S, stime=TICKS_PER_S, cutime=TICKS_PER_S, name="a) (b c")
    assert read_stat(7, tmp_path) == ProcStat(ppid=1, own_s=4.0, reaped_children_s=1.0)
    assert read_stat(8, tmp_path) is None


def test_a_tree_counts_descendants_and_reaped_children_but_not_parts_apart() -> None:
    stats = {10: ProcStat(1, 1.0, 0.5), 11: ProcStat(10, 2.0, 0.0), 12: ProcStat(11, 4.0, 0.0),
             13: ProcStat(10, 8.0, 0.0), 99: ProcStat(1, 16.0, 0.0)}
    assert tree_cpu_s(10, stats) == 15.5
    assert tree_cpu_s(10, stats, apart=frozenset({10, 13})) == 7.5  # 13 is measured as its own part
    assert tree_cpu_s(13, stats, apart=frozenset({10, 13})) == 8.0
    assert tree_cpu_s(404, stats) == 0.0


def test_the_meter_sees_a_busy_child_and_not_an_idle_one() -> None:
    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n" \
           "time.sleep(5)"
    busy = subprocess.Popen([sys.executable, "-c", burn])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.2)  # both interpreters started
        meter = CpuMeter({"busy": [busy.pid], "idle": [idle.pid]})
        meter.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (read_stat(busy.pid) or ProcStat(0, 0, 0)).own_s < 0.45:
            time.sleep(0.05)
        used = meter.stop()
    finally:
        for process in (busy, idle):
            process.kill()
            process.wait()
    assert used["busy"] >= 0.1
    assert used["idle"] < 0.05


def test_micro_seconds_per_mention_with_a_total() -> None:
    figures = per_mention_us({"classify": 1.5, "kafka": 0.5}, 10_000)
    assert figures == {"classify": 150.0, "kafka": 50.0, "total": 200.0}
    assert per_mention_us({"classify": 1.0}, 0) == {}


def test_this_process_reads_itself() -> None:
    stat = read_stat(os.getpid())
    assert stat is not None and stat.own_s > 0
