"""Known items of brand-a (Europe/Paris, open Mon–Fri 09:00-18:00 and Sun 00:00-06:00) around the
2026 spring DST change (Sun 29 March, 02:00 CET → 03:00 CEST, i.e. 01:00 UTC), whose every figure
the analytics tests compute by hand. All instants are UTC; local times in the comments.

Current period 2026-03-23..31 = [22 Mar 23:00 UTC, 31 Mar 22:00 UTC); previous 2026-03-14..22 =
[13 Mar 23:00 UTC, 22 Mar 23:00 UTC). Sunday 29 March's night shift 00:00 CET-06:00 CEST is
23:00 Sat → 04:00 Sun UTC: five real hours, not six."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from tests.console.factories import insert_incident_at, insert_timed_item


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def insert_known_items(pool: asyncpg.Pool) -> None:
    items = [
        # --- current period --------------------------------------------------------------
        # A: Fri 27 17:00 CET, answered Mon 30 10:00 CEST (twice), resolved 11:00 CEST; SLA missed.
        dict(posted=at(27, 16), sla_due=at(27, 17), category="complaint", sentiment="negative",
             text="@BrandAHelp my #refund is missing, refund please", assignee="agent-a",
             replies=[(at(30, 8), "agent-a"), (at(30, 8, 30), "agent-a")], resolved=at(30, 9)),
        # B: Sun 29 00:30 CET (Sat 28 in UTC), answered 07:00 CEST, resolved 08:00 CEST; SLA met.
        dict(posted=at(28, 23, 30), sla_due=at(29, 6), category="complaint", sentiment="negative", language="fr",
             text="#refund remboursement refund toujours pas arrivé", replies=[(at(29, 5), "agent-a2")],
             resolved=at(29, 6)),
        # C: Tue 24 10:00 CET, answered 10:30, resolved 11:00; SLA met.
        dict(posted=at(24, 9), sla_due=at(24, 10), text="how do I change my plan?",
             replies=[(at(24, 9, 30), "agent-a")], resolved=at(24, 10)),
        # D: Wed 25 17:30 CET, answered Thu 26 09:30 CET, still open; SLA missed.
        dict(posted=at(25, 16, 30), sla_due=at(25, 17, 30), sentiment="positive", text="where is the invoice",
             replies=[(at(26, 8, 30), "agent-a")]),
        # E: Mon 30 14:00 CEST, never answered (due passed: SLA missed), still open.
        dict(posted=at(30, 12), sla_due=at(30, 13), category="praise", sentiment="positive", language="fr",
             text="merci beaucoup"),
        # F: Tue 31 12:00 CEST in the VIP queue, answered 12:10 by the lead, resolved 12:40; SLA met.
        dict(posted=at(31, 10), sla_due=at(31, 11), category="complaint", sentiment="negative",
             queue_name="brand-a-vip", text="app crashed again, refund missing #outage",
             replies=[(at(31, 10, 10), "lead-a")], resolved=at(31, 10, 40)),
        # --- previous period (all inside Mon-Fri 11:00-13:00 CET: business = wall-clock) --------
        dict(posted=at(16, 10), sla_due=at(16, 11), category="complaint", sentiment="negative",
             text="delivery late again", replies=[(at(16, 10, 20), "agent-a")], resolved=at(16, 11)),  # G
        dict(posted=at(17, 10), sla_due=at(17, 11), category="complaint", sentiment="negative",
             text="delivery missing", assignee="agent-a2", resolved=at(17, 12)),  # H: closed unanswered
        dict(posted=at(18, 10), sla_due=at(18, 10, 30), text="how to pay",
             replies=[(at(18, 11), "agent-a2")], resolved=at(18, 11, 30)),  # I: SLA missed
        dict(posted=at(19, 10), sla_due=at(19, 11), category="complaint", sentiment="negative", language="fr",
             text="delivery broken #late", replies=[(at(19, 10, 5), "agent-a")]),  # J: still open
        dict(posted=at(20, 10), sla_due=at(20, 11), category="complaint", sentiment="negative",
             text="#late delivery, refund", replies=[(at(20, 10, 30), "agent-a")], resolved=at(20, 11)),  # K
        # --- outside both periods ---------------------------------------------------------
        dict(posted=at(2, 10), sla_due=at(2, 11), text="old question", replies=[(at(2, 10, 30), "agent-a")],
             resolved=at(2, 11)),  # Z (March: in the monthly report only)
        dict(posted=at(20, 10, month=2), sla_due=at(20, 11, month=2), category="praise", sentiment="positive",
             text="love it", resolved=at(20, 11, month=2)),  # Y (February)
    ]
    for item in items:
        await insert_timed_item(pool, brand="brand-a", **item)
    # Another brand's items in the same days never count for brand-a.
    await insert_timed_item(pool, brand="brand-b", posted=at(27, 16), sla_due=at(27, 17), category="complaint",
                            text="refund refund missing", replies=[(at(27, 16, 5), "agent-b")])
    await insert_incident_at(pool, brand="brand-a", opened=at(24, 12), acknowledged=at(24, 12, 6))
    await insert_incident_at(pool, brand="brand-a", opened=at(30, 15), acknowledged=at(30, 15, 20))
    await insert_incident_at(pool, brand="brand-a", opened=at(31, 20))
    await insert_incident_at(pool, brand="brand-a", opened=at(18, 9), acknowledged=at(18, 9, 30))
    await insert_incident_at(pool, brand="brand-b", opened=at(25, 9))


# publish's account_snapshots as its migration creates it (branch i28, publish migration 0003):
# the console only reads it, so the console tests create it here when publish's schema lacks it.
ACCOUNT_SNAPSHOTS = """
CREATE TABLE IF NOT EXISTS account_snapshots (
    brand_id text NOT NULL, account_id text NOT NULL, handle text NOT NULL, day date NOT NULL,
    followers bigint, following bigint, posts bigint, status text NOT NULL, reason text,
    attempts integer NOT NULL DEFAULT 1, fetched_at timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, day))
"""


def day(number: int, month: int = 3) -> date:
    return date(2026, month, number)


async def insert_known_snapshots(pool: asyncpg.Pool) -> None:
    """@BrandAHelp's days (followers, following, posts), as publish writes them from ingest's
    lookups: 13 Mar is the previous period's baseline (the week before 14 Mar), 22 Mar the last
    day of the previous period and the current one's baseline; 24 Mar X refused (missing), 26-28
    and 30 Mar no lookup reached the table (absent)."""
    await pool.execute(ACCOUNT_SNAPSHOTS)
    known = {day(13): (1000, 50, 400), day(22): (1040, 51, 410), day(23): (1050, 51, 412),
             day(25): (1070, 52, 415), day(29): (1100, 52, 420), day(31): (1120, 53, 425),
             day(1, month=4): (1200, 60, 500)}  # after the range: never counts
    rows = [("brand-a", "1001", "BrandAHelp", d, *counts, "ok", None) for d, counts in known.items()]
    rows.append(("brand-a", "1001", "BrandAHelp", day(24), None, None, None, "missing", "x: 429 Too Many Requests"))
    rows.append(("brand-b", "2002", "BrandBHelp", day(25), 999_999, 1, 1, "ok", None))  # another brand's account
    await pool.executemany(
        "INSERT INTO account_snapshots (brand_id, account_id, handle, day, followers, following, posts, status, "
        "reason, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())", rows)
