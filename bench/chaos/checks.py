"""What "nothing lost, nothing duplicated, no reply posted twice" means, measured.

- lost: a mention ingest acknowledged with no queue row (one per brand + platform + external id);
- duplicates: queue rows beyond one per mention, plus rows for mentions never sent;
- double_replies: replies X received more than once (the fake keeps every accepted post and
  refuses a repeated text with 403, so both are counted);
- replies_lost: reply requests not posted (outbox not 'sent', or absent on X);
- double_posts / posts_lost: parts of scheduled brand posts X received more than once / posts
  not published (status not 'published', or a part absent on X);
- lag: per consumer group and topic, end offset minus committed offset (0 when caught up);
- DLQ: every record carries the poison marker header (nothing real was dead-lettered).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from mentionflow.settings import KafkaSettings

from bench.chaos.feed import POISON_HEADER, Key

# Which group consumes which topics (the services' default group ids).
GROUPS: dict[str, tuple[str, ...]] = {
    "mentionflow-classify": ("mentions.raw", "labels.corrected"),
    "mentionflow-routing": ("mentions.classified", "incidents"),
    "mentionflow-publish": ("mentions.routed", "incidents", "escalations", "incidents.actions", "replies.requested",
                            "accounts.snapshots", "posts.requested", "posts.metrics"),
}


@dataclass
class QueueCheck:
    expected: int
    present: int
    lost: int
    duplicates: int


async def queue_check(dsn: str, keys: Iterable[Key]) -> QueueCheck:
    wanted = sorted(set(keys))
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT q.brand_id, q.external_id, count(*) AS n FROM queue_items q "
            "JOIN unnest($1::text[], $2::text[]) AS k(brand_id, external_id) "
            "ON q.brand_id = k.brand_id AND q.external_id = k.external_id AND q.platform = 'x' "
            "GROUP BY 1, 2", [k[0] for k in wanted], [k[1] for k in wanted])
    except asyncpg.UndefinedTableError:
        rows = []
    finally:
        await conn.close()
    present = len(rows)
    return QueueCheck(expected=len(wanted), present=present, lost=len(wanted) - present,
                      duplicates=sum(r["n"] - 1 for r in rows))


async def unexpected_rows(dsn: str, all_keys: set[Key]) -> int:
    """Queue rows for mentions the run never sent (a duplicate under another key)."""
    conn = await asyncpg.connect(dsn)
    try:
        total = await conn.fetchval("SELECT count(*) FROM queue_items")
    finally:
        await conn.close()
    return max(0, total - len(all_keys))


async def _rows_of(dsn: str, sql: str, ids: list[str]) -> list[asyncpg.Record]:
    """The rows of `ids` (none while the service has not created its tables yet)."""
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, ids))
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await conn.close()


@dataclass
class ReplyCheck:
    requested: int
    sent: int
    lost: int
    double_replies: int
    failed: list[str] = field(default_factory=list)


async def reply_check(dsn: str, reply_texts: dict[str, str], posts_per_text: Counter[str],
                      duplicate_refusals: int) -> ReplyCheck:
    """`reply_texts`: reply id → text of the replies requested in the window checked."""
    rows = await _rows_of(dsn, "SELECT reply_id, status, error FROM reply_outbox WHERE reply_id = ANY($1::text[])",
                          list(reply_texts))
    status = {r["reply_id"]: r["status"] for r in rows}
    failed = [f"{r['reply_id']}: {r['error']}" for r in rows if r["status"] == "failed"]
    on_x = sum(1 for text in reply_texts.values() if posts_per_text.get(text, 0) >= 1)
    sent = sum(1 for reply_id in reply_texts if status.get(reply_id) == "sent")
    double = sum(max(0, posts_per_text.get(text, 0) - 1) for text in reply_texts.values())
    return ReplyCheck(requested=len(reply_texts), sent=min(sent, on_x), lost=len(reply_texts) - min(sent, on_x),
                      double_replies=double + duplicate_refusals, failed=failed)


@dataclass
class PostCheck:
    requested: int
    published: int
    lost: int
    double_posts: int
    failed: list[str] = field(default_factory=list)


async def post_check(dsn: str, post_parts: dict[str, list[str]], posts_per_text: Counter[str]) -> PostCheck:
    """`post_parts`: post id → texts of its parts, of the posts scheduled in the window checked."""
    rows = await _rows_of(dsn, "SELECT post_id, status, error FROM posts WHERE post_id = ANY($1::text[])",
                          list(post_parts))
    status = {r["post_id"]: r["status"] for r in rows}
    failed = [f"{r['post_id']}: {r['error']}" for r in rows if r["status"] == "failed"]
    published = sum(1 for post_id, parts in post_parts.items()
                    if status.get(post_id) == "published" and all(posts_per_text.get(t, 0) >= 1 for t in parts))
    double = sum(max(0, posts_per_text.get(text, 0) - 1) for parts in post_parts.values() for text in parts)
    return PostCheck(requested=len(post_parts), published=published, lost=len(post_parts) - published,
                     double_posts=double, failed=failed)


async def end_offsets(kafka: KafkaSettings, topics: Sequence[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None)
    await consumer.start()
    try:
        partitions = []
        for name in topics:
            physical = kafka.physical(name)
            found = consumer.partitions_for_topic(physical)
            if not found:
                await consumer._client.force_metadata_update()  # noqa: SLF001 - a fresh client has no metadata
                found = consumer.partitions_for_topic(physical) or set()
            partitions.extend(TopicPartition(physical, p) for p in found)
        return dict(await consumer.end_offsets(partitions)) if partitions else {}
    finally:
        await consumer.stop()


async def group_lag(kafka: KafkaSettings) -> dict[str, int]:
    """Total lag per group over the topics it consumes (committed offsets vs end offsets)."""
    admin = AIOKafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=10_000)
    await admin.start()
    try:
        lag: dict[str, int] = {}
        for group, topics in GROUPS.items():
            ends = await end_offsets(kafka, topics)
            try:
                committed = await admin.list_consumer_group_offsets(group)
            except KafkaError:
                committed = {}
            total = 0
            for tp, end in ends.items():
                meta = committed.get(tp)
                total += end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
            lag[group] = total
        return lag
    finally:
        await admin.close()


async def read_to_end(kafka: KafkaSettings, topic: str, *, timeout_s: float = 60.0) -> list[object]:
    """Every record of a registry topic, from the beginning to the end offsets of now."""
    ends = await end_offsets(kafka, [topic])
    wanted = {tp: end for tp, end in ends.items() if end > 0}
    if not wanted:
        return []
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    records: list[object] = []
    try:
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        remaining = dict(wanted)
        while remaining and loop.time() < deadline:
            for tp, batch in (await consumer.getmany(*remaining, timeout_ms=500)).items():
                records.extend(batch)
                if batch and batch[-1].offset + 1 >= remaining[tp]:
                    remaining.pop(tp, None)
        return records
    finally:
        await consumer.stop()


@dataclass
class DlqCheck:
    records: int
    poison_found: set[str]
    unexpected: list[str]
    # DLQ records per (poison id, dead-lettering service): a topic with two consumer groups
    # has one copy per group; more is a poison record dead-lettered twice.
    copies: Counter[tuple[str, str]] = field(default_factory=Counter)

    def duplicates(self, poison_ids: set[str]) -> int:
        return sum(n - 1 for (poison_id, _), n in self.copies.items() if poison_id in poison_ids and n > 1)


async def dlq_check(kafka: KafkaSettings, topics: Sequence[str]) -> DlqCheck:
    found: set[str] = set()
    unexpected: list[str] = []
    copies: Counter[tuple[str, str]] = Counter()
    total = 0
    for topic in topics:
        for record in await read_to_end(kafka, topic + ".dlq"):
            total += 1
            headers = dict(record.headers or ())  # type: ignore[attr-defined]
            marker = headers.get(POISON_HEADER)
            if marker is None:
                unexpected.append(f"{topic}: {headers.get('dlq.error.class', b'?').decode()}: "
                                  f"{headers.get('dlq.error.message', b'').decode()[:200]}")
            else:
                found.add(marker.decode())
                copies[marker.decode(), headers.get("dlq.service", b"?").decode()] += 1
    return DlqCheck(records=total, poison_found=found, unexpected=unexpected, copies=copies)


async def raw_redeliveries(kafka: KafkaSettings) -> int:
    """mentions.raw events beyond one per mention id: at-least-once transport at work (crash
    between produce and record); the queue absorbs them. Reported, not a failure."""
    import orjson

    ids: Counter[str] = Counter()
    for record in await read_to_end(kafka, "mentions.raw", timeout_s=120):
        try:
            ids[orjson.loads(record.value)["correlation_id"]] += 1  # type: ignore[attr-defined]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue  # injected poison
    return sum(n - 1 for n in ids.values())
