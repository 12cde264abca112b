"""The analytics SQL: every figure is aggregated in PostgreSQL over the console's narrow copy of
the brand's items (console_analytics_items) or its hourly counts (console_analytics_volume_hourly,
console_analytics_terms_hourly), console migration 0010, which `catch_up` brings up to date from
queue_items and queue_work before each report. Only the CSV of items reads queue_items itself
(it needs the text).

Parameters shared by the item queries: $1 brand, $2 previous period's start, $3 current start,
$4 current end, $5 queue (NULL: all), $6 agent, the item's assignee (NULL: all). The queries
run concurrently, each on its own connection (`_fetch`).

Durations are date_part('epoch', interval), a float8, rather than extract(), a numeric: the
same seconds, much cheaper over a million rows. The hourly counts serve a range only when its
edges and chart steps fall on whole UTC hours and no agent is chosen (`hourly`); otherwise the
same figures are counted over the items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from mentionflow_console.analytics.business_time import CalendarArrays


@dataclass(frozen=True)
class Scope:
    brand: str
    previous_start: datetime
    start: datetime
    end: datetime
    queue: str | None
    agent: str | None

    def params(self) -> tuple:
        return self.brand, self.previous_start, self.start, self.end, self.queue, self.agent


# Report queries are few, long aggregates over up to a million rows: JIT compilation costs them
# more than it saves (1.4 s of a 6 s query measured over 1,000,000 items), and percentiles and
# groupings spill to disk at the default 4 MB. Scoped to the query's own transaction.
SESSION = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")


async def _fetch(pool: asyncpg.Pool, sql: str, *args: object) -> list[asyncpg.Record]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        for setting in SESSION:
            await conn.execute(setting)
        return await conn.fetch(sql, *args)


# The items of the scope in both periods ($2..$4), as the queries below filter them.
IN_SCOPE = """a.brand_id = $1 AND a.posted_at >= $2 AND a.posted_at < $4
  AND ($5::text IS NULL OR a.queue = $5) AND ($6::text IS NULL OR a.assignee = $6)"""

VOLUME_ITEMS = """
SELECT a.posted_at >= $3 AS is_current, date_trunc($7, a.posted_at, $8) AS bucket,
       a.category, a.sentiment, a.language, count(*) AS n
FROM console_analytics_items a
WHERE """ + IN_SCOPE + """
GROUP BY 1, 2, 3, 4, 5
"""

# The same from the hourly counts (no agent filter: they are not kept per assignee).
VOLUME_HOURLY = """
SELECT v.hour >= $3 AS is_current, date_trunc($7, v.hour, $8) AS bucket,
       v.category, v.sentiment, v.language, sum(v.n)::bigint AS n
FROM console_analytics_volume_hourly v
WHERE v.brand_id = $1 AND v.hour >= $2 AND v.hour < $4 AND ($5::text IS NULL OR v.queue = $5) AND $6::text IS NULL
GROUP BY 1, 2, 3, 4, 5
"""


async def volume(pool: asyncpg.Pool, scope: Scope, *, bucket: str, time_zone: str, hourly: bool
                 ) -> list[asyncpg.Record]:
    sql = VOLUME_HOURLY if hourly and scope.agent is None else VOLUME_ITEMS
    return await _fetch(pool, sql, *scope.params(), bucket, time_zone)


# Minutes; NULL where the item has no reply / resolution, or the brand no business hours ($7 NULL).
# One period per query ($11: the current one, else the previous), so the two run at once and
# neither sorts a million joined rows by period before the percentiles sort them again.
TIMINGS = """
WITH items AS (
    SELECT a.posted_at AS created, a.sla_due_at, a.replied_at AS replied, a.resolved_at AS resolved,
           console_business_seconds(a.posted_at, $7, $8, $9) AS created_b
    FROM console_analytics_items a
    WHERE a.brand_id = $1
      AND a.posted_at >= CASE WHEN $11::boolean THEN $3::timestamptz ELSE $2::timestamptz END
      AND a.posted_at < CASE WHEN $11::boolean THEN $4::timestamptz ELSE $3::timestamptz END
      AND ($5::text IS NULL OR a.queue = $5) AND ($6::text IS NULL OR a.assignee = $6)
), timed AS (
    SELECT replied, resolved, sla_due_at,
           console_not_negative(date_part('epoch', replied - created)) / 60 AS response_wall,
           console_not_negative(console_business_seconds(replied, $7, $8, $9) - created_b) / 60 AS response_business,
           console_not_negative(date_part('epoch', resolved - created)) / 60 AS resolution_wall,
           console_not_negative(console_business_seconds(resolved, $7, $8, $9) - created_b) / 60 AS resolution_business
    FROM items
)
SELECT $11::boolean AS is_current, count(*) AS items, count(replied) AS answered, count(resolved) AS resolved,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY response_wall) AS response_wall,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY response_business) AS response_business,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY resolution_wall) AS resolution_wall,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY resolution_business) AS resolution_business,
       count(*) FILTER (WHERE replied IS NOT NULL OR sla_due_at <= $10) AS sla_due,
       count(*) FILTER (WHERE replied <= sla_due_at) AS sla_met
FROM timed
"""


async def timings(pool: asyncpg.Pool, scope: Scope, *, current: bool, calendar: CalendarArrays | None,
                  now: datetime) -> list[asyncpg.Record]:
    arrays = calendar.as_params() if calendar is not None else (None, None, None)
    return await _fetch(pool, TIMINGS, *scope.params(), *arrays, now, current)


# Open items at each instant of `$4` (the ends of the periods, or now): posted before it and not
# resolved by then. A row resolved before resolved_at was recorded (migration 0008) counts as
# resolved. $1 brand, $2 queue, $3 agent. No row for an instant without open items. The items
# that may be open at either instant (never resolved, or resolved after the earliest one: two
# partial indexes) are read once (MATERIALIZED: else the planner reads them once per instant),
# then checked against each instant.
BACKLOG = """
WITH candidates AS MATERIALIZED (
    SELECT a.posted_at AS posted, NULL::timestamptz AS resolved_at, true AS unresolved
    FROM console_analytics_items a
    WHERE a.brand_id = $1 AND a.unresolved AND a.posted_at < (SELECT max(t) FROM unnest($4::timestamptz[]) AS t)
      AND ($2::text IS NULL OR a.queue = $2) AND ($3::text IS NULL OR a.assignee = $3)
    UNION ALL
    SELECT a.posted_at, a.resolved_at, false
    FROM console_analytics_items a
    WHERE a.brand_id = $1 AND a.resolved_at > (SELECT min(t) FROM unnest($4::timestamptz[]) AS t)
      AND a.posted_at < (SELECT max(t) FROM unnest($4::timestamptz[]) AS t)
      AND ($2::text IS NULL OR a.queue = $2) AND ($3::text IS NULL OR a.assignee = $3)
)
SELECT i.as_of, f.*
FROM unnest($4::timestamptz[]) AS i(as_of), LATERAL (  -- one aggregate per instant: no sort by instant
    SELECT count(*) AS open,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY age) AS median_age_h, max(age) AS oldest_age_h,
           count(*) FILTER (WHERE age < 1) AS under_1h,
           count(*) FILTER (WHERE age >= 1 AND age < 4) AS from_1h_to_4h,
           count(*) FILTER (WHERE age >= 4 AND age < 24) AS from_4h_to_1d,
           count(*) FILTER (WHERE age >= 24 AND age < 72) AS from_1d_to_3d,
           count(*) FILTER (WHERE age >= 72) AS over_3d
    FROM (SELECT date_part('epoch', i.as_of - c.posted) / 3600 AS age
          FROM candidates c
          WHERE c.posted < i.as_of AND (c.unresolved OR c.resolved_at > i.as_of)) open_items
) f
WHERE f.open > 0
"""


async def backlog(pool: asyncpg.Pool, scope: Scope, *, as_of: list[datetime]) -> dict[datetime, asyncpg.Record]:
    rows = await _fetch(pool, BACKLOG, scope.brand, scope.queue, scope.agent, as_of)
    return {row["as_of"]: row for row in rows}


AGENTS = """
SELECT r.requested_by AS agent,
       count(*) FILTER (WHERE r.requested_at >= $3) AS current,
       count(*) FILTER (WHERE r.requested_at < $3) AS previous
FROM console_requests r
WHERE r.action = 'reply' AND r.brand_id = $1 AND r.requested_at >= $2 AND r.requested_at < $4
  AND r.item_id IS NOT NULL  -- replies to items (queue items are never deleted)
  AND ($5::text IS NULL OR r.item_id IN (SELECT item_id FROM console_analytics_items
                                         WHERE brand_id = $1 AND queue = $5))
  AND ($6::text IS NULL OR r.requested_by = $6)
GROUP BY r.requested_by
ORDER BY current DESC, previous DESC, agent
"""


async def agents(pool: asyncpg.Pool, scope: Scope) -> list[asyncpg.Record]:
    return await _fetch(pool, AGENTS, *scope.params())


# Words of complaints and their hashtags, each counted once per complaint: publish extracts them
# when it writes the item (queue_items.complaint_words / complaint_hashtags, its migration 0009,
# which says what a word is; copied as terms / hashtags); $7 the stop words, $8 how many
# complaints of the current period must use a term. The ten that grew most of each kind.
RANKED = """
, ranked AS (
    SELECT kind, term, current, previous,
           row_number() OVER (PARTITION BY kind ORDER BY current - previous DESC, current DESC, term) AS rank
    FROM counted WHERE current >= $8
)
SELECT kind, term, current, previous FROM ranked WHERE rank <= 10 ORDER BY kind, rank
"""

GROWING_ITEMS = """
WITH complaints AS (
    SELECT a.posted_at >= $3 AS is_current, a.terms, a.hashtags
    FROM console_analytics_items a
    WHERE """ + IN_SCOPE + """ AND a.category = 'complaint'
), words AS (
    SELECT 'term' AS kind, is_current, term FROM complaints, unnest(terms) AS term
    UNION ALL
    SELECT 'hashtag', is_current, tag FROM complaints, unnest(hashtags) AS tag
), counted AS (
    SELECT kind, term, count(*) FILTER (WHERE is_current) AS current, count(*) FILTER (WHERE NOT is_current) AS previous
    FROM words GROUP BY kind, term
    HAVING kind = 'hashtag' OR term <> ALL($7::text[])  -- the stop words, once per distinct word
)""" + RANKED

# The same from the hourly counts (no agent filter).
GROWING_HOURLY = """
WITH counted AS (
    SELECT t.kind, t.term, coalesce(sum(t.n) FILTER (WHERE t.hour >= $3), 0) AS current,
           coalesce(sum(t.n) FILTER (WHERE t.hour < $3), 0) AS previous
    FROM console_analytics_terms_hourly t
    WHERE t.brand_id = $1 AND t.hour >= $2 AND t.hour < $4 AND ($5::text IS NULL OR t.queue = $5) AND $6::text IS NULL
    GROUP BY t.kind, t.term
    HAVING t.kind = 'hashtag' OR t.term <> ALL($7::text[])
)""" + RANKED


async def growing(pool: asyncpg.Pool, scope: Scope, *, stop_words: list[str], min_count: int, hourly: bool
                  ) -> list[asyncpg.Record]:
    sql = GROWING_HOURLY if hourly and scope.agent is None else GROWING_ITEMS
    return await _fetch(pool, sql, *scope.params(), stop_words, min_count)


# Incidents are brand-wide: the queue and agent filters do not apply to them.
INCIDENT_FIGURES = """
SELECT opened_at >= $3 AS is_current, count(*) AS incidents, count(acknowledged_at) AS acknowledged,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
           ORDER BY console_not_negative(date_part('epoch', acknowledged_at - opened_at)) / 60)
           AS to_acknowledge
FROM incidents WHERE brand_id = $1 AND opened_at >= $2 AND opened_at < $4
GROUP BY 1
"""

INCIDENT_LIST = """
SELECT incident_id, opened_at, summary, acknowledged_at, acknowledged_by, resolved_at,
       console_not_negative(date_part('epoch', acknowledged_at - opened_at)) / 60 AS to_acknowledge
FROM incidents WHERE brand_id = $1 AND opened_at >= $2 AND opened_at < $3
ORDER BY opened_at LIMIT 200
"""


async def incident_figures(pool: asyncpg.Pool, scope: Scope) -> list[asyncpg.Record]:
    return await _fetch(pool, INCIDENT_FIGURES, scope.brand, scope.previous_start, scope.start, scope.end)


async def incident_list(pool: asyncpg.Pool, scope: Scope) -> list[asyncpg.Record]:
    return await _fetch(pool, INCIDENT_LIST, scope.brand, scope.start, scope.end)


# The items of the current period, one CSV row each (streamed with a cursor).
ITEM_ROWS = """
SELECT q.id, q.mention_created_at AS posted_at, q.queue, q.priority, q.category, q.sentiment, q.language,
       coalesce(w.status, CASE WHEN q.status = 'escalated' THEN 'escalated' ELSE 'new' END) AS status,
       w.assignee, q.sla_due_at, w.first_replied_at, w.first_replied_by, w.resolved_at,
       round((console_not_negative(date_part('epoch', w.first_replied_at - q.mention_created_at)) / 60
              )::numeric, 2)
           AS first_response_min,
       round((console_not_negative(console_business_seconds(w.first_replied_at, $5, $6, $7)
                          - console_business_seconds(q.mention_created_at, $5, $6, $7)) / 60)::numeric, 2)
           AS first_response_business_min,
       round((console_not_negative(date_part('epoch', w.resolved_at - q.mention_created_at)) / 60
              )::numeric, 2)
           AS resolution_min,
       round((console_not_negative(console_business_seconds(w.resolved_at, $5, $6, $7)
                          - console_business_seconds(q.mention_created_at, $5, $6, $7)) / 60)::numeric, 2)
           AS resolution_business_min,
       CASE WHEN w.first_replied_at IS NOT NULL THEN w.first_replied_at <= q.sla_due_at
            WHEN q.sla_due_at <= $8 THEN false END AS sla_met,
       q.author_handle, q.text
FROM queue_items q LEFT JOIN queue_work w ON w.item_id = q.id
WHERE q.brand_id = $1 AND q.mention_created_at >= $2 AND q.mention_created_at < $3
  AND ($4::text IS NULL OR q.queue = $4) AND ($9::text IS NULL OR w.assignee = $9)
ORDER BY q.mention_created_at, q.id
"""


# Follower growth: publish's account_snapshots (one row per brand account and UTC day, from
# ingest's daily X users lookup; 'missing' days have NULL counts, never zeros). $1 brand, $2..$3
# the days (inclusive). None when the table does not exist yet (publish has not created it).
ACCOUNT_DAYS = """
SELECT account_id, handle, day, followers, following, posts, status, reason
FROM account_snapshots WHERE brand_id = $1 AND day >= $2 AND day <= $3
ORDER BY account_id, day
"""


async def account_days(pool: asyncpg.Pool, brand: str, *, first: date, last: date) -> list[asyncpg.Record] | None:
    try:
        return await _fetch(pool, ACCOUNT_DAYS, brand, first, last)
    except asyncpg.UndefinedTableError:
        return None
