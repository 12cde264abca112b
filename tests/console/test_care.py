"""Saved replies, internal notes with @mentions, customer history: through the API against real
PostgreSQL (and the console's real Kafka producer, which notes must never use), per role and scope."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from tests.console.factories import insert_item, insert_saved_reply

REFUND = {"brand_id": "brand-a", "language": "en", "name": "refund", "category": "complaint",
          "body": "Hi {author_name}, {agent_first_name} here for {brand}. Order {?order_number} is refunded "
                  "(ref {case_ref}, {author_handle})."}


def _field(response, field: str) -> str:  # noqa: ANN001
    """The message of a 422 about `field` (FastAPI's shape: the field is named in `loc`)."""
    assert response.status_code == 422, response.text
    [error] = [e for e in response.json()["detail"] if e["loc"][-1] == field]
    return error["msg"]


async def _audit(console, action: str) -> list:  # noqa: ANN001
    return await console.pool.fetch("SELECT actor, brand_id, item_id, target, before, after, detail FROM audit_log "
                                    "WHERE action = $1 ORDER BY id", action)


# --- saved replies -------------------------------------------------------------------------

async def test_leads_manage_saved_replies_of_their_brands_only(console):
    async with console.client("lead-a") as lead, console.client("agent-a") as agent, \
            console.client("admin") as admin:
        created = await lead.post("/api/v1/saved-replies", json=REFUND)
        assert created.status_code == 201, created.text
        reply = created.json()
        assert reply["fields"] == ["order_number"] and reply["updated_by"] == "lead-a"
        # agents use them but do not manage them
        assert (await agent.post("/api/v1/saved-replies", json={**REFUND, "name": "x"})).status_code == 403
        assert (await agent.put(f"/api/v1/saved-replies/{reply['id']}", json=REFUND)).status_code == 403
        assert (await agent.delete(f"/api/v1/saved-replies/{reply['id']}")).status_code == 403
        # a lead of brand A only: brand B does not exist for them
        assert (await lead.post("/api/v1/saved-replies", json={**REFUND, "brand_id": "brand-b"})).status_code == 404
        # one name per brand and language
        assert "already has" in _field(await lead.post("/api/v1/saved-replies", json=REFUND), "name")
        edited = await lead.put(f"/api/v1/saved-replies/{reply['id']}", json={**REFUND, "body": "Hi {author_name}!"})
        assert edited.status_code == 200 and edited.json()["fields"] == []
        moved = await lead.put(f"/api/v1/saved-replies/{reply['id']}", json={**REFUND, "brand_id": "brand-b"})
        assert moved.status_code == 404
        assert (await admin.delete(f"/api/v1/saved-replies/{reply['id']}")).status_code == 204
        assert (await admin.delete(f"/api/v1/saved-replies/{reply['id']}")).status_code == 404
    audit = await _audit(console, "saved_reply.save") + await _audit(console, "saved_reply.delete")
    assert [(a["actor"], a["brand_id"]) for a in audit] == [("lead-a", "brand-a")] * 2 + [("admin", "brand-a")]


async def test_unknown_variable_is_refused_naming_it(console):
    async with console.client("lead") as lead:
        response = await lead.post("/api/v1/saved-replies", json={**REFUND, "body": "Hi {first_name} {?Bad-field}"})
        message = _field(response, "body")
        assert "{first_name}" in message and "{?Bad-field}" in message
        too_long = await lead.post("/api/v1/saved-replies", json={**REFUND, "body": "x" * 281 + "{brand}"})
        assert "281 characters" in _field(too_long, "body")
    assert await console.pool.fetchval("SELECT count(*) FROM saved_replies") == 0
    assert await _audit(console, "saved_reply.save") == []


async def test_saved_replies_are_brand_scoped_and_suggested_by_category_and_language(console):
    item = await insert_item(console.pool, brand="brand-a", category="complaint", language="fr")
    generic_en = await insert_saved_reply(console.pool, brand="brand-a", name="a-generic")
    question_fr = await insert_saved_reply(console.pool, brand="brand-a", name="b-question", language="fr",
                                           category="question")
    complaint_fr = await insert_saved_reply(console.pool, brand="brand-a", name="c-complaint", language="fr",
                                            category="complaint")
    theirs = await insert_saved_reply(console.pool, brand="brand-b", name="b-only")
    async with console.client("agent-a") as agent_a, console.client("agent-b") as agent_b:
        suggested = await agent_a.get("/api/v1/saved-replies", params={"item_id": str(item)})
        assert [r["id"] for r in suggested.json()] == [str(complaint_fr), str(question_fr), str(generic_en)]
        assert str(theirs) not in {r["id"] for r in (await agent_a.get("/api/v1/saved-replies")).json()}
        assert (await agent_a.get("/api/v1/saved-replies", params={"brand": "brand-b"})).status_code == 404
        assert [r["id"] for r in (await agent_b.get("/api/v1/saved-replies")).json()] == [str(theirs)]
        assert (await agent_b.get("/api/v1/saved-replies", params={"item_id": str(item)})).status_code == 404


async def test_expansion_fills_variables_and_prompts_and_checks_the_length(console):
    item = await insert_item(console.pool, brand="brand-a", handle="marie_d", author_name="Marie Dupont")
    saved = await insert_saved_reply(console.pool, brand="brand-a", body=REFUND["body"])
    long = await insert_saved_reply(console.pool, brand="brand-a", body="x" * 270 + " {?order_number}")
    theirs = await insert_saved_reply(console.pool, brand="brand-b")
    await console.pool.execute("UPDATE users SET display_name = 'Camille Martin' WHERE username = 'agent-a'")
    url = f"/api/v1/items/{item}/saved-replies"
    async with console.client("agent-a") as agent_a, console.client("agent-b") as agent_b:
        expanded = await agent_a.post(f"{url}/{saved}/expand", json={"fields": {"order_number": "A-1234"}})
        assert expanded.status_code == 200, expanded.text
        text = expanded.json()["text"]
        ref = f"MF-{item.hex[:8].upper()}"
        assert text == f"Hi Marie Dupont, Camille here for brand-a. Order A-1234 is refunded (ref {ref}, @marie_d)."
        assert expanded.json()["length"] == len(text)
        assert "{?order_number}" in _field(await agent_a.post(f"{url}/{saved}/expand", json={}), "fields")
        over = await agent_a.post(f"{url}/{long}/expand", json={"fields": {"order_number": "1234567890123"}})
        assert "284 characters" in _field(over, "fields")
        assert (await agent_a.post(f"{url}/{theirs}/expand", json={})).status_code == 404  # another brand's
        assert (await agent_b.post(f"{url}/{saved}/expand", json={})).status_code == 404  # not B's item


# --- notes and mentions --------------------------------------------------------------------

async def test_a_note_mentions_teammates_who_see_it_in_their_mentions(console):
    item = await insert_item(console.pool, brand="brand-a", handle="angry_bob")
    async with console.client("agent-a") as agent_a, console.client("agent-a2") as agent_a2, \
            console.client("agent-b") as agent_b, console.client("lead") as lead:
        added = await agent_a.post(f"/api/v1/items/{item}/notes",
                                   json={"body": "@agent-a2 can you check the order? cc @Lead"})
        assert added.status_code == 201, added.text
        note = added.json()
        assert (note["author"], note["mentions"]) == ("agent-a", ["agent-a2", "lead"])
        for client in (agent_a2, lead):
            [mention] = (await client.get("/api/v1/mentions")).json()
            assert (mention["id"], mention["author_handle"], mention["item_id"]) == (note["id"], "angry_bob", str(item))
        assert (await agent_a.get("/api/v1/mentions")).json() == []
        assert (await agent_b.get("/api/v1/mentions")).json() == []
        assert [n["body"] for n in (await lead.get(f"/api/v1/items/{item}/notes")).json()] == [note["body"]]
        assert (await agent_b.get(f"/api/v1/items/{item}/notes")).status_code == 404
        assert (await agent_b.post(f"/api/v1/items/{item}/notes", json={"body": "hi"})).status_code == 404
    [entry] = await _audit(console, "item.note")
    assert (entry["actor"], entry["item_id"], entry["detail"]) == ("agent-a", item, note["body"])
    # notes never leave the tool: nothing asked of publish
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests") == 0


async def test_a_note_mentioning_an_unknown_user_or_an_outsider_is_refused_whole(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as agent_a:
        unknown = await agent_a.post(f"/api/v1/items/{item}/notes", json={"body": "@agent-a2 and @nobody look"})
        assert "@nobody" in _field(unknown, "body") and "agent-a2" not in _field(unknown, "body")
        outsider = await agent_a.post(f"/api/v1/items/{item}/notes", json={"body": "@agent-b see this"})
        assert "@agent-b" in _field(outsider, "body")  # exists, but not on brand-a
        assert (await agent_a.post(f"/api/v1/items/{item}/notes", json={"body": " "})).status_code == 422
        # an e-mail address is no mention
        ok = await agent_a.post(f"/api/v1/items/{item}/notes", json={"body": "wrote to bob@example.com"})
        assert ok.status_code == 201 and ok.json()["mentions"] == []
    assert await console.pool.fetchval("SELECT count(*) FROM item_notes") == 1
    assert len(await _audit(console, "item.note")) == 1


async def test_mentions_arrive_live_on_the_stream_and_only_ones_own(console):
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a2") as agent_a2, console.client("agent-a") as agent_a:
        async with agent_a2.stream("GET", "/api/v1/mentions/stream") as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            assert (await agent_a.post(f"/api/v1/items/{item}/notes", json={"body": "@lead-a fyi"})).status_code == 201
            mine = await agent_a.post(f"/api/v1/items/{item}/notes", json={"body": "@agent-a2 yours"})
            data = await asyncio.wait_for(_next_data(lines), 10)
            assert (data["id"], data["body"]) == (mine.json()["id"], "@agent-a2 yours")


async def _next_data(lines):  # noqa: ANN001, ANN202
    async for line in lines:
        if line.startswith("data: "):
            return json.loads(line[6:])
    raise AssertionError("stream ended")


# --- customer history ----------------------------------------------------------------------

async def test_customer_history_shows_the_authors_earlier_mentions_of_the_brand(console):
    first = await insert_item(console.pool, brand="brand-a", handle="vip_ann", status="resolved", assignee="agent-a",
                              text="@brand-a first time")
    second = await insert_item(console.pool, brand="brand-a", handle="vip_ann", text="@brand-a second time")
    await insert_item(console.pool, brand="brand-b", handle="vip_ann", text="@brand-b other brand")
    await insert_item(console.pool, brand="brand-a", handle="someone_else")
    current = await insert_item(console.pool, brand="brand-a", handle="vip_ann", sla_in=timedelta(minutes=5))
    later = await insert_item(console.pool, brand="brand-a", handle="vip_ann", text="@brand-a after")
    async with console.client("agent-a") as agent_a, console.client("agent-b") as agent_b:
        history = (await agent_a.get(f"/api/v1/items/{current}/customer")).json()
        assert (history["author_handle"], history["brand_id"]) == ("vip_ann", "brand-a")
        assert [(e["id"], e["status"]) for e in history["earlier"]] == [(str(second), "new"),
                                                                          (str(first), "resolved")]
        assert str(later) not in {e["id"] for e in history["earlier"]}
        assert history["note"]["note"] == ""
        assert (await agent_b.get(f"/api/v1/items/{current}/customer")).status_code == 404


async def test_the_author_note_is_kept_per_brand_and_audited(console):
    item = await insert_item(console.pool, brand="brand-a", handle="press_paul")
    other_item = await insert_item(console.pool, brand="brand-a", handle="press_paul")
    theirs = await insert_item(console.pool, brand="brand-b", handle="press_paul")
    async with console.client("agent-a") as agent_a, console.client("agent-b") as agent_b:
        saved = await agent_a.put(f"/api/v1/items/{item}/customer/note", json={"note": "journalist (Le Monde)"})
        assert saved.status_code == 200 and saved.json()["updated_by"] == "agent-a"
        note = (await agent_a.get(f"/api/v1/items/{other_item}/customer")).json()["note"]
        assert (note["note"], note["updated_by"]) == ("journalist (Le Monde)", "agent-a")
        assert (await agent_b.get(f"/api/v1/items/{theirs}/customer")).json()["note"]["note"] == ""
        assert (await agent_b.put(f"/api/v1/items/{item}/customer/note", json={"note": "x"})).status_code == 404
        assert (await agent_a.put(f"/api/v1/items/{item}/customer/note", json={"note": "x" * 501})).status_code == 422
        cleared = await agent_a.put(f"/api/v1/items/{item}/customer/note", json={"note": ""})
        assert cleared.json()["note"] == ""
    audit = await _audit(console, "author.note")
    assert [(a["actor"], a["target"], json.loads(a["after"])["note"]) for a in audit] == [
        ("agent-a", "@press_paul", "journalist (Le Monde)"), ("agent-a", "@press_paul", None)]
