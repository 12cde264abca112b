"""What the harness sends in: generated mentions through ingest's HTTP API (as a collector
would, retrying until acknowledged), reply requests for queue rows, scheduled brand posts and
threads, and marked poison."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from mentionflow.events import encode, key_for, make_envelope
from mentionflow.events.mentions_raw import Mention
from mentionflow.events.posts_requested import PostRequested
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.settings import KafkaSettings
from mentionflow_tools.generate import DEMO_BRANDS, BrandProfile, TrafficGenerator

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (brand_id, external_id): one queue row each
POISON_HEADER = "chaos.poison"


def collector_item(mention: Mention) -> dict[str, Any]:
    """A generated mention as a POST /v1/mentions item addressed to its brand's account."""
    author = mention.author
    return {
        "external_id": mention.external_id,
        "text": mention.text,
        "author": {"id": author.id, "handle": author.handle, "name": author.name,
                   "followers": author.followers, "verified": author.verified},
        "mentioned_handles": [mention.account_handle],
        "created_at": mention.created_at.isoformat(),
        "lang": mention.lang,
        "conversation_id": mention.conversation_id,
        "in_reply_to": mention.in_reply_to,
        "url": mention.url,
    }


class MentionSource:
    """Deterministic generated mentions, handed out in chunks (one per scenario)."""

    def __init__(self, seed: int) -> None:
        start = datetime.now(UTC) - timedelta(hours=2)
        self._generator = TrafficGenerator(DEMO_BRANDS, seed=seed, start=start, rate_per_s=20.0)

    def take(self, count: int) -> list[Mention]:
        return list(self._generator.mentions(count))


@dataclass
class FeedStats:
    sent: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)


class CollectorClient:
    """POSTs batches to ingest and retries each batch until ingest acknowledges it (2xx).

    A retry after a crash or a 503 is safe: ingest deduplicates on (platform, external id,
    brand). A 4xx other than 429 is a harness bug and stops the run."""

    def __init__(self, base_url: str, api_key: str, *, batch_size: int = 100, concurrency: int = 2) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.stats = FeedStats()

    async def send(self, mentions: Sequence[Mention], *, progress: asyncio.Event | None = None,
                   sent_counter: list[int] | None = None, duration_s: float = 0.0) -> None:
        """Send every mention; with `duration_s`, paced so the stream lasts about that long
        (faults then hit a pipeline that is busy, not one that has already finished)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        rate = len(mentions) / duration_s if duration_s > 0 else 0.0
        handed_out = [0]
        batches = [mentions[i:i + self.batch_size] for i in range(0, len(mentions), self.batch_size)]
        queue: asyncio.Queue[Sequence[Mention]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)
        async with httpx.AsyncClient(timeout=60.0) as client:
            async def worker() -> None:
                while not queue.empty():
                    batch = queue.get_nowait()
                    if rate:
                        due = started + handed_out[0] / rate
                        handed_out[0] += len(batch)
                        await asyncio.sleep(max(0.0, due - loop.time()))
                    await self._post_until_acknowledged(client, batch)
                    self.stats.sent += len(batch)
                    if sent_counter is not None:
                        sent_counter[0] += len(batch)
                    if progress is not None:
                        progress.set()

            await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    async def _post_until_acknowledged(self, client: httpx.AsyncClient, batch: Sequence[Mention]) -> None:
        body = [collector_item(m) for m in batch]
        delay = 0.2
        while True:
            try:
                response = await client.post(f"{self.base_url}/v1/mentions", json=body,
                                             headers={"X-API-Key": self.api_key})
                if response.status_code < 300:
                    return
                if response.status_code not in (429, 500, 502, 503, 504):
                    raise RuntimeError(f"ingest refused a generated batch: {response.status_code} "
                                       f"{response.text[:500]}")
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:  # ingest down (killed) or restarting
                reason = f"{type(exc).__name__}"
            self.stats.retries += 1
            if len(self.stats.errors) < 20:
                self.stats.errors.append(reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def reply_targets(dsn: str, count: int, *, exclude: set[str]) -> list[asyncpg.Record]:
    """Queue rows to answer: random ones not answered yet by this run."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT brand_id, external_id, mention_id, mention->>'account_handle' AS account_handle, "
            "author_handle FROM queue_items WHERE NOT (mention_id = ANY($1::text[])) "
            "ORDER BY random() LIMIT $2", sorted(exclude), count)
    finally:
        await conn.close()
    return list(rows)


def reply_request(row: asyncpg.Record) -> ReplyRequested:
    reply_id = str(uuid.uuid4())
    # The text is unique per reply: X (and the fake) refuse the same text twice in a thread,
    # and the call log is counted per text.
    return ReplyRequested(
        reply_id=reply_id, brand_id=row["brand_id"], account_handle=row["account_handle"],
        in_reply_to_external_id=row["external_id"], mention_id=row["mention_id"],
        text=f"@{row['author_handle']} thanks for reaching out, we are on it (ref {reply_id[:13]})",
        requested_by="chaos-harness")


async def send_replies(producer: AIOKafkaProducer, kafka: KafkaSettings, requests: Sequence[ReplyRequested],
                       *, spread_s: float = 0.0) -> None:
    """Produce reply requests (acks=all), optionally spread evenly over `spread_s` seconds."""
    pause = spread_s / max(1, len(requests))
    for request in requests:
        envelope = make_envelope("replies.requested", request, brand_id=request.brand_id,
                                 correlation_id=request.mention_id)
        await producer.send_and_wait(kafka.physical("replies.requested"), encode(envelope),
                                     key=key_for("replies.requested", envelope))
        if pause:
            await asyncio.sleep(pause)


THREAD_EVERY = 4  # every fourth scheduled post is a thread
THREAD_PARTS = 3


def post_requests(brands: Sequence[BrandProfile], count: int, *, start: datetime,
                  spread_s: float) -> list[PostRequested]:
    """`count` posts from the brands' own accounts, due evenly from `start` over `spread_s`
    seconds, every fourth a thread. Each part's text is unique: the fake X is counted per text."""
    requests = []
    for index in range(count):
        brand = brands[index % len(brands)]
        post_id = str(uuid.uuid4())
        size = THREAD_PARTS if index % THREAD_EVERY == 0 else 1
        parts = [f"{brand.display_name}: news of the day, part {k + 1}/{size} (ref {post_id[:13]})"
                 for k in range(size)]
        requests.append(PostRequested(
            post_id=post_id, brand_id=brand.brand_id, account_handle=brand.handle, parts=parts,
            scheduled_for=start + timedelta(seconds=spread_s * index / max(1, count)),
            requested_by="chaos-harness", approved_by="chaos-lead"))
    return requests


async def send_posts(producer: AIOKafkaProducer, kafka: KafkaSettings, requests: Sequence[PostRequested]) -> None:
    for request in requests:
        envelope = make_envelope("posts.requested", request, brand_id=request.brand_id,
                                 correlation_id=request.post_id)
        await producer.send_and_wait(kafka.physical("posts.requested"), encode(envelope),
                                     key=key_for("posts.requested", envelope))


async def send_poison(producer: AIOKafkaProducer, kafka: KafkaSettings, topic: str, value: bytes | None,
                      poison_id: str) -> None:
    """One malformed message, marked with a header so the DLQ check can tell it from a real loss."""
    await producer.send_and_wait(kafka.physical(topic), value, key=b"poison",
                                 headers=[(POISON_HEADER, poison_id.encode())])
