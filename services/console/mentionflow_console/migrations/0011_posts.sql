-- Publishing: posts and threads from a brand's own X accounts, as the console sees them before
-- publish does. A post is composed (draft), may wait for a lead (awaiting_approval; rejected
-- with a reason goes back to its author to edit), and once submitted or approved is asked of
-- publish by event: the posts.requested request is recorded in console_requests (request_id =
-- post_id) in the same transaction as the post turns `requested`. What happens next (posted,
-- failed with X's reason, metrics) is publish's `posts` table, read by the calendar and the
-- debate view. A cancel of a requested post is a second request (`<post_id>:cancel`).
CREATE TABLE post_drafts (
    post_id        text        PRIMARY KEY,          -- posts.requested's post_id (idempotency key)
    brand_id       text        NOT NULL,
    account_handle text        NOT NULL,             -- one of the brand's accounts with can_post
    parts          text[]      NOT NULL CHECK (cardinality(parts) BETWEEN 1 AND 25),
    scheduled_for  timestamptz,                      -- NULL: as soon as requested
    status         text        NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'awaiting_approval', 'rejected', 'requested', 'cancelled')),
    created_by     text        NOT NULL,             -- its author (never its approver)
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    submitted_at   timestamptz,                      -- sent for approval, or requested directly
    decided_by     text,                             -- the lead who approved or rejected it
    decided_at     timestamptz,
    comment        text        NOT NULL DEFAULT '',  -- the lead's reason, on rejection
    requested_at   timestamptz,                      -- posts.requested recorded
    cancelled_by   text,
    cancelled_at   timestamptz,
    CHECK ((status IN ('requested', 'cancelled')) = (requested_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK (status <> 'rejected' OR decided_by IS NOT NULL)
);
CREATE INDEX post_drafts_brand_status ON post_drafts (brand_id, status, updated_at);
CREATE INDEX post_drafts_pending ON post_drafts (brand_id, submitted_at) WHERE status = 'awaiting_approval';
CREATE INDEX post_drafts_schedule ON post_drafts (brand_id, scheduled_for);

-- The console now also asks for posts (schedule, cancel).
ALTER TABLE console_requests DROP CONSTRAINT console_requests_topic_check;
ALTER TABLE console_requests ADD CONSTRAINT console_requests_topic_check
    CHECK (topic IN ('replies.requested', 'incidents.actions', 'posts.requested'));
ALTER TABLE console_requests DROP CONSTRAINT console_requests_action_check;
ALTER TABLE console_requests ADD CONSTRAINT console_requests_action_check
    CHECK (action IN ('reply', 'acknowledge', 'resolve', 'post', 'cancel'));
