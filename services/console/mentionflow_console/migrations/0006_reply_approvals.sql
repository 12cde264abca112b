-- Reply approval: the reply of someone whose replies need approval (users.replies_need_approval)
-- is kept here as a draft, and nothing is asked of publish until a lead approves it. Approval
-- records the replies.requested request (console_requests, `reply_id`) in the same transaction
-- as it marks the draft approved, so the approved text is sent once, and only it.
CREATE TABLE reply_drafts (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    item_id     uuid        NOT NULL,              -- queue_items.id
    brand_id    text        NOT NULL,
    author      text        NOT NULL,              -- who drafted it (never its approver)
    text        text        NOT NULL,              -- as drafted
    status      text        NOT NULL DEFAULT 'awaiting_approval'
                CHECK (status IN ('awaiting_approval', 'approved', 'rejected')),
    decided_by  text,
    decided_at  timestamptz,
    sent_text   text,                              -- what was approved (the lead may have edited it)
    comment     text        NOT NULL DEFAULT '',   -- the lead's reason, on rejection
    reply_id    text        UNIQUE,                -- console_requests.request_id of the approved reply
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'awaiting_approval') = (decided_by IS NULL)),
    CHECK ((status = 'approved') = (reply_id IS NOT NULL AND sent_text IS NOT NULL))
);
-- One draft waits per item: the item is "awaiting approval" until it is decided.
CREATE UNIQUE INDEX reply_drafts_one_pending ON reply_drafts (item_id) WHERE status = 'awaiting_approval';
CREATE INDEX reply_drafts_item ON reply_drafts (item_id, created_at);
CREATE INDEX reply_drafts_pending ON reply_drafts (brand_id, created_at) WHERE status = 'awaiting_approval';

-- The item's status while its draft waits (its SLA clock keeps running: mentionflow.queue.domain).
ALTER TABLE queue_work DROP CONSTRAINT queue_work_status_check;
ALTER TABLE queue_work ADD CONSTRAINT queue_work_status_check
    CHECK (status IN ('new', 'claimed', 'replied', 'resolved', 'awaiting_approval'));
