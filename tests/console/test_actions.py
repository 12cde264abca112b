"""Every action through the API against real PostgreSQL and Kafka: claim, release, reply,
resolve, tag, reassign; the queue's order and filters; the mention detail."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from mentionflow.events import decode
from mentionflow.queue.domain import ITEM_FROM

from tests.console.factories import insert_item, publish_applies
from tests.helpers import read_all


async def test_queue_is_ordered_by_priority_then_sla_and_filters(console):
    late_p1 = await insert_item(console.pool, brand="brand-a", priority="P1", sla_in=timedelta(minutes=50))
    soon_p1 = await insert_item(console.pool, brand="brand-a", priority="P1", sla_in=timedelta(minutes=5),
                                category="crisis", language="fr", queue_name="brand-a-urgent")
    soon_p3 = await insert_item(console.pool, brand="brand-a", priority="P3", sla_in=timedelta(minutes=1))
    done = await insert_item(console.pool, brand="brand-a", priority="P1", status="resolved", assignee="agent-a")
    other = await insert_item(console.pool, brand="brand-b", priority="P2")
    async with console.client("lead") as lead:
        async def ids(**params):
            response = await lead.get("/api/v1/items", params=params)
            assert response.status_code == 200, response.text
            return [i["id"] for i in response.json()]

        assert await ids() == [str(soon_p1), str(late_p1), str(other), str(soon_p3)]
        assert await ids(brand="brand-a") == [str(soon_p1), str(late_p1), str(soon_p3)]
        assert await ids(queue="brand-a-urgent") == [str(soon_p1)]
        assert await ids(category="crisis") == [str(soon_p1)]
        assert await ids(language="fr") == [str(soon_p1)]
        assert await ids(status="resolved") == [str(done)]
        assert str(done) in await ids(status="all")
        first = (await lead.get("/api/v1/items", params={"limit": 1})).json()[0]
        assert 0 < first["sla_seconds_left"] <= 300
        bad = await lead.get("/api/v1/items", params={"status": "maybe", "limit": 0})
        assert bad.status_code == 422
        assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {("query", "status"), ("query", "limit")}


async def test_claim_is_exclusive(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as first, console.client("agent-a2") as second:
        claimed = await first.post(f"/api/v1/items/{item}/claim")
        assert claimed.status_code == 200 and claimed.json()["assignee"] == "agent-a"
        assert claimed.json()["status"] == "claimed"
        again = await first.post(f"/api/v1/items/{item}/claim")  # the holder: a no-op
        assert again.status_code == 200 and again.json()["version"] == claimed.json()["version"]
        refused = await second.post(f"/api/v1/items/{item}/claim")
        assert refused.status_code == 409 and refused.json()["detail"] == "claimed by agent-a"
        seen = (await second.get(f"/api/v1/items/{item}")).json()
        assert (seen["status"], seen["assignee"]) == ("claimed", "agent-a")
        reply = await second.post(f"/api/v1/items/{item}/reply", json={"text": "let me help"})
        assert reply.status_code == 409 and "claimed by agent-a" in reply.json()["detail"]


async def test_simultaneous_claims_have_exactly_one_winner(console):
    for _ in range(5):
        item = await insert_item(console.pool, brand="brand-a")
        async with console.client("agent-a") as one, console.client("agent-a2") as two:
            results = await asyncio.gather(one.post(f"/api/v1/items/{item}/claim"),
                                           two.post(f"/api/v1/items/{item}/claim"))
        assert sorted(r.status_code for r in results) == [200, 409]
        winner = next(r for r in results if r.status_code == 200).json()["assignee"]
        assert await console.pool.fetchval(f"SELECT w.assignee FROM {ITEM_FROM} WHERE q.id = $1", item) == winner
        claims = await console.pool.fetchval(
            "SELECT count(*) FROM audit_log WHERE item_id = $1 AND action = 'item.claim'", item)
        assert claims == 1


async def test_release(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as holder, console.client("agent-a2") as other, \
            console.client("lead") as lead:
        assert (await holder.post(f"/api/v1/items/{item}/release")).status_code == 409  # not claimed
        await holder.post(f"/api/v1/items/{item}/claim")
        refused = await other.post(f"/api/v1/items/{item}/release")
        assert refused.status_code == 409 and refused.json()["detail"] == "claimed by agent-a"
        released = await holder.post(f"/api/v1/items/{item}/release")
        assert released.status_code == 200
        assert (released.json()["status"], released.json()["assignee"]) == ("new", None)
        await other.post(f"/api/v1/items/{item}/claim")
        by_lead = await lead.post(f"/api/v1/items/{item}/release")
        assert by_lead.status_code == 200 and by_lead.json()["assignee"] is None


async def test_reply_goes_to_the_outbox_and_replies_requested(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as agent:
        unclaimed = await agent.post(f"/api/v1/items/{item}/reply", json={"text": "Hello!"})
        assert unclaimed.status_code == 409 and "not claimed" in unclaimed.json()["detail"]
        await agent.post(f"/api/v1/items/{item}/claim")
        too_long = await agent.post(f"/api/v1/items/{item}/reply", json={"text": "x" * 281})
        assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["body", "text"]
        blank = await agent.post(f"/api/v1/items/{item}/reply", json={"text": "   "})
        assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "text"]
        missing = await agent.post(f"/api/v1/items/{item}/reply", json={})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "text"]
        text = "Sorry about that! We have sent you a DM with the details. ^A" + "é" * 219  # 280 characters
        accepted = await agent.post(f"/api/v1/items/{item}/reply", json={"text": text})
        assert accepted.status_code == 202, accepted.text
        reply = accepted.json()
        assert (reply["status"], reply["text"], reply["requested_by"]) == ("requested", text, "agent-a")
    item_row = await console.pool.fetchrow("SELECT * FROM queue_items WHERE id = $1", item)
    async with console.client("agent-a") as agent:
        detail = (await agent.get(f"/api/v1/items/{item}")).json()
    assert detail["status"] == "replied"
    assert [(r["reply_id"], r["status"]) for r in detail["replies"]] == [(reply["reply_id"], "requested")]
    assert await console.pool.fetchval("SELECT count(*) FROM reply_outbox") == 0  # publish writes it
    records = await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
    assert len(records) == 1
    assert records[0].key == reply["reply_id"].encode()
    event = decode("replies.requested", records[0].value)
    assert event.payload.reply_id == reply["reply_id"] and event.payload.text == text
    assert (event.brand_id, event.correlation_id) == ("brand-a", item_row["mention_id"])
    assert event.payload.mention_id == item_row["mention_id"]
    assert event.payload.in_reply_to_external_id == item_row["external_id"]
    assert event.payload.account_handle == "Brand-AHelp"
    await publish_applies(console.kafka, console.pool, "replies.requested", expect=1)
    row = await console.pool.fetchrow("SELECT * FROM reply_outbox WHERE reply_id = $1", reply["reply_id"])
    assert row["status"] == "requested" and row["queue_item_id"] == item
    async with console.client("agent-a") as agent:
        replies = (await agent.get(f"/api/v1/items/{item}/replies")).json()
    assert [(r["reply_id"], r["status"]) for r in replies] == [(reply["reply_id"], "requested")]  # shown once


async def test_reply_outcome_shows_pending_sent_and_failed_with_reason(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as agent:
        await agent.post(f"/api/v1/items/{item}/claim")
        first = (await agent.post(f"/api/v1/items/{item}/reply", json={"text": "first"})).json()
        second = (await agent.post(f"/api/v1/items/{item}/reply", json={"text": "follow-up"})).json()
        await publish_applies(console.kafka, console.pool, "replies.requested", expect=2)
        # what publish does: requested → pending → sent / failed
        await console.pool.execute("UPDATE reply_outbox SET status = 'pending' WHERE reply_id = $1",
                                   first["reply_id"])
        states = {r["reply_id"]: r for r in (await agent.get(f"/api/v1/items/{item}/replies")).json()}
        assert states[first["reply_id"]]["status"] == "pending"
        await console.pool.execute("UPDATE reply_outbox SET status = 'sent', tweet_id = '99' WHERE reply_id = $1",
                                   first["reply_id"])
        await console.pool.execute("UPDATE reply_outbox SET status = 'failed', error = '403 duplicate content' "
                                   "WHERE reply_id = $1", second["reply_id"])
        detail = (await agent.get(f"/api/v1/items/{item}")).json()
        states = {r["reply_id"]: r for r in detail["replies"]}
        assert (states[first["reply_id"]]["status"], states[first["reply_id"]]["tweet_id"]) == ("sent", "99")
        assert states[second["reply_id"]]["status"] == "failed"
        assert states[second["reply_id"]]["error"] == "403 duplicate content"


async def test_resolve_then_no_more_replies(console):
    item = await insert_item(console.pool, brand="brand-a")
    taken = await insert_item(console.pool, brand="brand-a", status="claimed", assignee="agent-a2")
    async with console.client("agent-a") as agent, console.client("lead") as lead:
        await agent.post(f"/api/v1/items/{item}/claim")
        resolved = await agent.post(f"/api/v1/items/{item}/resolve", json={"note": "answered by DM"})
        assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
        again = await agent.post(f"/api/v1/items/{item}/resolve")
        assert again.status_code == 409 and again.json()["detail"] == "item is already resolved"
        late = await agent.post(f"/api/v1/items/{item}/reply", json={"text": "one more thing"})
        assert late.status_code == 409 and "resolved" in late.json()["detail"]
        assert (await agent.post(f"/api/v1/items/{item}/claim")).status_code == 409
        assert (await agent.post(f"/api/v1/items/{taken}/resolve")).status_code == 409  # someone else's
        assert (await lead.post(f"/api/v1/items/{taken}/resolve")).status_code == 200  # leads may
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests") == 0


async def test_tags(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as agent:
        tagged = await agent.post(f"/api/v1/items/{item}/tags", json={"add": ["refund", "vip", "refund"]})
        assert tagged.status_code == 200 and tagged.json()["tags"] == ["refund", "vip"]
        untagged = await agent.post(f"/api/v1/items/{item}/tags", json={"remove": ["vip"], "add": ["delay"]})
        assert untagged.json()["tags"] == ["refund", "delay"]
        bad = await agent.post(f"/api/v1/items/{item}/tags", json={"add": ["Not a tag!"]})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:2] == ["body", "add"]


async def test_reassign_by_a_lead(console):
    item = await insert_item(console.pool, brand="brand-a", status="claimed", assignee="agent-a")
    async with console.client("lead") as lead:
        moved = await lead.post(f"/api/v1/items/{item}/reassign", json={"assignee": "agent-a2"})
        assert moved.status_code == 200
        assert (moved.json()["assignee"], moved.json()["status"]) == ("agent-a2", "claimed")
        unknown = await lead.post(f"/api/v1/items/{item}/reassign", json={"assignee": "nobody"})
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "assignee"]
        wrong_brand = await lead.post(f"/api/v1/items/{item}/reassign", json={"assignee": "agent-b"})
        assert wrong_brand.status_code == 422 and "brand-a" in wrong_brand.json()["detail"][0]["msg"]
        malformed = await lead.post(f"/api/v1/items/{item}/reassign", json={"assignee": "Not Valid"})
        assert malformed.status_code == 422
    async with console.client("agent-a2") as new_holder:
        assert (await new_holder.post(f"/api/v1/items/{item}/reply", json={"text": "on it"})).status_code == 202


async def test_detail_has_classification_routing_conversation_and_history(console):
    root = await insert_item(console.pool, brand="brand-a", conversation_id="conv-1", followers=25_000,
                             verified=True)
    follow_up = await insert_item(console.pool, brand="brand-a", conversation_id="conv-1")
    await insert_item(console.pool, brand="brand-b", conversation_id="conv-1")  # same thread, other client
    async with console.client("agent-a") as agent:
        await agent.post(f"/api/v1/items/{root}/claim")
        await agent.post(f"/api/v1/items/{root}/tags", json={"add": ["vip"]})
        detail = (await agent.get(f"/api/v1/items/{root}")).json()
    assert detail["author"]["followers"] == 25_000 and detail["author"]["verified"] is True
    assert detail["classification"]["reasons"] == ["question:how do i", "lexicon:broken(-)"]
    assert detail["routing"]["rule_id"] == "brand-a/questions"
    assert detail["routing"]["explanation"][0] == "rule brand-a/questions matched"
    assert [c["id"] for c in detail["conversation"]] == [str(follow_up)]
    history = [(h["actor"], h["action"]) for h in detail["history"]]
    assert history == [("agent-a", "item.claim"), ("agent-a", "item.tag")]
    assert detail["history"][0]["before"]["status"] == "new"
    assert detail["history"][0]["after"] == {"status": "claimed", "assignee": "agent-a", "tags": []}


async def test_invalid_ids_are_422_naming_the_field(console):
    async with console.client("agent-a") as agent:
        response = await agent.get("/api/v1/items/not-a-uuid")
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "item_id"]
        bogus = await agent.post("/api/v1/items/00000000-0000-0000-0000-000000000000/claim")
        assert bogus.status_code == 404
