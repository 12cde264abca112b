-- Dedup claims: one row per (platform, external id, brand) ever produced to mentions.raw.
-- A row is 'pending' from its claim until Kafka acknowledged the event, then 'produced'.
-- While pending it holds the encoded event, so the recovery sweep can produce it if the
-- claimer died (or Kafka failed) between claim and acknowledgement.
CREATE TABLE ingest_claims (
    platform     text        NOT NULL,
    external_id  text        NOT NULL,
    brand_id     text        NOT NULL,
    mention_id   text        NOT NULL,
    source       text        NOT NULL,
    state        text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'produced')),
    event_key    bytea,
    event_value  bytea,
    attempts     integer     NOT NULL DEFAULT 1,
    claimed_at   timestamptz NOT NULL DEFAULT now(),
    produced_at  timestamptz,
    PRIMARY KEY (platform, external_id, brand_id)
);
CREATE INDEX ingest_claims_pending ON ingest_claims (claimed_at) WHERE state = 'pending';

-- since_id checkpoint per polled X account: the newest mention id whose whole poll was
-- acknowledged by Kafka. Ids compare as numbers; stored as text (they exceed bigint's
-- comfort for clients that go through JSON).
CREATE TABLE ingest_checkpoints (
    account_user_id  text        PRIMARY KEY,
    account_handle   text        NOT NULL,
    since_id         text        NOT NULL,
    newest_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
