-- Brand-level incidents (from the incidents topic) for the crisis board, their volume over
-- time for its chart, and the escalation state machine whose timers survive restarts.
CREATE TABLE incidents (
    incident_id          text        PRIMARY KEY,
    brand_id             text        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at            timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    closed_at            timestamptz,
    negative_count       integer     NOT NULL DEFAULT 0,
    crisis_count         integer     NOT NULL DEFAULT 0,
    rate_per_minute      real        NOT NULL DEFAULT 0,
    baseline_per_minute  real        NOT NULL DEFAULT 0,
    summary              text        NOT NULL DEFAULT '',
    acknowledged_at      timestamptz,
    acknowledged_by      text,
    resolved_at          timestamptz,
    resolved_by          text
);
CREATE INDEX incidents_brand_status ON incidents (brand_id, status);

CREATE TABLE incident_volume (
    incident_id      text        NOT NULL REFERENCES incidents (incident_id) ON DELETE CASCADE,
    at               timestamptz NOT NULL,
    rate_per_minute  real        NOT NULL,
    negative_count   integer     NOT NULL,
    PRIMARY KEY (incident_id, at)
);

-- One row per dedup key (incident id or mention id): pages are deduplicated by it.
CREATE TABLE escalations (
    dedup_key        text        PRIMARY KEY,
    brand_id         text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('mention', 'incident')),
    severity         text        NOT NULL,
    summary          text        NOT NULL,
    team             text,
    policy           text        NOT NULL,
    steps            jsonb       NOT NULL,
    current_step     integer     NOT NULL DEFAULT 0,
    status           text        NOT NULL DEFAULT 'triggered'
                     CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
    triggered_at     timestamptz NOT NULL,
    next_step_at     timestamptz,           -- when the next step pages unless acknowledged
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    resolved_at      timestamptz,
    mention_id       text,
    incident_id      text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalations_due ON escalations (next_step_at) WHERE status = 'triggered';
