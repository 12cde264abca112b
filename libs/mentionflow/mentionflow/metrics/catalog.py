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
