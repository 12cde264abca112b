"""A real service built on mentionflow.service, used by the runner's process tests.

It consumes mentions.raw into PostgreSQL (idempotent sink + delivery log). With
SINK_KILL_AFTER_BATCHES=N it SIGKILLs itself right after the Nth batch's transaction
commits and before the runner commits the offsets: the crash window the guarantees are about.
With SINK_BATCH_DELAY_S it slows down so a SIGTERM lands mid-stream.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from mentionflow.kafka.runner import BatchResult, IncomingMessage
from mentionflow.service import Migrations, ServiceContext, ServiceParts, ServiceSpec, run_service
from mentionflow.settings import ServiceSettings

RUN_ID = os.environ["SINK_RUN_ID"]
KILL_AFTER = int(os.environ.get("SINK_KILL_AFTER_BATCHES", "0"))
DELAY_S = float(os.environ.get("SINK_BATCH_DELAY_S", "0"))


class SinkHandler:
    def __init__(self, context: ServiceContext) -> None:
        assert context.pool is not None
        self.pool = context.pool
        self.batches = 0

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        ids = [m.envelope.event_id for m in messages]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO runner_sink (run_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [(RUN_ID, i) for i in ids],
            )
            await conn.executemany(
                "INSERT INTO runner_deliveries (run_id, event_id, pid) VALUES ($1, $2, $3)",
                [(RUN_ID, i, os.getpid()) for i in ids],
            )
        self.batches += 1
        if KILL_AFTER and self.batches >= KILL_AFTER:
            os.kill(os.getpid(), signal.SIGKILL)
        if DELAY_S:
            await asyncio.sleep(DELAY_S)
        return BatchResult()


async def build(context: ServiceContext) -> ServiceParts:
    return ServiceParts(handler=SinkHandler(context))


if __name__ == "__main__":
    spec = ServiceSpec(
        name="runner-sink-test",
        consumes=["mentions.raw"],
        build=build,
        migrations=[Migrations("runner-sink-test", Path(__file__).parent / "sink_migrations")],
        group_id=os.environ["SINK_GROUP"],
    )
    sys.exit(run_service(spec, ServiceSettings()))
