-- One row per brand + platform + external id: redelivery and replay never duplicate it.
-- decided_at orders routing decisions: a later decision updates the row, an older one does not.
-- version increments on every change so console actions can use optimistic concurrency.
CREATE TABLE queue_items (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    brand_id           text        NOT NULL,
    platform           text        NOT NULL,
    external_id        text        NOT NULL,
    mention_id         text        NOT NULL,
    queue              text        NOT NULL,
    team               text,
    priority           text        NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
    sla_due_at         timestamptz NOT NULL,
    status             text        NOT NULL DEFAULT 'new'
                       CHECK (status IN ('new', 'claimed', 'replied', 'resolved', 'escalated')),
    assignee           text,
    category           text        NOT NULL,
    sentiment          text        NOT NULL,
    severity           real        NOT NULL,
    language           text,
    incident_id        text,
    tags               text[]      NOT NULL DEFAULT '{}',
    author_handle      text        NOT NULL,
    author_followers   integer     NOT NULL DEFAULT 0,
    author_verified    boolean     NOT NULL DEFAULT false,
    text               text        NOT NULL,
    conversation_id    text,
    url                text,
    mention_created_at timestamptz NOT NULL,
    received_at        timestamptz NOT NULL,  -- when ingest received it: end-to-end latency
    mention            jsonb       NOT NULL,
    classification     jsonb       NOT NULL,
    decision           jsonb       NOT NULL,
    decided_at         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer     NOT NULL DEFAULT 1,
    UNIQUE (brand_id, platform, external_id)
);
CREATE INDEX queue_items_work_order ON queue_items (queue, status, priority, sla_due_at);
CREATE INDEX queue_items_brand_status ON queue_items (brand_id, status);
CREATE INDEX queue_items_conversation ON queue_items (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX queue_items_incident ON queue_items (incident_id) WHERE incident_id IS NOT NULL;
