"""When each queue row was committed, seen from the load test's clock.

publish stamps a row with `now()` of its transaction, i.e. when the transaction *began*; a
live update can only follow the commit. The load test therefore adds to its own throwaway
database an AFTER INSERT trigger on queue_items that does nothing but NOTIFY the row's id and
brand: PostgreSQL delivers a notification when (and only if) the inserting transaction
commits, so the moment the listener receives it is the commit time plus a local delivery of
about a millisecond. The trigger writes nothing (publish stays the table's one writer); it
costs publish's transaction one queued notification per new row. Updates of existing rows
(redeliveries) fire no INSERT trigger: each row is timed once, at its first commit.
"""

from __future__ import annotations

import math
import time

import asyncpg
import numpy as np

CHANNEL = "bench_queue_commit"
# One statement each: asyncpg runs a parameterless string as a simple query.
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_notify_queue_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bench_queue_commit',
                      NEW.id::text || ' ' || NEW.brand_id || ' ' || extract(epoch FROM NEW.updated_at)::text);
    RETURN NULL;
END $$
"""
CREATE_TRIGGER = ("CREATE TRIGGER bench_queue_commit AFTER INSERT ON queue_items "
                  "FOR EACH ROW EXECUTE FUNCTION bench_notify_queue_commit()")


class RowRegistry:
    """Queue item ids → dense indexes (so each session keeps an array, not a dict per row), with
    each row's brand, commit time and `updated_at` (NaN until its notification arrived)."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.brands: list[str | None] = []
        self._commit_at = np.full(1024, math.nan)
        self._updated_at = np.full(1024, math.nan)

    def __len__(self) -> int:
        return len(self.brands)

    def index(self, item_id: str) -> int:
        found = self._index.get(item_id)
        if found is None:
            found = self._index[item_id] = len(self.brands)
            self.brands.append(None)
            if found >= self._commit_at.size:
                self._commit_at = np.concatenate([self._commit_at, np.full(self._commit_at.size, math.nan)])
                self._updated_at = np.concatenate([self._updated_at, np.full(self._updated_at.size, math.nan)])
        return found

    def ids(self) -> list[str]:
        """Item id per index."""
        ids = [""] * len(self.brands)
        for item_id, index in self._index.items():
            ids[index] = item_id
        return ids

    def committed(self, item_id: str, brand: str, at: float, updated_at: float) -> None:
        index = self.index(item_id)
        self.brands[index] = brand
        if math.isnan(self._commit_at[index]):
            self._commit_at[index] = at
            self._updated_at[index] = updated_at

    def commit_times(self) -> np.ndarray:
        """Commit time per index (seconds since the epoch; NaN: a row committed before the
        trigger existed, known only because a session received it)."""
        return self._commit_at[:len(self.brands)]

    def updated_times(self) -> np.ndarray:
        """The row's `updated_at` as committed (seconds since the epoch): what the console's live
        cursor is compared with."""
        return self._updated_at[:len(self.brands)]

    def committed_count(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.commit_times())))


class CommitLog:
    """Listens for the trigger's notifications into a RowRegistry. `start` installs the trigger
    (after the listener, so no commit is missed) and counts the rows that were there before it."""

    def __init__(self, conn: asyncpg.Connection, registry: RowRegistry) -> None:
        self._conn = conn
        self.registry = registry
        self.rows_before = 0

    @classmethod
    async def start(cls, dsn: str, registry: RowRegistry) -> CommitLog:
        conn = await asyncpg.connect(dsn)
        log = cls(conn, registry)
        try:
            await conn.add_listener(CHANNEL, log._notified)
            async with conn.transaction():
                # CREATE TRIGGER locks out inserts until this transaction ends, so the count is
                # exactly the rows that will never notify.
                await conn.execute(CREATE_FUNCTION)
                await conn.execute(CREATE_TRIGGER)
                log.rows_before = int(await conn.fetchval("SELECT count(*) FROM queue_items"))
        except BaseException:
            await conn.close()
            raise
        return log

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        at = time.time()
        item_id, brand, updated_at = payload.split(" ")
        self.registry.committed(item_id, brand, at, float(updated_at))

    async def missing(self) -> int:
        """Rows inserted since the trigger whose commit the log has not seen (0 when complete)."""
        rows = int(await self._conn.fetchval("SELECT count(*) FROM queue_items"))
        return rows - self.rows_before - self.registry.committed_count()

    async def close(self) -> None:
        await self._conn.close()
