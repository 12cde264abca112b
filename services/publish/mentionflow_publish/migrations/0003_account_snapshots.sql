-- One row per brand account and UTC day: its public counts from the X users lookup (ingest's
-- accounts.snapshots). 'missing' means X refused every lookup of that day so far: the counts
-- are NULL, never zero, and `reason` says why; a later 'ok' of the day replaces it.
CREATE TABLE account_snapshots (
    brand_id    text        NOT NULL,
    account_id  text        NOT NULL,   -- the account's X user id
    handle      text        NOT NULL,   -- as configured, without @
    day         date        NOT NULL,   -- UTC day
    followers   bigint      CHECK (followers >= 0),
    following   bigint      CHECK (following >= 0),
    posts       bigint      CHECK (posts >= 0),
    status      text        NOT NULL CHECK (status IN ('ok', 'missing')),
    reason      text,                   -- why X gave no counts (missing only)
    attempts    integer     NOT NULL DEFAULT 1,  -- lookups of the day that reached publish's table
    fetched_at  timestamptz NOT NULL,   -- when X answered (or refused) the kept attempt
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, day),
    CHECK ((status = 'ok' AND followers IS NOT NULL AND following IS NOT NULL AND posts IS NOT NULL
            AND reason IS NULL)
        OR (status = 'missing' AND followers IS NULL AND following IS NULL AND posts IS NULL
            AND reason IS NOT NULL))
);
-- Growth charts and per-period net change read one brand's days in order.
CREATE INDEX account_snapshots_brand_day ON account_snapshots (brand_id, day);
