"""The Kafka side of publish: one handler for the eight consumed topics, dispatched by topic.

Each batch (one partition, in order) is applied in one transaction, idempotently, so the
runner may redeliver it after a crash. Effects that leave the process (notifications, pages,
posts to X) are only *recorded* here and carried out by the background loops, which the
handler wakes after its commit.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg
from mentionflow.brandconfig import AgencyConfig, normalize_handle
from mentionflow.events import payload_documents
from mentionflow.events.accounts_snapshots import AccountSnapshot
from mentionflow.events.escalations import Escalation
from mentionflow.events.incident_actions import IncidentAction
from mentionflow.events.incidents import Incident
from mentionflow.events.mentions_routed import MentionRouted
from mentionflow.events.posts_metrics import PostMetrics
from mentionflow.events.posts_requested import PostRequested
from mentionflow.events.replies_requested import ReplyRequested
from mentionflow.kafka.runner import BatchResult, IncomingMessage
from mentionflow.metrics import catalog as m
from mentionflow.settings import KafkaSettings

from mentionflow_publish import post_store, reply_store
from mentionflow_publish.channels import QUEUE_CHANNEL_PREFIX, ChannelDirectory
from mentionflow_publish.delivery_store import add_delivery
from mentionflow_publish.escalation_store import apply_escalation, apply_incident_action
from mentionflow_publish.messages import queue_notification_body
from mentionflow_publish.queue_store import ItemChange, upsert_incidents, upsert_items
from mentionflow_publish.settings import PublishSettings
from mentionflow_publish.snapshot_store import upsert_snapshots

log = logging.getLogger(__name__)

CONSUMED_TOPICS = ("mentions.routed", "incidents", "escalations", "incidents.actions", "replies.requested",
                   "accounts.snapshots", "posts.requested", "posts.metrics")


class PublishHandler:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: PublishSettings,
        kafka: KafkaSettings,
        channels: ChannelDirectory,
        *,
        wake_deliveries: Callable[[], None] = lambda: None,
        wake_replies: Callable[[], None] = lambda: None,
        wake_posts: Callable[[], None] = lambda: None,
        brand_config: AgencyConfig | None = None,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.kafka = kafka
        self.channels = channels
        self._wake_deliveries = wake_deliveries
        self._wake_replies = wake_replies
        self._wake_posts = wake_posts
        self.brand_config = brand_config

    async def handle(self, messages: Sequence[IncomingMessage]) -> BatchResult:
        if not messages:
            return BatchResult()
        topic = self.kafka.logical(messages[0].topic)  # one batch = one partition = one topic
        if topic == "mentions.routed":
            await self._routed(messages)
        elif topic == "incidents":
            await self._incidents(messages)
        elif topic == "escalations":
            await self._escalations(messages)
        elif topic == "incidents.actions":
            await self._incident_actions(messages)
        elif topic == "replies.requested":
            await self._replies(messages)
        elif topic == "accounts.snapshots":
            await self._snapshots(messages)
        elif topic == "posts.requested":
            await self._posts(messages)
        elif topic == "posts.metrics":
            await self._post_metrics(messages)
        else:
            return BatchResult(rejected=[(msg, f"publish does not consume {topic}") for msg in messages])
        return BatchResult()

    # ---- mentions.routed → queue_items (+ notifications) ----------------------------------
    async def _routed(self, messages: Sequence[IncomingMessage]) -> None:
        batch: list[MentionRouted] = [msg.envelope.payload for msg in messages]
        # The documents stored as the routed events carried them: decoded, they would only be
        # encoded again (a tenth of publish's CPU).
        documents = [payload_documents(msg.value) for msg in messages if msg.value is not None]
        assert len(documents) == len(batch)  # a decoded message has a value
        notify = set(self.settings.notify_priorities)
        notifications = 0
        async with self.pool.acquire() as conn, conn.transaction():
            changes = await upsert_items(conn, batch, documents)
            by_key = {(r.mention.brand_id, r.mention.platform, r.mention.external_id): r for r in batch}
            for change in changes:
                if change.created and change.priority in notify and change.queue in self.settings.queue_webhooks:
                    notifications += await self._notify(conn, change, by_key)
        committed_at = datetime.now(UTC)
        for change in changes:
            m.PUBLISH_QUEUE_ITEMS.labels(change.brand_id, "created" if change.created else "updated").inc()
            m.PUBLISH_DELIVERY_LATENCY_SECONDS.labels("queue_item").observe(
                max(0.0, (committed_at - change.received_at).total_seconds()))
        stale = Counter(r.mention.brand_id for r in batch)
        stale.subtract(change.brand_id for change in changes)
        for brand_id, count in stale.items():
            if count > 0:  # replays and older decisions, left as they were
                m.PUBLISH_QUEUE_ITEMS.labels(brand_id, "stale").inc(count)
        if notifications:
            self._wake_deliveries()

    async def _notify(self, conn: asyncpg.Connection, change: ItemChange,
                      by_key: dict[tuple[str, str, str], MentionRouted]) -> int:
        routed = by_key[(change.brand_id, change.platform, change.external_id)]
        mention = routed.mention
        body = queue_notification_body(
            brand_id=change.brand_id, queue=change.queue, priority=change.priority,
            category=routed.classification.category, author_handle=mention.author.handle, text=mention.text,
            url=mention.url, sla_due_at=routed.decision.sla_due_at.isoformat())
        created = await add_delivery(
            conn, key=f"notify:{change.brand_id}:{change.platform}:{change.external_id}", kind="notification",
            brand_id=change.brand_id, channel=QUEUE_CHANNEL_PREFIX + change.queue, action="notify", body=body,
            source_at=mention.received_at)
        return int(created)

    # ---- incidents → incidents + incident_volume ------------------------------------------
    async def _incidents(self, messages: Sequence[IncomingMessage]) -> None:
        batch: list[Incident] = [msg.envelope.payload for msg in messages]
        async with self.pool.acquire() as conn, conn.transaction():
            await upsert_incidents(conn, batch)

    # ---- escalations → escalations + pages ----------------------------------------------
    async def _escalations(self, messages: Sequence[IncomingMessage]) -> None:
        changes: list[tuple[str, str]] = []
        triggered: set[str] = set()  # keys whose trigger this batch applied: a repeat is a no-op
        async with self.pool.acquire() as conn, conn.transaction():
            for msg in messages:
                event: Escalation = msg.envelope.payload
                if event.action == "trigger" and event.dedup_key in triggered:
                    changes.append((event.dedup_key, "deduplicated"))  # what apply_escalation would say
                    continue
                change = await apply_escalation(conn, self.channels, event, occurred_at=msg.envelope.occurred_at,
                                                now=datetime.now(UTC), minute_s=self.settings.escalation_minute_s)
                if event.action == "trigger":
                    triggered.add(event.dedup_key)
                changes.append((event.dedup_key, change))
        for dedup_key, change in changes:
            m.PUBLISH_ESCALATIONS.labels(change).inc()
            # A repeat of a page already sent is routine in a spike: counted, logged only at debug.
            log.log(logging.DEBUG if change == "deduplicated" else logging.INFO, "escalation %s: %s", dedup_key, change)
        self._wake_deliveries()

    # ---- incidents.actions → incidents + escalations + pages ----------------------------
    async def _incident_actions(self, messages: Sequence[IncomingMessage]) -> None:
        changes: list[tuple[str, str]] = []
        async with self.pool.acquire() as conn, conn.transaction():
            for msg in messages:
                action: IncidentAction = msg.envelope.payload
                changes += await apply_incident_action(conn, self.channels, action,
                                                       occurred_at=msg.envelope.occurred_at)
        for dedup_key, change in changes:
            m.PUBLISH_ESCALATIONS.labels(change).inc()
            log.info("escalation %s: %s", dedup_key, change)
        self._wake_deliveries()

    # ---- replies.requested → reply_outbox -------------------------------------------------
    async def _replies(self, messages: Sequence[IncomingMessage]) -> None:
        requests: list[tuple[ReplyRequested, datetime]] = [
            (msg.envelope.payload, msg.envelope.occurred_at) for msg in messages]
        async with self.pool.acquire() as conn, conn.transaction():
            await reply_store.add_requests(conn, requests)
        self._wake_replies()

    # ---- accounts.snapshots → account_snapshots ------------------------------------------
    async def _snapshots(self, messages: Sequence[IncomingMessage]) -> None:
        batch: list[AccountSnapshot] = [msg.envelope.payload for msg in messages]
        async with self.pool.acquire() as conn, conn.transaction():
            await upsert_snapshots(conn, batch)
        for snapshot in batch:
            m.PUBLISH_ACCOUNT_SNAPSHOTS.labels(snapshot.status).inc()

    # ---- posts.requested → posts ---------------------------------------------------------
    async def _posts(self, messages: Sequence[IncomingMessage]) -> None:
        outcomes: list[str] = []
        async with self.pool.acquire() as conn, conn.transaction():
            for msg in messages:
                request: PostRequested = msg.envelope.payload
                if request.action == "cancel":
                    if await post_store.cancel_post(conn, request, msg.envelope.occurred_at):
                        outcomes.append("cancelled")
                    continue
                refusal = self.account_refusal(request)
                if await post_store.add_post(conn, request, msg.envelope.occurred_at, refusal=refusal) and refusal:
                    outcomes.append("failed")
                    log.warning("post %s refused: %s", request.post_id, refusal)
        for outcome in outcomes:
            m.PUBLISH_POSTS.labels(outcome).inc()
        self._wake_posts()

    def account_refusal(self, request: PostRequested) -> str | None:
        """Why the post may not go out from its account (None: it may). Only the brand's own
        configured accounts post; the console checks too, this is the last word."""
        if self.brand_config is None:
            return None  # no brand config: the accounts with credentials are the brands' own
        brand = self.brand_config.brands.get(request.brand_id)
        if brand is None:
            return f"brand {request.brand_id!r} is not in the brand config"
        handle = normalize_handle(request.account_handle)
        if handle not in {normalize_handle(a.handle) for a in brand.accounts}:
            return (f"account @{handle} is not one of brand {request.brand_id!r}'s configured X accounts "
                    f"({', '.join('@' + normalize_handle(a.handle) for a in brand.accounts)})")
        return None

    # ---- posts.metrics → posts' engagement columns ---------------------------------------
    async def _post_metrics(self, messages: Sequence[IncomingMessage]) -> None:
        batch: list[PostMetrics] = [msg.envelope.payload for msg in messages]
        async with self.pool.acquire() as conn, conn.transaction():
            await post_store.apply_metrics(conn, batch)
