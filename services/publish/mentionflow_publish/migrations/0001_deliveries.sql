-- publish's own bookkeeping (the queue schema itself is the shared "queue" component).
-- One row per outgoing notification or page, keyed by an idempotency key so a redelivered
-- event or a repeated timer tick creates it once; the delivery loop sends it with retries.
CREATE TABLE publish_deliveries (
    id               bigserial   PRIMARY KEY,
    idempotency_key  text        NOT NULL UNIQUE,
    kind             text        NOT NULL CHECK (kind IN ('notification', 'page')),
    brand_id         text        NOT NULL,
    channel          text        NOT NULL,   -- channel name (resolved to URL/key at send time)
    action           text        NOT NULL,   -- notify | trigger | acknowledge | resolve
    dedup_key        text,                   -- PagerDuty dedup key (incident or mention id)
    step             integer,                -- escalation step paged
    body             jsonb       NOT NULL,   -- what to send, without secrets
    status           text        NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    last_error       text,
    source_at        timestamptz NOT NULL,   -- when the cause happened (latency)
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX publish_deliveries_due ON publish_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX publish_deliveries_dedup ON publish_deliveries (dedup_key) WHERE dedup_key IS NOT NULL;

-- Every attempt, successful or not: the delivery record the issue asks for.
CREATE TABLE publish_delivery_attempts (
    delivery_id  bigint      NOT NULL REFERENCES publish_deliveries (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    http_status  integer,
    error        text,
    duration_ms  real        NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Which escalation state changes made by people (console: acknowledged_at / resolved_at)
-- have been passed on to the pager, so each is sent once.
CREATE TABLE publish_escalation_sync (
    dedup_key        text        PRIMARY KEY,
    acknowledge_sent timestamptz,
    resolve_sent     timestamptz
);

-- The reply dispatcher's schedule per reply id (the outbox row itself is reply_outbox):
-- when to try next, and whether the outcome reached replies.published.
CREATE TABLE publish_reply_state (
    reply_id        text        PRIMARY KEY,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    transient_failures integer  NOT NULL DEFAULT 0,
    last_error      text,
    published_at    timestamptz
);
