"""asyncpg pool and ordered SQL migrations tracked in a table, applied idempotently.

Each service owns a folder of `NNNN_name.sql` files. They are applied in order inside one
transaction each, under an advisory lock so replicas starting together do not race.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from mentionflow.settings import PostgresSettings

log = logging.getLogger(__name__)

# What a loop over the database outlives and retries: the server gone or restarting, a broken
# connection, or asyncpg's own connection state left mid-operation by a restart (InternalClientError
# "cannot switch to state …", seen when PostgreSQL restarts under CPU pressure).
TRANSIENT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_ADVISORY_LOCK_ID = 0x6D656E74  # "ment": one lock for all mentionflow migrations

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component  text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)
"""


@dataclass(frozen=True)
class Migrations:
    """One ordered set of SQL migrations, tracked under `component` in schema_migrations."""

    component: str
    folder: Path


async def create_pool(settings: PostgresSettings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.dsn.get_secret_value(),
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        command_timeout=settings.command_timeout_s,
    )


def migration_files(folder: Path) -> list[tuple[int, Path]]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: migration files are named NNNN_lowercase_name.sql")
        found.append((int(match.group(1)), path))
    versions = [v for v, _ in found]
    if len(versions) != len(set(versions)):
        raise ValueError(f"{folder}: two migrations share a version number")
    return found


async def migrate(pool: asyncpg.Pool, component: str, folder: Path) -> list[str]:
    """Apply the folder's migrations not yet applied for `component`; returns their names."""
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _ADVISORY_LOCK_ID)
        try:
            await conn.execute(_CREATE_TABLE)
            done = {
                row["version"]
                for row in await conn.fetch(
                    "SELECT version FROM schema_migrations WHERE component = $1", component
                )
            }
            for version, path in migration_files(folder):
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute(
                        "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                        component, version, path.name,
                    )
                applied_now.append(path.name)
                log.info("applied migration %s/%s", component, path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _ADVISORY_LOCK_ID)
    return applied_now


async def migrate_all(pool: asyncpg.Pool, sets: Iterable[Migrations]) -> None:
    """Apply every set in order (a service's, or in tests another owner's schema)."""
    for migrations in sets:
        await migrate(pool, migrations.component, migrations.folder)


async def ping(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
