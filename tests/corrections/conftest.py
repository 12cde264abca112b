"""The corrections tests drive the console harness (a real console app on real PostgreSQL/Kafka)."""

from tests.console.harness import console  # noqa: F401
