"""Brand analytics on the real database: every figure of known items (analytics_data.py) computed
by hand here, business hours across the spring DST change, filters, CSV, brand scope and bad input."""

from __future__ import annotations

import csv
import io

import pytest
from pytest import approx

from tests.console.analytics_data import insert_known_items, insert_known_snapshots
from tests.console.factories import insert_item
from tests.console.sessions import logged_in

RANGE = {"start": "2026-03-23", "end": "2026-03-31"}
API = "/api/v1/analytics/brand-a"


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the two nearest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


@pytest.fixture
async def known(console):  # noqa: ANN001
    await insert_known_items(console.pool)
    return console


async def test_every_figure_of_the_known_items(known):  # noqa: ANN001
    async with known.client("lead") as client:
        response = await client.get(API, params=RANGE)
    assert response.status_code == 200, response.text
    report = response.json()
    now, before = report["current"], report["previous"]

    assert (now["first_day"], now["last_day"]) == ("2026-03-23", "2026-03-31")
    assert (before["first_day"], before["last_day"]) == ("2026-03-14", "2026-03-22")  # the 9 days before
    # Volume: A-F now, G-K before (Z and Y are outside both, brand-b never counts).
    assert now["items"] == 6 and before["items"] == 5
    assert now["by_category"] == {"complaint": 3, "question": 2, "praise": 1}
    assert now["by_sentiment"] == {"negative": 3, "positive": 2, "neutral": 1}
    assert now["by_language"] == {"en": 4, "fr": 2}
    assert before["by_category"] == {"complaint": 4, "question": 1}
    assert before["by_language"] == {"en": 4, "fr": 1}
    assert (now["answered"], now["resolved"], before["answered"], before["resolved"]) == (5, 4, 4, 4)

    # First response, wall-clock minutes: A Fri 16:00 → Mon 08:00 UTC = 64 h; B 23:30 → 05:00 = 5.5 h;
    # C 30; D Wed 16:30 → Thu 08:30 = 16 h; F 10.
    wall = [64 * 60, 330, 30, 16 * 60, 10]
    # Business hours: A = Fri 17:00-18:00 CET (60) + the whole Sunday shift, 5 real hours across the
    # DST change (300) + Mon 09:00-10:00 CEST (60); B = Sun 00:30 CET → 06:00 CEST close = 4.5 h
    # (a fixed UTC+1 would say 5.5 h); C 30; D = 17:30-18:00 + 09:00-09:30 = 60; F 10.
    business = [60 + 300 + 60, 270, 30, 60, 10]
    assert now["first_response_wall"] == {"median": approx(330), "p90": approx(percentile(wall, 0.9))}
    assert percentile(wall, 0.9) == approx(960 + 0.6 * (3840 - 960))
    assert now["first_response_business"] == {"median": approx(60), "p90": approx(percentile(business, 0.9))}
    assert percentile(business, 0.9) == approx(270 + 0.6 * (420 - 270))
    # Resolution: A 65 h wall, 60 + 300 + 120 business; B 6.5 h wall, 270 business; C 60; F 40.
    resolution_wall = [65 * 60, 390, 60, 40]
    resolution_business = [60 + 300 + 120, 270, 60, 40]
    assert now["resolution_wall"] == {"median": approx((60 + 390) / 2),
                                      "p90": approx(percentile(resolution_wall, 0.9))}
    assert now["resolution_business"] == {"median": approx((60 + 270) / 2),
                                          "p90": approx(percentile(resolution_business, 0.9))}
    # Before: G 20, I 60, J 5, K 30, all inside business hours; resolutions G 60, H 120, I 90, K 60.
    assert before["first_response_wall"] == before["first_response_business"] == {
        "median": approx(25), "p90": approx(30 + 0.7 * 30)}
    assert before["resolution_wall"] == {"median": approx(75), "p90": approx(90 + 0.7 * 30)}
    # SLA: A and D late, E never answered (due passed); B, C, F in time. Before: G, J, K of 5.
    assert (now["sla_met"], now["sla_due"]) == (3, 6)
    assert (before["sla_met"], before["sla_due"]) == (3, 5)

    # Backlog at 31 Mar 22:00 UTC: D (149.5 h old), E (34 h), J (300 h). At 22 Mar 23:00 UTC: J (85 h).
    assert now["backlog"]["open"] == 3
    assert now["backlog"]["median_age_hours"] == approx(149.5)
    assert now["backlog"]["oldest_age_hours"] == approx(300)
    assert now["backlog"]["by_age"] == {"under 1 h": 0, "1–4 h": 0, "4–24 h": 0, "1–3 days": 1, "over 3 days": 2}
    assert before["backlog"]["open"] == 1 and before["backlog"]["oldest_age_hours"] == approx(85)

    # Incidents: acknowledged after 6 and 20 min, one not at all; before: one after 30 min.
    assert now["incidents"] == {"opened": 3, "acknowledged": 2,
                                "to_acknowledge": {"median": approx(13), "p90": approx(6 + 0.9 * 14)}}
    assert before["incidents"]["opened"] == 1 and before["incidents"]["to_acknowledge"]["median"] == approx(30)
    assert [i["minutes_to_acknowledge"] for i in report["incident_list"]] == [approx(6), approx(20), None]

    # Replies sent in each period, per agent (A's second reply counts).
    assert report["agents"] == [{"agent": "agent-a", "current": 4, "previous": 3},
                                {"agent": "agent-a2", "current": 1, "previous": 1},
                                {"agent": "lead-a", "current": 1, "previous": 0}]
    # Complaint words in ≥ 2 complaints now: refund (A, B, F; before K), missing (A, F; before H).
    assert report["terms"] == [{"term": "refund", "current": 3, "previous": 1},
                               {"term": "missing", "current": 2, "previous": 1}]
    assert report["hashtags"] == [{"term": "refund", "current": 2, "previous": 0}]

    # Per local day (Europe/Paris), 23..31 March: B is posted on Saturday in UTC but Sunday in Paris.
    series = report["by_category"]
    assert series["buckets"][0] == "2026-03-22T23:00:00Z"  # 23 March 00:00 CET
    assert series["buckets"][-1] == "2026-03-30T22:00:00Z"  # 31 March 00:00 CEST
    assert series["counts"] == {"complaint": [0, 0, 0, 0, 1, 0, 1, 0, 1], "praise": [0, 0, 0, 0, 0, 0, 0, 1, 0],
                                "question": [0, 1, 1, 0, 0, 0, 0, 0, 0]}
    assert report["summary"] == (
        "Complaints fell 25 % (to 3) while volume rose 20 % (to 6). Median first response 60 min in business "
        "hours (5.5 h round the clock); SLA met for 50 % of items. 3 incidents; median time to acknowledge "
        "13 min. 3 items open at the end of the period.")
    assert "Mon–Fri 09:00-18:00; Sun 00:00-06:00 (Europe/Paris)" in report["business_hours"]
    # no snapshot of this brand's accounts yet: no growth listed (never zeros)
    assert (report["snapshots_kept"], report["accounts"]) == (True, [])


async def test_follower_growth_from_daily_snapshots(known):  # noqa: ANN001
    await insert_known_snapshots(known.pool)
    async with known.client("lead") as client:
        report = (await client.get(API, params=RANGE)).json()
        days = await client.get(f"{API}/csv/follower-days", params=RANGE)
        changes = await client.get(f"{API}/csv/followers", params=RANGE)
    async with logged_in(known.base_url, "lead") as (session, _):
        page = await session.get("/analytics/brand-a", params=RANGE)
    assert report["snapshots_kept"] is True
    [account] = report["accounts"]  # brand-b's account never shows
    assert (account["account_id"], account["handle"]) == ("1001", "BrandAHelp")
    # Every day of 23..31 March: counts on 23, 25, 29, 31; the refused 24th and the unseen days are gaps.
    assert [d["followers"] for d in account["days"]] == [1050, None, 1070, None, None, None, 1100, None, 1120]
    assert [d["status"] for d in account["days"]] == ["ok", "missing", "ok", "absent", "absent", "absent", "ok",
                                                      "absent", "ok"]
    assert account["days"][1]["reason"] == "x: 429 Too Many Requests"
    assert account["missing_days"] == 5 and account["latest"]["followers"] == 1120
    # Net change: 31 Mar − 22 Mar now (1120 − 1040, 53 − 51, 425 − 410); 22 Mar − 13 Mar before.
    assert account["changes"] == {"followers": {"current": 80, "previous": 40},
                                  "following": {"current": 2, "previous": 1},
                                  "posts": {"current": 15, "previous": 10}}
    assert report["summary"].endswith("3 items open at the end of the period. Followers +80 (to 1,120) on "
                                      "@BrandAHelp.")
    rows = list(csv.DictReader(io.StringIO(days.text)))
    assert [(r["day"], r["status"], r["followers"]) for r in rows[:2]] == [("2026-03-23", "ok", "1050"),
                                                                          ("2026-03-24", "missing", "")]
    assert ["1001", "BrandAHelp", "followers", "1120", "80", "40", "5"] in list(csv.reader(io.StringIO(changes.text)))
    assert page.status_code == 200 and "Followers of @BrandAHelp" in page.text and "+80" in page.text


async def test_queue_and_agent_filters(known):  # noqa: ANN001
    async with known.client("lead") as client:
        vip = (await client.get(API, params={**RANGE, "queue": "brand-a-vip"})).json()
        mine = (await client.get(API, params={**RANGE, "agent": "agent-a"})).json()
    assert vip["current"]["items"] == 1 and vip["current"]["first_response_wall"]["median"] == approx(10)
    assert vip["previous"]["items"] == 0 and vip["previous"]["first_response_wall"]["median"] is None
    assert vip["agents"] == [{"agent": "lead-a", "current": 1, "previous": 0}]
    # agent-a holds A, C, D now; G, J, K before.
    assert mine["current"]["items"] == 3 and mine["current"]["by_category"] == {"question": 2, "complaint": 1}
    assert mine["current"]["first_response_wall"]["median"] == approx(960)
    assert mine["previous"]["items"] == 3
    assert mine["agents"] == [{"agent": "agent-a", "current": 4, "previous": 3}]


async def test_csv_tables_and_items(known):  # noqa: ANN001
    async with known.client("lead") as client:
        summary = await client.get(f"{API}/csv/summary", params=RANGE)
        times = await client.get(f"{API}/csv/response-times", params=RANGE)
        items = await client.get(f"{API}/csv/items", params=RANGE)
        every = {t: (await client.get(f"{API}/csv/{t}", params=RANGE)).status_code for t in (
            "volume", "categories", "sentiment", "languages", "backlog", "agents", "terms", "hashtags", "incidents")}
    assert summary.status_code == 200 and summary.headers["content-type"].startswith("text/csv")
    assert 'filename="brand-a-summary-2026-03-23-2026-03-31.csv"' in summary.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(summary.text)))
    assert rows[0] == ["figure", "current", "previous"]
    assert ["items", "6", "5"] in rows and ["sla_percent", "50.0", "60.0"] in rows
    assert ["first_response_business_min", "median", "60.0", "25.0"] in list(csv.reader(io.StringIO(times.text)))
    assert every == dict.fromkeys(every, 200)
    listed = list(csv.DictReader(io.StringIO(items.text)))
    assert len(listed) == 6
    by_text = {row["text"]: row for row in listed}
    a = by_text["'@BrandAHelp my #refund is missing, refund please"]  # a formula-like cell is quoted
    assert (a["first_response_min"], a["first_response_business_min"]) == ("3840.00", "420.00")
    assert (a["resolution_business_min"], a["sla_met"], a["first_replied_by"]) == ("480.00", "False", "agent-a")
    assert by_text["merci beaucoup"]["sla_met"] == "False" and by_text["merci beaucoup"]["first_response_min"] == ""


async def test_brand_scope_and_roles_for_api_exports_and_pages(known):  # noqa: ANN001
    paths = ["/api/v1/analytics/brand-b", "/api/v1/analytics/brand-b/csv/items",
             "/api/v1/analytics/brand-b/report.pdf"]
    async with known.client("lead-a") as lead_a, known.client("agent-a") as agent, known.client("admin") as admin:
        for path in paths:
            assert (await lead_a.get(path)).status_code == 404, path  # brand-b is outside lead-a's scope
            assert (await agent.get(path.replace("brand-b", "brand-a"))).status_code == 403, path
        assert (await admin.get("/api/v1/analytics/brand-b", params=RANGE)).json()["current"]["items"] == 1
        assert (await lead_a.get("/api/v1/analytics/no-such-brand")).status_code == 404
    async with logged_in(known.base_url, "lead-a") as (page, _):
        assert (await page.get("/analytics/brand-b")).status_code == 404
        assert (await page.get("/analytics/brand-b/report")).status_code == 404
        listing = await page.get("/analytics")
        assert "/analytics/brand-a" in listing.text and "/analytics/brand-b" not in listing.text
    async with logged_in(known.base_url, "agent-a") as (page, _):
        assert (await page.get("/analytics/brand-a")).status_code == 403


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),  # the end before the start
    ({"start": "2026-01-01", "end": "2026-04-03"}, "end"),  # 93 days, longer than allowed
    ({"start": "2026-02-30"}, "start"),  # not a date
])
async def test_bad_range_is_422_naming_the_field(known, params, field):  # noqa: ANN001
    async with known.client("lead") as client:
        for path in (API, f"{API}/csv/summary", f"{API}/csv/items"):
            response = await client.get(path, params=params)
            assert response.status_code == 422, (path, response.text)
            assert field in [str(part) for part in response.json()["detail"][0]["loc"]], response.text
    async with logged_in(known.base_url, "lead") as (page, _):
        response = await page.get("/analytics/brand-a", params=params)
        assert response.status_code == 422 and field in response.text


async def test_bad_month_is_422(known):  # noqa: ANN001
    async with known.client("lead") as client:
        response = await client.get(f"{API}/report.pdf", params={"month": "2026-13"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "month"


async def test_console_actions_stamp_first_reply_and_resolution(console):  # noqa: ANN001
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as client:
        assert (await client.post(f"/api/v1/items/{item}/claim")).status_code == 200
        assert (await client.post(f"/api/v1/items/{item}/reply", json={"text": "first"})).status_code == 202
        first = await console.pool.fetchrow("SELECT first_replied_at, first_replied_by, resolved_at FROM queue_work "
                                            "WHERE item_id = $1", item)
        assert (await client.post(f"/api/v1/items/{item}/reply", json={"text": "second"})).status_code == 202
        assert (await client.post(f"/api/v1/items/{item}/resolve", json={})).status_code == 200
    after = await console.pool.fetchrow("SELECT first_replied_at, first_replied_by, resolved_at FROM queue_work "
                                        "WHERE item_id = $1", item)
    assert first["first_replied_by"] == "agent-a" and first["resolved_at"] is None
    assert after["first_replied_at"] == first["first_replied_at"]  # the second reply is not the first
    assert after["resolved_at"] is not None and after["resolved_at"] >= after["first_replied_at"]

