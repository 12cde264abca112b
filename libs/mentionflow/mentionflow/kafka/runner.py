"""The one consumer loop every service uses.

Contract, in the order things happen for one partition:

1. fetch: `getmany` fills a per-partition backlog; a partition whose backlog passes
   `max_batch * 2` is paused (backpressure), so memory is bounded whatever the handler's pace.
2. decode: each record is decoded against its topic's model; a record that cannot be decoded
   is a poison message and is routed to `<topic>.dlq` with its original bytes and headers.
3. handle: the service's handler gets the decoded batch (partition order kept, one batch per
   partition at a time) and returns outputs plus the messages it rejects as invalid.
4. produce: outputs and DLQ records are sent and awaited (acks=all, idempotent producer).
5. commit: only then is the offset after the batch committed.

Transient failures (broker, database, network) retry steps 3–4 with backoff and never commit
past the batch. An unexpected exception is retried a few times, then the batch is handled one
message at a time so that only the message that keeps failing goes to the DLQ. A DLQ limit
(consecutive or ratio, per partition, each message counted once with its final fate) stops the
runner instead of dead-lettering all traffic after a bad
deploy. On rebalance, revoked partitions finish their batch and commit before the hand-over.
`stop()` (from a signal handler) stops fetching; in-flight batches finish and commit.

Rebalances (see `mentionflow.kafka.rebalance` for what the pinned aiokafka supports):
- the rebalance callbacks stay short. Preparing a newly assigned partition (the dead-letter
  index below, then the service's `restore` of its per-partition state) runs as a task
  *after* the callback returned, with that partition paused; it is resumed once ready, and
  the other partitions keep flowing meanwhile. A revoke cancels the preparation.
- each poison record is dead-lettered once, also across rebalances and restarts: its DLQ
  record goes to the DLQ partition `source partition mod DLQ partitions` and carries its
  source coordinates in headers; preparing a partition reads the tail of that DLQ partition
  for records of this service at or past the committed offset, and those are not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from mentionflow.events import DecodeError, decode, encode, encode_extending, key_for
from mentionflow.events.envelope import Envelope, EventModel
from mentionflow.events.topics import DLQ_SUFFIX
from mentionflow.kafka.rebalance import DeadLetterIndex, assignment_strategies
from mentionflow.kafka.sending import BatchSender
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings, RunnerSettings

log = logging.getLogger(__name__)

# How many times an unexpected (non-transient) exception is retried before the batch is split.
UNEXPECTED_ERROR_ATTEMPTS = 3


class TransientError(Exception):
    """Raise from a handler for a failure worth retrying (a dependency is down)."""


class DlqLimitExceeded(RuntimeError):
    """Too many poison messages: the runner stops rather than dead-letter everything."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | KafkaError | OSError | TimeoutError | ConnectionError):
        return True
    # asyncpg is optional for a consumer; its connection-level errors are transient.
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.InternalClientError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.AdminShutdownError,
    )


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int
    envelope: Envelope[Any]


@dataclass(frozen=True, slots=True)
class Output:
    """One event to produce; the key defaults to the registry's key for the topic. An event
    built from the message it answers (`Output.extending`) comes encoded, with its key."""

    topic: str  # registry (logical) name; the runner applies the settings' topic prefix
    envelope: Envelope[Any] | None
    key: bytes | None = None
    value: bytes | None = None

    @classmethod
    def extending(cls, topic: str, source_topic: str, message: IncomingMessage, added: Mapping[str, EventModel],
                  *, brand_id: str, correlation_id: str, occurred_at: datetime) -> Output:
        """`topic`'s event made of `message` (of `source_topic`, both registry names) and `added`:
        see `mentionflow.events.encode_extending`."""
        assert message.value is not None  # decoded, so it has a value
        key, value = encode_extending(topic, source_topic, message.value, added, brand_id=brand_id,
                                      correlation_id=correlation_id, occurred_at=occurred_at)
        return cls(topic, None, key, value)

    def record(self) -> tuple[bytes, bytes]:
        """The key and value to produce."""
        if self.value is not None:
            assert self.key is not None, "an encoded Output comes with its key"
            return self.key, self.value
        assert self.envelope is not None, "an Output has an envelope, or its key and value"
        return (self.key if self.key is not None else key_for(self.topic, self.envelope)), encode(self.envelope)


@dataclass(slots=True)
class BatchResult:
    outputs: list[Output] = field(default_factory=list)
    # Messages the handler finds invalid (beyond schema), with the reason: they go to the DLQ.
    rejected: list[tuple[IncomingMessage, str]] = field(default_factory=list)


class Handler(Protocol):
    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        """Process a batch of one partition, in offset order. Must be idempotent: a batch is
        redelivered after a crash or a failed commit. Raise TransientError to retry."""
        ...


PartitionCallback = Callable[[set[TopicPartition]], Awaitable[None]]
# Restores per-partition state, given each assigned partition's committed offset (0: none).
RestoreCallback = Callable[[dict[TopicPartition, int]], Awaitable[None]]


class _Listener(ConsumerRebalanceListener):
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.runner._on_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.runner._on_assigned(set(assigned))


@dataclass
class _DlqGuard:
    """Counts poison messages of one partition; trips on a run of them or on too high a share
    of its traffic.

    Called once per consumed record, once its fate is known (handled, or dead-lettered for
    whatever reason), so it keeps a running count of the poison messages in the window instead
    of summing the window each time (O(1) per record)."""

    max_consecutive: int
    max_ratio: float
    window: int
    consecutive: int = 0
    recent: deque[bool] = field(default_factory=deque)
    poison_in_window: int = 0

    def record(self, poison: bool) -> None:
        recent = self.recent
        recent.append(poison)
        if len(recent) > self.window:
            self.poison_in_window -= recent.popleft()
        if poison:
            self.consecutive += 1
            self.poison_in_window += 1
            if self.consecutive > self.max_consecutive:
                raise DlqLimitExceeded(
                    f"{self.consecutive} poison messages in a row (limit {self.max_consecutive})"
                )
        else:
            self.consecutive = 0
        self._check_ratio()

    def record_batch(self, offsets: Sequence[int], poison: set[int]) -> None:
        """Record a batch's records in offset order: those in `poison` were dead-lettered."""
        for offset in offsets:
            self.record(offset in poison)

    def _check_ratio(self) -> None:
        recent = self.recent
        if len(recent) >= self.window:
            ratio = self.poison_in_window / len(recent)
            if ratio > self.max_ratio:
                raise DlqLimitExceeded(
                    f"{ratio:.0%} of the last {len(recent)} messages were poison "
                    f"(limit {self.max_ratio:.0%})"
                )


class Runner:
    """Consume `topics` as consumer group `group_id`, hand batches to `handler`.

    The producer is shared with the service (it may produce from elsewhere too); the runner
    starts and stops only the consumer. `run()` returns after `stop()` once in-flight work is
    committed, and raises DlqLimitExceeded when the DLQ limit trips.
    """

    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        topics: Sequence[str],
        handler: Handler,
        producer: AIOKafkaProducer,
        kafka: KafkaSettings,
        settings: RunnerSettings,
        on_assigned: PartitionCallback | None = None,
        on_revoked: PartitionCallback | None = None,
        restore: RestoreCallback | None = None,
        client_id: str | None = None,
    ) -> None:
        self.service = service
        self.kafka = kafka
        self.topics = list(topics)  # registry (logical) names
        self.handler = handler
        self.producer = producer
        self.settings = settings
        self._on_assigned_cb = on_assigned
        self._on_revoked_cb = on_revoked
        self._restore_cb = restore
        self.consumer = AIOKafkaConsumer(
            **kafka.client_kwargs(),
            group_id=group_id,
            client_id=client_id or f"{kafka.client_id_prefix}-{service}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_min_bytes=settings.fetch_min_bytes,
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            partition_assignment_strategy=assignment_strategies(),
            group_instance_id=settings.group_instance_id,
        )
        self._backlog: dict[TopicPartition, deque[Any]] = {}
        self._workers: dict[TopicPartition, asyncio.Task[None]] = {}
        self._wakeups: dict[TopicPartition, asyncio.Event] = {}
        self._revoking: set[TopicPartition] = set()
        # Partitions whose preparation (dead-letter index, state restore) has not finished yet:
        # they are paused, and records fetched before the pause wait in their backlog.
        self._initialised: dict[TopicPartition, asyncio.Event] = {}
        self._preparing: dict[TopicPartition, asyncio.Task[None]] = {}
        self._paused: set[TopicPartition] = set()  # by backpressure
        self._dead_letters = DeadLetterIndex(service, kafka)
        self._stopping = asyncio.Event()
        self._fatal: BaseException | None = None
        self._guards: dict[TopicPartition, _DlqGuard] = {}
        self._commit_lock = asyncio.Lock()
        self.started = asyncio.Event()
        self.assigned: set[TopicPartition] = set()
        # Series exist from the start (at zero), so rate() and alerts see them before traffic.
        for name in self.topics:
            m.RUNNER_CONSUMED.labels(service, kafka.physical(name))
            m.RUNNER_RETRIES.labels(service, kafka.physical(name))
        m.RUNNER_COMMIT_FAILURES.labels(service)
        m.RUNNER_PAUSED.labels(service).set(0)
        m.RUNNER_INFLIGHT.labels(service).set(0)

    # ---- lifecycle -------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the runner to finish: no more fetching; in-flight batches complete and commit."""
        self._stopping.set()
        for event in self._wakeups.values():
            event.set()

    async def run(self) -> None:
        self.consumer.subscribe([self.kafka.physical(t) for t in self.topics], listener=_Listener(self))
        try:  # a consumer that fails to start is closed too
            await self.consumer.start()
            self.started.set()
            log.info("%s consuming %s", self.service, ", ".join(self.topics))
            await self._fetch_loop()
        finally:
            await self._drain()
            with contextlib.suppress(Exception):
                await self.consumer.stop()
            m.RUNNER_PAUSED.labels(self.service).set(0)
        if self._fatal is not None:
            raise self._fatal

    async def _fetch_loop(self) -> None:
        while not self._stopping.is_set() and self._fatal is None:
            fetch = asyncio.ensure_future(
                self.consumer.getmany(timeout_ms=self.settings.fetch_timeout_ms,
                                      max_records=self.settings.max_batch * 4)
            )
            stop = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                stop.cancel()
                break
            stop.cancel()
            for tp, records in fetch.result().items():
                if tp in self._revoking or tp not in self.assigned:
                    continue  # records of a partition being handed over are re-fetched by its new owner
                self._backlog.setdefault(tp, deque()).extend(records)
                self._ensure_worker(tp)
                self._apply_backpressure(tp)

    async def _drain(self) -> None:
        """Let every worker finish its current batch (bounded by the shutdown timeout)."""
        preparing = set(self._preparing.values())
        for task in preparing:
            task.cancel()
        await asyncio.gather(*preparing, return_exceptions=True)
        self._preparing.clear()
        for event in self._wakeups.values():
            event.set()
        workers = list(self._workers.values())
        if workers:
            done, pending = await asyncio.wait(workers, timeout=self.settings.shutdown_timeout_s * 0.8)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("%s: %d partition workers did not finish in time", self.service, len(pending))
                await asyncio.gather(*pending, return_exceptions=True)

    # ---- rebalancing -----------------------------------------------------------------
    async def _on_assigned(self, assigned: set[TopicPartition]) -> None:
        """Short on purpose: a long rebalance callback stalls the whole group's join (the
        livelock of issue 16). Preparation runs in `_prepare`, the partitions paused."""
        m.RUNNER_REBALANCES.labels(self.service, "assigned").inc()
        for tp in assigned:
            self._initialised[tp] = asyncio.Event()
        self.assigned |= assigned
        self._revoking -= assigned
        log.info("%s assigned %s", self.service, _fmt(assigned))
        if not assigned:
            return
        with contextlib.suppress(IllegalStateError):
            self.consumer.pause(*assigned)
        if self._on_assigned_cb is not None:
            await self._on_assigned_cb(assigned)
        task = asyncio.create_task(self._prepare(assigned), name=f"{self.service}:prepare")
        for tp in assigned:
            self._preparing[tp] = task

    async def _prepare(self, assigned: set[TopicPartition]) -> None:
        """Load the dead-letter index, restore the service's state, then let the partitions flow.
        A failure leaves the state degraded (logged), never the partitions stuck."""
        started = time.perf_counter()
        try:
            committed = {tp: await self._committed_offset(tp) for tp in assigned}
            await self._dead_letters.load(self.producer, committed)
            if self._restore_cb is not None:
                await self._restore_cb(committed)
            log.info("%s prepared %s in %.2fs", self.service, _fmt(assigned), time.perf_counter() - started)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s could not prepare %s; continuing without restored state", self.service,
                          _fmt(assigned))
        finally:
            for tp in assigned:
                if self._preparing.get(tp) is asyncio.current_task():
                    del self._preparing[tp]
                    self._initialised[tp].set()
                    if tp in self.assigned and tp not in self._paused:
                        with contextlib.suppress(IllegalStateError):
                            self.consumer.resume(tp)

    async def _committed_offset(self, tp: TopicPartition) -> int:
        offset = await self.consumer.committed(tp)
        return offset if offset is not None and offset >= 0 else 0

    async def _on_revoked(self, revoked: set[TopicPartition]) -> None:
        """Finish and commit the current batch of each revoked partition before the hand-over."""
        m.RUNNER_REBALANCES.labels(self.service, "revoked").inc()
        self._revoking |= revoked
        preparing = {self._preparing.pop(tp) for tp in revoked if tp in self._preparing}
        for task in preparing:
            task.cancel()
        workers = [self._workers[tp] for tp in revoked if tp in self._workers]
        for tp in revoked:
            if tp in self._wakeups:
                self._wakeups[tp].set()
            if tp in self._initialised:
                self._initialised[tp].set()  # a worker waiting for preparation sees the revoke
        if workers:
            await asyncio.wait(workers, timeout=self.settings.shutdown_timeout_s)
        for tp in revoked:
            self._backlog.pop(tp, None)
            self._initialised.pop(tp, None)
            self._guards.pop(tp, None)
            self._paused.discard(tp)
            self._dead_letters.forget(tp)
            with contextlib.suppress(KeyError):
                m.RUNNER_LAG.remove(self.service, tp.topic, str(tp.partition))
        self.assigned -= revoked
        log.info("%s revoked %s", self.service, _fmt(revoked))
        if self._on_revoked_cb is not None:
            await self._on_revoked_cb(revoked)

    # ---- per-partition work ----------------------------------------------------------
    def _ensure_worker(self, tp: TopicPartition) -> None:
        event = self._wakeups.setdefault(tp, asyncio.Event())
        event.set()
        worker = self._workers.get(tp)
        if worker is None or worker.done():
            self._workers[tp] = asyncio.create_task(self._work(tp), name=f"{self.service}:{tp.topic}:{tp.partition}")

    def _apply_backpressure(self, tp: TopicPartition) -> None:
        backlog = len(self._backlog.get(tp, ()))
        limit = self.settings.max_batch * 2
        try:
            if backlog > limit and tp not in self._paused:
                self.consumer.pause(tp)
                self._paused.add(tp)
            elif backlog <= limit and tp in self._paused:
                if tp not in self._preparing:  # its preparation resumes it when done
                    self.consumer.resume(tp)
                self._paused.discard(tp)
        except IllegalStateError:  # partition no longer assigned
            self._paused.discard(tp)
        m.RUNNER_PAUSED.labels(self.service).set(len(self._paused))

    async def _work(self, tp: TopicPartition) -> None:
        wakeup = self._wakeups[tp]
        try:
            while True:
                backlog = self._backlog.get(tp)
                if not backlog:
                    if self._stopping.is_set() or tp in self._revoking:
                        return
                    wakeup.clear()
                    await wakeup.wait()
                    continue
                if self._stopping.is_set() or tp in self._revoking:
                    return  # uncommitted backlog is re-fetched by whoever owns the partition next
                initialised = self._initialised.get(tp)
                if initialised is not None and not initialised.is_set():
                    await initialised.wait()
                    continue
                batch = [backlog.popleft() for _ in range(min(len(backlog), self.settings.max_batch))]
                self._apply_backpressure(tp)
                m.RUNNER_INFLIGHT.labels(self.service).inc()
                try:
                    await self._process(tp, batch)
                finally:
                    m.RUNNER_INFLIGHT.labels(self.service).dec()
        except DlqLimitExceeded as exc:
            log.error("%s stopping: %s", self.service, exc)
            self._fatal = exc
            self.stop()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the runner itself: stop rather than skip
            log.exception("%s worker for %s crashed", self.service, tp)
            self._fatal = exc
            self.stop()

    def _guard(self, tp: TopicPartition) -> _DlqGuard:
        guard = self._guards.get(tp)
        if guard is None:
            settings = self.settings
            guard = self._guards[tp] = _DlqGuard(settings.dlq_max_consecutive, settings.dlq_max_ratio,
                                                 settings.dlq_ratio_window)
        return guard

    async def _process(self, tp: TopicPartition, records: list[Any]) -> None:
        """decode → handle → DLQ-guard → produce → commit. A batch abandoned because the
        runner is stopping is left uncommitted (redelivered to the partition's next owner)."""
        started = time.perf_counter()
        good: list[IncomingMessage] = []
        poison: list[tuple[Any, BaseException, int]] = []
        logical = self.kafka.logical(tp.topic)  # one partition's batch: one topic
        for record in records:
            try:
                envelope = decode(logical, record.value)
            except DecodeError as exc:
                poison.append((record, exc, 1))
                continue
            good.append(
                IncomingMessage(record.topic, record.partition, record.offset, record.key, record.value,
                                tuple(record.headers or ()), record.timestamp, envelope)
            )
        m.RUNNER_CONSUMED.labels(self.service, tp.topic).inc(len(records))

        result = await self._handle_with_retries(tp, good, poison)
        if result is None:
            return
        poison += [(message, ValueError(reason), 1) for message, reason in result.rejected]
        # each record counted once, with its final fate (raises DlqLimitExceeded: nothing committed)
        self._guard(tp).record_batch([r.offset for r in records], {r.offset for r, _, _ in poison})
        if not await self._publish(tp, result.outputs, poison):
            return
        await self._commit(tp, records[-1].offset + 1)
        m.RUNNER_PROCESSING_SECONDS.labels(self.service, tp.topic).observe(time.perf_counter() - started)

    async def _handle_with_retries(
        self, tp: TopicPartition, good: list[IncomingMessage], poison: list[tuple[Any, BaseException, int]]
    ) -> BatchResult | None:
        """The handler's result for the batch; transient failures retried with backoff, an
        unexpected one a few times before the batch is handled one message at a time (failures
        appended to `poison`). None: abandoned because the runner is stopping."""
        if not good:
            return BatchResult()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self.handler.handle(good)
            except Exception as exc:
                if self._stopping.is_set() and attempt > 1:
                    log.info("%s: stopping; batch at %s offset %d left uncommitted", self.service, tp,
                             good[0].offset)
                    return None
                if not is_transient(exc) and attempt >= UNEXPECTED_ERROR_ATTEMPTS:
                    log.exception("%s: batch at %s offset %d keeps failing; isolating messages",
                                  self.service, tp, good[0].offset)
                    break
                await self._backoff(tp, attempt, exc)
        return await self._handle_one_by_one(tp, good, poison)

    async def _handle_one_by_one(
        self, tp: TopicPartition, good: list[IncomingMessage], poison: list[tuple[Any, BaseException, int]]
    ) -> BatchResult | None:
        """Each message alone: one that keeps failing unexpectedly joins `poison`; a transient
        failure (a dependency went down meanwhile) is retried with backoff like any other, and
        does not count against the message. None: abandoned because the runner is stopping."""
        merged = BatchResult()
        for message in good:
            failures = 0
            retries = 0
            while True:
                try:
                    result = await self.handler.handle([message])
                except Exception as exc:
                    if is_transient(exc):
                        retries += 1
                        await self._backoff(tp, retries, exc)
                        if self._stopping.is_set():
                            return None
                        continue
                    failures += 1
                    if failures < UNEXPECTED_ERROR_ATTEMPTS:
                        continue
                    poison.append((message, exc, failures))
                    break
                merged.outputs.extend(result.outputs)
                merged.rejected.extend(result.rejected)
                break
        return merged

    async def _backoff(self, tp: TopicPartition, attempt: int, exc: BaseException) -> None:
        m.RUNNER_RETRIES.labels(self.service, tp.topic).inc()
        delay = min(self.settings.retry_max_s, self.settings.retry_initial_s * 2 ** (attempt - 1))
        log.warning("%s: retrying %s in %.1fs after %s: %s", self.service, tp, delay, type(exc).__name__, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _publish(
        self, tp: TopicPartition, outputs: Sequence[Output], poison: list[tuple[Any, BaseException, int]]
    ) -> bool:
        """Send outputs and DLQ records, and wait for every acknowledgement (retrying). False:
        abandoned because the runner is stopping (nothing may be committed)."""
        # Encoded once: a retry re-sends the same bytes.
        records = [(self.kafka.physical(out.topic), *out.record()) for out in outputs]
        # Dead-lettered once: not those already in the DLQ (an earlier owner's, or an earlier
        # attempt of this one whose acknowledgement arrived).
        poison = [entry for entry in poison if not self._dead_letters.contains(tp, entry[0].offset)]
        attempt = 0
        while True:
            attempt += 1
            dlq_sends: list[tuple[int, asyncio.Future[Any]]] = []
            try:
                # A sender per call: partitions are handled concurrently and a sender's open
                # batches and futures belong to one caller.
                futures = await BatchSender(self.producer).send_all(records)
                for record, exc, attempts in poison:
                    if not self._dead_letters.contains(tp, record.offset):
                        dlq_sends.append((record.offset, await self._send_dlq(record, exc, attempts)))
                await asyncio.gather(*futures, *(future for _, future in dlq_sends))
                break
            except KafkaError as exc:
                # An idempotent producer dedups its own retries; a re-send after a failed
                # batch can duplicate outputs, which downstream idempotent sinks absorb.
                await self._backoff(tp, attempt, exc)
                if self._stopping.is_set():
                    log.info("%s: stopping; outputs of %s left unacknowledged and uncommitted", self.service, tp)
                    return False
            finally:
                for offset, future in dlq_sends:
                    if future.done() and not future.cancelled() and future.exception() is None:
                        self._dead_letters.add(tp, offset)
        for topic_name, count in Counter(out.topic for out in outputs).items():
            m.RUNNER_PRODUCED.labels(self.service, topic_name).inc(count)
        for record, failure, _ in poison:
            error = type(failure).__name__ if not isinstance(failure, DecodeError) else f"DecodeError.{failure.kind}"
            m.RUNNER_DLQ.labels(self.service, record.topic, error).inc()
            log.warning("%s: dead-lettered %s[%d]@%d: %s: %s", self.service, record.topic,
                        record.partition, record.offset, type(failure).__name__, failure)
        return True

    async def _send_dlq(self, record: Any, exc: BaseException, attempts: int) -> asyncio.Future[Any]:
        error_class = f"DecodeError.{exc.kind}" if isinstance(exc, DecodeError) else type(exc).__name__
        headers = list(record.headers or ()) + [
            ("dlq.error.class", error_class.encode()),
            ("dlq.error.message", str(exc)[:4000].encode("utf-8", "replace")),
            ("dlq.source.topic", record.topic.encode()),
            ("dlq.source.partition", str(record.partition).encode()),
            ("dlq.source.offset", str(record.offset).encode()),
            ("dlq.service", self.service.encode()),
            ("dlq.attempts", str(attempts).encode()),
        ]
        dlq_topic = record.topic + DLQ_SUFFIX
        partition = await self._dead_letters.dlq_partition(self.producer, dlq_topic, record.partition)
        return await self.producer.send(dlq_topic, record.value, key=record.key, headers=headers,
                                        partition=partition)

    async def _commit(self, tp: TopicPartition, next_offset: int) -> None:
        try:
            async with self._commit_lock:
                await self.consumer.commit({tp: next_offset})
        except (CommitFailedError, IllegalStateError) as exc:
            # The group moved on (rebalance): the batch is redelivered to the new owner,
            # whose idempotent handling absorbs it.
            m.RUNNER_COMMIT_FAILURES.labels(self.service).inc()
            log.warning("%s: commit of %s@%d failed: %s", self.service, tp, next_offset, exc)
            return
        self._dead_letters.committed(tp, next_offset)
        highwater = self.consumer.highwater(tp)
        if highwater is not None:
            m.RUNNER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(max(0, highwater - next_offset))


def _fmt(partitions: set[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions)) or "nothing"
