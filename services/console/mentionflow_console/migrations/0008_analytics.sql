-- Analytics: when an item got its first reply and when it was resolved, kept on the console's
-- own work row by the actions that cause them (request_reply, resolve), so response and
-- resolution times are one join away instead of an aggregate over requests and the audit log.
ALTER TABLE queue_work ADD COLUMN first_replied_at timestamptz,
                       ADD COLUMN first_replied_by text,
                       ADD COLUMN resolved_at      timestamptz;

-- Rows from before this migration: the first reply from the requests, the resolution from the
-- audit log (the last item.resolve of an item still resolved).
UPDATE queue_work w SET first_replied_at = r.at, first_replied_by = r.requested_by
FROM (SELECT DISTINCT ON (item_id) item_id, requested_at AS at, requested_by
      FROM console_requests WHERE action = 'reply' AND item_id IS NOT NULL
      ORDER BY item_id, requested_at) r
WHERE r.item_id = w.item_id;
UPDATE queue_work w SET resolved_at = a.at
FROM (SELECT item_id, max(at) AS at FROM audit_log WHERE action = 'item.resolve' AND item_id IS NOT NULL
      GROUP BY item_id) a
WHERE a.item_id = w.item_id AND w.status = 'resolved';

-- Replies per agent over a range.
CREATE INDEX console_requests_brand_replies ON console_requests (brand_id, requested_at) WHERE action = 'reply';

-- Business seconds from the start of a brand's calendar up to `t`. The calendar comes from the
-- brand config (mentionflow.brandconfig.calendar, computed in Python) as sorted, disjoint open
-- intervals: `starts`, each one's length in seconds `secs`, and `cum`, the open seconds before
-- each. width_bucket finds the interval at or before `t` by binary search, so a duration in
-- business hours is business_seconds(end) - business_seconds(start), for any number of rows.
CREATE FUNCTION console_business_seconds(t timestamptz, starts timestamptz[], cum float8[], secs float8[])
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN width_bucket(t, starts) = 0 THEN 0::float8
                ELSE cum[width_bucket(t, starts)]
                     + least(extract(epoch FROM t - starts[width_bucket(t, starts)])::float8,
                             secs[width_bucket(t, starts)]) END
$$;

-- A duration clamped at zero (a reply stamped before the post, by clock skew) that stays NULL
-- when there is no duration: greatest(0, NULL) is 0 in PostgreSQL, which would count an
-- unanswered item as answered at once.
CREATE FUNCTION console_not_negative(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN x < 0 THEN 0::float8 ELSE x END
$$;
