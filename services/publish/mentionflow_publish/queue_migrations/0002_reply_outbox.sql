-- One row per reply id, the idempotency key of a post to X.
-- publish inserts 'requested' from replies.requested (the console asks by event), moves it to 'pending'
-- before posting, then 'sent' (with the tweet id) or 'failed' (with the reason).
CREATE TABLE reply_outbox (
    reply_id                text        PRIMARY KEY,
    brand_id                text        NOT NULL,
    mention_id              text        NOT NULL,
    queue_item_id           uuid,
    account_handle          text        NOT NULL,
    in_reply_to_external_id text        NOT NULL,
    text                    text        NOT NULL,
    requested_by            text        NOT NULL,
    status                  text        NOT NULL DEFAULT 'requested'
                            CHECK (status IN ('requested', 'pending', 'sent', 'failed')),
    tweet_id                text,
    error                   text,
    attempts                integer     NOT NULL DEFAULT 0,
    reconciled              boolean     NOT NULL DEFAULT false,
    requested_at            timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reply_outbox_item ON reply_outbox (queue_item_id);
CREATE INDEX reply_outbox_status ON reply_outbox (status) WHERE status IN ('requested', 'pending');
