"""Each stage alone on a pre-filled topic (the peer's stages run on the same topics afterwards:
bench.e2e.peer).

The three services start together on a topic prefix of their own (one start-up instead of
three in a row: imports alone take seconds on a loaded machine), join their groups, and are
frozen with SIGSTOP. mentions.raw is then filled with M mentions, and one stage at a time is
let run (SIGCONT) until it has handled all M, then frozen again: classify, then routing on
classify's output, then publish on routing's (into a fresh database). A frozen process uses
no CPU, and a long session timeout keeps it in its group, so each stage really runs alone.
Each stage's throughput is its steady rate between 10 % and 90 % of M:

- classify and routing: records acknowledged on their output topic (mentions.classified,
  mentions.routed) over time: the same measure as the peer's, whose offset commits are periodic;
- publish: its group's committed offsets on mentions.routed (committed after the rows are).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings

from bench.e2e.kafka_probe import BULK_PRODUCER, OffsetProbe
from bench.e2e.pipeline import GROUPS
from bench.e2e.progress import track
from bench.e2e.services import Endpoints, ServiceProcess, service_env, start_service, stop_service, wait_healthy
from bench.e2e.stats import STAGES, Sample, steady_rate
from bench.e2e.traffic import TrafficFile, replay

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
PY_SPY = REPO / ".venv" / "bin" / "py-spy"
# Frozen services must stay in their groups (the broker allows up to 30 min by default).
FROZEN_SESSION_TIMEOUT_MS = 240_000


@dataclass
class StageRun:
    mentions: int = 0
    rates: dict[str, float | None] = field(default_factory=dict)
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    profiles: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def run_stages(*, endpoints: Endpoints, kafka: KafkaSettings, dsn: str, brand_config: Path, log_dir: Path,
                     traffic: TrafficFile, mentions: int, profile_dir: Path | None,
                     profile_traffic: TrafficFile | None = None) -> StageRun:
    result = StageRun(mentions=mentions)
    await ensure_topics(kafka)
    env = service_env(endpoints, topic_prefix=kafka.topic_prefix, dsn=dsn, port=0, brand_config=brand_config,
                      extra={"MENTIONFLOW_X_API__BASE_URL": "http://127.0.0.1:9",
                             "MENTIONFLOW_PAGERDUTY_EVENTS_URL": "http://127.0.0.1:9/pagerduty",
                             "MENTIONFLOW_RUNNER__SESSION_TIMEOUT_MS": str(FROZEN_SESSION_TIMEOUT_MS)})
    services = {stage: start_service(stage, env, log_dir, label=f"alone-{stage}") for stage in STAGES}
    probe = await OffsetProbe(kafka).start()
    try:
        await asyncio.gather(*(wait_healthy(s) for s in services.values()))
        for stage, service in services.items():
            await track(functools.partial(_stable, probe, GROUPS[stage]), 1, timeout_s=60, alive=_exited(service))
            service.process.send_signal(signal.SIGSTOP)
        producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-bench-prefill", **BULK_PRODUCER)
        await producer.start()
        try:
            await replay(producer, kafka.physical("mentions.raw"), traffic, brand_config, limit=mentions)
        finally:
            await producer.stop()

        progress = {
            "classify": functools.partial(probe.end_total, kafka.physical("mentions.classified")),
            "routing": functools.partial(probe.end_total, kafka.physical("mentions.routed")),
            "publish": functools.partial(probe.committed_total, GROUPS["publish"], kafka.physical("mentions.routed")),
        }
        for stage, counter in progress.items():
            service = services[stage]
            # The counter is read once before the stage resumes: a stage that finishes a small
            # run before the first read after resuming still gets a crossing to interpolate
            # from (else its 10 % and 90 % marks fall on one sample: an infinite rate).
            zero = time.monotonic()
            before = Sample(0.0, await counter())
            service.process.send_signal(signal.SIGCONT)
            try:
                samples = [before, *await track(counter, mentions, timeout_s=max(120.0, mentions / 100),
                                                alive=_exited(service), clock_zero=zero)]
            finally:
                service.process.send_signal(signal.SIGSTOP)
            result.samples[stage] = samples
            result.rates[stage] = steady_rate(samples, mentions)
            log.info("%s alone: %.0f mentions/s", stage, result.rates[stage] or 0)
        if profile_dir is not None and profile_traffic is not None:
            result.profiles = await _profiled_phase(services, kafka, probe, brand_config, profile_traffic,
                                                    base=mentions, profile_dir=profile_dir)
    finally:
        for service in services.values():
            with contextlib.suppress(ProcessLookupError):
                service.process.send_signal(signal.SIGCONT)
        await asyncio.gather(*(stop_service(s) for s in services.values()))
        await probe.close()
    return result


async def _stable(probe: OffsetProbe, group: str) -> int:
    return int(await probe.group_stable(group))


def _exited(service: ServiceProcess) -> Callable[[], str | None]:
    def problem() -> str | None:
        if service.process.poll() is None:
            return None
        return f"{service.name} exited with {service.process.returncode}:\n{service.log_tail()}"
    return problem


async def _profiled_phase(services: dict[str, ServiceProcess], kafka: KafkaSettings, probe: OffsetProbe,
                          brand_config: Path, traffic: TrafficFile, *, base: int,
                          profile_dir: Path) -> dict[str, Path]:
    """The three services together on fresh mentions with py-spy on each: where every process
    spends its time in the pipeline. Not measured (sampling costs CPU on a 2-core machine)."""
    if not PY_SPY.exists():
        log.warning("py-spy is not installed (bench dependency group): no flame graphs")
        return {}
    await asyncio.to_thread(profile_dir.mkdir, parents=True, exist_ok=True)
    log.info("profiled run: the three services together on %d mentions under py-spy", traffic.count)
    spies = []
    for service in services.values():
        service.process.send_signal(signal.SIGCONT)
        spies += [_start_profiler(service, profile_dir, fmt) for fmt in PROFILE_FORMATS]
    try:
        producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-bench-profiled", **BULK_PRODUCER)
        await producer.start()
        try:
            await replay(producer, kafka.physical("mentions.raw"), traffic, brand_config)
        finally:
            await producer.stop()
        done = functools.partial(probe.committed_total, GROUPS["publish"], kafka.physical("mentions.routed"))
        await track(done, base + traffic.count, timeout_s=max(120.0, traffic.count / 100),
                    alive=_exited(services["publish"]))
    finally:
        await asyncio.gather(*(_stop_profiler(spy) for spy in spies))
    return {name: profile_dir / f"{name}.collapsed" for name in services}


# py-spy writes collapsed stacks (read into the hotspot lists) and, from a second sampler, its
# own SVG flame graph (linked from the report); at 100 Hz each.
PROFILE_FORMATS = {"raw": "collapsed", "flamegraph": "svg"}


def _start_profiler(service: ServiceProcess, profile_dir: Path, fmt: str) -> subprocess.Popen[bytes]:
    output = profile_dir / f"{service.name}.{PROFILE_FORMATS[fmt]}"
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(service.pid), "--rate", "100", "--format", fmt,
                             "--output", str(output), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _stop_profiler(spy: subprocess.Popen[bytes]) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
    for _ in range(100):
        if spy.poll() is not None:
            return
        await asyncio.sleep(0.1)
    spy.kill()
