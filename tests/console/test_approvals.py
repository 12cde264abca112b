"""Reply approval through the API against the real PostgreSQL and Kafka: a junior's reply becomes a
draft that nothing sends; a lead of the brand approves it (editing it) and exactly one
replies.requested carries the approved text, however often it is approved; or rejects it with a
comment and nothing is ever sent. Each role and scope rule, and every refusal leaves nothing done."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from mentionflow.accounts import store
from mentionflow.events import decode
from mentionflow.metrics import catalog
from mentionflow_publish.sampler import StateSampler

from tests.console.factories import PASSWORD, insert_item, publish_applies
from tests.console.sessions import logged_in
from tests.helpers import end_offsets, read_all

JUNIOR = "agent-a"  # brand A's agent, whose replies need approval in these tests


async def _needs_approval(console, username: str = JUNIOR) -> None:  # noqa: ANN001
    await store.set_replies_need_approval(console.pool, username=username, required=True, actor="tests")


async def _lead_of_brand_b(console) -> str:  # noqa: ANN001
    """A lead of brand B only (the team's leads all see brand A); returns their API token."""
    await store.add_user(console.pool, username="lead-b", password=PASSWORD, role="lead", brands=["brand-b"])
    return await store.create_api_token(console.pool, username="lead-b", name="tests")


async def _sent(console) -> int:  # noqa: ANN001
    """replies.requested records produced so far (this test's own topic)."""
    return sum((await end_offsets(console.kafka, "replies.requested")).values())


async def _draft(console, item: uuid.UUID, text: str) -> dict:  # noqa: ANN001
    async with console.client(JUNIOR) as junior:
        assert (await junior.post(f"/api/v1/items/{item}/claim")).status_code == 200
        response = await junior.post(f"/api/v1/items/{item}/reply", json={"text": text})
    assert response.status_code == 202, response.text
    return response.json()


async def _state(console, draft_id: str) -> tuple:  # noqa: ANN001
    """What a refusal must leave untouched: the draft, the item's status, requests, audit."""
    draft = await console.pool.fetchrow("SELECT status, decided_by, sent_text, reply_id, comment FROM reply_drafts "
                                        "WHERE id = $1", uuid.UUID(draft_id))
    item = await console.pool.fetchval("SELECT w.status FROM reply_drafts d JOIN queue_work w ON w.item_id = d.item_id "
                                       "WHERE d.id = $1", uuid.UUID(draft_id))
    requests = await console.pool.fetchval("SELECT count(*) FROM console_requests")
    audit = await console.pool.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'reply.%'")
    return tuple(draft), item, requests, audit


def _field(response, field: str) -> str:  # noqa: ANN001
    assert response.status_code == 422, response.text
    [error] = [e for e in response.json()["detail"] if e["loc"][-1] == field]
    return error["msg"]


async def test_a_junior_reply_is_a_draft_that_nothing_sends(console):
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "  Sorry! We are on it.  ")
    assert (draft["status"], draft["text"], draft["author"]) == ("awaiting_approval", "Sorry! We are on it.",
                                                                 JUNIOR)
    assert draft["item_status"] == "awaiting_approval" and draft["reply_id"] is None
    async with console.client(JUNIOR) as junior:
        detail = (await junior.get(f"/api/v1/items/{item}")).json()
        assert (detail["status"], detail["assignee"], detail["replies"]) == ("awaiting_approval", JUNIOR, [])
        assert [d["id"] for d in detail["drafts"]] == [draft["id"]]
        # the queue shows it awaiting approval, among the open items and on its own filter
        queue = (await junior.get("/api/v1/items")).json()
        assert [(i["id"], i["status"]) for i in queue] == [(str(item), "awaiting_approval")]
        waiting = (await junior.get("/api/v1/items", params={"status": "awaiting_approval"})).json()
        assert [i["id"] for i in waiting] == [str(item)]
        # one draft waits per item; the item can be neither replied to again nor released meanwhile
        again = await junior.post(f"/api/v1/items/{item}/reply", json={"text": "another"})
        assert again.status_code == 409 and "already awaits approval" in again.json()["detail"]
        assert (await junior.post(f"/api/v1/items/{item}/release")).status_code == 409
        # the junior cannot approve (an agent), nor their own draft
        assert (await junior.post(f"/api/v1/approvals/{draft['id']}/approve")).status_code == 403
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests") == 0
    assert await _sent(console) == 0
    audit = await console.pool.fetch("SELECT actor, action, item_id, detail, after FROM audit_log "
                                     "WHERE action LIKE 'reply.%'")
    assert [(a["actor"], a["action"], a["item_id"], a["detail"]) for a in audit] == [
        (JUNIOR, "reply.draft", item, "Sorry! We are on it.")]


async def test_the_sla_keeps_running_while_a_draft_awaits_approval(console):
    """publish's sampler (queue depth, SLA breaches) counts an item awaiting approval as unanswered."""
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a", queue_name="approval-care", sla_in=timedelta(minutes=-5))
    await _draft(console, item, "Soon!")
    breaches = catalog.PUBLISH_SLA_BREACHES.labels("brand-a", "approval-care")._value.get()
    await StateSampler(console.pool).sample()
    assert catalog.PUBLISH_QUEUE_DEPTH.labels("brand-a", "approval-care")._value.get() == 1
    assert catalog.PUBLISH_SLA_BREACHES.labels("brand-a", "approval-care")._value.get() - breaches == 1


async def test_a_lead_approves_an_edited_draft_and_exactly_that_text_is_requested_once(console):
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "sorry 4 the trouble")
    edited = "Sorry for the trouble, @user! A refund is on its way."
    async with console.client("lead-a") as lead:
        listed = (await lead.get("/api/v1/approvals")).json()
        assert [(d["id"], d["author"], d["mention_text"]) for d in listed] == [
            (draft["id"], JUNIOR, (await console.pool.fetchval("SELECT text FROM queue_items WHERE id = $1", item)))]
        approved = await lead.post(f"/api/v1/approvals/{draft['id']}/approve", json={"text": edited})
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert (body["status"], body["decided_by"], body["sent_text"], body["text"]) == (
            "approved", "lead-a", edited, "sorry 4 the trouble")
        # approving again (also with another text) sends nothing more
        again = await lead.post(f"/api/v1/approvals/{draft['id']}/approve", json={"text": "something else"})
        assert again.status_code == 200 and again.json()["sent_text"] == edited
        assert (await lead.get("/api/v1/approvals")).json() == []
        decided = (await lead.get("/api/v1/approvals", params={"status": "approved"})).json()
        assert [d["id"] for d in decided] == [draft["id"]]
    records = await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
    assert await _sent(console) == 1 and len(records) == 1
    event = decode("replies.requested", records[0].value).payload
    assert (event.reply_id, event.text, event.requested_by) == (body["reply_id"], edited, JUNIOR)
    await publish_applies(console.kafka, console.pool, "replies.requested", expect=1)
    async with console.client(JUNIOR) as junior:
        detail = (await junior.get(f"/api/v1/items/{item}")).json()
    assert (detail["status"], detail["assignee"]) == ("replied", JUNIOR)
    assert [(r["reply_id"], r["text"]) for r in detail["replies"]] == [(body["reply_id"], edited)]
    assert [d["status"] for d in detail["drafts"]] == ["approved"]
    approvals = await console.pool.fetch("SELECT actor, detail FROM audit_log WHERE action = 'reply.approve'")
    assert [a["actor"] for a in approvals] == ["lead-a"]
    assert edited in approvals[0]["detail"] and "edited" in approvals[0]["detail"]


async def test_two_leads_approving_at_once_send_one_reply(console):
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "We are looking into it.")
    async with console.client("lead-a") as lead_a, console.client("admin") as admin:
        answers = await asyncio.gather(lead_a.post(f"/api/v1/approvals/{draft['id']}/approve"),
                                       admin.post(f"/api/v1/approvals/{draft['id']}/approve"))
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.json()["reply_id"] for a in answers} != {None} and len({a.json()["reply_id"] for a in answers}) == 1
    assert answers[0].json()["sent_text"] == "We are looking into it."
    await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
    assert await _sent(console) == 1
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests") == 1



async def test_an_approval_and_a_rejection_at_once_decide_the_draft_once(console):
    """The item's lock serialises them: one decides, the other is told how it was decided (409),
    and a reply is requested exactly when the approval won."""
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "We are on it.")
    async with console.client("lead-a") as lead_a, console.client("admin") as admin:
        approval, rejection = await asyncio.gather(
            lead_a.post(f"/api/v1/approvals/{draft['id']}/approve", json={"text": "We are on it, sorry!"}),
            admin.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "Offer a DM."}))
    assert sorted([approval.status_code, rejection.status_code]) == [200, 409], (approval.text, rejection.text)
    status = await console.pool.fetchval("SELECT status FROM reply_drafts WHERE id = $1", uuid.UUID(draft["id"]))
    item_status = await console.pool.fetchval("SELECT status FROM queue_work WHERE item_id = $1", item)
    requested = await console.pool.fetch("SELECT payload->>'text' AS text FROM console_requests")
    if approval.status_code == 200:
        assert (status, item_status, [r["text"] for r in requested]) == ("approved", "replied",
                                                                          ["We are on it, sorry!"])
        await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
        assert await _sent(console) == 1
    else:
        assert (status, item_status, requested) == ("rejected", "claimed", [])
        assert await _sent(console) == 0
    decided = await console.pool.fetch("SELECT action FROM audit_log WHERE action IN ('reply.approve', "
                                       "'reply.reject')")
    assert len(decided) == 1

async def test_who_may_decide_a_draft(console):
    await _needs_approval(console)
    lead_b = await _lead_of_brand_b(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "On it!")
    before = await _state(console, draft["id"])
    outsider = console.client()
    outsider.headers["Authorization"] = f"Bearer {lead_b}"
    async with outsider, console.client("agent-a2") as agent, console.client("agent-b") as agent_b:
        # a lead of another brand: the draft does not exist for them
        assert (await outsider.post(f"/api/v1/approvals/{draft['id']}/approve")).status_code == 404
        assert (await outsider.post(f"/api/v1/approvals/{draft['id']}/reject",
                                    json={"comment": "no"})).status_code == 404
        assert (await outsider.get(f"/api/v1/approvals/{draft['id']}")).status_code == 404
        assert (await outsider.get("/api/v1/approvals")).json() == []
        assert (await outsider.get("/api/v1/approvals", params={"brand": "brand-a"})).status_code == 404
        # an agent of the brand: not a lead
        assert (await agent.post(f"/api/v1/approvals/{draft['id']}/approve")).status_code == 403
        assert (await agent.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "no"})).status_code == 403
        assert (await agent.get("/api/v1/approvals")).status_code == 403
        assert (await agent.get(f"/api/v1/approvals/{draft['id']}")).status_code == 200  # sees the brand's item
        assert (await agent_b.post(f"/api/v1/approvals/{draft['id']}/approve")).status_code == 404
    assert await _state(console, draft["id"]) == before
    assert await _sent(console) == 0


async def test_approving_ones_own_draft_is_forbidden_and_changes_nothing(console):
    # a lead whose own replies need approval drafts like anyone else, and decides on no draft
    await _needs_approval(console, "lead-a")
    item = await insert_item(console.pool, brand="brand-a")
    async with console.client("lead-a") as lead_a:
        await lead_a.post(f"/api/v1/items/{item}/claim")
        draft = (await lead_a.post(f"/api/v1/items/{item}/reply", json={"text": "Mine"})).json()
        assert draft["status"] == "awaiting_approval"
        before = await _state(console, draft["id"])
        own = await lead_a.post(f"/api/v1/approvals/{draft['id']}/approve", json={"text": "Mine, edited"})
        assert own.status_code == 403 and "author" in own.json()["detail"]
        own_reject = await lead_a.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "withdrawn"})
        assert own_reject.status_code == 403
    assert await _state(console, draft["id"]) == before
    assert await _sent(console) == 0
    # someone whose replies need approval cannot approve others' either
    await _needs_approval(console)
    other = await insert_item(console.pool, brand="brand-a")
    junior_draft = await _draft(console, other, "Hello")
    async with console.client("lead-a") as lead_a:
        refused = await lead_a.post(f"/api/v1/approvals/{junior_draft['id']}/approve")
        assert refused.status_code == 403 and "need approval" in refused.json()["detail"]
    async with console.client("lead") as lead:
        assert (await lead.post(f"/api/v1/approvals/{draft['id']}/approve")).status_code == 200
    await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=1)
    assert await _sent(console) == 1


async def test_a_rejected_draft_is_never_sent_and_the_junior_writes_again(console):
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "lol no")
    async with console.client("lead-a") as lead:
        no_comment = await lead.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": ""})
        assert _field(no_comment, "comment")
        assert _field(await lead.post(f"/api/v1/approvals/{draft['id']}/reject", json={}), "comment")
        blank = await lead.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "   "})
        assert "why" in _field(blank, "comment")
        rejected = await lead.post(f"/api/v1/approvals/{draft['id']}/reject",
                                   json={"comment": "Too casual: apologise and offer a DM."})
        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["status"], rejected.json()["comment"]) == (
            "rejected", "Too casual: apologise and offer a DM.")
        assert (await lead.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "x"})).status_code == 200
        late = await lead.post(f"/api/v1/approvals/{draft['id']}/approve")
        assert late.status_code == 409 and "rejected" in late.json()["detail"]
    async with console.client(JUNIOR) as junior:
        detail = (await junior.get(f"/api/v1/items/{item}")).json()
        assert (detail["status"], detail["assignee"]) == ("claimed", JUNIOR)
        assert [(d["status"], d["comment"]) for d in detail["drafts"]] == [
            ("rejected", "Too casual: apologise and offer a DM.")]
        second = await junior.post(f"/api/v1/items/{item}/reply", json={"text": "Sorry! Please DM us."})
        assert second.status_code == 202 and second.json()["status"] == "awaiting_approval"
    assert await console.pool.fetchval("SELECT count(*) FROM console_requests") == 0
    assert await _sent(console) == 0
    audit = await console.pool.fetch("SELECT actor, action, detail FROM audit_log WHERE action LIKE 'reply.%' "
                                     "ORDER BY id")
    assert [(a["actor"], a["action"]) for a in audit] == [
        (JUNIOR, "reply.draft"), ("lead-a", "reply.reject"), (JUNIOR, "reply.draft")]
    assert audit[1]["detail"] == "Too casual: apologise and offer a DM."


async def test_bad_approvals_are_refused_naming_the_field_and_leave_nothing_done(console):
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "Draft")
    before = await _state(console, draft["id"])
    async with console.client("lead-a") as lead:
        url = f"/api/v1/approvals/{draft['id']}/approve"
        assert "280" in _field(await lead.post(url, json={"text": "x" * 281}), "text")
        assert _field(await lead.post(url, json={"text": ""}), "text")
        assert "empty" in _field(await lead.post(url, json={"text": "   "}), "text")
        assert _field(await lead.post(url, json={"text": "a\x00b"}), "text")
        assert _field(await lead.post(url, json={"text": 42}), "text")
        assert _field(await lead.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "x" * 1001}),
                      "comment")
        assert _field(await lead.post("/api/v1/approvals/not-a-uuid/approve"), "draft_id")
        assert (await lead.post(f"/api/v1/approvals/{uuid.uuid4()}/approve")).status_code == 404
        assert _field(await lead.get("/api/v1/approvals", params={"status": "maybe"}), "status")
    assert await _state(console, draft["id"]) == before
    # an item whose draft waits is not resolved (by its holder nor a lead) until the draft is decided
    async with console.client("lead-a") as lead, console.client(JUNIOR) as junior:
        for who in (junior, lead):
            refused = await who.post(f"/api/v1/items/{item}/resolve", json={})
            assert refused.status_code == 409 and "awaits approval" in refused.json()["detail"]
        assert await _state(console, draft["id"]) == before
        assert (await lead.post(f"/api/v1/approvals/{draft['id']}/reject", json={"comment": "spam"})).status_code == 200
        assert (await lead.post(f"/api/v1/items/{item}/resolve", json={})).status_code == 200
    assert await _sent(console) == 0


async def test_admins_set_who_needs_approval(console):
    async with console.client("admin") as admin, console.client("lead") as lead, \
            console.client(JUNIOR) as junior:
        assert (await junior.get("/api/v1/me")).json()["replies_need_approval"] is False
        url = f"/api/v1/users/{JUNIOR}/replies-need-approval"
        assert (await lead.put(url, json={"replies_need_approval": True})).status_code == 403
        assert _field(await admin.put(url, json={}), "replies_need_approval")
        assert _field(await admin.put("/api/v1/users/Not Valid/replies-need-approval",
                                      json={"replies_need_approval": True}), "username")
        assert (await admin.put("/api/v1/users/nobody/replies-need-approval",
                                json={"replies_need_approval": True})).status_code == 404
        assert await console.pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'user.approval'") == 0
        changed = await admin.put(url, json={"replies_need_approval": True})
        assert changed.status_code == 200 and changed.json()["replies_need_approval"] is True
        # the junior's next request already drafts (sessions and tokens re-read the user)
        assert (await junior.get("/api/v1/me")).json()["replies_need_approval"] is True
        users = {u["username"]: u["replies_need_approval"] for u in (await admin.get("/api/v1/users")).json()}
        assert users[JUNIOR] is True and users["agent-a2"] is False
        item = await insert_item(console.pool, brand="brand-a")
        await junior.post(f"/api/v1/items/{item}/claim")
        assert (await junior.post(f"/api/v1/items/{item}/reply", json={"text": "hi"})).json()["status"] == \
            "awaiting_approval"
        assert (await admin.put(url, json={"replies_need_approval": False})).json()["replies_need_approval"] is False
    audit = await console.pool.fetch("SELECT actor, target FROM audit_log WHERE action = 'user.approval'")
    assert [(a["actor"], a["target"]) for a in audit] == [("admin", JUNIOR)] * 2


async def test_the_pages_reject_with_a_comment_and_refuse_an_emptied_text(console):
    await _needs_approval(console)
    item = await insert_item(console.pool, brand="brand-a")
    draft = await _draft(console, item, "meh")
    async with logged_in(console.base_url, "lead-a") as (lead, csrf):
        listing = await lead.get("/approvals")
        assert listing.status_code == 200 and "meh" in listing.text
        assert f"/approvals/{draft['id']}/approve" in listing.text
        emptied = await lead.post(f"/approvals/{draft['id']}/approve", data={"csrf_token": csrf, "text": "  "})
        assert emptied.status_code == 422 and "reply is empty" in emptied.text
        no_token = await lead.post(f"/approvals/{draft['id']}/reject", data={"comment": "no", "back": "item"})
        assert no_token.status_code == 403
        assert await console.pool.fetchval("SELECT status FROM reply_drafts") == "awaiting_approval"
        rejected = await lead.post(f"/approvals/{draft['id']}/reject",
                                   data={"csrf_token": csrf, "comment": "Say sorry first.", "back": "item"})
        assert rejected.status_code == 303 and rejected.headers["location"] == f"/items/{item}"
    async with logged_in(console.base_url, JUNIOR) as (junior, _):
        page = await junior.get(f"/items/{item}")
        assert "Say sorry first." in page.text and "Submit for approval" in page.text
        assert "Approve and send" not in page.text
        assert (await junior.get("/approvals")).status_code == 403
    assert await _sent(console) == 0
