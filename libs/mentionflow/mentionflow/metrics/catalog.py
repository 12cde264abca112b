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
CLASSIFY_ADAPTER_EVENTS = Counter(
    "mentionflow_classify_adapter_events_total",
    "labels.corrected events folded into a brand's adapter (kind: correction, reset); a restart counts "
    "the topic again from the start.",
    ["brand", "kind"],
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
PUBLISH_ACCOUNT_SNAPSHOTS = Counter(
    "mentionflow_publish_account_snapshots_total",
    "accounts.snapshots events applied to account_snapshots, by status (ok, missing); a redelivered "
    "or superseded one is counted too.",
    ["status"],
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
PUBLISH_POSTS = Counter(
    "mentionflow_publish_posts_total",
    "Brand post outcomes (a thread counts once): posted, failed (X refused, foreign account, gave up), "
    "reconciled (a part found on X after a crash, not re-posted), cancelled, rate_limited and retried.",
    ["outcome"],
)
PUBLISH_DELIVERY_LATENCY_SECONDS = Histogram(
    "mentionflow_publish_delivery_latency_seconds",
    "From the cause (mention received, escalation or reply requested, post due) to the effect being recorded.",
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
    "Replies requested from the console (replies.requested events recorded and produced).",
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
    "Requests (replies, incident actions) re-sent by the relay after the first produce was not acknowledged.",
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

# --- ops view (issue 9): state the alerts and the overview dashboard need ------------------
# Set by publish: a periodic sampler reads these from PostgreSQL (queue_items, incidents). Every
# replica reports the same database, so dashboards and alerts aggregate them with max(), never sum().
PUBLISH_QUEUE_DEPTH = Gauge(
    "mentionflow_publish_queue_depth_items",
    "Open queue items (status new, claimed or escalated), per brand and queue.",
    ["brand", "queue"],
)
PUBLISH_QUEUE_OLDEST_AGE = Gauge(
    "mentionflow_publish_queue_oldest_item_age_seconds",
    "Age of the oldest open queue item since ingest received it; 0 when the queue is empty.",
    ["brand", "queue"],
)
PUBLISH_OPEN_INCIDENTS = Gauge(
    "mentionflow_publish_open_incidents",
    "Incidents with status open, per brand.",
    ["brand"],
)
PUBLISH_UNACKNOWLEDGED_INCIDENTS = Gauge(
    "mentionflow_publish_unacknowledged_incidents",
    "Open incidents nobody has acknowledged yet, per brand.",
    ["brand"],
)
PUBLISH_OLDEST_UNACKNOWLEDGED_INCIDENT_AGE = Gauge(
    "mentionflow_publish_oldest_unacknowledged_incident_age_seconds",
    "Seconds since the oldest open, unacknowledged incident opened; 0 when there is none.",
    ["brand"],
)
# Set by publish: each open queue item whose sla_due_at passed is counted once (marked in the
# database by the same sampler, so replicas never count one breach twice).
PUBLISH_SLA_BREACHES = Counter(
    "mentionflow_publish_sla_breaches_total",
    "Open queue items that passed their SLA due time, each counted once.",
    ["brand", "queue"],
)
# Set by ingest (reading mentions) and publish (posting replies) from XClient's CallObserver:
# the x-rate-limit-* headers of the last response. The account is a configured brand account.
XAPI_QUOTA_REMAINING = Gauge(
    "mentionflow_xapi_quota_remaining_requests",
    "x-rate-limit-remaining of the last X API response, per service, endpoint and account.",
    ["service", "endpoint", "account"],
)
XAPI_QUOTA_LIMIT = Gauge(
    "mentionflow_xapi_quota_limit_requests",
    "x-rate-limit-limit of the last X API response, per service, endpoint and account.",
    ["service", "endpoint", "account"],
)

# --- ingest ------------------------------------------------------------------------------
INGEST_MENTIONS = Counter(
    "mentionflow_ingest_mentions_total",
    "Mentions produced to mentions.raw and acknowledged, by source (x_polling, x_webhook, http) and brand.",
    ["source", "brand"],
)
INGEST_DUPLICATES = Counter(
    "mentionflow_ingest_duplicates_total",
    "Mentions dropped because the same (platform, external id, brand) was already claimed.",
    ["source", "brand"],
)
INGEST_REJECTED = Counter(
    "mentionflow_ingest_rejected_total",
    "Inputs refused or dropped: malformed X API items, bad webhook signatures or JSON, invalid HTTP payloads.",
    ["source", "reason"],
)
INGEST_RECOVERED = Counter(
    "mentionflow_ingest_recovered_claims_total",
    "Orphaned pending dedup claims produced by the recovery sweep (claimer died or Kafka failed).",
)
INGEST_X_API_CALLS = Counter(
    "mentionflow_ingest_x_api_calls_total",
    "X API calls by endpoint and HTTP status ('network' when no response came back).",
    ["endpoint", "status"],
)
INGEST_X_RATE_LIMIT_REMAINING = Gauge(
    "mentionflow_ingest_x_rate_limit_remaining",
    "x-rate-limit-remaining of the last X API response, per endpoint and polled account handle.",
    ["endpoint", "account"],
)
INGEST_POLL_LAG_SECONDS = Gauge(
    "mentionflow_ingest_poll_lag_seconds",
    "Now minus the creation time of the newest mention seen by the account's last successful poll.",
    ["account"],
)
INGEST_POLLS = Counter(
    "mentionflow_ingest_polls_total",
    "Mention polls per account and outcome (ok, rate_limited, transient_error, permanent_error).",
    ["account", "outcome"],
)
INGEST_TRACKED_POSTS = Gauge(
    "mentionflow_ingest_tracked_posts",
    "Published brand posts whose engagement ingest follows (published less than a week ago).",
)
INGEST_POST_POLLS = Counter(
    "mentionflow_ingest_post_polls_total",
    "Rounds of a tracked post (counts and quote tweets) per account and outcome "
    "(ok, rate_limited, transient_error, permanent_error).",
    ["account", "outcome"],
)
INGEST_ACCOUNT_SNAPSHOTS = Counter(
    "mentionflow_ingest_account_snapshots_total",
    "Daily account snapshots produced per account and status (ok; missing: X refused the lookup).",
    ["account", "status"],
)
