-- The idempotent sink of the runner's process tests: one row per (run, event) however often
-- the event is delivered, and an append-only log of every delivery to prove redelivery.
CREATE TABLE runner_sink (
    run_id   text NOT NULL,
    event_id uuid NOT NULL,
    PRIMARY KEY (run_id, event_id)
);
CREATE TABLE runner_deliveries (
    run_id   text NOT NULL,
    event_id uuid NOT NULL,
    pid      integer NOT NULL
);
