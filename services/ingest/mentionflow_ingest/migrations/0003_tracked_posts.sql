-- The brand's own published posts whose engagement ingest follows (from posts.published):
-- their X ids, and when each is polled next for its counts (posts.metrics) and its quote
-- tweets (mentions.raw). A post is followed until track_until (a week after publishing).
-- newest_quote_id: the newest quote already handed to Kafka, so a round pages only newer ones.
CREATE TABLE ingest_tracked_posts (
    post_id          text        PRIMARY KEY,
    brand_id         text        NOT NULL,
    account_handle   text        NOT NULL,
    tweet_ids        text[]      NOT NULL CHECK (cardinality(tweet_ids) >= 1),
    conversation_id  text        NOT NULL,
    published_at     timestamptz NOT NULL,
    track_until      timestamptz NOT NULL,
    next_poll_at     timestamptz NOT NULL,
    last_polled_at   timestamptz,
    newest_quote_id  text,
    failures         integer     NOT NULL DEFAULT 0,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_tracked_posts_due ON ingest_tracked_posts (next_poll_at);
