"""Waiting for queue rows: the cheap committed-offsets counter first, the rows themselves to confirm."""

from __future__ import annotations

import pytest

from bench.e2e import progress
from bench.e2e.progress import track_rows


class Counting:
    """A counter that climbs by `step` per call (up to `limit`) and counts its calls."""

    def __init__(self, step: int, limit: int) -> None:
        self.step, self.limit, self.value, self.calls = step, limit, 0, 0

    async def __call__(self) -> int:
        self.calls += 1
        self.value = min(self.limit, self.value + self.step)
        return self.value


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "ROWS_CONFIRM_INTERVAL_S", 0.0)


async def test_rows_are_counted_only_once_the_writer_has_committed_them() -> None:
    committed, rows = Counting(step=25, limit=100), Counting(step=100, limit=100)
    samples = await track_rows(rows, committed, 100, timeout_s=30)
    assert committed.calls == 4
    assert rows.calls == 1  # one count(*) confirms, instead of one per poll
    assert [s.value for s in samples] == [25, 50, 75, 100]


async def test_rows_behind_the_committed_offsets_are_waited_for() -> None:
    committed, rows = Counting(step=100, limit=100), Counting(step=40, limit=100)
    await track_rows(rows, committed, 100, timeout_s=30)
    assert rows.calls == 3


async def test_missing_rows_time_out_even_when_every_offset_was_committed() -> None:
    committed, rows = Counting(step=100, limit=100), Counting(step=1, limit=99)
    with pytest.raises(TimeoutError, match="99/100"):
        await track_rows(rows, committed, 100, timeout_s=0.05)
