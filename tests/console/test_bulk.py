"""Bulk actions through the API and the queue page's form, against the real PostgreSQL: resolve,
tag, assign, mark as spam, on a selection or a filter; per-item brand scope, claim lock and
audit; refusals with reasons beside the items done; whole-request refusals that change nothing."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from mentionflow.queue.domain import ITEM_FROM, ITEM_STATUS, ITEM_TAGS
from mentionflow_console import bulk

from tests.console.factories import insert_item
from tests.console.sessions import logged_in

BULK = "/api/v1/items/bulk"


async def _state(pool, item: uuid.UUID) -> tuple:  # noqa: ANN001
    row = await pool.fetchrow(
        f"SELECT {ITEM_STATUS} AS status, w.assignee, {ITEM_TAGS} AS tags, coalesce(w.version, 0) AS version "
        f"FROM {ITEM_FROM} WHERE q.id = $1", item)
    return row["status"], row["assignee"], list(row["tags"]), row["version"]


async def _audited(pool, action: str) -> list[tuple[uuid.UUID, str]]:  # noqa: ANN001
    rows = await pool.fetch("SELECT item_id, actor FROM audit_log WHERE action = $1 ORDER BY id", action)
    return [(r["item_id"], r["actor"]) for r in rows]


async def test_bulk_resolve_does_what_it_may_and_refuses_the_rest_with_reasons(console):
    mine = [await insert_item(console.pool, brand="brand-a") for _ in range(3)]
    held = await insert_item(console.pool, brand="brand-a", status="claimed", assignee="agent-a2")
    closed = await insert_item(console.pool, brand="brand-a", status="resolved", assignee="agent-a2")
    foreign = await insert_item(console.pool, brand="brand-b")
    missing = uuid.uuid4()
    before = {i: await _state(console.pool, i) for i in (held, closed, foreign)}
    async with console.client("agent-a") as agent:
        response = await agent.post(BULK, json={"action": "resolve", "note": "duplicate complaints",
                                                "item_ids": [str(i) for i in [*mine, held, closed, foreign, missing,
                                                                              mine[0]]]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [d["id"] for d in body["done"]] == [str(i) for i in mine]  # the repeated id once
    assert {(d["status"], d["assignee"]) for d in body["done"]} == {("resolved", "agent-a")}
    assert {r["id"]: (r["reason"], r["detail"]) for r in body["refused"]} == {
        str(held): ("conflict", "claimed by agent-a2"),
        str(closed): ("conflict", "item is already resolved"),
        # another brand's item is refused exactly like a missing one
        str(foreign): ("not_found", f"no queue item {foreign}"),
        str(missing): ("not_found", f"no queue item {missing}"),
    }
    assert {i: await _state(console.pool, i) for i in (held, closed, foreign)} == before  # untouched
    assert await _audited(console.pool, "item.resolve") == [(i, "agent-a") for i in mine]
    details = await console.pool.fetch("SELECT DISTINCT detail FROM audit_log WHERE action = 'item.resolve'")
    assert [r["detail"] for r in details] == ["duplicate complaints"]


async def test_a_lead_overrides_the_claim_lock_in_bulk(console):
    held = await insert_item(console.pool, brand="brand-a", status="claimed", assignee="agent-a2")
    other = await insert_item(console.pool, brand="brand-b")
    async with console.client("lead") as lead:
        response = await lead.post(BULK, json={"action": "resolve", "item_ids": [str(held), str(other)]})
    assert response.status_code == 200 and response.json()["refused"] == []
    assert [(d["id"], d["status"], d["assignee"]) for d in response.json()["done"]] == [
        (str(held), "resolved", "agent-a2"), (str(other), "resolved", "lead")]


async def test_bulk_tag_by_filter_stays_in_the_users_brands_and_off_colleagues_claims(console):
    queue = "shared-queue"
    free = [await insert_item(console.pool, brand="brand-a", queue_name=queue) for _ in range(2)]
    held = await insert_item(console.pool, brand="brand-a", queue_name=queue, status="claimed", assignee="agent-a2")
    elsewhere = await insert_item(console.pool, brand="brand-a", queue_name="other-queue")
    foreign = await insert_item(console.pool, brand="brand-b", queue_name=queue)
    await console.pool.execute("INSERT INTO queue_work (item_id, brand_id, tags) VALUES ($1, 'brand-a', "
                               "ARRAY['old'])", free[0])
    async with console.client("agent-a") as agent:
        response = await agent.post(BULK, json={"action": "tag", "add": ["vip", "refund"], "remove": ["old"],
                                                "filter": {"queue": queue}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {d["id"]: d["tags"] for d in body["done"]} == {str(free[0]): ["vip", "refund"],
                                                          str(free[1]): ["vip", "refund"]}
    assert [(r["id"], r["reason"], r["detail"]) for r in body["refused"]] == [
        (str(held), "conflict", "claimed by agent-a2")]
    for untouched in (held, elsewhere, foreign):
        assert (await _state(console.pool, untouched))[2] == []
    assert sorted(await _audited(console.pool, "item.tag")) == sorted((i, "agent-a") for i in free)


async def test_bulk_assign_is_for_leads_and_checks_each_items_brand(console):
    a_items = [await insert_item(console.pool, brand="brand-a") for _ in range(2)]
    b_item = await insert_item(console.pool, brand="brand-b")
    ids = [str(i) for i in [*a_items, b_item]]
    async with console.client("agent-a") as agent, console.client("lead") as lead:
        refused = await agent.post(BULK, json={"action": "assign", "assignee": "agent-a2", "item_ids": ids})
        assert refused.status_code == 403 and refused.json()["detail"] == "reassigning needs the lead role"
        unknown = await lead.post(BULK, json={"action": "assign", "assignee": "nobody", "item_ids": ids})
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "assignee"]
        missing = await lead.post(BULK, json={"action": "assign", "item_ids": ids})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "assignee"]
        assert await _audited(console.pool, "item.reassign") == []  # nothing done by the refused requests
        done = await lead.post(BULK, json={"action": "assign", "assignee": "agent-a2", "item_ids": ids})
    assert done.status_code == 200, done.text
    assert [(d["id"], d["status"], d["assignee"]) for d in done.json()["done"]] == [
        (str(i), "claimed", "agent-a2") for i in a_items]
    assert [(r["id"], r["reason"], r["detail"]) for r in done.json()["refused"]] == [
        (str(b_item), "invalid", "agent-a2 has no access to brand brand-b")]
    assert (await _state(console.pool, b_item))[:2] == ("new", None)
    assert await _audited(console.pool, "item.reassign") == [(i, "lead") for i in a_items]


async def test_mark_as_spam_resolves_with_the_spam_tag_once(console):
    items = [await insert_item(console.pool, brand="brand-a") for _ in range(3)]
    ids = [str(i) for i in items]
    async with console.client("agent-a") as agent:
        first = await agent.post(BULK, json={"action": "spam", "item_ids": ids})
        again = await agent.post(BULK, json={"action": "spam", "item_ids": ids})
        assert first.status_code == again.status_code == 200
        assert {(d["status"], tuple(d["tags"])) for d in first.json()["done"]} == {("resolved", ("spam",))}
        assert again.json()["done"] == first.json()["done"]  # idempotent: same versions, no new entries
        assert await _audited(console.pool, "item.spam") == [(i, "agent-a") for i in items]
        open_ids = {i["id"] for i in (await agent.get("/api/v1/items")).json()}
        assert open_ids.isdisjoint(ids)
        resolved = (await agent.get("/api/v1/items", params={"status": "resolved"})).json()
        assert {i["id"] for i in resolved if "spam" in i["tags"]} == set(ids)


async def test_malformed_requests_are_refused_whole_naming_the_field(console, monkeypatch):
    items = [await insert_item(console.pool, brand="brand-a", queue_name="big") for _ in range(4)]
    ids = [str(i) for i in items[:3]]
    monkeypatch.setattr(bulk, "MAX_BULK_ITEMS", 3)  # the console runs in this process
    cases = [
        ({"action": "resolve"}, ["body", "item_ids"]),
        ({"action": "resolve", "item_ids": ids, "filter": {}}, ["body", "item_ids"]),
        ({"action": "resolve", "item_ids": []}, ["body", "item_ids"]),
        ({"action": "delete", "item_ids": ids}, ["body", "action"]),
        ({"action": "tag", "item_ids": ids}, ["body", "add"]),
        ({"action": "tag", "add": ["Not A Tag"], "item_ids": ids}, ["body", "add", 0]),
        ({"action": "resolve", "item_ids": ["not-a-uuid"]}, ["body", "item_ids", 0]),
        ({"action": "resolve", "filter": {"status": "maybe"}}, ["body", "filter", "status"]),
        ({"action": "resolve", "filter": {"queue": "big"}}, ["body", "filter"]),  # 4 items > 3
        ({"action": "resolve", "item_ids": [*ids, str(items[3])]}, ["body", "item_ids"]),  # 4 ids > 3
    ]
    async with console.client("agent-a") as agent:
        for body, loc in cases:
            response = await agent.post(BULK, json=body)
            assert response.status_code == 422, (body, response.text)
            assert response.json()["detail"][0]["loc"] == loc, (body, response.text)
        hidden = await agent.post(BULK, json={"action": "resolve", "filter": {"brand": "brand-b"}})
        assert hidden.status_code == 404
    assert await console.pool.fetchval("SELECT count(*) FROM audit_log WHERE item_id IS NOT NULL") == 0
    assert await console.pool.fetchval("SELECT count(*) FROM queue_work WHERE status IS NOT NULL") == 0


async def test_each_item_is_all_or_nothing_while_a_colleague_claims_at_the_same_time(console):
    items = [await insert_item(console.pool, brand="brand-a") for _ in range(20)]
    async with console.client("agent-a") as agent, console.client("agent-a2") as colleague:
        async def claim_all() -> dict[uuid.UUID, int]:
            codes = {}
            for item in reversed(items):  # from the other end, so the two meet in the middle
                codes[item] = (await colleague.post(f"/api/v1/items/{item}/claim")).status_code
            return codes

        response, claims = await asyncio.gather(
            agent.post(BULK, json={"action": "resolve", "item_ids": [str(i) for i in items]}), claim_all())
    done = {uuid.UUID(d["id"]) for d in response.json()["done"]}
    refused = {uuid.UUID(r["id"]): r["detail"] for r in response.json()["refused"]}
    assert done | set(refused) == set(items) and not done & set(refused)
    for item in items:
        status, assignee, _, _ = await _state(console.pool, item)
        if item in done:  # resolved by the bulk action; the colleague's claim came after, refused
            assert (status, assignee, claims[item]) == ("resolved", "agent-a", 409)
        else:  # the colleague claimed first; the bulk action left it wholly alone
            assert (status, assignee, claims[item], refused[item]) == ("claimed", "agent-a2", 200,
                                                                       "claimed by agent-a2")
    entries = await console.pool.fetch("SELECT item_id, action FROM audit_log WHERE item_id = ANY($1::uuid[])", items)
    assert sorted((e["item_id"], e["action"]) for e in entries) == sorted(
        (i, "item.resolve" if i in done else "item.claim") for i in items)


@pytest.mark.parametrize("target", ["selected", "filter"])
async def test_the_queue_pages_bulk_form(console, target):
    items = [await insert_item(console.pool, brand="brand-a", queue_name="form-queue") for _ in range(3)]
    held = await insert_item(console.pool, brand="brand-a", queue_name="form-queue", status="claimed",
                             assignee="agent-a2")
    foreign = await insert_item(console.pool, brand="brand-b", queue_name="form-queue")
    async with logged_in(console.base_url, "agent-a") as (client, csrf):
        form = {"csrf_token": csrf, "action": "resolve", "target": target, "queue": "form-queue", "status": "open"}
        if target == "selected":
            form["item_id"] = [str(i) for i in [*items, held, foreign]]
        page = await client.post("/bulk", data=form)
        assert page.status_code == 200, page.text
        result = re.sub(r"\s+", " ", page.text)
        assert "<strong>3</strong> item(s) done (resolve)" in result
        assert f"<code>{held}</code> conflict: claimed by agent-a2" in result
        if target == "selected":
            assert f"<code>{foreign}</code> not_found: no queue item {foreign}" in result
        else:
            assert str(foreign) not in result  # not in the agent's brands: never selected
        stale = await client.post("/bulk", data={**form, "csrf_token": "stale"})
        assert stale.status_code == 403
    assert await _audited(console.pool, "item.resolve") == [(i, "agent-a") for i in items]


async def test_a_lead_of_one_brand_is_refused_the_other_brands_items_one_by_one(console):
    held = await insert_item(console.pool, brand="brand-a", status="claimed", assignee="agent-a2")
    free = await insert_item(console.pool, brand="brand-a")
    foreign = await insert_item(console.pool, brand="brand-b")
    before = await _state(console.pool, foreign)
    async with console.client("lead-a") as lead:
        spam = await lead.post(BULK, json={"action": "spam", "item_ids": [str(held), str(foreign)]})
        assign = await lead.post(BULK, json={"action": "assign", "assignee": "agent-a2",
                                             "item_ids": [str(free), str(foreign)]})
    assert spam.status_code == assign.status_code == 200
    # the lead overrides a colleague's claim in their brand; the other brand is as if missing
    assert [(d["id"], d["status"], d["assignee"], d["tags"]) for d in spam.json()["done"]] == [
        (str(held), "resolved", "agent-a2", ["spam"])]
    # brand scope comes before the assignee's rights: not_found, not "agent-a2 has no access"
    assert [(d["id"], d["assignee"]) for d in assign.json()["done"]] == [(str(free), "agent-a2")]
    for response in (spam, assign):
        assert [(r["id"], r["reason"], r["detail"]) for r in response.json()["refused"]] == [
            (str(foreign), "not_found", f"no queue item {foreign}")]
    assert await _state(console.pool, foreign) == before
    assert await console.pool.fetchval("SELECT count(*) FROM audit_log WHERE item_id = $1", foreign) == 0
    assert await _audited(console.pool, "item.spam") == [(held, "lead-a")]
    assert await _audited(console.pool, "item.reassign") == [(free, "lead-a")]


async def test_an_agent_of_another_brand_changes_nothing_and_their_filter_stays_in_their_brand(console):
    a_items = [await insert_item(console.pool, brand="brand-a") for _ in range(3)]
    b_item = await insert_item(console.pool, brand="brand-b")
    async with console.client("agent-b") as agent_b:
        by_id = await agent_b.post(BULK, json={"action": "tag", "add": ["seen"], "item_ids": [str(i) for i in a_items]})
        by_filter = await agent_b.post(BULK, json={"action": "resolve", "filter": {}})
    assert by_id.status_code == 200 and by_id.json()["done"] == []
    assert {(r["id"], r["reason"]) for r in by_id.json()["refused"]} == {(str(i), "not_found") for i in a_items}
    assert by_filter.status_code == 200 and by_filter.json()["refused"] == []
    assert [d["id"] for d in by_filter.json()["done"]] == [str(b_item)]
    for item in a_items:
        assert await _state(console.pool, item) == ("new", None, [], 0)
    assert await _audited(console.pool, "item.tag") == []
    assert await _audited(console.pool, "item.resolve") == [(b_item, "agent-b")]


async def test_an_admin_filter_spans_every_brand(console):
    items = [await insert_item(console.pool, brand=brand, queue_name="everywhere") for brand in ("brand-a", "brand-b")]
    held = await insert_item(console.pool, brand="brand-b", queue_name="everywhere", status="claimed",
                             assignee="agent-b")
    async with console.client("admin") as admin:
        response = await admin.post(BULK, json={"action": "resolve", "filter": {"queue": "everywhere"}})
    assert response.status_code == 200 and response.json()["refused"] == []
    assert {(d["id"], d["assignee"]) for d in response.json()["done"]} == {
        (str(items[0]), "admin"), (str(items[1]), "admin"), (str(held), "agent-b")}
    assert sorted(await _audited(console.pool, "item.resolve")) == sorted((i, "admin") for i in [*items, held])


async def test_an_agent_marks_as_spam_their_own_and_free_items_not_a_colleagues(console):
    mine = await insert_item(console.pool, brand="brand-a", status="claimed", assignee="agent-a")
    free = await insert_item(console.pool, brand="brand-a", status="escalated")
    held = await insert_item(console.pool, brand="brand-a", status="replied", assignee="agent-a2")
    closed = await insert_item(console.pool, brand="brand-a", status="resolved", assignee="agent-a2")
    async with console.client("agent-a") as agent:
        spam = await agent.post(BULK, json={"action": "spam", "item_ids": [str(i) for i in (mine, free, held)]})
        # a closed item is nobody's work in progress: tagging it needs no claim
        tagged = await agent.post(BULK, json={"action": "tag", "add": ["reviewed"], "item_ids": [str(closed)]})
    assert {(d["id"], d["status"], d["assignee"]) for d in spam.json()["done"]} == {
        (str(mine), "resolved", "agent-a"), (str(free), "resolved", "agent-a")}
    assert [(r["id"], r["reason"], r["detail"]) for r in spam.json()["refused"]] == [
        (str(held), "conflict", "claimed by agent-a2")]
    assert (await _state(console.pool, held))[:3] == ("replied", "agent-a2", [])
    assert [(d["id"], d["tags"]) for d in tagged.json()["done"]] == [(str(closed), ["reviewed"])]
