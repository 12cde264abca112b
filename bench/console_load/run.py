"""The console load run: the whole pipeline and the console as processes, CM sessions on live
updates, traffic at a fixed rate; console_load.json.

Order: generate the traffic files → topics, fake X, classify/routing/publish (bench.e2e's
pipeline) and the console → warm-up mentions until their rows exist → users (the accounts
code, as `mentionflow users add`) → the commit log (commits.py) → every session logs in, loads
the queue page and holds its streams → `mentionflow replay --rate` offers the traffic while the
sessions reload the page and list the API → the pipeline drains → the sessions settle (until
every owed row arrived, or nothing arrived for `quiet_s`, or `settle_s`) → accounting. The run
has its own topic prefix and database, removed at the end.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import random
import re
import secrets
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
from mentionflow.accounts.store import add_user
from mentionflow.settings import KafkaSettings
from mentionflow_tools.generate import DEMO_BRANDS

from bench.console_load.commits import CommitLog, RowRegistry
from bench.console_load.figures import SessionRecord, account_session, brand_array, latency_block, summarise
from bench.console_load.sessions import Account, CmSession, Latencies
from bench.e2e.harness import REPO, clean_up, git_sha, machine
from bench.e2e.pipeline import PipelineProcesses, pipeline_processes
from bench.e2e.progress import track
from bench.e2e.queue_sql import QueueReader, create_database
from bench.e2e.services import Endpoints, cpu_seconds, start_service, wait_healthy
from bench.e2e.stats import percentiles
from bench.e2e.traffic import TrafficFile, write_traffic

log = logging.getLogger(__name__)

DEFAULT_OUT = REPO / "bench" / "out" / "console_load.json"


@dataclass(frozen=True)
class LoadConfig:
    sessions: int = 200
    rate_per_s: float = 1_000.0
    duration_s: float = 60.0
    page_every_s: float = 10.0  # each session reloads the queue page this often...
    api_every_s: float = 10.0  # ...and lists the queue through the API this often
    settle_s: float = 120.0  # after the pipeline drained, the longest wait for owed updates
    quiet_s: float = 10.0  # ...or until no session received anything for this long
    warmup_mentions: int = 300
    login_concurrency: int = 8
    post_rate_per_s: float = 20.0  # post times of the generated traffic (the generator's everyday pace)
    seed: int = 26
    brand_config: Path = REPO / "deploy" / "config" / "demo"

    @property
    def mentions(self) -> int:
        return max(1, round(self.rate_per_s * self.duration_s))

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str] = os.environ) -> LoadConfig:
        """CONSOLE_LOAD_SESSIONS, _RATE, _S, _PAGE_EVERY_S, _API_EVERY_S, _SETTLE_S (unset: defaults)."""
        names = {"sessions": ("CONSOLE_LOAD_SESSIONS", int), "rate_per_s": ("CONSOLE_LOAD_RATE", float),
                 "duration_s": ("CONSOLE_LOAD_S", float), "page_every_s": ("CONSOLE_LOAD_PAGE_EVERY_S", float),
                 "api_every_s": ("CONSOLE_LOAD_API_EVERY_S", float), "settle_s": ("CONSOLE_LOAD_SETTLE_S", float)}
        values: dict[str, Any] = {}
        for key, (name, kind) in names.items():
            if env.get(name):
                try:
                    values[key] = kind(env[name])
                except ValueError:
                    raise ValueError(f"{name} must be a number, not {env[name]!r}") from None
                if values[key] <= 0:
                    raise ValueError(f"{name} must be positive, not {env[name]!r}")
        return cls(**values)


def brands_of(number: int, brand_ids: list[str]) -> frozenset[str]:
    """User n works brand n mod k; every fourth user also the next one (CMs cover a few brands)."""
    first = brand_ids[number % len(brand_ids)]
    if number % 4 == 3 and len(brand_ids) > 1:
        return frozenset({first, brand_ids[(number + 1) % len(brand_ids)]})
    return frozenset({first})


async def create_users(dsn: str, count: int, brand_ids: list[str]) -> list[Account]:
    """`count` agents with one shared random password, through the accounts code the CLI uses."""
    password = secrets.token_urlsafe(16)
    users = [Account(f"cm-load-{n:04d}", password, brands_of(n, brand_ids)) for n in range(count)]
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    gate = asyncio.Semaphore(4)  # argon2 hashing: a few at a time

    async def add(user: Account) -> None:
        async with gate:
            await add_user(pool, username=user.username, password=user.password, role="agent",
                                    brands=sorted(user.brands), actor="console-load")
    try:
        await asyncio.gather(*(add(u) for u in users))
    finally:
        await pool.close()
    return users


REPLAYED = re.compile(r"([\d,]+) mentions in ([\d.]+) s")


async def replay_file(pipeline: PipelineProcesses, traffic: TrafficFile, log_path: Path, *,
                      rate: float | None = None) -> float:
    """`mentionflow replay FILE [--rate R]` in a process of its own (the sessions' process only
    measures); the rate it produced at (mentions/s). Raises unless every mention was produced."""
    command = [str(Path(sys.executable).parent / "mentionflow"), "replay", str(traffic.path), "--no-progress"]
    if rate is not None:
        command += ["--rate", str(rate)]
    process = await asyncio.create_subprocess_exec(*command, env=pipeline.env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    with log_path.open("a") as out:
        out.write(text)
    done = REPLAYED.search(text)
    if process.returncode != 0 or done is None or int(done.group(1).replace(",", "")) != traffic.count:
        raise RuntimeError(f"replay of {traffic.path.name} (exit {process.returncode}) did not produce "
                           f"{traffic.count} mentions: {text[-1000:]}")
    seconds = float(done.group(2))
    return traffic.count / seconds if seconds > 0 else math.inf


class LoopLag:
    """How late this process's event loop wakes up: the client's own saturation, reported so a
    slow figure can be told apart from a slow load generator."""

    def __init__(self, every_s: float = 0.1) -> None:
        self.every_s = every_s
        self.lags_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            due = time.perf_counter() + self.every_s
            await asyncio.sleep(self.every_s)
            self.lags_ms.append(max(0.0, time.perf_counter() - due) * 1000)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class CpuShares:
    """Each process's CPU time from the traffic's start, as a share of one core over the
    wall time: which process the run was waiting on (1.0 = a core kept busy)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._started = time.monotonic()
        self._cpu_at_start = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def shares(self) -> dict[str, float]:
        wall = time.monotonic() - self._started
        shares = {}
        for name, pid in self._pids.items():
            now, then = cpu_seconds(pid), self._cpu_at_start[name]
            if now is not None and then is not None and wall > 0:
                shares[name] = round((now - then) / wall, 2)
        return shares


@dataclass
class Sessions:
    sessions: list[CmSession]
    registry: RowRegistry

    def records(self) -> list[SessionRecord]:
        return [_record(s) for s in self.sessions]

    def last_event_at(self) -> float:
        return max((s.last_event_at for s in self.sessions), default=0.0)


def _record(session: CmSession) -> SessionRecord:
    return SessionRecord(session.account.username, session.account.brands, session.window_start,
                         session.received_at(), len(session.foreign), session.cursor_at)


async def settle(sessions: Sessions, *, settle_s: float, quiet_s: float) -> float:
    """Once no new row comes (the pipeline drained): wait until every session has every owed
    row, or nothing arrived for `quiet_s`, or `settle_s` passed; the seconds waited. A session
    found complete stays complete, so only the others are looked at again."""
    started = time.monotonic()
    waiting = list(sessions.sessions)
    while time.monotonic() - started < settle_s:
        commit_at, brands = sessions.registry.commit_times(), brand_array(sessions.registry.brands)
        waiting = [s for s in waiting if account_session(commit_at, brands, _record(s)).missing]
        if not waiting:
            break
        if time.time() - sessions.last_event_at() > quiet_s:
            log.warning("no live update for %.0f s while %d sessions are owed rows: those count as dropped",
                        quiet_s, len(waiting))
            break
        await asyncio.sleep(1.0)
    return time.monotonic() - started


async def run_console_load(config: LoadConfig, endpoints: Endpoints, out_path: Path) -> dict[str, Any]:
    run_id = f"{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().hex[:4]}"
    log_dir = out_path.parent / "logs" / f"console-load-{run_id}"
    log_dir.mkdir(parents=True, exist_ok=True)
    kafka = KafkaSettings(bootstrap_servers=endpoints.bootstrap_servers, topic_prefix=f"consoleload{run_id}.",
                          replication_factor=endpoints.replication_factor,
                          min_insync_replicas=endpoints.min_insync_replicas)
    database = f"bench_{run_id}_console"
    problems: list[str] = []
    load_start = os.getloadavg()
    sha, dirty = git_sha()
    with tempfile.TemporaryDirectory(prefix="mentionflow-console-load-") as work:
        warmup = write_traffic(Path(work) / "warmup.jsonl", config.warmup_mentions, seed=config.seed,
                               rate_per_s=config.post_rate_per_s)
        traffic = write_traffic(Path(work) / "load.jsonl", config.mentions, seed=config.seed + 1,
                                rate_per_s=config.post_rate_per_s)
        try:
            dsn = await create_database(endpoints.postgres_dsn, database)
            async with pipeline_processes(endpoints=endpoints, kafka=kafka, dsn=dsn, brand_config=config.brand_config,
                                          log_dir=log_dir, label="console-load", problems=problems) as pipeline:
                measured = await _measure(config, pipeline, dsn, warmup, traffic, log_dir)
        finally:
            await clean_up(endpoints, [kafka.topic_prefix], [database])
    problems += measured.pop("problems")
    result = {
        "sessions": config.sessions, "offered_load_per_s": config.rate_per_s, "duration_s": config.duration_s,
        **measured,
        "problems": problems,
        "load_average": {"start": [round(v, 2) for v in load_start], "end": [round(v, 2) for v in os.getloadavg()]},
        "machine": machine(), "git_sha": sha, "git_dirty": dirty,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "logs": str(log_dir),
        "notes": NOTES,
    }
    return result


async def _measure(config: LoadConfig, pipeline: PipelineProcesses, dsn: str, warmup: TrafficFile,
                   traffic: TrafficFile, log_dir: Path) -> dict[str, Any]:
    problems: list[str] = []
    console_env = {**pipeline.env, "MENTIONFLOW_CONSOLE__INSECURE_DEV_COOKIES": "true"}  # plain http on 127.0.0.1
    console = start_service("console", console_env, log_dir, label="console-load-console")
    pipeline.services["console"] = console  # stopped with the pipeline
    await wait_healthy(console)
    reader = await QueueReader.connect(dsn)
    registry = RowRegistry()
    commits: CommitLog | None = None
    latencies = Latencies()
    lag = LoopLag()
    stop_fetching = asyncio.Event()
    sessions = Sessions([], registry)
    try:
        await replay_file(pipeline, warmup, log_dir / "replay.log")
        await track(reader.row_count, warmup.count, timeout_s=180, alive=pipeline.problem)
        log.info("warm-up done; creating %d users", config.sessions)
        users = await create_users(dsn, config.sessions, [b.brand_id for b in DEMO_BRANDS])
        commits = await CommitLog.start(dsn, registry)
        rng = random.Random(config.seed)
        sessions.sessions = [CmSession(account=u, base_url=f"http://127.0.0.1:{console.port}", registry=registry,
                                       latencies=latencies, page_every_s=config.page_every_s,
                                       api_every_s=config.api_every_s, rng=rng) for u in users]
        lag.start()
        gate = asyncio.Semaphore(config.login_concurrency)

        async def open_session(session: CmSession) -> None:
            async with gate:
                await session.open()
            await asyncio.wait_for(session.streaming.wait(), 60)

        await asyncio.gather(*(open_session(s) for s in sessions.sessions))
        log.info("%d sessions live; offering %d mentions at %.0f/s", len(sessions.sessions), traffic.count,
                 config.rate_per_s)
        for session in sessions.sessions:
            session.start_fetching(stop_fetching)
        cpu = CpuShares({**{name: s.pid for name, s in pipeline.services.items()}, "load client": os.getpid()})
        replay_rate = await replay_file(pipeline, traffic, log_dir / "replay.log", rate=config.rate_per_s)
        stop_fetching.set()
        try:
            await track(reader.row_count, warmup.count + traffic.count, timeout_s=max(120.0, traffic.count / 100),
                        alive=pipeline.problem)
        except TimeoutError as exc:
            problems.append(f"the pipeline did not drain: {exc}")
        drained = time.time()
        settle_s = await settle(sessions, settle_s=config.settle_s, quiet_s=config.quiet_s)
        cpu_share = cpu.shares()
        commit_log_missing = await commits.missing()
        if commit_log_missing:
            problems.append(f"the commit log missed {commit_log_missing} rows: delays and owed rows are incomplete")
        records = sessions.records()
        commit_at, brands = registry.commit_times(), brand_array(registry.brands)
        updated_at = registry.updated_times()
        live = summarise((account_session(commit_at, brands, r, updated_at) for r in records),
                         sum(r.foreign for r in records), registry.ids())
        return {
            "mentions_offered": traffic.count,
            "replay_rate_per_s": round(replay_rate, 1),
            "rows_committed": registry.committed_count(),
            "page_ms": latency_block(latencies.page_ms, _errors(latencies, "GET /")),
            "api_ms": latency_block(latencies.api_ms, _errors(latencies, "GET /api/v1/items")),
            "login_ms": latency_block(latencies.login_ms, 0),
            "live_updates": {**asdict(live), "settle_s": round(settle_s, 1),
                             "last_update_after_drain_s": round(max(0.0, sessions.last_event_at() - drained), 1)},
            "streams": {"reconnects": sum(s.reconnects for s in sessions.sessions),
                        "errors": {k: v for k, v in latencies.errors.items() if k.startswith("stream")}},
            "errors": dict(latencies.errors),
            "commit_log_missing": commit_log_missing,
            "client_loop_lag_ms": {k: round(v, 1) for k, v in (percentiles(lag.lags_ms) or {}).items()},
            "cpu_share": cpu_share,
            "problems": problems,
        }
    finally:
        stop_fetching.set()
        await lag.stop()
        await asyncio.gather(*(s.close() for s in sessions.sessions), return_exceptions=True)
        if commits is not None:
            await commits.close()
        await reader.close()


def _errors(latencies: Latencies, prefix: str) -> int:
    return sum(v for k, v in latencies.errors.items() if k.split(":")[0] == prefix)


NOTES = [
    "Pipeline: classify, routing, publish and the console as processes with their production defaults (the "
    "console with insecure dev cookies: plain http on 127.0.0.1), on a topic prefix and database of the run's "
    "own; generated mentions of the demo brands are offered by `mentionflow replay --rate` in its own process.",
    "Sessions: agents created through mentionflow.accounts (user n works demo brand n mod 3, every fourth also "
    "the next brand). Each logs in through the login form, loads the queue page, opens the live stream the page "
    "names (html=1, the page's cursor) and the navigation's mentions stream, and every page_every_s / "
    "api_every_s reloads the queue page and GETs /api/v1/items?limit=50, during the traffic. All sessions run in "
    "one asyncio process (httpx); client_loop_lag_ms shows how late that process's loop was.",
    "page_ms / api_ms: request sent → last byte received, client side.",
    "cpu_share: each process's CPU time from the traffic's start to the end of the settling, over that wall "
    "time (1.0 = one core busy all along): a load client near 1.0 means the delays include its own backlog.",
    "live_updates.delay_ms: row commit → first arrival of the row on a session's live stream. The commit is the "
    "moment the load test's listener received the NOTIFY of an AFTER INSERT trigger the test adds to its own "
    "database (delivered at commit), not publish's created_at (= its transaction's start).",
    "live_updates: a session is owed every row of its brands committed after it asked for the queue page; "
    "dropped = owed rows it never received (once the pipeline drained, waited for until all arrived, nothing "
    "arrived for quiet_s, or settle_s); foreign = items of other brands it received (must be 0).",
]
