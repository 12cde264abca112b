"""The community managers' queue as stored in PostgreSQL: one schema shared by the two services
that touch it. publish writes what the pipeline decides (items, reply outcomes, incidents,
escalations); console writes what people do (claim, reply request, resolve, acknowledge).
Both apply these migrations at start-up (component "queue"; idempotent under a lock)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
COMPONENT = "queue"
