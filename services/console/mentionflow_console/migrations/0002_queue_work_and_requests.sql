-- What people do to a queue item, beside publish's row (queue_items, which publish alone
-- writes). One row per item someone acted on; a NULL status or tags means "as the pipeline
-- set it". The claim lock is this row's lock: claims are serialised by PostgreSQL.
CREATE TABLE queue_work (
    item_id    uuid        PRIMARY KEY,             -- queue_items.id
    brand_id   text        NOT NULL,
    status     text        CHECK (status IN ('new', 'claimed', 'replied', 'resolved')),
    assignee   text,
    tags       text[],
    version    integer     NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_work_status ON queue_work (status);
CREATE INDEX queue_work_updated ON queue_work (updated_at);

-- What the console asked publish for by event (replies.requested, incidents.actions). Kept so
-- the relay re-sends what the broker did not acknowledge, and so the console shows a request
-- as pending until publish's applied state arrives. One acknowledge and one resolve per incident.
CREATE TABLE console_requests (
    request_id   text        PRIMARY KEY,           -- reply_id / action_id: the event's idempotency key
    topic        text        NOT NULL CHECK (topic IN ('replies.requested', 'incidents.actions')),
    action       text        NOT NULL CHECK (action IN ('reply', 'acknowledge', 'resolve')),
    brand_id     text        NOT NULL,
    item_id      uuid,
    incident_id  text,
    requested_by text        NOT NULL,
    payload      jsonb       NOT NULL,              -- the event payload, re-sent as is
    requested_at timestamptz NOT NULL DEFAULT now(),
    produced_at  timestamptz                        -- when the broker acknowledged it
);
CREATE UNIQUE INDEX console_requests_incident_action ON console_requests (incident_id, action)
    WHERE incident_id IS NOT NULL;
CREATE INDEX console_requests_item ON console_requests (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX console_requests_unproduced ON console_requests (requested_at) WHERE produced_at IS NULL;

-- Databases from before the split kept people's state in queue_items: carry it over once.
DO $$
BEGIN
    IF to_regclass('queue_items') IS NOT NULL THEN
        INSERT INTO queue_work (item_id, brand_id, status, assignee, updated_at)
        SELECT id, brand_id, CASE WHEN status IN ('claimed', 'replied', 'resolved') THEN status END,
               assignee, updated_at
        FROM queue_items WHERE status IN ('claimed', 'replied', 'resolved') OR assignee IS NOT NULL;
    END IF;
END $$;
