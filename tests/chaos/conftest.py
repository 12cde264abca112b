"""One chaos harness on the session's broker and PostgreSQL, shared by the poison and the
secrets tests: ingest, classify, routing and publish as real processes, configured with
secrets, logging at DEBUG (the strictest setting for the log scan), X polling on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.chaos.harness import ChaosConfig, Harness


@pytest.fixture(scope="session")
async def services_harness(kafka_bootstrap: str, postgres_dsn: str,
                           tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    work_dir = Path(tmp_path_factory.mktemp("chaos-services"))
    config = ChaosConfig(work_dir=work_dir, kafka_bootstrap=kafka_bootstrap, postgres_admin_dsn=postgres_dsn,
                         partitions=2, classify_replicas=1, stream_s=0.0, recovery_timeout_s=90.0,
                         log_level="DEBUG", enable_x_polling=True)
    async with Harness(config) as harness:
        yield harness
