"""Every Prometheus metric of mentionflow, in one place.

Names follow `mentionflow_<service>_<noun>_<unit>`; the shared runner uses `runner` as its
<service> part and carries the real service in a label. Label sets are fixed and bounded:
service, topic, partition, brand, category, queue — never a mention, author or user id.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Latency buckets from 1 ms to 30 s: stage work is milliseconds, backlogs are seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

# --- runner (every consuming service) ---------------------------------------------------
RUNNER_CONSUMED = Counter(
    "mentionflow_runner_messages_consumed_total",
    "Messages fetched and handed to the service's handler.",
    ["service", "topic"],
)
RUNNER_PRODUCED = Counter(
    "mentionflow_runner_messages_produced_total",
    "Messages produced and acknowledged by the broker (acks=all).",
    ["service", "topic"],
)
RUNNER_PROCESSING_SECONDS = Histogram(
    "mentionflow_runner_processing_seconds",
    "Wall time of one batch: handle, produce outputs, commit.",
    ["service", "topic"],
    buckets=LATENCY_BUCKETS,
)
RUNNER_DLQ = Counter(
    "mentionflow_runner_dlq_messages_total",
    "Messages sent to a dead-letter topic, by reason class.",
    ["service", "topic", "error"],
)
RUNNER_RETRIES = Counter(
    "mentionflow_runner_retries_total",
    "Batches retried after a transient error (broker, database).",
    ["service", "topic"],
)
RUNNER_LAG = Gauge(
    "mentionflow_runner_consumer_lag_messages",
    "High watermark minus committed position, per assigned partition.",
    ["service", "topic", "partition"],
)
RUNNER_PAUSED = Gauge(
    "mentionflow_runner_paused_partitions",
    "Partitions paused for backpressure (in-flight work above the bound).",
    ["service"],
)
RUNNER_INFLIGHT = Gauge(
    "mentionflow_runner_inflight_batches",
    "Batches handed to the handler and not yet committed.",
    ["service"],
)
RUNNER_COMMIT_FAILURES = Counter(
    "mentionflow_runner_commit_failures_total",
    "Offset commits that failed (the batch will be redelivered).",
    ["service"],
)
RUNNER_REBALANCES = Counter(
    "mentionflow_runner_rebalances_total",
    "Partition assignments and revocations seen by this consumer.",
    ["service", "kind"],
)

# --- classify ----------------------------------------------------------------------------
CLASSIFY_MENTIONS = Counter(
    "mentionflow_classify_mentions_total",
    "Mentions classified, by brand and category.",
    ["brand", "category"],
)
CLASSIFY_INCIDENTS = Counter(
    "mentionflow_classify_incidents_total",
    "Incident events emitted by the spike detector (opened, updated, closed).",
    ["brand", "status"],
)

# --- publish -----------------------------------------------------------------------------
PUBLISH_QUEUE_ITEMS = Counter(
    "mentionflow_publish_queue_items_total",
    "Routing decisions applied to the CM queue: created, updated (newer decision) or stale (ignored).",
    ["brand", "change"],
)
PUBLISH_NOTIFICATIONS = Counter(
    "mentionflow_publish_notifications_total",
    "Chat notifications of new P1/P2 queue items, by final outcome (sent, failed) and retries.",
    ["outcome"],
)
PUBLISH_PAGES = Counter(
    "mentionflow_publish_pages_total",
    "On-call page deliveries (PagerDuty Events v2 / webhooks) by action and outcome (sent, failed, retry).",
    ["action", "outcome"],
)
PUBLISH_ESCALATIONS = Counter(
    "mentionflow_publish_escalations_total",
    "Escalation state changes: triggered, deduplicated, stepped (next step paged), acknowledged, resolved.",
    ["change"],
)
PUBLISH_REPLIES = Counter(
    "mentionflow_publish_replies_total",
    "Reply outcomes: posted, failed (permanent), reconciled (found on X after a crash, not re-posted), "
    "rate_limited and retried (transient X errors).",
    ["outcome"],
)
PUBLISH_DELIVERY_LATENCY_SECONDS = Histogram(
    "mentionflow_publish_delivery_latency_seconds",
    "From the cause (mention received, escalation or reply requested) to the effect being recorded.",
    ["effect"],
    buckets=LATENCY_BUCKETS,
)

# --- console ------------------------------------------------------------------------------
CONSOLE_ACTIONS = Counter(
    "mentionflow_console_actions_total",
    "Actions people took in the console (claim, release, reply, resolve, tag, reassign, incident ...).",
    ["action"],
)
CONSOLE_REPLIES_REQUESTED = Counter(
    "mentionflow_console_replies_requested_total",
    "Replies requested from the console (rows written to reply_outbox).",
    ["brand"],
)
CONSOLE_LOGINS = Counter(
    "mentionflow_console_logins_total",
    "Login attempts by outcome (ok, failed, rate_limited).",
    ["outcome"],
)
CONSOLE_LIVE_STREAMS = Gauge(
    "mentionflow_console_live_streams",
    "Open server-sent-event streams of queue updates.",
)
CONSOLE_OUTBOX_RESENT = Counter(
    "mentionflow_console_outbox_resent_total",
    "replies.requested events re-sent by the outbox relay after the first produce was not acknowledged.",
)

# --- routing -----------------------------------------------------------------------------
ROUTING_DECISIONS = Counter(
    "mentionflow_routing_decisions_total",
    "Routing decisions, by brand, queue and priority.",
    ["brand", "queue", "priority"],
)
ROUTING_ESCALATIONS = Counter(
    "mentionflow_routing_escalations_total",
    "Escalations emitted, by brand, kind (mention, incident) and action.",
    ["brand", "kind", "action"],
)
