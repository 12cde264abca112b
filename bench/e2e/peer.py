"""The peer (Quix Streams, bench/peer): each stage alone on our pre-filled topics, then its own
pipeline end to end, on the same broker and PostgreSQL, in the same run as ours.

1. Each peer stage alone, one at a time, on the topics our stages alone filled (same records):
   classify on mentions.raw → `<prefix>peer.mentions.classified`, routing on our
   mentions.classified → `<prefix>peer.mentions.routed` (rate from records acknowledged on the
   output, as for ours), publish on our mentions.routed into a fresh database (rate from the
   peer group's committed offsets, committed after the rows, as for ours).
2. The peer pipeline: the three apps at once on a topic prefix of their own (same partitions as
   ours) and a fresh database; once their groups are stable, N mentions are replayed into its
   mentions.raw the way ours are, until N rows exist. Its throughput is measured from the rows like
   our e2e (rows / (last created_at − first received_at)), and every mention must have exactly one
   row (lost, duplicates).
Our services are stopped by then: nothing else runs beside the peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from mentionflow.db import Migrations, migrate_all
from mentionflow.events.topics import topic as registry_topic
from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings

from bench.e2e.kafka_probe import BULK_PRODUCER, OffsetProbe
from bench.e2e.progress import track, track_rows
from bench.e2e.queue_sql import QueueReader, create_database
from bench.e2e.services import Endpoints
from bench.e2e.stats import STAGES, Delivery, Sample, account, steady_rate
from bench.e2e.traffic import TrafficFile, replay

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
PEER_PYTHON = REPO / "bench" / "peer" / ".venv" / "bin" / "python"
PEER_APP = REPO / "bench" / "peer" / "quix_peer.py"
# The queue tables as publish creates them (its migrations, applied before the peer starts, as
# our publish applies them before it is measured).
PUBLISH_SCHEMA = (Migrations("queue", REPO / "services/publish/mentionflow_publish/queue_migrations"),
                  Migrations("publish", REPO / "services/publish/mentionflow_publish/migrations"))
INPUTS = {"classify": "mentions.raw", "routing": "mentions.classified", "publish": "mentions.routed"}
OUTPUTS = {"classify": "mentions.classified", "routing": "mentions.routed"}


@dataclass
class PeerRun:
    rates: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(STAGES))
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    pipeline_mentions: int = 0
    pipeline_rows: int = 0
    pipeline_s: float | None = None  # last row's created_at − first mention's received_at
    pipeline_wall_s: float | None = None  # replay start → last row seen
    delivery: Delivery | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def pipeline_rate(self) -> float | None:
        if not self.pipeline_rows or not self.pipeline_s or self.pipeline_s <= 0:
            return None
        return self.pipeline_rows / self.pipeline_s


def skipped(reason: str) -> PeerRun:
    run = PeerRun()
    run.notes.append(reason)
    return run


async def run_peer(*, endpoints: Endpoints, stage_kafka: KafkaSettings, pipeline_kafka: KafkaSettings,
                   databases: dict[str, str], brand_config: Path, log_dir: Path, traffic: TrafficFile,
                   mentions: int, pipeline_mentions: int) -> PeerRun:
    """`stage_kafka`'s mentions.raw/classified/routed hold at least `mentions` records each (our
    stages alone filled them); `databases` names a fresh database for "stage" and "pipeline"."""
    if not PEER_PYTHON.exists():
        reason = f"skipped: {PEER_PYTHON} missing (make bench syncs bench/peer)"
        log.warning("peer %s", reason)
        return skipped(reason)
    run = PeerRun()
    probe = await OffsetProbe(stage_kafka).start()
    try:
        for stage in STAGES:
            await _stage_alone(run, stage, probe, endpoints, stage_kafka, databases["stage"], brand_config,
                               log_dir, mentions)
        await run_pipeline(run, probe, endpoints=endpoints, kafka=pipeline_kafka, database=databases["pipeline"],
                           brand_config=brand_config, log_dir=log_dir, traffic=traffic, mentions=pipeline_mentions)
    finally:
        await probe.close()
    return run


async def _stage_alone(run: PeerRun, stage: str, probe: OffsetProbe, endpoints: Endpoints, kafka: KafkaSettings,
                       database: str, brand_config: Path, log_dir: Path, mentions: int) -> None:
    group = f"{kafka.topic_prefix}peer-{stage}"
    args = ["--input", kafka.physical(INPUTS[stage])]
    counter: Callable[[], Awaitable[int]]
    if stage == "publish":
        args += ["--dsn", await _fresh_queue_database(endpoints, database)]
        counter = functools.partial(probe.committed_total, group, kafka.physical(INPUTS[stage]))
    else:
        output = kafka.physical(f"peer.{OUTPUTS[stage]}")
        await _create_like(kafka, output, OUTPUTS[stage])
        args += ["--output", output]
        counter = functools.partial(probe.end_total, output)
    app = _spawn(stage, log_dir / f"peer-alone-{stage}.log", endpoints, brand_config, group, mentions, args)
    try:
        started = time.monotonic()
        samples = await track(counter, mentions, timeout_s=max(120.0, mentions / 100), alive=_failed(app))
        run.samples[stage] = samples
        run.rates[stage] = steady_rate(samples, mentions)
        run.notes.append(f"{stage} alone: {mentions} mentions in {time.monotonic() - started:.1f}s including "
                         f"start-up, {run.rates[stage] or 0:.0f}/s steady")
        log.info("peer %s alone: %.0f mentions/s", stage, run.rates[stage] or 0)
    except (RuntimeError, TimeoutError) as exc:
        run.notes.append(f"{stage} alone failed: {exc}")
        run.problems.append(f"peer {stage} alone: {exc}")
    finally:
        await _finish(app)


async def run_pipeline(run: PeerRun, probe: OffsetProbe, *, endpoints: Endpoints, kafka: KafkaSettings,
                       database: str, brand_config: Path, log_dir: Path, traffic: TrafficFile, mentions: int) -> None:
    """The three peer apps at once on `kafka`'s topics and the new database `database`: the first
    `mentions` of `traffic` replayed, until each has its row (figures and delivery into `run`)."""
    run.pipeline_mentions = mentions
    await ensure_topics(kafka, list(INPUTS.values()))  # our partitioning, under the peer's prefix
    dsn = await _fresh_queue_database(endpoints, database)
    groups = {stage: f"{kafka.topic_prefix}peer-{stage}" for stage in STAGES}
    apps = []
    for stage in STAGES:
        args = ["--input", kafka.physical(INPUTS[stage])]
        args += ["--dsn", dsn] if stage == "publish" else ["--output", kafka.physical(OUTPUTS[stage])]
        apps.append(_spawn(stage, log_dir / f"peer-pipeline-{stage}.log", endpoints, brand_config, groups[stage],
                           mentions, args))

    def failed() -> str | None:
        return next((problem for app in apps if (problem := _failed(app)()) is not None), None)

    reader = await QueueReader.connect(dsn)
    producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-bench-peer-replay", **BULK_PRODUCER)
    await producer.start()
    try:
        for group in groups.values():  # joined, so start-up is not in the measurement (as for ours)
            await track(functools.partial(_stable, probe, group), 1, timeout_s=90, alive=failed)
        started_at, started = datetime.now(UTC), time.monotonic()
        await replay(producer, kafka.physical("mentions.raw"), traffic, brand_config, limit=mentions)
        try:
            committed = functools.partial(probe.committed_total, groups["publish"], kafka.physical(INPUTS["publish"]))
            run.samples["pipeline"] = await track_rows(reader.row_count, committed, mentions, alive=failed,
                                                       timeout_s=max(120.0, mentions / 100), clock_zero=started)
        except (RuntimeError, TimeoutError) as exc:  # what did arrive is still accounted for below
            run.problems.append(f"peer pipeline: {exc}")
        run.pipeline_wall_s = time.monotonic() - started
        window = await reader.window(started_at, datetime.now(UTC))
        run.pipeline_rows, run.pipeline_s = window.rows, window.seconds
        run.delivery = account(traffic.mention_ids[:mentions], await reader.rows_per_mention())
        run.notes.append(f"pipeline: {mentions} mentions, {window.rows} rows in {run.pipeline_wall_s:.1f}s wall, "
                         f"{run.pipeline_rate or 0:.0f}/s")
        log.info("peer pipeline: %.0f mentions/s", run.pipeline_rate or 0)
    except (RuntimeError, TimeoutError) as exc:
        run.notes.append(f"pipeline failed: {exc}")
        run.problems.append(f"peer pipeline: {exc}")
    finally:
        await producer.stop()
        await reader.close()
        await asyncio.gather(*(_finish(app) for app in apps))


async def _stable(probe: OffsetProbe, group: str) -> int:
    return int(await probe.group_stable(group))


async def _fresh_queue_database(endpoints: Endpoints, name: str) -> str:
    dsn = await create_database(endpoints.postgres_dsn, name)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        await migrate_all(pool, PUBLISH_SCHEMA)
    finally:
        await pool.close()
    return dsn


async def _create_like(kafka: KafkaSettings, physical: str, logical: str) -> None:
    """`physical` with the partitions of our `logical` topic."""
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    await admin.start()
    try:
        spec = registry_topic(logical)
        await admin.create_topics([NewTopic(physical, kafka.partitions_override or spec.partitions,
                                            kafka.replication_factor)])
    finally:
        await admin.close()


@dataclass(frozen=True)
class PeerApp:
    stage: str
    process: subprocess.Popen[bytes]
    log_path: Path


def _spawn(stage: str, log_path: Path, endpoints: Endpoints, brand_config: Path, group: str, count: int,
           args: list[str]) -> PeerApp:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [str(PEER_PYTHON), str(PEER_APP), stage, "--broker", endpoints.bootstrap_servers, "--group", group,
             "--count", str(count), "--brand-config", str(brand_config), *args],
            stdout=out, stderr=subprocess.STDOUT)
    return PeerApp(stage, process, log_path)


def _failed(app: PeerApp) -> Callable[[], str | None]:
    """Why `app` can no longer finish (it exited with an error), or None (running, or done)."""
    def problem() -> str | None:
        if app.process.poll() is None or app.process.returncode == 0:
            return None
        return f"peer {app.stage} exited with {app.process.returncode} (log {app.log_path})"
    return problem


async def _finish(app: PeerApp) -> None:
    """Each app stops by itself after its N records; one that does not is killed."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        await asyncio.to_thread(app.process.wait, 30)
    if app.process.poll() is None:
        app.process.kill()
        await asyncio.to_thread(app.process.wait)
