"""The chaos run: infrastructure, services, feed, one fault scenario at a time, checks.

    async with Harness(config) as harness:
        row = await harness.run_scenario("kill -9 publish", mentions=2000, replies=50)

Everything the run starts (brokers, PostgreSQL, services, fakes) is stopped on exit, also on
failure. Services run with the production defaults except for timeouts shortened so that a
run takes minutes (session timeout 6 s, reply backoff capped at 5 s, orphaned ingest claims
swept after 35 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.kafka.admin import ensure_topics
from mentionflow.kafka.producer import make_producer
from mentionflow.settings import KafkaSettings
from mentionflow_tools.fakex import FakeXServer
from mentionflow_tools.fakex.feeder import brand_accounts
from mentionflow_tools.generate import DEMO_BRANDS
from mentionflow_tools.infra.kafka import KafkaCluster, start_cluster, stop_cluster
from mentionflow_tools.infra.postgres import PostgresCluster, start_postgres, stop_postgres

from bench.chaos import checks
from bench.chaos.fakes import OutageXState, Receiver
from bench.chaos.feed import (
    CollectorClient,
    Key,
    MentionSource,
    post_requests,
    reply_request,
    reply_targets,
    send_poison,
    send_posts,
    send_replies,
)
from bench.chaos.poison import CONSUMED_TOPICS, corpus
from bench.chaos.processes import ServiceProcess

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "deploy" / "config" / "demo"
SESSION_TIMEOUT_MS = 6000
PAGER_CHANNELS = ("pagerduty-fr", "pagerduty-us")
CHAT_CHANNELS = ("slack-crisis-fr", "slack-crisis-en", "slack-leads")


@dataclass
class ChaosConfig:
    work_dir: Path
    partitions: int = 6
    seed: int = 7
    x_outage_s: float = 60.0
    stream_s: float = 40.0  # how long each scenario's stream of mentions lasts (paced)
    recovery_timeout_s: float = 300.0
    ready_timeout_s: float = 180.0
    classify_replicas: int = 2
    # Reuse infrastructure instead of starting it (tests): a bootstrap string / an admin DSN.
    kafka_bootstrap: str | None = None
    postgres_admin_dsn: str | None = None
    # Secrets the services are configured with (the log scan looks for them).
    secrets: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    enable_x_polling: bool = False


@dataclass
class ScenarioResult:
    """One row of chaos.json. lost / duplicates: queue rows missing / in excess for the
    scenario's mentions; double_replies: replies X got more than once; replies_lost: requested
    replies not posted; double_posts / posts_lost: the same for scheduled brand posts (counted
    per part on X); fault_s: how long components were down (kill → ready again, broker or
    PostgreSQL down, process paused, X failing); recovery_s: from the moment the fault was undone
    and every mention had been acknowledged by ingest until every check passed (all queue rows,
    every reply and due post posted and reported, consumer lag 0), None when that did not happen in time."""

    scenario: str
    mentions: int
    lost: int
    duplicates: int
    double_replies: int
    recovery_s: float | None
    replies: int = 0
    replies_lost: int = 0
    posts: int = 0
    posts_lost: int = 0
    double_posts: int = 0
    poison_injected: int = 0
    poison_in_dlq: int = 0
    dlq_duplicates: int = 0  # DLQ records beyond one per poison record and consuming service
    dlq_unexpected: int = 0
    failures: list[str] = field(default_factory=list)  # what a scenario's own checks found
    lag: dict[str, int] = field(default_factory=dict)
    feed_retries: int = 0
    fault_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (self.lost == 0 and self.duplicates == 0 and self.double_replies == 0 and self.replies_lost == 0
                and self.posts_lost == 0 and self.double_posts == 0
                and self.poison_in_dlq == self.poison_injected and self.dlq_unexpected == 0
                and self.dlq_duplicates == 0 and not self.failures and self.recovery_s is not None)

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "mentions": self.mentions, "lost": self.lost,
            "duplicates": self.duplicates, "double_replies": self.double_replies,
            "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 1),
            "replies": self.replies, "replies_lost": self.replies_lost,
            "posts": self.posts, "posts_lost": self.posts_lost, "double_posts": self.double_posts,
            "poison_injected": self.poison_injected, "poison_in_dlq": self.poison_in_dlq,
            "dlq_duplicates": self.dlq_duplicates, "dlq_unexpected": self.dlq_unexpected,
            "failures": self.failures, "lag": self.lag,
            "feed_retries": self.feed_retries,
            "fault_s": round(self.fault_s, 1),
            "passed": self.passed, "notes": self.notes,
        }


def _default_secrets() -> dict[str, str]:
    return {name: f"{name}-{secrets.token_hex(12)}" for name in
            ("api_key", "webhook_secret", "x_bearer", "pagerduty_key", "slack_webhook_token", "token_hexafone",
             "token_skylark", "token_bouffego")}


class Harness:
    def __init__(self, config: ChaosConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.secrets = {**_default_secrets(), **config.secrets}
        self.log_dir = config.work_dir / "logs"
        self.kafka_cluster: KafkaCluster | None = None
        self.postgres: PostgresCluster | None = None
        self.dsn = ""
        self._admin_dsn = ""
        self._database = ""
        self.kafka = KafkaSettings()
        self.fake_x: FakeXServer | None = None
        self.x_state: OutageXState | None = None
        self.receiver = Receiver()
        self.services: dict[str, ServiceProcess] = {}
        self.producer: Any = None
        self.collector: CollectorClient | None = None
        self.source = MentionSource(config.seed)
        self.all_keys: set[Key] = set()
        self.answered: set[str] = set()
        self.reply_texts: dict[str, str] = {}
        self.post_parts: dict[str, list[str]] = {}  # post id → part texts, the whole run
        self._scenario_posts: dict[str, list[str]] = {}
        self.poison_ids: set[str] = set()
        self._poison_cursor = 0
        self._sent = [0]
        self._stream_size = 1
        self._stream_s = config.stream_s
        self._progress = asyncio.Event()
        self._feed_done = False
        self._fault_s = 0.0
        self._scenario_cleanups: list[Callable[[], None]] = []
        self._scenario_failures: list[str] = []
        self._stack = contextlib.AsyncExitStack()

    # ---- lifecycle ---------------------------------------------------------------------
    async def __aenter__(self) -> Harness:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _start(self) -> None:
        config = self.config
        config.work_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.log_dir, ignore_errors=True)
        self.log_dir.mkdir(parents=True)
        started = time.monotonic()
        if config.kafka_bootstrap is None:
            self.kafka_cluster = await asyncio.to_thread(start_cluster, config.work_dir / "kafka", 3)
            cluster = self.kafka_cluster
            self._stack.callback(stop_cluster, cluster)
            bootstrap, replication, min_isr = cluster.bootstrap_servers, 3, 2
        else:
            bootstrap, replication, min_isr = config.kafka_bootstrap, 1, 1
        if config.postgres_admin_dsn is None:
            self.postgres = await asyncio.to_thread(start_postgres, config.work_dir / "postgres")
            postgres = self.postgres
            self._stack.callback(stop_postgres, postgres)
            self._admin_dsn = postgres.dsn
        else:
            self._admin_dsn = config.postgres_admin_dsn
        self.dsn = await self._create_database()
        prefix = f"chaos{uuid.uuid4().hex[:8]}."
        self.kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix, replication_factor=replication,
                                   min_insync_replicas=min_isr, partitions_override=config.partitions)
        await ensure_topics(self.kafka)
        log.info("infrastructure up in %.1fs (kafka %s, rf %d)", time.monotonic() - started, bootstrap, replication)

        tokens = {self.secrets[f"token_{b.brand_id}"]: b.account_user_id for b in DEMO_BRANDS}
        self.x_state = OutageXState(accounts=brand_accounts(DEMO_BRANDS), tokens=tokens)
        self.fake_x = await FakeXServer(self.x_state).start()
        self._stack.push_async_callback(self.fake_x.stop)
        await self.receiver.start()
        self._stack.push_async_callback(self.receiver.stop)
        self.producer = make_producer(self.kafka, client_id="chaos-harness", request_timeout_ms=60_000)
        await self.producer.start()
        self._stack.push_async_callback(self.producer.stop)

        self._build_services()
        self._stack.callback(self._stop_services)
        for service in self.services.values():
            service.start()
        await asyncio.gather(*(s.wait_ready(config.ready_timeout_s) for s in self.services.values()))
        self.collector = CollectorClient(self.services["ingest"].base_url, self.secrets["api_key"])
        log.info("services ready in %.1fs after start", time.monotonic() - started)

    async def _create_database(self) -> str:
        """A database of its own, owned by a role with a password (the log scan looks for it;
        the throwaway cluster trusts local connections, so the password is carried, not checked)."""
        self._database = f"chaos_{uuid.uuid4().hex[:10]}"
        role = f"chaos_{uuid.uuid4().hex[:8]}"
        password = self.secrets.setdefault("postgres_password", f"pg-{secrets.token_hex(12)}")
        admin = await asyncpg.connect(self._admin_dsn)
        try:
            # Identifiers cannot be parameters; both are generated hex names, never input.
            await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")  # sql-ok: generated
            await admin.execute(f"CREATE DATABASE {self._database} OWNER {role}")  # sql-ok: generated
        finally:
            await admin.close()
        host_part = self._admin_dsn.split("@", 1)[1].rsplit("/", 1)[0]
        self._stack.push_async_callback(self._drop_database, role)
        return f"postgresql://{role}:{password}@{host_part}/{self._database}"

    async def _drop_database(self, role: str) -> None:
        if self.postgres is not None:
            return  # the whole throwaway cluster goes away
        with contextlib.suppress(Exception):
            admin = await asyncpg.connect(self._admin_dsn)
            try:
                await admin.execute(f"DROP DATABASE IF EXISTS {self._database} WITH (FORCE)")  # sql-ok: generated
                await admin.execute(f"DROP ROLE IF EXISTS {role}")  # sql-ok: generated
            finally:
                await admin.close()

    def _common_env(self) -> dict[str, str]:
        import os

        keep = {k: v for k, v in os.environ.items() if not k.startswith("MENTIONFLOW_")}
        python_path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        return {
            **keep,
            "PYTHONPATH": python_path,  # the services start through bench.chaos.taskdump
            "MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "MENTIONFLOW_KAFKA__TOPIC_PREFIX": self.kafka.topic_prefix,
            "MENTIONFLOW_KAFKA__PARTITIONS_OVERRIDE": str(self.config.partitions),
            "MENTIONFLOW_KAFKA__REPLICATION_FACTOR": str(self.kafka.replication_factor),
            "MENTIONFLOW_KAFKA__MIN_INSYNC_REPLICAS": str(self.kafka.min_insync_replicas),
            "MENTIONFLOW_POSTGRES__DSN": self.dsn,
            "MENTIONFLOW_BRAND_CONFIG": str(DEMO_CONFIG),
            "MENTIONFLOW_RUNNER__SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
            "MENTIONFLOW_RUNNER__HEARTBEAT_INTERVAL_MS": "500",
            "MENTIONFLOW_RUNNER__RETRY_MAX_S": "2",
            "MENTIONFLOW_LOG_LEVEL": self.config.log_level,
        }

    def _build_services(self) -> None:
        assert self.fake_x is not None
        common = self._common_env()
        s = self.secrets
        ingest_env = {
            **common,
            "MENTIONFLOW_HTTP_API__API_KEYS": json.dumps([s["api_key"]]),
            "MENTIONFLOW_WEBHOOK__CONSUMER_SECRET": s["webhook_secret"],
            "MENTIONFLOW_X__ENABLED": "true" if self.config.enable_x_polling else "false",
            "MENTIONFLOW_X__API__BASE_URL": self.fake_x.base_url,
            "MENTIONFLOW_X__CREDENTIALS__BEARER_TOKEN": s["x_bearer"],
            "MENTIONFLOW_X__POLL_INTERVAL_S": "1",
            "MENTIONFLOW_DEDUP__STALE_AFTER_S": "35",
            "MENTIONFLOW_DEDUP__SWEEP_INTERVAL_S": "3",
        }
        accounts = {b.handle: {"credentials": {"user_access_token": s[f"token_{b.brand_id}"]},
                               "user_id": b.account_user_id, "posts_per_window": 1_000_000, "window_s": 900}
                    for b in DEMO_BRANDS}
        channels: dict[str, Any] = {name: {"type": "pagerduty", "url": self.receiver.url(name),
                                           "routing_key": s["pagerduty_key"]} for name in PAGER_CHANNELS}
        channels |= {name: {"type": "slack", "url": self.receiver.url(name, s["slack_webhook_token"])}
                     for name in CHAT_CHANNELS}
        publish_env = {
            **common,
            "MENTIONFLOW_X_API__BASE_URL": self.fake_x.base_url,
            "MENTIONFLOW_X_API__TIMEOUT_S": "5",
            "MENTIONFLOW_ACCOUNTS": json.dumps(accounts),
            "MENTIONFLOW_CHANNELS": json.dumps(channels),
            "MENTIONFLOW_REPLY_POLL_S": "0.3",
            "MENTIONFLOW_REPLY_BACKOFF_INITIAL_S": "0.5",
            "MENTIONFLOW_REPLY_BACKOFF_MAX_S": "5",
            # An X outage of a minute must not use up a reply's attempts.
            "MENTIONFLOW_REPLY_MAX_ATTEMPTS": "1000",
            "MENTIONFLOW_DELIVERY_POLL_S": "0.5",
            "MENTIONFLOW_DELIVERY_BACKOFF_INITIAL_S": "0.5",
            "MENTIONFLOW_DELIVERY_BACKOFF_MAX_S": "5",
            "MENTIONFLOW_TIMER_INTERVAL_S": "1",
        }
        specs = [("ingest", "mentionflow_ingest.main", ingest_env)]
        specs += [(f"classify-{i + 1}", "mentionflow_classify.main", common)
                  for i in range(self.config.classify_replicas)]
        specs += [("routing", "mentionflow_routing.main", common), ("publish", "mentionflow_publish.main", publish_env)]
        for name, module, env in specs:
            self.services[name] = ServiceProcess(name, module, dict(env), self.log_dir)

    def _stop_services(self) -> None:
        for service in self.services.values():
            service.stop(timeout_s=30)

    # ---- what scenarios use -----------------------------------------------------------
    async def at_fraction(self, fraction: float) -> None:
        """Return once `fraction` of the current scenario's mentions were acknowledged."""
        while self._sent[0] < fraction * self._stream_size and not self._feed_done:
            self._progress.clear()
            await self._progress.wait()

    @contextlib.asynccontextmanager
    async def fault_window(self) -> AsyncIterator[None]:
        """Time a component is down (killed → ready again, paused, unreachable): reported as fault_s."""
        started = time.monotonic()
        try:
            yield
        finally:
            self._fault_s += time.monotonic() - started

    def random_fraction(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    async def restart(self, name: str) -> None:
        service = self.services[name]
        service.start()
        await service.wait_ready(self.config.ready_timeout_s)

    def until_scenario_end(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` once the scenario's checks are done (e.g. stop a CPU hog that must
        weigh on the recovery too)."""
        self._scenario_cleanups.append(cleanup)

    async def schedule_posts(self, count: int) -> None:
        """Schedule `count` brand posts (every fourth a thread) due while the scenario's stream
        lasts: publish must post each part once at its time whatever the fault does to it."""
        start = datetime.now(UTC) + timedelta(seconds=1)
        requests = post_requests(DEMO_BRANDS, count, start=start, spread_s=self._stream_s * 0.8)
        for request in requests:
            self._scenario_posts[request.post_id] = list(request.parts)
            self.post_parts[request.post_id] = list(request.parts)
        await send_posts(self.producer, self.kafka, requests)

    def fail(self, reason: str) -> None:
        """A check of the scenario itself failed (it then does not pass)."""
        log.warning("scenario check failed: %s", reason)
        self._scenario_failures.append(reason)

    def replicas(self, base: str) -> list[str]:
        """The running replicas of service `base` ("classify", "routing"), by name."""
        return [name for name, s in self.services.items()
                if (name == base or name.startswith(base + "-")) and s.running()]

    async def scale(self, base: str, count: int) -> None:
        """Scale service `base` to `count` running replicas: extra replicas are started (and
        removed again when scaled down, by SIGTERM), the harness's own ones stopped and left
        for the end-of-fault restart."""
        running = self.replicas(base)
        model = self.services[running[0]] if running else next(
            s for n, s in self.services.items() if n == base or n.startswith(base + "-"))
        while len(running) < count:
            name = f"{base}-scale{len(self.services)}-{self.rng.randrange(10**6)}"
            self.services[name] = ServiceProcess(name, model.module, dict(model.env), self.log_dir)
            self.services[name].start()
            running.append(name)
        await asyncio.gather(*(self.services[n].wait_ready(self.config.ready_timeout_s) for n in running))
        while len(running) > count:
            name = running.pop()  # the last started first: the harness's first replica stays
            await asyncio.to_thread(self.services[name].stop, 30)
            if "-scale" in name:
                del self.services[name]

    # ---- one scenario -----------------------------------------------------------------
    async def run_scenario(self, name: str, fault: Callable[[Harness], Awaitable[None]], *, mentions: int,
                           replies: int, stream_s: float | None = None) -> ScenarioResult:
        assert self.collector is not None
        log.info("scenario %r: %d mentions, %d replies", name, mentions, replies)
        batch = self.source.take(mentions)
        keys = {(m.brand_id, m.external_id) for m in batch}
        self.all_keys |= keys
        self._sent = [0]
        self._stream_size = len(batch)
        self._feed_done = False
        self._fault_s = 0.0
        self._scenario_failures = []
        self._scenario_posts = {}
        self._stream_s = self.config.stream_s if stream_s is None else stream_s
        retries_before = self.collector.stats.retries
        injected = await self._inject_poison(name)

        requested: dict[str, str] = {}
        feed = asyncio.create_task(self._feed(batch), name="chaos-feed")
        reply_feed = asyncio.create_task(self._request_replies(replies, requested), name="chaos-replies")
        try:
            await fault(self)
            await asyncio.gather(feed, reply_feed)
        finally:
            for task in (feed, reply_feed):
                task.cancel()
            await asyncio.gather(feed, reply_feed, return_exceptions=True)
        cleared = time.monotonic()
        for service in self.services.values():
            if not service.running():  # a fault left it down: part of recovery is restarting it
                log.warning("%s is down after the fault; restarting", service.name)
                await self.restart(service.name)

        try:
            converged = await self._wait_converged(keys, requested, self._scenario_posts)
        finally:
            cleanups, self._scenario_cleanups = self._scenario_cleanups, []
            for cleanup in cleanups:
                cleanup()
        recovery = time.monotonic() - cleared if converged else None
        if not converged:
            for service in self.services.values():
                service.dump_tasks()  # where each coroutine waits, into the service's log
        queue = await checks.queue_check(self.dsn, keys)
        assert self.x_state is not None
        replies_check = await checks.reply_check(self.dsn, requested, self.x_state.posts_per_text(),
                                                 self.x_state.duplicate_refusals())
        posts_check = await checks.post_check(self.dsn, self._scenario_posts, self.x_state.posts_per_text())
        dlq = await checks.dlq_check(self.kafka, CONSUMED_TOPICS)
        lag = await checks.group_lag(self.kafka)
        result = ScenarioResult(
            scenario=name, mentions=len(batch), lost=queue.lost, duplicates=queue.duplicates,
            double_replies=replies_check.double_replies, recovery_s=recovery, replies=len(requested),
            replies_lost=replies_check.lost, posts=posts_check.requested, posts_lost=posts_check.lost,
            double_posts=posts_check.double_posts, poison_injected=len(injected),
            poison_in_dlq=len(injected & dlq.poison_found), dlq_duplicates=dlq.duplicates(injected),
            dlq_unexpected=len(dlq.unexpected), lag=lag,
            feed_retries=self.collector.stats.retries - retries_before, fault_s=self._fault_s,
            failures=list(self._scenario_failures),
        )
        result.notes += [f"reply failed: {f}" for f in replies_check.failed[:5]]
        result.notes += [f"post failed: {f}" for f in posts_check.failed[:5]]
        result.notes += [f"unexpected DLQ record: {u}" for u in dlq.unexpected[:5]]
        if not converged:
            result.notes.append(f"did not converge within {self.config.recovery_timeout_s:.0f}s "
                                f"(asyncio task stacks dumped into the service logs under {self.log_dir})")
        log.info("scenario %r: %s", name, json.dumps(result.row()))
        return result

    async def _feed(self, batch: list[Any]) -> None:
        assert self.collector is not None
        try:
            await self.collector.send(batch, progress=self._progress, sent_counter=self._sent,
                                      duration_s=self._stream_s)
        finally:
            self._feed_done = True
            self._progress.set()

    async def _inject_poison(self, scenario: str) -> set[str]:
        """One malformed message per consumed topic, a different kind each scenario."""
        injected = set()
        for topic in CONSUMED_TOPICS:
            entries = corpus(topic)
            entry = entries[self._poison_cursor % len(entries)]
            poison_id = f"{scenario}|{topic}|{entry.name}"
            await send_poison(self.producer, self.kafka, topic, entry.value, poison_id)
            injected.add(poison_id)
        self._poison_cursor += 1
        self.poison_ids |= injected
        return injected

    async def _request_replies(self, count: int, requested: dict[str, str]) -> None:
        """Reply requests spread over the stream, for queue rows that exist (of this run)."""
        chunks = 4
        for chunk in range(chunks):
            await self.at_fraction(chunk / chunks)
            wanted = count // chunks + (1 if chunk < count % chunks else 0)
            rows = []
            deadline = time.monotonic() + self.config.recovery_timeout_s
            while len(rows) < wanted and time.monotonic() < deadline:
                rows = await _retrying(lambda n=wanted: reply_targets(self.dsn, n, exclude=self.answered))
                if len(rows) < wanted:
                    await asyncio.sleep(1.0)
            requests: list[ReplyRequested] = [reply_request(row) for row in rows]
            for request in requests:
                self.answered.add(request.mention_id)
                requested[request.reply_id] = request.text
                self.reply_texts[request.reply_id] = request.text
            await send_replies(self.producer, self.kafka, requests)

    async def _wait_converged(self, keys: set[Key], requested: dict[str, str],
                              posts: dict[str, list[str]]) -> bool:
        deadline = time.monotonic() + self.config.recovery_timeout_s
        while time.monotonic() < deadline:
            try:
                if await self._converged(keys, requested, posts):
                    return True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.info("convergence probe failed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1.0)
        return False

    async def _converged(self, keys: set[Key], requested: dict[str, str], posts: dict[str, list[str]]) -> bool:
        if (await checks.queue_check(self.dsn, keys)).lost:
            return False
        conn = await asyncpg.connect(self.dsn)
        try:
            open_replies = await conn.fetchval(
                "SELECT count(*) FROM unnest($1::text[]) AS r(reply_id) LEFT JOIN reply_outbox o USING (reply_id) "
                "LEFT JOIN publish_reply_state s USING (reply_id) "
                "WHERE o.status IS NULL OR o.status NOT IN ('sent', 'failed') OR s.published_at IS NULL",
                list(requested))
            open_posts = await conn.fetchval(
                "SELECT count(*) FROM unnest($1::text[]) AS p(post_id) LEFT JOIN posts o USING (post_id) "
                "WHERE o.status IS NULL OR o.status NOT IN ('published', 'failed', 'cancelled') "
                "OR o.outcome_published_at IS NULL", list(posts)) if posts else 0
        finally:
            await conn.close()
        if open_replies or open_posts:
            return False
        return all(v == 0 for v in (await checks.group_lag(self.kafka)).values())

    # ---- after the run ------------------------------------------------------------------
    async def final_checks(self) -> dict[str, Any]:
        assert self.x_state is not None
        replies = await checks.reply_check(self.dsn, self.reply_texts, self.x_state.posts_per_text(),
                                           self.x_state.duplicate_refusals())
        posts = await checks.post_check(self.dsn, self.post_parts, self.x_state.posts_per_text())
        queue = await checks.queue_check(self.dsn, self.all_keys)
        dlq = await checks.dlq_check(self.kafka, CONSUMED_TOPICS)
        return {
            "mentions": len(self.all_keys), "lost": queue.lost, "duplicates": queue.duplicates,
            "unexpected_queue_rows": await checks.unexpected_rows(self.dsn, self.all_keys),
            "replies": replies.requested, "replies_lost": replies.lost, "double_replies": replies.double_replies,
            "posts": posts.requested, "post_parts": sum(len(p) for p in self.post_parts.values()),
            "posts_lost": posts.lost, "double_posts": posts.double_posts,
            "posts_on_x": len(self.x_state.replies),  # replies and post parts
            "poison_injected": len(self.poison_ids), "poison_in_dlq": len(self.poison_ids & dlq.poison_found),
            "dlq_records": dlq.records, "dlq_unexpected": dlq.unexpected[:20],
            "raw_redeliveries": await checks.raw_redeliveries(self.kafka),
            "pages_received": len(self.receiver.received), "page_resends": self.receiver.page_resends(),
            "pages_without_dedup_key": self.receiver.pages_without_dedup_key(),
            "lag": await checks.group_lag(self.kafka),
            "services_running": {name: s.running() for name, s in self.services.items()},
        }

    def log_files(self) -> list[Path]:
        return sorted(self.log_dir.glob("*.log"))


async def _retrying(call: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
    """A read of the database that tolerates the PostgreSQL restart scenario."""
    try:
        return await call()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return []
