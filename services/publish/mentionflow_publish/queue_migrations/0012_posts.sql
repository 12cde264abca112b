-- Posts and threads from the brands' own accounts (issue 19). publish alone writes this table:
-- it inserts them from posts.requested, posts them at scheduled_for through the X outbox
-- (exactly once per post_id) and keeps their engagement from posts.metrics; the console reads
-- it for its calendar and debate view.
--
-- status: scheduled → posting (the first part is about to go to X) → published | failed;
-- scheduled → cancelled. tweet_ids holds one id per part posted, in order, written before the
-- next part is posted: a crash mid-thread resumes at the next part. in_flight_since is set
-- (committed) before each POST and cleared with its record: a row found with it set may hold
-- a part X accepted but publish never recorded, so it is looked for on X before any new attempt.
CREATE TABLE posts (
    post_id              text        PRIMARY KEY,
    brand_id             text        NOT NULL,
    account_handle       text        NOT NULL,
    parts                text[]      NOT NULL,
    scheduled_for        timestamptz NOT NULL,
    status               text        NOT NULL DEFAULT 'scheduled'
                         CHECK (status IN ('scheduled', 'posting', 'published', 'failed', 'cancelled')),
    tweet_ids            text[]      NOT NULL DEFAULT '{}',
    conversation_id      text,
    error                text,
    reconciled           boolean     NOT NULL DEFAULT false,
    attempts             integer     NOT NULL DEFAULT 0,
    transient_failures   integer     NOT NULL DEFAULT 0,
    last_error           text,
    next_attempt_at      timestamptz,
    in_flight_since      timestamptz,
    requested_by         text        NOT NULL,
    approved_by          text,
    outcome_published_at timestamptz,
    likes                integer,
    replies              integer,
    reposts              integer,
    quotes               integer,
    impressions          bigint,
    metrics_observed_at  timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
-- The dispatcher's due query: open posts by time.
CREATE INDEX posts_due ON posts (scheduled_for) WHERE status IN ('scheduled', 'posting');
-- The console's calendar: a brand's posts over a range of days.
CREATE INDEX posts_brand_calendar ON posts (brand_id, scheduled_for);
-- Finished posts whose outcome has not reached posts.published yet.
CREATE INDEX posts_outcome_unpublished ON posts (updated_at)
    WHERE status IN ('published', 'failed', 'cancelled') AND outcome_published_at IS NULL;
-- The debate view: replies come back with the thread's conversation id.
CREATE INDEX posts_conversation ON posts (conversation_id) WHERE conversation_id IS NOT NULL;

-- Quote-mentions of a brand post (Mention.quoted_id), for the debate view.
ALTER TABLE queue_items ADD COLUMN quoted_id text;
CREATE INDEX queue_items_quoted ON queue_items (quoted_id) WHERE quoted_id IS NOT NULL;
