"""The publishing pages run the same rules as the API: compose and schedule in the brand's time
zone, a draft edited and deleted, submit for approval on a brand that needs it, approve (edited)
and reject as a lead from the page, errors named on the page, the calendar in the brand's zone,
a post's debate with its mix and a way to answer each reply; all behind the session's CSRF token."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.console.factories import insert_item, insert_post, requested_posts
from tests.console.sessions import logged_in

PARIS = ZoneInfo("Europe/Paris")


async def _requested(console) -> list:  # noqa: ANN001
    return [e.payload for e in await requested_posts(console.kafka)]


async def test_compose_schedule_edit_and_delete_from_the_page(console):  # noqa: ANN001
    tomorrow = (datetime.now(PARIS) + timedelta(days=1)).date().isoformat()
    async with logged_in(console.base_url, "agent-a") as (agent, csrf):
        page = await agent.get("/publishing")
        assert page.status_code == 200
        assert 'href="/publishing"' in page.text and 'aria-current="page">Publishing' in page.text  # the nav link
        assert '<option value="BrandAHelp"' in page.text and "BrandAWatch" not in page.text  # posting accounts only
        assert "Europe/Paris" in page.text

        saved = await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-a", "account_handle": "BrandAHelp",
            "part": ["Spring sale starts tomorrow", "All week long"], "when": "later", "day": tomorrow, "at": "09:00",
            "intent": "save"})
        assert saved.status_code == 303 and saved.headers["location"].startswith("/publishing?brand=brand-a")
        row = await console.pool.fetchrow("SELECT post_id, parts, scheduled_for, status FROM post_drafts")
        assert row["parts"] == ["Spring sale starts tomorrow", "All week long"] and row["status"] == "draft"
        assert row["scheduled_for"].astimezone(PARIS).strftime("%Y-%m-%d %H:%M") == f"{tomorrow} 09:00"

        listing = await agent.get("/publishing?brand=brand-a")
        assert "Spring sale starts tomorrow" in listing.text and f"{tomorrow} 09:00" in listing.text
        editing = await agent.get(f"/publishing?brand=brand-a&edit={row['post_id']}")
        assert "Edit draft" in editing.text and ">All week long</textarea>" in editing.text

        over = "word " * 60  # 300 characters
        refused = await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-a", "account_handle": "BrandAHelp", "post_id": row["post_id"],
            "part": ["fine", over], "when": "now", "intent": "save"})
        assert refused.status_code == 422 and "part 2 is 299 characters" in refused.text
        past = await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-a", "account_handle": "BrandAHelp", "part": ["x"],
            "when": "later", "day": "2020-01-01", "at": "10:00", "intent": "save"})
        assert past.status_code == 422 and "has passed" in past.text
        forged = await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-a", "account_handle": "SomeoneElse", "part": ["x"]})
        assert forged.status_code == 422 and "not an account brand-a posts from" in forged.text
        no_token = await agent.post(f"/publishing/posts/{row['post_id']}/delete", data={"csrf_token": "nope"})
        assert no_token.status_code == 403

        deleted = await agent.post(f"/publishing/posts/{row['post_id']}/delete", data={"csrf_token": csrf})
        assert deleted.status_code == 303
        assert await console.pool.fetchval("SELECT count(*) FROM post_drafts") == 0

        published = await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-a", "account_handle": "BrandAHelp", "part": ["Hello now"],
            "when": "now", "intent": "submit"})
        assert published.status_code == 303
    [request] = await _requested(console)
    assert request.parts == ["Hello now"] and request.scheduled_for is None


async def test_approval_from_the_page(console):  # noqa: ANN001
    async with logged_in(console.base_url, "agent-b") as (agent, csrf), \
            logged_in(console.base_url, "lead") as (lead, lead_csrf):
        page = await agent.get("/publishing?brand=brand-b")
        assert "need a lead's approval" in page.text and "Submit for approval" in page.text
        await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-b", "account_handle": "BrandBHelp", "part": ["Draft one"],
            "intent": "submit"})
        await agent.post("/publishing/compose", data={
            "csrf_token": csrf, "brand_id": "brand-b", "account_handle": "BrandBHelp", "part": ["Draft two"],
            "intent": "submit"})
        first, second = [r["post_id"] for r in await console.pool.fetch(
            "SELECT post_id FROM post_drafts WHERE status = 'awaiting_approval' ORDER BY created_at")]
        assert 'aria-label="Approve post"' not in (await agent.get("/publishing?brand=brand-b")).text  # agents wait

        approvals = await lead.get("/approvals")
        assert "Posts awaiting approval" in approvals.text and "2 for brand-b" in approvals.text
        queue = await lead.get("/publishing?brand=brand-b")
        assert 'aria-label="Approve post"' in queue.text and "Awaiting approval" in queue.text
        approved = await lead.post(f"/publishing/posts/{first}/approve",
                                   data={"csrf_token": lead_csrf, "part": ["Draft one, polished"]})
        assert approved.status_code == 303
        # the time passed while it waited: the lead picks a new one on approval
        stale = await insert_post(console.pool, brand="brand-b", author="agent-b", status="awaiting_approval",
                                  parts=["Happy hour at 5"])
        await console.pool.execute("UPDATE post_drafts SET scheduled_for = now() - interval '1 hour' "
                                   "WHERE post_id = $1", stale)
        late = await lead.post(f"/publishing/posts/{stale}/approve", data={"csrf_token": lead_csrf})
        assert late.status_code == 422 and "has passed" in late.text
        new_day = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=1)).date().isoformat()
        moved = await lead.post(f"/publishing/posts/{stale}/approve", data={
            "csrf_token": lead_csrf, "reschedule": "true", "day": new_day, "at": "17:00"})
        assert moved.status_code == 303
        rejected = await lead.post(f"/publishing/posts/{second}/reject",
                                   data={"csrf_token": lead_csrf, "comment": "Off-brand tone"})
        assert rejected.status_code == 303
        mine = await agent.get("/publishing?brand=brand-b")
        assert "Rejected: Off-brand tone" in mine.text
    by_post = {r.post_id: r for r in await _requested(console)}
    assert set(by_post) == {first, stale}
    request = by_post[first]
    assert (request.parts, request.approved_by) == (["Draft one, polished"], "lead")
    assert by_post[stale].scheduled_for == datetime.fromisoformat(f"{new_day}T17:00").replace(
        tzinfo=ZoneInfo("America/New_York"))


async def test_calendar_page_in_the_brand_time_zone(console):  # noqa: ANN001
    post_id = await insert_post(console.pool, brand="brand-a", author="agent-a", status="requested",
                                parts=["Launch day"])
    await console.pool.execute(
        "INSERT INTO posts (post_id, brand_id, account_handle, parts, scheduled_for, status, error, requested_by) "
        "VALUES ($1, 'brand-a', 'BrandAHelp', '{\"Launch day\"}', $2, 'failed', 'User is suspended.', 'agent-a')",
        post_id, datetime(2027, 5, 31, 22, 15, tzinfo=UTC))  # 1 June 00:15 in Paris
    async with logged_in(console.base_url, "agent-a") as (agent, _):
        month = await agent.get("/publishing/calendar?brand=brand-a&date=2027-06-10")
        assert month.status_code == 200 and "June 2027" in month.text
        assert 'data-date="2027-06-01"' in month.text
        cell = month.text.split('data-date="2027-06-01"', 1)[1].split("</td>", 1)[0]
        assert "00:15" in cell and "failed" in cell and "User is suspended." in cell and post_id in cell
        assert post_id not in month.text.split('data-date="2027-05-31"', 1)[1].split("</td>", 1)[0]
        week = await agent.get("/publishing/calendar?brand=brand-a&view=week&date=2027-06-01")
        assert week.status_code == 200 and "31 May – 06 Jun 2027" in week.text and post_id in week.text
    async with logged_in(console.base_url, "agent-b") as (other, _):
        assert (await other.get("/publishing/calendar?brand=brand-a")).status_code == 404


async def test_debate_page(console):  # noqa: ANN001
    post_id = await insert_post(console.pool, brand="brand-a", author="agent-a", status="requested",
                                parts=["Which colour next?"])
    await console.pool.execute(
        "INSERT INTO posts (post_id, brand_id, account_handle, parts, scheduled_for, status, tweet_ids, "
        "conversation_id, likes, replies, reposts, quotes, metrics_observed_at, requested_by) VALUES ($1, 'brand-a', "
        "'BrandAHelp', '{x}', now(), 'published', '{8001}', '8001', 12, 2, 3, 1, now(), 'agent-a')", post_id)
    reply = await insert_item(console.pool, brand="brand-a", conversation_id="8001", category="question",
                              text="Will there be a green one?")
    quote = await insert_item(console.pool, brand="brand-a", category="praise", text="Love this brand")
    await console.pool.execute("UPDATE queue_items SET quoted_id = '8001' WHERE id = $1", quote)
    async with logged_in(console.base_url, "agent-a") as (agent, csrf):
        page = await agent.get(f"/publishing/posts/{post_id}")
        assert page.status_code == 200
        assert 'id="debate-total">2<' in page.text and 'id="likes">12<' in page.text
        assert "Will there be a green one?" in page.text and "Love this brand" in page.text
        assert f'action="/items/{reply}/claim"' in page.text  # answerable from here
        claimed = await agent.post(f"/items/{reply}/claim", data={"csrf_token": csrf})
        assert claimed.headers["location"] == f"/items/{reply}"  # straight to its reply box
        missing = await agent.get(f"/publishing/posts/{uuid.uuid4()}")
        assert missing.status_code == 404
