"""Queue rows, incidents and users for console tests, written with SQL the way publish would
(the console must not depend on publish running), and `publish_applies`: what publish does with
the console's requests, with publish's own code."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from mentionflow.accounts import store
from mentionflow.db import migrate_all as migrate_sets
from mentionflow.events import decode
from mentionflow.events.mentions_classified import Classification
from mentionflow.events.mentions_raw import Author, Mention, mention_id
from mentionflow.events.mentions_routed import RoutingDecision
from mentionflow.queue.domain import PIPELINE_STATUSES
from mentionflow.settings import KafkaSettings
from mentionflow_console.main import MIGRATIONS as CONSOLE_MIGRATIONS
from mentionflow_publish import reply_store
from mentionflow_publish.channels import ChannelDirectory
from mentionflow_publish.escalation_store import apply_incident_action
from mentionflow_publish.main import MIGRATIONS as PUBLISH_MIGRATIONS
from mentionflow_publish.settings import PublishSettings

from tests.helpers import end_offsets, read_all

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


async def migrate_publish_schema(pool: asyncpg.Pool) -> None:
    """The tables publish owns and the console reads (publish applies them when it starts)."""
    await migrate_sets(pool, PUBLISH_MIGRATIONS)


async def migrate_all(pool: asyncpg.Pool) -> None:
    await migrate_publish_schema(pool)
    await migrate_sets(pool, CONSOLE_MIGRATIONS)


async def insert_item(pool: asyncpg.Pool, *, brand: str, priority: str = "P3", sla_in: timedelta = timedelta(hours=1),
                      text: str | None = None, status: str = "new", assignee: str | None = None,
                      category: str = "question", language: str = "en", queue_name: str | None = None,
                      conversation_id: str | None = None, incident_id: str | None = None,
                      followers: int = 120, verified: bool = False, handle: str | None = None,
                      author_name: str | None = None, url: str | None = None) -> uuid.UUID:
    """A queue row; `handle`, `author_name` and `url` as stored, unchecked (the row may be old or hostile)."""
    n = next(_counter)
    now = datetime.now(UTC)
    external_id = str(10**17 + n)
    mention = Mention(
        id=mention_id("x", external_id, brand), external_id=external_id, brand_id=brand,
        account_handle=f"{brand.title()}Help", text=text or f"@{brand} question number {n}?", lang=language,
        author=Author(id=str(n), handle=handle or f"user{n}", name=author_name or f"User {n}", followers=followers,
                      verified=verified),
        created_at=now, received_at=now, source="generator", conversation_id=conversation_id)
    classification = Classification(
        category=category, sentiment="negative", sentiment_score=-0.4, is_question=True, severity=0.4,
        confidence=0.8, language=language, reasons=["question:how do i", "lexicon:broken(-)"],
        model_version="test-1", incident_id=incident_id)
    decision = RoutingDecision(
        queue=queue_name or f"{brand}-care", team=f"{brand}-team", priority=priority, sla_due_at=now + sla_in,
        rule_id=f"{brand}/questions", explanation=[f"rule {brand}/questions matched", "category=question"],
        decided_at=now)
    item_id = await pool.fetchval(
        "INSERT INTO queue_items (brand_id, platform, external_id, mention_id, queue, team, priority, sla_due_at, "
        "status, category, sentiment, severity, language, incident_id, author_handle, author_followers, "
        "author_verified, text, conversation_id, url, mention_created_at, received_at, mention, classification, "
        "decision, decided_at) VALUES ($1, 'x', $2, $3, $4, $5, $6, $7, $8, $9, 'negative', 0.4, $10, $11, "
        "$12, $13, $14, $15, $16, $17, $18, $18, $19::jsonb, $20::jsonb, $21::jsonb, $18) RETURNING id",
        brand, external_id, mention.id, decision.queue, decision.team, priority, decision.sla_due_at,
        status if status in PIPELINE_STATUSES else "new", category, language, incident_id, mention.author.handle,
        followers, verified, mention.text, conversation_id,
        url or f"https://x.com/{mention.author.handle}/status/{external_id}", now,
        mention.model_dump_json(), classification.model_dump_json(), decision.model_dump_json())
    if status not in PIPELINE_STATUSES or assignee is not None:  # people's state: the console's table
        await pool.execute("INSERT INTO queue_work (item_id, brand_id, status, assignee) VALUES ($1, $2, $3, $4)",
                           item_id, brand, None if status in PIPELINE_STATUSES else status, assignee)
    return item_id


async def insert_incident(pool: asyncpg.Pool, *, brand: str, incident_id: str | None = None,
                          volume: list[float] = (1.0, 3.0, 9.0, 14.0, 11.0), baseline: float = 1.5) -> str:
    incident_id = incident_id or f"inc-{brand}-{next(_counter)}"
    start = datetime.now(UTC) - timedelta(minutes=len(volume))
    await pool.execute(
        "INSERT INTO incidents (incident_id, brand_id, status, opened_at, updated_at, negative_count, crisis_count, "
        "rate_per_minute, baseline_per_minute, summary) VALUES ($1, $2, 'open', $3, $3, 42, 7, $4, $5, $6)",
        incident_id, brand, start, volume[-1], baseline, f"Negative spike on {brand}: outage reports")
    await pool.executemany(
        "INSERT INTO incident_volume (incident_id, at, rate_per_minute, negative_count) VALUES ($1, $2, $3, $4)",
        [(incident_id, start + timedelta(minutes=i), v, int(v)) for i, v in enumerate(volume)])
    await pool.execute(
        "INSERT INTO escalations (dedup_key, brand_id, kind, severity, summary, policy, steps, triggered_at, "
        "next_step_at, incident_id) VALUES ($1, $2, 'incident', 'critical', 'spike', 'crisis', '[]'::jsonb, now(), "
        "now() + interval '10 minutes', $1)", incident_id, brand)
    return incident_id


async def insert_saved_reply(pool: asyncpg.Pool, *, brand: str, name: str | None = None, language: str = "en",
                             category: str | None = None, body: str = "Hi {author_name}, thanks!") -> uuid.UUID:
    """A saved reply as a lead would have saved it (the console's table)."""
    return await pool.fetchval(
        "INSERT INTO saved_replies (brand_id, language, name, category, body, updated_by) "
        "VALUES ($1, $2, $3, $4, $5, 'lead') RETURNING id",
        brand, language, name or f"saved {next(_counter)}", category, body)


async def insert_reply_draft(pool: asyncpg.Pool, *, brand: str, author: str, text: str = "Thanks, on it!"
                             ) -> uuid.UUID:
    """A reply drafted by `author` (whose replies need approval) on a new item of `brand`, which
    awaits approval held by them, as the console's approvals leave it."""
    item = await insert_item(pool, brand=brand, status="awaiting_approval", assignee=author)
    return await pool.fetchval("INSERT INTO reply_drafts (item_id, brand_id, author, text) VALUES ($1, $2, $3, $4) "
                               "RETURNING id", item, brand, author, text)


async def insert_post(pool: asyncpg.Pool, *, brand: str, author: str, status: str = "draft",
                      account: str | None = None, parts: Sequence[str] = ("Hello from the brand",)) -> str:
    """A post of `brand` written by `author`, as the console's publishing leaves it in `status`
    (a requested one also has its request recorded, as if produced)."""
    post_id = str(uuid.uuid4())
    requested = status in ("requested", "cancelled")
    await pool.execute(
        "INSERT INTO post_drafts (post_id, brand_id, account_handle, parts, status, created_by, updated_by, "
        "requested_at, decided_by, cancelled_at) VALUES ($1, $2, $3, $4, $5, $6, $6, "
        "CASE WHEN $7 THEN now() END, CASE WHEN $5 = 'rejected' THEN 'lead' END, "
        "CASE WHEN $5 = 'cancelled' THEN now() END)",
        post_id, brand, account or f"{brand.title().replace('-', '')}Help", list(parts), status, author, requested)
    return post_id


async def requested_posts(kafka: KafkaSettings) -> list:
    """The posts.requested events produced so far on the test's topic, as envelopes."""
    count = sum((await end_offsets(kafka, "posts.requested")).values())
    records = await read_all(kafka, kafka.physical("posts.requested"), expect=count) if count else []
    return [decode("posts.requested", r.value) for r in records]


async def publish_applies(kafka: KafkaSettings, pool: asyncpg.Pool, topic_name: str, *, expect: int) -> None:
    """Apply the first `expect` requests of `topic_name` (replies.requested, incidents.actions) the
    way publish's handler does, with its store functions."""
    records = await read_all(kafka, kafka.physical(topic_name), expect=expect)
    events = [decode(topic_name, r.value) for r in records]
    async with pool.acquire() as conn, conn.transaction():
        if topic_name == "replies.requested":
            await reply_store.add_requests(conn, [(e.payload, e.occurred_at) for e in events])
            return
        channels = ChannelDirectory(PublishSettings(), None)
        for event in events:
            await apply_incident_action(conn, channels, event.payload, occurred_at=event.occurred_at)


@dataclass
class People:
    tokens: dict[str, str]

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


# username → (role, brands)
TEAM = {
    "agent-a": ("agent", ["brand-a"]),
    "agent-a2": ("agent", ["brand-a"]),
    "agent-b": ("agent", ["brand-b"]),
    "lead-a": ("lead", ["brand-a"]),
    "lead": ("lead", ["brand-a", "brand-b"]),
    "admin": ("admin", ["*"]),
}


async def add_team(pool: asyncpg.Pool) -> People:
    """TEAM with PASSWORD and an API token each. The first user goes through store.add_user;
    the others reuse its argon2 hash (hashing costs ~0.2 s each by design, too slow per test)."""
    tokens = {}
    first, *others = TEAM
    await store.add_user(pool, username=first, password=PASSWORD, role=TEAM[first][0], brands=TEAM[first][1])
    for username in others:
        role, brands = TEAM[username]
        await pool.execute("INSERT INTO users (username, display_name, role, password_hash) "
                           "SELECT $1, $1, $2, password_hash FROM users WHERE username = $3", username, role, first)
        await store.grant(pool, username=username, brands=brands)
    for username in TEAM:
        tokens[username] = await store.create_api_token(pool, username=username, name="tests")
    return People(tokens)


async def insert_timed_item(pool: asyncpg.Pool, *, brand: str, posted: datetime, sla_due: datetime,
                            category: str = "question", sentiment: str = "neutral", language: str = "en",
                            queue_name: str | None = None, text: str = "hello", assignee: str | None = None,
                            replies: Sequence[tuple[datetime, str]] = (), resolved: datetime | None = None
                            ) -> uuid.UUID:
    """An item posted at `posted` as publish writes it, and what people did to it as the console
    records it: each reply (when, who) in console_requests, the first one and the resolution
    stamped on queue_work (the analytics' inputs)."""
    n = next(_counter)
    item_id = await pool.fetchval(
        "INSERT INTO queue_items (brand_id, platform, external_id, mention_id, queue, team, priority, sla_due_at, "
        "category, sentiment, severity, language, author_handle, text, mention_created_at, received_at, mention, "
        "classification, decision, decided_at) VALUES ($1, 'x', $2, $3, $4, 'team', 'P3', $5, $6, $7, 0.3, $8, "
        "$9, $10, $11, $11, '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, $11) RETURNING id",
        brand, str(2 * 10**17 + n), f"x:{brand}:{n}", queue_name or f"{brand}-care", sla_due, category, sentiment,
        language, f"author{n}", text, posted)
    for at, who in replies:
        await pool.execute(
            "INSERT INTO console_requests (request_id, topic, action, brand_id, item_id, requested_by, payload, "
            "requested_at, produced_at) VALUES ($1, 'replies.requested', 'reply', $2, $3, $4, '{}'::jsonb, $5, $5)",
            str(uuid.uuid4()), brand, item_id, who, at)
    if replies or resolved or assignee:
        first = min(replies) if replies else None
        status = "resolved" if resolved else "replied" if replies else "claimed"
        await pool.execute(
            "INSERT INTO queue_work (item_id, brand_id, status, assignee, first_replied_at, first_replied_by, "
            "resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            item_id, brand, status, assignee or (first[1] if first else None), first[0] if first else None,
            first[1] if first else None, resolved)
    return item_id


async def insert_incident_at(pool: asyncpg.Pool, *, brand: str, opened: datetime,
                             acknowledged: datetime | None = None, summary: str = "Negative spike") -> str:
    """An incident as publish keeps it: opened at `opened`, acknowledged (by a lead) or not."""
    incident_id = f"inc-{brand}-{next(_counter)}"
    await pool.execute(
        "INSERT INTO incidents (incident_id, brand_id, status, opened_at, updated_at, summary, acknowledged_at, "
        "acknowledged_by) VALUES ($1, $2, 'open', $3, $3, $4, $5, $6)",
        incident_id, brand, opened, summary, acknowledged, "lead" if acknowledged else None)
    return incident_id
