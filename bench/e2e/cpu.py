"""CPU time each process of the run used, from the kernel's own accounting (/proc/<pid>/stat).

A throughput figure drifts with the machine's speed and with whatever else runs; CPU time per
mention does much less, and it says which process a cut should aim at. Each part is a process
tree: the process, its living descendants, and (through the kernel's cutime/cstime) the
children it has already reaped, e.g. PostgreSQL backends that came and went.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    ppid: int
    own_s: float  # utime + stime
    reaped_children_s: float  # cutime + cstime


def read_stat(pid: int, proc: Path = PROC) -> ProcStat | None:
    """One process's accounting, or None when it is gone."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces or ')': split after the last.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return ProcStat(ppid=int(fields[1]), own_s=(utime + stime) / TICKS_PER_S,
                    reaped_children_s=(cutime + cstime) / TICKS_PER_S)


def snapshot(proc: Path = PROC) -> dict[int, ProcStat]:
    stats = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            stat = read_stat(int(entry.name), proc)
            if stat is not None:
                stats[int(entry.name)] = stat
    return stats


def tree_cpu_s(root: int, stats: Mapping[int, ProcStat], *, apart: frozenset[int] = frozenset()) -> float:
    """CPU seconds of `root`, its living descendants and the children each of them reaped;
    descendants in `apart` (measured as parts of their own) and their trees are left out."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid, parent in stats.items():
        children[parent.ppid].append(pid)
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        found = stats.get(pid)
        if found is None or (pid in apart and pid != root):
            continue
        total += found.own_s + found.reaped_children_s
        pending.extend(children[pid])
    return total


@dataclass
class CpuMeter:
    """CPU seconds per named part (a list of root pids each) between start() and stop()."""

    parts: Mapping[str, list[int]]
    proc: Path = PROC
    _before: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        stats = snapshot(self.proc)
        roots = frozenset(pid for pids in self.parts.values() for pid in pids)
        return {name: sum(tree_cpu_s(pid, stats, apart=roots) for pid in pids) for name, pids in self.parts.items()}

    def start(self) -> None:
        self._before = self._now()

    def stop(self) -> dict[str, float]:
        after = self._now()
        return {name: max(0.0, after[name] - self._before.get(name, 0.0)) for name in self.parts}


def per_mention_us(cpu_s: Mapping[str, float], mentions: int) -> dict[str, float]:
    """CPU-µs per mention of each part and of all of them ("total")."""
    if mentions <= 0:
        return {}
    figures = {name: round(seconds * 1e6 / mentions, 1) for name, seconds in cpu_s.items()}
    figures["total"] = round(sum(cpu_s.values()) * 1e6 / mentions, 1)
    return figures


def postmaster_pid(data_dir: Path) -> int | None:
    """PostgreSQL's postmaster, from the first line of postmaster.pid."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
