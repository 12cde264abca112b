-- The brand accounts whose follower snapshot of a UTC day Kafka acknowledged as `ok`: a
-- restarted (or second) ingest does not look them up again that day. Rows older than a week
-- are pruned by the snapshotter; publish's account_snapshots is the record, this is progress.
CREATE TABLE ingest_snapshot_days (
    account_user_id  text        NOT NULL,
    day              date        NOT NULL,
    snapshotted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_user_id, day)
);
