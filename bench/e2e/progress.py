"""Waiting on counters: poll one until it reaches a target, keeping the samples (they are the
throughput curve), or sample several side by side in the background while traffic flows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.e2e.stats import Sample

Counter = Callable[[], Awaitable[int]]

# Counting queue rows (count(*) over 100,000s of rows) costs PostgreSQL tens of milliseconds;
# polled five times a second it took a few per cent of the run's CPU, inside the measurement.
# The writer's committed offsets (a broker look-up) say when the rows are there, as it commits
# only after its transaction; the rows themselves are then counted once a second until all are.
ROWS_CONFIRM_INTERVAL_S = 1.0


async def track(counter: Counter, target: int, *, interval_s: float = 0.2, timeout_s: float,
                alive: Callable[[], str | None] = lambda: None, clock_zero: float | None = None) -> list[Sample]:
    """Samples of `counter` (t: seconds since `clock_zero`, default now) until it reaches `target`.

    `alive` returns why the work can no longer finish (a process exited), or None. Raises
    TimeoutError (carrying the samples so far in `.samples`) when the deadline passes first.
    """
    zero = time.monotonic() if clock_zero is None else clock_zero
    deadline = time.monotonic() + timeout_s
    samples: list[Sample] = []
    while True:
        value = await counter()
        samples.append(Sample(time.monotonic() - zero, value))
        if value >= target:
            return samples
        problem = alive()
        if problem is not None:
            raise RuntimeError(f"stopped at {value}/{target}: {problem}")
        if time.monotonic() > deadline:
            error = TimeoutError(f"reached {value}/{target} in {timeout_s:.0f}s")
            error.samples = samples  # type: ignore[attr-defined]
            raise error
        await asyncio.sleep(interval_s)


@dataclass
class Sampler:
    """Reads every named counter every `interval_s` until stopped; series share timestamps."""

    counters: dict[str, Counter]
    gauges: dict[str, Callable[[], float | None]] = field(default_factory=dict)
    interval_s: float = 0.5
    zero: float = field(default_factory=time.monotonic)
    series: dict[str, list[Sample]] = field(default_factory=dict)
    gauge_series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> float:
        return time.monotonic() - self.zero

    def mark(self, name: str) -> None:
        """Remember when a phase boundary happened (plots draw it)."""
        self.marks[name] = self.now()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="bench-sampler")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        names = list(self.counters)
        while not self._stop.is_set():
            values = await asyncio.gather(*(self.counters[n]() for n in names))
            t = self.now()
            for name, value in zip(names, values, strict=True):
                self.series.setdefault(name, []).append(Sample(t, value))
            for name, gauge in self.gauges.items():
                reading = gauge()
                if reading is not None:
                    self.gauge_series.setdefault(name, []).append((t, reading))
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            except TimeoutError:
                pass


async def track_rows(rows: Counter, committed: Counter, target: int, *, timeout_s: float,
                     alive: Callable[[], str | None] = lambda: None, clock_zero: float | None = None) -> list[Sample]:
    """Until `rows` reaches `target`: `committed` (the writer's committed offsets on its input, one
    record per row) is polled until it reaches `target`, then `rows` until it does too. Returns the
    samples of `committed` (the throughput curve); raises as `track`."""
    deadline = time.monotonic() + timeout_s
    samples = await track(committed, target, timeout_s=timeout_s, alive=alive, clock_zero=clock_zero)
    await track(rows, target, interval_s=ROWS_CONFIRM_INTERVAL_S, timeout_s=max(1.0, deadline - time.monotonic()),
                alive=alive)
    return samples
