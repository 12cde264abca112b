-- Analytics read a narrow copy of each item instead of publish's wide queue_items (text, JSON)
-- joined with queue_work: what the figures need of both, one row per item, kept up to date by the
-- console's catch-up (mentionflow_console.analytics.catch_up) from the rows of either table
-- changed since the last pass (their indexed updated_at). The console owns these tables; it only
-- reads queue_items. Created empty: the catch-up fills them in batches after start-up, so this
-- migration takes no lock on publish's tables and does not wait on a million rows.
CREATE TABLE console_analytics_items (
    item_id     uuid        PRIMARY KEY,          -- queue_items.id
    brand_id    text        NOT NULL,
    posted_at   timestamptz NOT NULL,             -- queue_items.mention_created_at
    queue       text        NOT NULL,
    category    text        NOT NULL,
    sentiment   text        NOT NULL,
    language    text        NOT NULL,             -- 'und' when the item has none
    sla_due_at  timestamptz NOT NULL,
    assignee    text,                             -- queue_work's, as the agent filter reads it
    replied_at  timestamptz,                      -- queue_work.first_replied_at
    resolved_at timestamptz,
    unresolved  boolean     NOT NULL,             -- no resolved_at and not resolved (the backlog's "open")
    terms       text[],                           -- queue_items.complaint_words (complaints only)
    hashtags    text[]                            -- queue_items.complaint_hashtags (complaints only)
);
-- A brand's items by posting time, with what response times and the backlog read carried along
-- (an index-only scan once autovacuum has marked the pages visible).
CREATE INDEX console_analytics_items_posted ON console_analytics_items (brand_id, posted_at)
    INCLUDE (queue, assignee, sla_due_at, replied_at, resolved_at, unresolved);
-- The backlog as of an instant: the items never resolved, and those resolved after it.
CREATE INDEX console_analytics_items_open ON console_analytics_items (brand_id, posted_at)
    INCLUDE (queue, assignee) WHERE unresolved;
CREATE INDEX console_analytics_items_resolved ON console_analytics_items (brand_id, resolved_at)
    INCLUDE (posted_at, queue, assignee) WHERE resolved_at IS NOT NULL;

-- Item counts per brand, UTC hour of posting, queue, category, sentiment and language: the volume
-- figures and charts of any range whose edges and chart steps fall on whole UTC hours (every zone
-- with a whole-hour offset) read these instead of the items. Kept by the same catch-up, by
-- difference (+1 for an item's new values, -1 for its old ones); rows that fall to zero go.
CREATE TABLE console_analytics_volume_hourly (
    brand_id  text        NOT NULL,
    hour      timestamptz NOT NULL,
    queue     text        NOT NULL,
    category  text        NOT NULL,
    sentiment text        NOT NULL,
    language  text        NOT NULL,
    n         integer     NOT NULL,
    PRIMARY KEY (brand_id, hour, queue, category, sentiment, language)
);
-- Counts that fell to zero, deleted at the end of the pass that emptied them.
CREATE INDEX console_analytics_volume_hourly_empty ON console_analytics_volume_hourly (brand_id) WHERE n = 0;

-- Complaints using each term (kind 'term': a word; 'hashtag') per brand, UTC hour and queue, for
-- the growing terms; kept the same way.
CREATE TABLE console_analytics_terms_hourly (
    brand_id text        NOT NULL,
    hour     timestamptz NOT NULL,
    queue    text        NOT NULL,
    kind     text        NOT NULL CHECK (kind IN ('term', 'hashtag')),
    term     text        NOT NULL,
    n        integer     NOT NULL,
    PRIMARY KEY (brand_id, hour, queue, kind, term)
);
CREATE INDEX console_analytics_terms_hourly_empty ON console_analytics_terms_hourly (brand_id) WHERE n = 0;

-- How far the catch-up has got: one row. Until `filled`, it copies every item in id order
-- (`filled_after`: the last id copied); after that, the rows changed since `changes_since`.
CREATE TABLE console_analytics_progress (
    singleton     boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    filled        boolean     NOT NULL DEFAULT false,
    filled_after  uuid,
    changes_since timestamptz
);
INSERT INTO console_analytics_progress (singleton) VALUES (true);
