"""The benchmark run: traffic, ceiling, pipeline, stages alone, peer; latest.json and the report.

Order: generate the traffic files → Kafka ceiling → the pipeline (warm-up, throughput,
latency, delivery) → each stage alone and the peer → out/latest.json (exactly the issue's
keys), details.json (everything else), report.html and its PNG plots. Every run has its own
topic prefixes and databases, removed at the end unless `keep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from mentionflow.kafka.admin import ensure_topics
from mentionflow.settings import KafkaSettings

from bench.e2e.cpu import per_mention_us
from bench.e2e.kafka_probe import Ceiling, kafka_ceiling
from bench.e2e.peer import PeerRun, run_peer, skipped
from bench.e2e.pipeline import PipelineRun, run_pipeline
from bench.e2e.profile import hotspots
from bench.e2e.queue_sql import create_database, drop_database
from bench.e2e.report import write_report
from bench.e2e.services import Endpoints
from bench.e2e.stages import StageRun, run_stages
from bench.e2e.stats import STAGES, peer_summary, problems, ratio
from bench.e2e.traffic import encoded_events, write_traffic

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "bench" / "out"
PEER_NAME = "quixstreams"


@dataclass(frozen=True)
class BenchConfig:
    mentions: int = 100_000  # the throughput phase
    offered_load_per_s: float = 1_000.0  # the latency phase...
    latency_seconds: float = 60.0  # ...for this long
    stage_mentions: int = 30_000  # each stage alone, the peer's too
    # The peer's pipeline end to end; None: as many as our throughput phase (the same mentions).
    peer_pipeline_mentions: int | None = None
    warmup_mentions: int = 300
    # Post times of the generated traffic: the generator's everyday pace (its own crisis bursts
    # included) replayed faster than it was posted, or None for a surge whose post times are as
    # dense as the offered load (every brand in a spike: an escalation per negative mention).
    post_rate_per_s: float | None = 20.0
    ceiling_records: int = 100_000  # at least this many (the throughput file's records, cycled)
    peer: bool = True
    profile: bool = True  # a py-spy'd run of the three services after the measured ones
    profile_mentions: int = 20_000
    keep: bool = False  # keep the run's topics and databases
    sample_interval_s: float = 0.5
    brand_config: Path = REPO / "deploy" / "config" / "demo"

    @property
    def latency_mentions(self) -> int:
        return max(1, round(self.offered_load_per_s * self.latency_seconds))


QUICK = BenchConfig(mentions=20_000, latency_seconds=20.0, stage_mentions=10_000, profile_mentions=10_000)


def git_sha() -> tuple[str, bool]:
    """(HEAD, whether the work tree has changes); ("unknown", False) outside a git checkout."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True,
                                    check=True).stdout.strip())
        return sha, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as meminfo:
        total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {"cores": os.cpu_count() or 1, "memory_gb": round(total_kb / 1024 / 1024, 1)}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def assemble(config: BenchConfig, ceiling: Ceiling, pipeline: PipelineRun, stages: StageRun, peer: PeerRun,
             sha: str) -> dict[str, Any]:
    """latest.json: exactly the issue's keys."""
    e2e = ratio(pipeline.throughput_rows, pipeline.throughput_s)
    delivery = pipeline.delivery
    return {
        "e2e_throughput_per_s": _round(e2e),
        "latency_ms": {k: _round(v) for k, v in pipeline.latency_percentiles_ms.items()},
        "offered_load_per_s": config.offered_load_per_s,
        "stage_throughput_per_s": {s: _round(stages.rates.get(s)) for s in STAGES},
        "kafka_ceiling_per_s": _round(ceiling.per_s),
        "ratio_to_ceiling": _round(ratio(e2e, ceiling.per_s), 4),
        "peer": peer_summary(PEER_NAME, ours=stages.rates, ours_e2e=e2e, peer=peer.rates,
                             peer_pipeline=peer.pipeline_rate, delivery=peer.delivery),
        "rss_mb": {s: _round(pipeline.rss_mb.get(s)) for s in STAGES},
        "cpu_us_per_mention": per_mention_us(pipeline.cpu_s, pipeline.throughput_rows),
        "lost": delivery.lost if delivery else -1,
        "duplicates": delivery.duplicates if delivery else -1,
        "machine": machine(),
        "git_sha": sha,
    }


NOTES = [
    "Ingest: generated mentions (mentionflow_tools.generate, demo brands) are written as JSON Lines and replayed "
    "into mentions.raw with mentionflow.ingestion's Replayer (the `mentionflow replay` path), in this process; "
    "each mention's received_at is set when the replay reads its line.",
    "Traffic: seeds 101/102/103 for warm-up, throughput and latency phases (disjoint external ids). Post "
    "times follow the generator's everyday pace (20 posts/s with its own 10x crisis bursts): recorded traffic "
    "replayed faster than it was posted. --surge makes post times as dense as the offered load instead, so "
    "every brand is in a spike (the spike detector's windows fill up and routing escalates each negative "
    "mention).",
    "e2e_throughput_per_s: rows of the throughput phase / (last row's created_at − first mention's "
    "received_at), from PostgreSQL; the phase replays N mentions as fast as the replay goes while classify, "
    "routing and publish run as processes.",
    "latency_ms: percentile_cont over (created_at − received_at) of the latency phase's rows, mentions "
    "offered at offered_load_per_s. created_at is now() of publish's inserting transaction, i.e. when that "
    "transaction began; it commits right after its one upsert statement, so latencies are understated by "
    "that statement's duration.",
    "stage_throughput_per_s: each stage alone on a pre-filled topic (classify, then routing on its output, "
    "then publish), rate between 10 % and 90 % of the records: classify/routing from records acknowledged on "
    "their output topic, publish from its committed offsets.",
    "kafka_ceiling_per_s: the throughput phase's serialised mentions.raw records (cycled up to 100,000 so the "
    "measurement lasts more than an instant) produced (acks=all, "
    "idempotent, replay batching) and read back by a plain aiokafka consumer at the same time, through the "
    "same broker, nothing else running; ratio_to_ceiling = e2e / ceiling (the pipeline crosses the broker "
    "three times and PostgreSQL once).",
    "peer: the three stages as minimal Quix Streams apps (bench/peer) calling the same functions as our "
    "services: mentionflow.classify.classify_mention with the same brand profiles, mentionflow.routing.route "
    "with the same brand config, and publish's own upsert_items (same SQL, same rows) into a fresh database; "
    "no spike detection, no escalations or notifications, no envelope validation, no metrics. Run after ours, "
    "our services stopped. Each peer stage alone on the topics our stages alone filled, measured like ours "
    "(classify/routing: records acknowledged on its output; publish: its committed offsets): "
    "stage_throughput_per_s, stage_ratio = ours alone / peer alone (throughput_per_s and ratio: classify). "
    "Then the peer pipeline: the three apps at once on topics of their own (same partitions), groups joined, "
    "the throughput phase's mentions (or --peer-mentions of them) replayed into its mentions.raw as ours are; "
    "pipeline_throughput_per_s = rows / "
    "(last row's created_at − first mention's received_at), as our e2e; pipeline_ratio = our e2e / peer "
    "pipeline; pipeline_lost / pipeline_duplicates: mentions without a row / rows beyond one per mention.",
    "cpu_us_per_mention: CPU time (user + system, from /proc/<pid>/stat) each process used during the "
    "throughput phase, divided by its rows: classify, routing, publish (each process tree), kafka (the "
    "broker JVM), postgresql (the postmaster, its living backends and those it reaped), replay (this "
    "benchmark process: the replay, the fake X API and the progress sampling); total = their sum.",
    "rss_mb: median VmRSS of each service process during the fixed-load phase (peak in details.json).",
    "lost: generated mentions without a queue row at the end. duplicates: queue rows beyond the first for "
    "one mention (0 by the unique key unless it breaks). Events consumed more than once (redelivery) are "
    "not duplicates: the upsert absorbs them; details.json shows them as publish's `stale` queue-item changes.",
]


async def run_bench(config: BenchConfig, endpoints: Endpoints, out_dir: Path) -> dict[str, Any]:
    """Run everything against `endpoints`; writes out_dir/latest.json (and the rest); returns it."""
    run_id = f"{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().hex[:4]}"
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    log_dir = out_dir / "logs" / run_id
    load_start = os.getloadavg()
    started = time.monotonic()
    sha, dirty = git_sha()

    def kafka(name: str) -> KafkaSettings:
        return KafkaSettings(bootstrap_servers=endpoints.bootstrap_servers, topic_prefix=f"bench{run_id}.{name}.",
                             replication_factor=endpoints.replication_factor,
                             min_insync_replicas=endpoints.min_insync_replicas)

    databases = {"e2e": f"bench_{run_id}_e2e", "stage": f"bench_{run_id}_stage"}
    peer_databases = {"stage": f"bench_{run_id}_peer_stage", "pipeline": f"bench_{run_id}_peer_pipeline"}
    prefixes = [kafka(n).topic_prefix for n in ("ceiling", "e2e", "stage", "peer")]
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="mentionflow-bench-") as work:
        try:
            mark = time.monotonic()
            rate = config.offered_load_per_s
            posts = config.post_rate_per_s or rate
            warmup = write_traffic(Path(work) / "warmup.jsonl", config.warmup_mentions, seed=101, rate_per_s=posts)
            throughput = write_traffic(Path(work) / "throughput.jsonl", config.mentions, seed=102, rate_per_s=posts)
            latency = write_traffic(Path(work) / "latency.jsonl", config.latency_mentions, seed=103, rate_per_s=posts)
            profiled = (write_traffic(Path(work) / "profiled.jsonl", config.profile_mentions, seed=104,
                                      rate_per_s=posts) if config.profile else None)
            timings["generate_s"] = time.monotonic() - mark

            mark = time.monotonic()
            ceiling_kafka = kafka("ceiling")
            await ensure_topics(ceiling_kafka, ["mentions.raw"])
            # A run well under a second would measure noise: cycle the records up to ceiling_records.
            events = encoded_events(throughput)
            events = list(itertools.islice(itertools.cycle(events), max(len(events), config.ceiling_records)))
            ceiling = await kafka_ceiling(ceiling_kafka, ceiling_kafka.physical("mentions.raw"), events)
            timings["ceiling_s"] = time.monotonic() - mark
            log.info("kafka ceiling: %.0f records/s (%d records)", ceiling.per_s, ceiling.records)

            log.info("pipeline: %d warm-up, %d flat out, %d at %.0f/s", warmup.count, throughput.count,
                     latency.count, rate)
            mark = time.monotonic()
            dsn = await create_database(endpoints.postgres_dsn, databases["e2e"])
            pipeline = await run_pipeline(endpoints=endpoints, kafka=kafka("e2e"), dsn=dsn,
                                          brand_config=config.brand_config, log_dir=log_dir, warmup=warmup,
                                          throughput=throughput, latency=latency, latency_rate=rate,
                                          sample_interval_s=config.sample_interval_s)
            timings["pipeline_s"] = time.monotonic() - mark
            load_mid = os.getloadavg()

            stage_mentions = min(config.stage_mentions, throughput.count)
            log.info("each stage alone on %d mentions", stage_mentions)
            mark = time.monotonic()
            stage_dsn = await create_database(endpoints.postgres_dsn, databases["stage"])
            stages = await run_stages(endpoints=endpoints, kafka=kafka("stage"), dsn=stage_dsn,
                                      brand_config=config.brand_config, log_dir=log_dir, traffic=throughput,
                                      mentions=stage_mentions,
                                      profile_dir=out_dir / "profiles" if config.profile else None,
                                      profile_traffic=profiled)
            timings["stages_s"] = time.monotonic() - mark

            mark = time.monotonic()
            if config.peer:
                log.info("the peer: each stage alone on %d mentions, then its pipeline", stage_mentions)
                peer = await run_peer(endpoints=endpoints, stage_kafka=kafka("stage"), pipeline_kafka=kafka("peer"),
                                      databases=peer_databases, brand_config=config.brand_config, log_dir=log_dir,
                                      traffic=throughput, mentions=stage_mentions,
                                      pipeline_mentions=min(config.peer_pipeline_mentions or throughput.count,
                                                            throughput.count))
            else:
                peer = skipped("skipped (--no-peer)")
            timings["peer_s"] = time.monotonic() - mark
        finally:
            if not config.keep:
                await clean_up(endpoints, prefixes, [*databases.values(), *peer_databases.values()])

    result = assemble(config, ceiling, pipeline, stages, peer, sha)
    found = problems(result) + pipeline.problems + stages.problems + peer.problems
    if peer.delivery and (peer.delivery.lost or peer.delivery.duplicates or peer.delivery.unexpected):
        found.append(f"peer pipeline delivery: {asdict(peer.delivery)}")
    timings["total_s"] = time.monotonic() - started
    details = {
        "run_id": run_id,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "git_dirty": dirty,
        "load_average": {"start": _loads(load_start), "after_pipeline": _loads(load_mid),
                         "end": _loads(os.getloadavg())},
        "problems": found,
        "notes": NOTES,
        "summary": {
            "timings_s": {k: round(v, 1) for k, v in timings.items()},
            "replay_flat_out_per_s": _round(pipeline.replay_rate_flat_out),
            "replay_at_fixed_load_per_s": _round(pipeline.latency_replay_rate),
            "throughput_phase": {"rows": pipeline.throughput_rows, "seconds": _round(pipeline.throughput_s, 3),
                                 "wall_seconds_until_all_rows": _round(pipeline.throughput_wall_s, 3)},
            "ceiling": {"records": ceiling.records, "produce_acked_s": round(ceiling.produce_s, 3),
                        "produce_and_consume_s": round(ceiling.end_to_end_s, 3),
                        "produce_only_per_s": round(ceiling.records / ceiling.produce_s, 1)},
            "delivery": asdict(pipeline.delivery) if pipeline.delivery else None,
            "publish_queue_item_changes": pipeline.queue_item_changes,
            "consumed_by_stage": pipeline.consumed,
            "rss_peak_mb": {k: round(v, 1) for k, v in pipeline.rss_peak_mb.items()},
            "stage_mentions": stages.mentions,
            "peer": {"notes": peer.notes, "pipeline_mentions": peer.pipeline_mentions,
                     "pipeline_rows": peer.pipeline_rows, "pipeline_seconds": _round(peer.pipeline_s, 3),
                     "pipeline_wall_seconds_until_all_rows": _round(peer.pipeline_wall_s, 3),
                     "pipeline_delivery": asdict(peer.delivery) if peer.delivery else None},
            "profiles": {stage: _profile_summary(path) for stage, path in stages.profiles.items()},
            "logs": str(log_dir),
        },
        "series": {name: [[round(s.t, 3), s.value] for s in samples] for name, samples in pipeline.series.items()},
        "stage_series": {name: [[round(s.t, 3), s.value] for s in samples]
                         for name, samples in stages.samples.items()},
        "peer_series": {name: [[round(s.t, 3), s.value] for s in samples]
                        for name, samples in peer.samples.items()},
        "marks": pipeline.marks,
    }
    (out_dir / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "details.json").write_text(json.dumps(details, indent=1) + "\n")
    write_report(out_dir, result, details, series=pipeline.series, marks=pipeline.marks,
                 latencies_ms=pipeline.latencies_ms)
    for problem in found:
        log.warning("problem: %s", problem)
    return result


def _profile_summary(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"file": str(path), "error": "py-spy wrote nothing"}
    own, inclusive = hotspots(path.read_text().splitlines(), top=12)
    return {"file": str(path),
            "self": [f"{h.share:6.1%} {h.frame}" for h in own],
            "inclusive": [f"{h.share:6.1%} {h.frame}" for h in inclusive]}


def _loads(values: tuple[float, float, float]) -> list[float]:
    return [round(v, 2) for v in values]


async def clean_up(endpoints: Endpoints, prefixes: list[str], databases: list[str]) -> None:
    """Delete the run's topics and databases (a reused stack must not fill up run after run)."""
    with contextlib.suppress(Exception):
        kafka = KafkaSettings(bootstrap_servers=endpoints.bootstrap_servers)
        admin = AIOKafkaAdminClient(**kafka.client_kwargs())
        await admin.start()
        try:
            doomed = [t for t in await admin.list_topics() if any(t.startswith(p) for p in prefixes)]
            if doomed:
                await admin.delete_topics(doomed)
        finally:
            await admin.close()
    for name in databases:
        with contextlib.suppress(Exception):
            await drop_database(endpoints.postgres_dsn, name)
