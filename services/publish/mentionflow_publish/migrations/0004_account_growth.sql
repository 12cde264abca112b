-- Follower growth as the console's analytics read it (publish owns them with the table; the
-- console only reads). Both count `ok` snapshots only: a missing day has no counts and is
-- never taken as a zero.

-- One row per account and day it has counts, with the change since its previous `ok` day
-- (`previous_day`: a missed day in between makes the gap longer than one day; NULL changes on
-- the account's first day). Filter by account or brand and day outside: the changes are taken
-- over the whole history first, so the first day of a range still has its change.
CREATE VIEW account_growth_daily AS
SELECT brand_id, account_id, handle, day, followers, following, posts,
       lag(day) OVER w                  AS previous_day,
       followers - lag(followers) OVER w AS followers_change,
       following - lag(following) OVER w AS following_change,
       posts - lag(posts) OVER w         AS posts_change
FROM account_snapshots
WHERE status = 'ok'
WINDOW w AS (PARTITION BY account_id ORDER BY day);

-- Net change per period [p_from, p_to] (UTC days, both included), one row per account with any
-- snapshot row in the period. The change runs from the account's last `ok` day before p_from
-- (the previous period's end, so consecutive periods add up) — or, with none, its first `ok`
-- day in the period — to its last `ok` day in the period: `from_day` and `to_day` say which.
-- The changes are NULL when the period has no `ok` day, or only the baseline itself (one point
-- is no change). `days_missing`: days X refused every lookup; `days_without_snapshot`: days
-- up to today with no row at all (ingest not running). p_to before p_from: no rows.
CREATE FUNCTION account_growth(p_from date, p_to date)
RETURNS TABLE (
    brand_id text, account_id text, handle text, from_day date, to_day date,
    followers_from bigint, followers_to bigint, followers_change bigint,
    following_from bigint, following_to bigint, following_change bigint,
    posts_from bigint, posts_to bigint, posts_change bigint,
    days_ok integer, days_missing integer, days_without_snapshot integer)
LANGUAGE sql STABLE AS $$
WITH period AS (
    SELECT s.account_id,
           count(*) FILTER (WHERE s.status = 'ok')::integer      AS days_ok,
           count(*) FILTER (WHERE s.status = 'missing')::integer AS days_missing
    FROM account_snapshots s
    WHERE s.day BETWEEN p_from AND p_to
    GROUP BY s.account_id
)
SELECT latest.brand_id, p.account_id, latest.handle, base.day, last_ok.day,
       base.followers, last_ok.followers,
       CASE WHEN base.day < last_ok.day THEN last_ok.followers - base.followers END,
       base.following, last_ok.following,
       CASE WHEN base.day < last_ok.day THEN last_ok.following - base.following END,
       base.posts, last_ok.posts,
       CASE WHEN base.day < last_ok.day THEN last_ok.posts - base.posts END,
       p.days_ok, p.days_missing,
       greatest(0, least(p_to, (now() AT TIME ZONE 'UTC')::date) - p_from + 1
                   - p.days_ok - p.days_missing)
FROM period p
CROSS JOIN LATERAL (  -- the brand and handle as of the period's last row
    SELECT l.brand_id, l.handle FROM account_snapshots l
    WHERE l.account_id = p.account_id AND l.day BETWEEN p_from AND p_to
    ORDER BY l.day DESC LIMIT 1) latest
LEFT JOIN LATERAL (
    SELECT e.day, e.followers, e.following, e.posts FROM account_snapshots e
    WHERE e.account_id = p.account_id AND e.status = 'ok' AND e.day BETWEEN p_from AND p_to
    ORDER BY e.day DESC LIMIT 1) last_ok ON true
LEFT JOIN LATERAL (  -- the last ok day before the period, else the first ok day in it
    SELECT b.day, b.followers, b.following, b.posts FROM account_snapshots b
    WHERE b.account_id = p.account_id AND b.status = 'ok' AND b.day <= p_to
    ORDER BY b.day < p_from DESC, CASE WHEN b.day < p_from THEN b.day END DESC, b.day
    LIMIT 1) base ON true
WHERE p_from <= p_to
$$;
