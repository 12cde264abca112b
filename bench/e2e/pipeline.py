"""The whole pipeline under load: classify, routing and publish as processes on one topic
prefix and one fresh database, fed through the replay ingest path.

Phases, each measured from the rows publish committed:
1. warm-up: a few hundred mentions, until their rows exist (every group has joined);
2. throughput: N mentions replayed flat out, until N more rows exist;
3. latency: mentions offered at a fixed rate for a fixed time, until all their rows exist;
then delivery is accounted for every generated mention, and memory was read during phase 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeXServer
from prometheus_client.parser import text_string_to_metric_families

from bench.e2e.cpu import CpuMeter
from bench.e2e.kafka_probe import BULK_PRODUCER, OffsetProbe
from bench.e2e.progress import Counter, Sampler, track_rows
from bench.e2e.queue_sql import QueueReader
from bench.e2e.services import (
    Endpoints,
    ServiceProcess,
    metrics_text,
    rss_mb,
    service_env,
    start_service,
    stop_service,
    wait_healthy,
)
from bench.e2e.stats import STAGES, Delivery, Sample, account
from bench.e2e.traffic import TrafficFile, replay

log = logging.getLogger(__name__)

# Consumer groups of the services (their default configuration) and what each one consumes.
GROUPS = {"classify": "mentionflow-classify", "routing": "mentionflow-routing", "publish": "mentionflow-publish"}
INPUTS = {"classify": "mentions.raw", "routing": "mentions.classified", "publish": "mentions.routed"}


@dataclass
class PipelineRun:
    """What the phases measured (times in seconds, rates per second)."""

    throughput_rows: int = 0
    throughput_s: float | None = None
    throughput_wall_s: float | None = None
    latency_percentiles_ms: dict[str, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    latency_offered: int = 0
    latency_replay_rate: float = 0.0
    replay_rate_flat_out: float = 0.0
    rss_mb: dict[str, float] = field(default_factory=dict)
    rss_peak_mb: dict[str, float] = field(default_factory=dict)
    delivery: Delivery | None = None
    queue_item_changes: dict[str, float] = field(default_factory=dict)
    consumed: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[Sample]] = field(default_factory=dict)
    rss_series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)  # per process, during the throughput phase
    problems: list[str] = field(default_factory=list)


def _counter_sums(text: str, metric: str, label: str, **match: str) -> dict[str, float]:
    """Sum of a counter's samples by one label, over samples matching `match`."""
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric and all(sample.labels.get(k) == v for k, v in match.items()):
                key = sample.labels.get(label, "")
                sums[key] = sums.get(key, 0.0) + sample.value
    return sums


@dataclass
class PipelineProcesses:
    """The running pipeline: every service process by name (add more, e.g. the console, to have
    them stopped too) and the environment they were started with."""

    env: dict[str, str]
    services: dict[str, ServiceProcess]

    def problem(self) -> str | None:
        """Why the pipeline can no longer make progress (a process exited), or None."""
        for service in self.services.values():
            if service.process.poll() is not None:
                return f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}"
        return None


@contextlib.asynccontextmanager
async def pipeline_processes(*, endpoints: Endpoints, kafka: KafkaSettings, dsn: str, brand_config: Path,
                             log_dir: Path, label: str, problems: list[str]) -> AsyncIterator[PipelineProcesses]:
    """The run's topics, the fake X API, and classify, routing and publish as processes, healthy
    when entered. On exit every process in `services` is stopped (SIGTERM, drain) and an exit
    code other than 0 is appended to `problems`."""
    await ensure_topics(kafka)
    fake_x = await FakeXServer().start()
    # Nothing leaves the machine: replies go to the fake X API, and a PagerDuty page (the demo
    # config names channels whose secrets are not set here) could only reach the fake.
    extra = {"MENTIONFLOW_X_API__BASE_URL": fake_x.base_url,
             "MENTIONFLOW_PAGERDUTY_EVENTS_URL": f"{fake_x.base_url}/pagerduty"}
    env = service_env(endpoints, topic_prefix=kafka.topic_prefix, dsn=dsn, port=0, brand_config=brand_config,
                      extra=extra)
    pipeline = PipelineProcesses(env, {name: start_service(name, env, log_dir, label=f"{label}-{name}")
                                       for name in STAGES})
    try:
        await asyncio.gather(*(wait_healthy(s) for s in pipeline.services.values()))
        yield pipeline
    finally:
        for service in pipeline.services.values():
            code = await stop_service(service)
            if code not in (0, None):
                problems.append(f"{service.name} exited with {code} (log {service.log_path})")
        await fake_x.stop()


async def run_pipeline(*, endpoints: Endpoints, kafka: KafkaSettings, dsn: str, brand_config: Path, log_dir: Path,
                       warmup: TrafficFile, throughput: TrafficFile, latency: TrafficFile, latency_rate: float,
                       sample_interval_s: float) -> PipelineRun:
    run = PipelineRun()
    async with pipeline_processes(endpoints=endpoints, kafka=kafka, dsn=dsn, brand_config=brand_config,
                                  log_dir=log_dir, label="e2e", problems=run.problems) as pipeline:
        await _phases(run, pipeline.services, endpoints=endpoints, kafka=kafka, dsn=dsn, brand_config=brand_config,
                      warmup=warmup, throughput=throughput, latency=latency, latency_rate=latency_rate,
                      sample_interval_s=sample_interval_s, alive=pipeline.problem)
    return run


async def _phases(run: PipelineRun, services: dict[str, ServiceProcess], *, endpoints: Endpoints,
                  kafka: KafkaSettings, dsn: str,
                  brand_config: Path, warmup: TrafficFile, throughput: TrafficFile, latency: TrafficFile,
                  latency_rate: float, sample_interval_s: float, alive: Callable[[], str | None]) -> None:
    probe = await OffsetProbe(kafka).start()
    reader = await QueueReader.connect(dsn)
    producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-bench-replay", **BULK_PRODUCER)
    await producer.start()
    try:
        raw_topic = kafka.physical("mentions.raw")

        # 1. warm-up
        await replay(producer, raw_topic, warmup, brand_config)
        publish_committed = functools.partial(probe.committed_total, GROUPS["publish"],
                                              kafka.physical(INPUTS["publish"]))
        await track_rows(reader.row_count, publish_committed, warmup.count, timeout_s=180, alive=alive)

        sampler = _sampler(probe, kafka, services, sample_interval_s)
        sampler.start()
        try:
            # 2. throughput: flat out
            expected = warmup.count + throughput.count
            sampler.mark("throughput")
            cpu = cpu_meter(services, endpoints)
            cpu.start()
            started_at, started = datetime.now(UTC), time.monotonic()
            stats = await replay(producer, raw_topic, throughput, brand_config)
            run.replay_rate_flat_out = stats.rate
            await _wait_rows(reader, publish_committed, expected, timeout_s=max(120.0, throughput.count / 150),
                             alive=alive, run=run, what="throughput")
            run.throughput_wall_s = time.monotonic() - started
            run.cpu_s = cpu.stop()
            sampler.mark("throughput done")

            # 3. latency: a fixed offered load
            latency_at = datetime.now(UTC)
            sampler.mark("latency")
            stats = await replay(producer, raw_topic, latency, brand_config, rate=latency_rate)
            run.latency_replay_rate = stats.rate
            run.latency_offered = latency.count
            sampler.mark("latency offered")
            await _wait_rows(reader, publish_committed, expected + latency.count,
                             timeout_s=max(60.0, latency.count / 150), alive=alive, run=run, what="latency")
            sampler.mark("latency done")
            finished_at = datetime.now(UTC)
        finally:
            await sampler.stop()

        window = await reader.window(started_at, latency_at)
        run.throughput_rows, run.throughput_s = window.rows, window.seconds
        run.latency_percentiles_ms = await reader.latency_percentiles_ms(latency_at, finished_at)
        run.latencies_ms = await reader.latencies_ms(latency_at, finished_at)
        generated = [*warmup.mention_ids, *throughput.mention_ids, *latency.mention_ids]
        run.delivery = account(generated, await reader.rows_per_mention())
        run.series, run.rss_series, run.marks = sampler.series, sampler.gauge_series, sampler.marks
        _memory(run, sampler)
        publish_metrics = await metrics_text(services["publish"])
        run.queue_item_changes = _counter_sums(publish_metrics, "mentionflow_publish_queue_items_total", "change")
        for name, service in services.items():
            text = publish_metrics if name == "publish" else await metrics_text(service)
            run.consumed[name] = sum(_counter_sums(text, "mentionflow_runner_messages_consumed_total", "service",
                                                   topic=kafka.physical(INPUTS[name])).values())
    finally:
        await producer.stop()
        await reader.close()
        await probe.close()


async def _wait_rows(reader: QueueReader, committed: Counter, expected: int, *, timeout_s: float, alive,  # noqa: ANN001
                     run: PipelineRun, what: str) -> None:
    """Until `expected` rows exist; a timeout is recorded (its mentions count as lost), not raised."""
    try:
        await track_rows(reader.row_count, committed, expected, timeout_s=timeout_s, alive=alive)
    except TimeoutError as exc:
        run.problems.append(f"{what}: {exc}")
        log.warning("%s phase: %s", what, exc)


def cpu_meter(services: dict[str, ServiceProcess], endpoints: Endpoints) -> CpuMeter:
    """Every process the throughput phase runs on: the three services, the broker(s), PostgreSQL
    (its backends included) and this process, which replays the mentions (and samples progress)."""
    parts = {name: [service.pid] for name, service in services.items()}
    if endpoints.broker_pids:
        parts["kafka"] = list(endpoints.broker_pids)
    if endpoints.postgres_pid:
        parts["postgresql"] = [endpoints.postgres_pid]
    parts["replay"] = [os.getpid()]
    return CpuMeter(parts)


def _sampler(probe: OffsetProbe, kafka: KafkaSettings, services: dict[str, ServiceProcess],
             interval_s: float) -> Sampler:
    counters: dict[str, Any] = {}
    for topic in ("mentions.raw", "mentions.classified", "mentions.routed"):
        counters[f"end:{topic}"] = functools.partial(probe.end_total, kafka.physical(topic))
    for stage, group in GROUPS.items():
        counters[f"committed:{stage}"] = functools.partial(probe.committed_total, group, kafka.physical(INPUTS[stage]))
    gauges = {f"rss:{name}": functools.partial(rss_mb, s.pid) for name, s in services.items()}
    return Sampler(counters, gauges, interval_s=interval_s)


def _memory(run: PipelineRun, sampler: Sampler) -> None:
    """RSS at steady state: the median of the readings during the fixed-load phase (and the peak
    over the whole run, for the report)."""
    start, end = sampler.marks.get("latency"), sampler.marks.get("latency done")
    for stage in STAGES:
        readings = sampler.gauge_series.get(f"rss:{stage}", [])
        steady = sorted(mb for t, mb in readings if start is not None and end is not None and start <= t <= end)
        if steady:
            run.rss_mb[stage] = steady[len(steady) // 2]
        if readings:
            run.rss_peak_mb[stage] = max(mb for _, mb in readings)
