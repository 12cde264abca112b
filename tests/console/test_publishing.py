"""Publishing through the API against the real PostgreSQL and Kafka: compose → draft → submit puts
exactly one posts.requested on the broker with the post as written (brand-a: no approval); on a
brand whose posts need approval (brand-b) nothing is requested until a lead approves, editing
if they like, or rejects with a reason; cancel asks publish to withdraw; every bad input is a
422 naming its field, and other brands' posts are missing (404). The calendar reads publish's
`posts` rows in the brand's time zone; the debate view counts what came back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from mentionflow.accounts import store
from mentionflow.kafka.producer import make_producer
from mentionflow_console.outbox import resend_unproduced

from tests.console.factories import insert_item, requested_posts

PARIS = ZoneInfo("Europe/Paris")  # brand-a's time zone (tests/console/brands)


async def _requested(console) -> list:  # noqa: ANN001
    """posts.requested events produced so far (this test's own topic)."""
    return await requested_posts(console.kafka)


def _tomorrow_local(hour: int = 9, minute: int = 30) -> str:
    day = datetime.now(PARIS).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00"


def _field(response, *loc) -> dict:  # noqa: ANN001
    assert response.status_code == 422, response.text
    found = [e for e in response.json()["detail"] if tuple(e["loc"][1:]) == loc]
    assert found, response.json()
    return found[0]


async def test_compose_draft_then_submit_requests_the_post_once(console):  # noqa: ANN001
    async with console.client("agent-a") as agent:
        created = await agent.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "@brandahelp", "parts": ["Big news today 🎉", "More soon."],
            "scheduled_for": _tomorrow_local()})
        assert created.status_code == 201, created.text
        post = created.json()
        assert post["status"] == "draft" and post["account_handle"] == "BrandAHelp"  # as configured
        assert post["weighted_lengths"] == [17, 10]  # the emoji weighs 2
        assert post["scheduled_local"] == _tomorrow_local()[:16].replace("T", " ")
        assert await _requested(console) == []  # a draft asks nothing of publish

        edited = await agent.put(f"/api/v1/posts/{post['post_id']}", json={
            "account_handle": "BrandAHelp", "parts": ["Big news tomorrow!", "More soon.", "Stay tuned."],
            "scheduled_for": _tomorrow_local(10, 0)})
        assert edited.status_code == 200 and edited.json()["parts"][0] == "Big news tomorrow!"

        submitted = await agent.post(f"/api/v1/posts/{post['post_id']}/submit")
        assert submitted.status_code == 200 and submitted.json()["status"] == "requested"
        again = await agent.post(f"/api/v1/posts/{post['post_id']}/submit")
        assert again.status_code == 200  # idempotent: nothing more is requested

    [event] = await _requested(console)
    request = event.payload
    assert (request.post_id, request.brand_id, request.action, request.account_handle) == (
        post["post_id"], "brand-a", "schedule", "BrandAHelp")
    assert request.parts == ["Big news tomorrow!", "More soon.", "Stay tuned."]
    assert request.scheduled_for == datetime.fromisoformat(_tomorrow_local(10, 0)).replace(tzinfo=PARIS)
    assert (request.requested_by, request.approved_by) == ("agent-a", None)
    assert event.brand_id == "brand-a"
    produced = await console.pool.fetchval("SELECT produced_at FROM console_requests WHERE request_id = $1",
                                           post["post_id"])
    assert produced is not None  # the broker acknowledged it: the relay has nothing to re-send
    actions = [r["action"] for r in await console.pool.fetch(
        "SELECT action FROM audit_log WHERE target = $1 ORDER BY id", post["post_id"])]
    assert actions == ["post.draft", "post.edit", "post.request"]


async def test_post_now_in_one_call(console):  # noqa: ANN001
    async with console.client("lead") as lead:
        response = await lead.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["Hello, community!"], "submit": True})
    assert response.status_code == 201 and response.json()["status"] == "requested"
    [event] = await _requested(console)
    assert event.payload.scheduled_for is None and event.payload.parts == ["Hello, community!"]


async def test_approval_needed_by_the_brand_then_approved_with_an_edit(console):  # noqa: ANN001
    async with console.client("agent-b") as agent, console.client("lead") as lead:
        created = await agent.post("/api/v1/posts", json={
            "brand_id": "brand-b", "account_handle": "BrandBHelp", "parts": ["Our new plan is live"], "submit": True})
        assert created.status_code == 201, created.text
        post = created.json()
        assert post["status"] == "awaiting_approval"
        assert await _requested(console) == []  # nothing before approval

        # never by its author, never by an agent
        assert (await agent.post(f"/api/v1/posts/{post['post_id']}/approve")).status_code == 403
        pending = await lead.get("/api/v1/posts", params={"brand": "brand-b", "status": "awaiting_approval"})
        assert [p["post_id"] for p in pending.json()] == [post["post_id"]]

        approved = await lead.post(f"/api/v1/posts/{post['post_id']}/approve",
                                   json={"parts": ["Our new plan is live — details inside", "Questions? Ask us."]})
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "requested" and approved.json()["decided_by"] == "lead"
        assert (await lead.post(f"/api/v1/posts/{post['post_id']}/approve")).status_code == 200  # idempotent

    [event] = await _requested(console)
    assert event.payload.parts == ["Our new plan is live — details inside", "Questions? Ask us."]
    assert (event.payload.requested_by, event.payload.approved_by) == ("agent-b", "lead")
    detail = await console.pool.fetchval("SELECT detail FROM audit_log WHERE action = 'post.approve' AND target = $1",
                                         post["post_id"])
    assert detail == "edited on approval"


async def test_approval_needed_by_the_author_on_a_brand_that_needs_none(console):  # noqa: ANN001
    await store.set_replies_need_approval(console.pool, username="agent-a", required=True, actor="tests")
    async with console.client("agent-a") as agent, console.client("lead") as lead:
        post = (await agent.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["Hi all"], "submit": True})).json()
        assert post["status"] == "awaiting_approval"
        approved = await lead.post(f"/api/v1/posts/{post['post_id']}/approve")
        assert approved.json()["status"] == "requested"
    [event] = await _requested(console)
    assert event.payload.parts == ["Hi all"] and event.payload.approved_by == "lead"


async def test_rejected_with_a_reason_then_edited_and_resubmitted(console):  # noqa: ANN001
    async with console.client("agent-b") as agent, console.client("lead") as lead:
        post = (await agent.post("/api/v1/posts", json={
            "brand_id": "brand-b", "account_handle": "BrandBHelp", "parts": ["Free stuff!!!"], "submit": True})).json()
        assert _field(await lead.post(f"/api/v1/posts/{post['post_id']}/reject", json={"comment": "   "}),
                      "comment")
        rejected = await lead.post(f"/api/v1/posts/{post['post_id']}/reject", json={"comment": "Too salesy"})
        assert rejected.json()["status"] == "rejected" and rejected.json()["comment"] == "Too salesy"
        assert (await lead.post(f"/api/v1/posts/{post['post_id']}/approve")).status_code == 409
        assert (await agent.post(f"/api/v1/posts/{post['post_id']}/submit")).status_code == 409  # edit first
        edited = await agent.put(f"/api/v1/posts/{post['post_id']}", json={
            "account_handle": "BrandBHelp", "parts": ["A little something for our members"]})
        assert edited.json()["status"] == "draft"
        again = await agent.post(f"/api/v1/posts/{post['post_id']}/submit")
        assert again.json()["status"] == "awaiting_approval"
    assert await _requested(console) == []


async def test_bad_input_is_422_naming_the_field_and_changes_nothing(console):  # noqa: ANN001
    base = {"brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["ok"]}
    async with console.client("agent-a") as agent:
        # an account the brand does not post from: another brand's, a watched-only one, a stranger's
        for handle in ("BrandBHelp", "BrandAWatch", "elonmusk"):
            error = _field(await agent.post("/api/v1/posts", json={**base, "account_handle": handle}),
                           "account_handle")
            assert handle in error["msg"]
        past = (datetime.now(PARIS) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
        assert "passed" in _field(await agent.post("/api/v1/posts", json={**base, "scheduled_for": past}),
                                  "scheduled_for")["msg"]
        aware_past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        _field(await agent.post("/api/v1/posts", json={**base, "scheduled_for": aware_past}), "scheduled_for")
        over = "a" * 270 + " 🎉🎉🎉🎉🎉🎉"  # 277 characters, 283 as X counts them
        error = _field(await agent.post("/api/v1/posts", json={**base, "parts": ["fine", over]}), "parts", 1)
        assert "part 2" in error["msg"] and "283" in error["msg"]
        url = "https://example.com/" + "x" * 300  # any URL counts 23: this part fits
        assert (await agent.post("/api/v1/posts", json={**base, "parts": [url]})).status_code == 201
        assert (await agent.post("/api/v1/posts", json={**base, "parts": ["x"] * 26})).status_code == 422
        assert (await agent.post("/api/v1/posts", json={**base, "parts": ["  "]})).status_code == 422
        lengths = await agent.post("/api/v1/posts/length", json={"parts": ["hé", over, url]})
        assert [p["weighted_length"] for p in lengths.json()["parts"]] == [2, 283, 23]
        assert [p["over"] for p in lengths.json()["parts"]] == [False, True, False]
    assert await console.pool.fetchval("SELECT count(*) FROM post_drafts") == 1  # the URL one only
    assert await _requested(console) == []


async def test_other_brands_posts_are_missing(console):  # noqa: ANN001
    async with console.client("agent-b") as agent_b, console.client("agent-a") as agent_a:
        denied = await agent_a.post("/api/v1/posts", json={
            "brand_id": "brand-b", "account_handle": "BrandBHelp", "parts": ["hi"]})
        assert denied.status_code == 404
        post = (await agent_b.post("/api/v1/posts", json={
            "brand_id": "brand-b", "account_handle": "BrandBHelp", "parts": ["hi"]})).json()
        for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/submit"), ("POST", "/cancel"),
                             ("GET", "/debate")):
            body = {"account_handle": "BrandBHelp", "parts": ["x"]} if method == "PUT" else None
            response = await agent_a.request(method, f"/api/v1/posts/{post['post_id']}{path}", json=body)
            assert response.status_code == 404, (method, path, response.text)
        assert (await agent_a.get("/api/v1/publishing/brand-b/calendar")).status_code == 404
        assert (await agent_a.get("/api/v1/posts", params={"brand": "brand-b"})).status_code == 404
        assert [b["brand_id"] for b in (await agent_a.get("/api/v1/publishing")).json()] == ["brand-a"]


async def test_delete_a_draft_and_cancel_a_scheduled_post(console):  # noqa: ANN001
    async with console.client("agent-a") as agent, console.client("agent-a2") as colleague:
        draft = (await agent.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["draft"]})).json()
        assert (await colleague.delete(f"/api/v1/posts/{draft['post_id']}")).status_code == 403  # not theirs
        assert (await agent.delete(f"/api/v1/posts/{draft['post_id']}")).status_code == 204
        assert (await agent.get(f"/api/v1/posts/{draft['post_id']}")).status_code == 404

        post = (await agent.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["later"],
            "scheduled_for": _tomorrow_local(), "submit": True})).json()
        assert (await agent.delete(f"/api/v1/posts/{post['post_id']}")).status_code == 409  # requested: cancel
        cancelled = await agent.post(f"/api/v1/posts/{post['post_id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert (await agent.post(f"/api/v1/posts/{post['post_id']}/cancel")).status_code == 200  # idempotent

        # publish already posted it: too late to cancel
        done = (await agent.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["now"], "submit": True})).json()
        await console.pool.execute(
            "INSERT INTO posts (post_id, brand_id, account_handle, parts, scheduled_for, status, tweet_ids, "
            "conversation_id, requested_by) VALUES ($1, 'brand-a', 'BrandAHelp', '{now}', now(), 'published', '{900}', "
            "'900', 'agent-a')", done["post_id"])
        assert (await agent.post(f"/api/v1/posts/{done['post_id']}/cancel")).status_code == 409
    events = await _requested(console)
    # keyed by post_id: a post's schedule and its cancel arrive in order (one partition)
    assert [e.payload.action for e in events if e.payload.post_id == post["post_id"]] == ["schedule", "cancel"]
    assert [e.payload.action for e in events if e.payload.post_id == done["post_id"]] == ["schedule"]
    [cancel] = [e.payload for e in events if e.payload.action == "cancel"]
    assert cancel.parts == [] and cancel.requested_by == "agent-a"


async def test_calendar_shows_publish_rows_in_the_brand_time_zone(console):  # noqa: ANN001
    # 23:30 UTC on 31 March 2027 is already 1 April in Paris (summer time, UTC+2)
    due = datetime(2027, 3, 31, 23, 30, tzinfo=UTC)
    await console.pool.execute(
        "INSERT INTO posts (post_id, brand_id, account_handle, parts, scheduled_for, status, error, requested_by) "
        "VALUES "
        "($1, 'brand-a', 'BrandAHelp', '{\"April news\"}', $2, 'scheduled', NULL, 'api'), "
        "($3, 'brand-a', 'BrandAHelp', '{\"Dup\"}', $4, 'failed', 'Status is a duplicate.', 'api'), "
        "($5, 'brand-b', 'BrandBHelp', '{\"B only\"}', $2, 'scheduled', NULL, 'api')",
        str(uuid.uuid4()), due, str(uuid.uuid4()), datetime(2027, 4, 2, 8, 0, tzinfo=UTC), str(uuid.uuid4()))
    async with console.client("agent-a") as agent:
        month = (await agent.get("/api/v1/publishing/brand-a/calendar", params={"date": "2027-04-10"})).json()
        march = (await agent.get("/api/v1/publishing/brand-a/calendar",
                                 params={"date": "2027-03-01", "view": "month"})).json()
        week = (await agent.get("/api/v1/publishing/brand-a/calendar",
                                params={"date": "2027-04-01", "view": "week"})).json()
    assert month["time_zone"] == "Europe/Paris" and month["start"] == "2027-03-29"  # the Monday before 1 April
    assert [(e["local"], e["status"], e["error"]) for e in month["entries"]] == [
        ("2027-04-01 01:30", "scheduled", None), ("2027-04-02 10:00", "failed", "Status is a duplicate.")]
    assert [e["local"] for e in week["entries"]] == ["2027-04-01 01:30", "2027-04-02 10:00"]
    assert week["start"] == "2027-03-29" and week["end"] == "2027-04-05"
    # March's grid ends on Sunday 4 April: both shown there too, never brand-b's
    assert len(march["entries"]) == 2


async def test_debate_counts_replies_and_quotes_of_the_post(console):  # noqa: ANN001
    async with console.client("lead") as lead:
        post = (await lead.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["What should we build next?", "Tell us"],
            "submit": True})).json()
    await console.pool.execute(
        "INSERT INTO posts (post_id, brand_id, account_handle, parts, scheduled_for, status, tweet_ids, "
        "conversation_id, likes, replies, reposts, quotes, metrics_observed_at, requested_by) VALUES ($1, 'brand-a', "
        "'BrandAHelp', $2, now(), 'published', '{7001,7002}', '7001', 42, 3, 5, 1, now(), 'lead')",
        post["post_id"], post["parts"])
    await insert_item(console.pool, brand="brand-a", conversation_id="7001", category="question")
    await insert_item(console.pool, brand="brand-a", conversation_id="7001", category="complaint")
    quote = await insert_item(console.pool, brand="brand-a", category="praise")
    await console.pool.execute("UPDATE queue_items SET quoted_id = '7002' WHERE id = $1", quote)
    await insert_item(console.pool, brand="brand-a", conversation_id="other")  # another conversation
    await insert_item(console.pool, brand="brand-b", conversation_id="7001")  # another brand
    async with console.client("agent-a") as agent:
        debate = (await agent.get(f"/api/v1/posts/{post['post_id']}/debate")).json()
    assert (debate["total"], debate["replies"], debate["quotes"]) == (3, 2, 1)
    assert debate["categories"] == {"question": 1, "complaint": 1, "crisis": 0, "praise": 1, "other": 0}
    assert debate["post"]["publication"]["engagement"]["likes"] == 42
    assert debate["post"]["state"] == "published"
    assert [i["kind"] for i in debate["items"]] == ["reply", "reply", "quote"]


async def test_a_post_request_the_broker_did_not_acknowledge_is_resent_by_the_relay(console):  # noqa: ANN001
    async with console.client("agent-a") as agent:
        post = (await agent.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp", "parts": ["Relayed"], "submit": True})).json()
    # as if the console had stopped between the commit and the broker's acknowledgement
    await console.pool.execute("UPDATE console_requests SET produced_at = NULL, requested_at = now() - interval "
                               "'1 minute' WHERE request_id = $1", post["post_id"])
    producer = make_producer(console.kafka, client_id="relay-posts-test")
    await producer.start()
    try:
        assert await resend_unproduced(console.pool, producer, console.kafka, older_than_s=10) == 1
        assert await resend_unproduced(console.pool, producer, console.kafka, older_than_s=10) == 0
    finally:
        await producer.stop()
    events = await _requested(console)
    assert [e.payload.post_id for e in events] == [post["post_id"]] * 2  # publish dedups by post_id
    assert events[0].payload == events[1].payload
