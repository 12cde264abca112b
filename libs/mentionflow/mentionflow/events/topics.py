"""The topic registry: every topic's payload model, key, partitions, retention and DLQ.

Mention topics are keyed by brand_id so one brand's mentions stay in order and its spike
window lives in one consumer. The trade-off: a brand in a crisis is one hot partition;
raising partitions does not spread a single brand, adding classify replicas does not either.
We accept it because per-brand order and spike state matter more than spreading one brand.
Reply topics are keyed by reply id: replies have no cross-reply ordering need. Incident
actions are keyed by brand_id, so one incident's acknowledgement comes before its resolution.
labels.corrected is keyed by brand_id too, so a brand's corrections keep their order (every
classify replica folds them into the same adapter) and is kept forever: it is the adapters'
only source, read from the start by every classify replica. It must not be compacted: a
brand key would keep only the brand's last correction.
accounts.snapshots is keyed by brand_id: one account's attempts of a day (missing, then ok)
reach publish in the order ingest made them; a brand has a handful of accounts, so no hot key.
posts.requested / posts.published / posts.metrics are keyed by post_id: a post's schedule comes
before its cancel, and its outcome before its engagement, in one partition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mentionflow.events import (
    accounts_snapshots,
    escalations,
    incident_actions,
    incidents,
    labels_corrected,
    mentions_classified,
    mentions_raw,
    mentions_routed,
    posts_metrics,
    posts_published,
    posts_requested,
    replies_published,
    replies_requested,
)
from mentionflow.events.envelope import EventModel

DAY_MS = 24 * 3600 * 1000
DLQ_SUFFIX = ".dlq"
FOREVER = -1  # retention.ms of a topic that is a source of state


@dataclass(frozen=True)
class TopicSpec:
    name: str
    payload_model: type[EventModel]
    event_type: str
    schema_version: int
    key: Literal["brand_id", "reply_id", "post_id", "dedup_key"]
    partitions: int
    retention_ms: int
    owner: str
    description: str

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


def _spec(module, name: str, model: type[EventModel], **kw) -> TopicSpec:  # noqa: ANN001
    return TopicSpec(
        name=name,
        payload_model=model,
        event_type=module.EVENT_TYPE,
        schema_version=module.SCHEMA_VERSION,
        **kw,
    )


TOPICS: dict[str, TopicSpec] = {
    spec.name: spec
    for spec in (
        _spec(mentions_raw, "mentions.raw", mentions_raw.MentionReceived, key="brand_id",
              partitions=12, retention_ms=7 * DAY_MS, owner="ingest",
              description="normalised mentions from every source, one per brand"),
        _spec(mentions_classified, "mentions.classified", mentions_classified.MentionClassified,
              key="brand_id", partitions=12, retention_ms=7 * DAY_MS, owner="classify",
              description="mentions with category, sentiment, severity and reasons"),
        _spec(incidents, "incidents", incidents.Incident, key="brand_id", partitions=12,
              retention_ms=30 * DAY_MS, owner="classify",
              description="brand-level spikes: opened, updated, closed"),
        _spec(mentions_routed, "mentions.routed", mentions_routed.MentionRouted,
              key="brand_id", partitions=12, retention_ms=7 * DAY_MS, owner="routing",
              description="queue, priority, SLA and explanation per mention"),
        _spec(escalations, "escalations", escalations.Escalation, key="brand_id",
              partitions=6, retention_ms=30 * DAY_MS, owner="routing",
              description="who to page for a crisis mention or incident"),
        _spec(incident_actions, "incidents.actions", incident_actions.IncidentAction, key="brand_id",
              partitions=6, retention_ms=30 * DAY_MS, owner="console",
              description="acknowledge / resolve requests for incidents, applied by publish"),
        _spec(replies_requested, "replies.requested", replies_requested.ReplyRequested,
              key="reply_id", partitions=6, retention_ms=30 * DAY_MS, owner="console",
              description="replies community managers asked to post"),
        _spec(replies_published, "replies.published", replies_published.ReplyPublished,
              key="reply_id", partitions=6, retention_ms=30 * DAY_MS, owner="publish",
              description="outcome of every reply request"),
        _spec(labels_corrected, "labels.corrected", labels_corrected.LabelCorrected, key="brand_id",
              partitions=6, retention_ms=FOREVER, owner="console",
              description="people's corrections of a mention's labels, and adapter resets, per brand"),
        _spec(accounts_snapshots, "accounts.snapshots", accounts_snapshots.AccountSnapshot, key="brand_id",
              partitions=3, retention_ms=30 * DAY_MS, owner="ingest",
              description="each brand account's daily followers, following and posts, or why X refused"),
        _spec(posts_requested, "posts.requested", posts_requested.PostRequested, key="post_id",
              partitions=6, retention_ms=30 * DAY_MS, owner="console",
              description="posts and threads from brand accounts to publish now or at a time, or to cancel"),
        _spec(posts_published, "posts.published", posts_published.PostPublished, key="post_id",
              partitions=6, retention_ms=30 * DAY_MS, owner="publish",
              description="outcome of every post request: published (tweet ids), failed (X's reason), cancelled"),
        _spec(posts_metrics, "posts.metrics", posts_metrics.PostMetrics, key="post_id",
              partitions=3, retention_ms=30 * DAY_MS, owner="ingest",
              description="likes, replies, reposts and quotes of published posts, as X reports them"),
    )
}


def topic(name: str) -> TopicSpec:
    try:
        return TOPICS[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}; known: {', '.join(sorted(TOPICS))}") from None


def all_topic_names(*, with_dlq: bool = True) -> list[str]:
    names = list(TOPICS)
    if with_dlq:
        names += [spec.dlq for spec in TOPICS.values()]
    return names
