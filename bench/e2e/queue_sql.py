"""The benchmark's reads of PostgreSQL: a database per run, and what publish committed to the
CM queue (queue_items), measured from the rows themselves.

Timestamps: `received_at` is the mention's ingest receipt (carried in the events);
`created_at` is `DEFAULT now()` of the inserting transaction, i.e. the moment publish began
the transaction that committed the row. The transaction holds one statement (a batch upsert)
and commits right after it, so created_at precedes the commit by that statement's duration:
latencies are understated by it (a few ms to tens of ms per batch under load).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}


def database_dsn(server_dsn: str, database: str) -> str:
    return server_dsn.rsplit("/", 1)[0] + f"/{database}"


async def create_database(server_dsn: str, name: str) -> str:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_dsn(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class QueueReader:
    """Read-only queries on one database's queue_items (one connection, reused)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    @classmethod
    async def connect(cls, dsn: str) -> QueueReader:
        return cls(await asyncpg.connect(dsn))

    async def close(self) -> None:
        await self._conn.close()

    async def row_count(self) -> int:
        try:
            return int(await self._conn.fetchval("SELECT count(*) FROM queue_items"))
        except asyncpg.UndefinedTableError:  # publish has not applied its migrations yet
            return 0

    async def window(self, since: datetime, until: datetime) -> Window:
        """Rows of mentions received in [since, until)."""
        row = await self._conn.fetchrow(
            "SELECT count(*) AS n, min(received_at) AS first_received, max(created_at) AS last_created "
            "FROM queue_items WHERE received_at >= $1 AND received_at < $2", since, until)
        return Window(int(row["n"]), row["first_received"], row["last_created"])

    async def latencies_ms(self, since: datetime, until: datetime) -> list[float]:
        """Ingest receipt → queue-row transaction, per row received in [since, until)."""
        rows = await self._conn.fetch(
            "SELECT extract(epoch FROM created_at - received_at) * 1000 AS ms FROM queue_items "
            "WHERE received_at >= $1 AND received_at < $2 ORDER BY received_at", since, until)
        return [float(r["ms"]) for r in rows]

    async def latency_percentiles_ms(self, since: datetime, until: datetime) -> dict[str, float]:
        """p50/p95/p99 computed by PostgreSQL (percentile_cont) from the rows."""
        row = await self._conn.fetchrow(
            "SELECT percentile_cont($3::float8[]) WITHIN GROUP "
            "(ORDER BY extract(epoch FROM created_at - received_at) * 1000) AS ms "
            "FROM queue_items WHERE received_at >= $1 AND received_at < $2",
            since, until, list(PERCENTILES.values()))
        values = row["ms"]
        if values is None:
            raise RuntimeError("no queue rows in the latency window")
        return {name: float(v) for name, v in zip(PERCENTILES, values, strict=True)}

    async def rows_per_mention(self) -> dict[str, int]:
        rows = await self._conn.fetch("SELECT mention_id, count(*) AS n FROM queue_items GROUP BY mention_id")
        return {r["mention_id"]: int(r["n"]) for r in rows}


@dataclass(frozen=True)
class Window:
    rows: int
    first_received: datetime | None
    last_created: datetime | None

    @property
    def seconds(self) -> float | None:
        if self.first_received is None or self.last_created is None:
            return None
        return (self.last_created - self.first_received).total_seconds()
