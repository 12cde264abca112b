"""The pages' form posts run the same rules as the API: CSRF, claim, 409 and 422 shown on the
page, leads-only controls, and the audit page."""

from __future__ import annotations

from mentionflow.queue.domain import ITEM_FROM, ITEM_STATUS, ITEM_TAGS

from tests.console.factories import insert_incident, insert_item
from tests.console.sessions import csrf_from, logged_in


async def test_item_forms(console):
    item = await insert_item(console.pool, brand="brand-a", text="@brand-a where is my parcel?")
    async with logged_in(console.base_url, "agent-a") as (agent, csrf), \
            logged_in(console.base_url, "agent-a2") as (other, other_csrf):
        claimed = await agent.post(f"/items/{item}/claim", data={"csrf_token": csrf})
        assert claimed.status_code == 303 and claimed.headers["location"] == f"/items/{item}"
        page = await other.get(f"/items/{item}")
        assert "claimed by agent-a" in page.text and 'aria-label="Claim"' not in page.text
        refused = await other.post(f"/items/{item}/reply", data={"csrf_token": other_csrf, "text": "me too"})
        assert refused.status_code == 409 and "claim the item before replying: it is claimed by agent-a" in refused.text
        too_long = await agent.post(f"/items/{item}/reply", data={"csrf_token": csrf, "text": "y" * 300})
        assert too_long.status_code == 422 and "300 characters" in too_long.text
        tagged = await agent.post(f"/items/{item}/tag", data={"csrf_token": csrf, "tags": "parcel, late"})
        assert tagged.status_code == 303
        tags = await console.pool.fetchval(f"SELECT {ITEM_TAGS} FROM {ITEM_FROM} WHERE q.id = $1", item)
        assert tags == ["parcel", "late"]
        not_lead = await agent.post(f"/items/{item}/reassign", data={"csrf_token": csrf, "assignee": "agent-a2"})
        assert not_lead.status_code == 403
        assert (await agent.post(f"/items/{item}/release", data={"csrf_token": csrf})).status_code == 303
        assert (await agent.post(f"/items/{item}/resolve", data={"csrf_token": csrf})).status_code == 303
        row = await console.pool.fetchrow(
            f"SELECT {ITEM_STATUS} AS status, w.assignee FROM {ITEM_FROM} WHERE q.id = $1", item)
        assert (row["status"], row["assignee"]) == ("resolved", "agent-a")
        assert (await agent.post(f"/items/{item}/explode", data={"csrf_token": csrf})).status_code == 404


async def test_lead_pages(console):
    item = await insert_item(console.pool, brand="brand-a")
    incident = await insert_incident(console.pool, brand="brand-a")
    async with logged_in(console.base_url, "lead") as (lead, csrf), \
            logged_in(console.base_url, "agent-a") as (agent, agent_csrf):
        moved = await lead.post(f"/items/{item}/reassign", data={"csrf_token": csrf, "assignee": "agent-a2"})
        assert moved.status_code == 303
        assert await console.pool.fetchval(f"SELECT w.assignee FROM {ITEM_FROM} WHERE q.id = $1", item) == "agent-a2"
        board = await agent.get("/crisis")
        assert incident in board.text and "Acknowledge" not in board.text  # agents see, leads act
        refused = await agent.post(f"/crisis/{incident}/acknowledge", data={"csrf_token": agent_csrf})
        assert refused.status_code == 403
        board = await lead.get("/crisis")
        acked = await lead.post(f"/crisis/{incident}/acknowledge", data={"csrf_token": csrf_from(board.text)})
        assert acked.status_code == 303
        assert "acknowledged by lead" in (await lead.get("/crisis")).text
        audit = await lead.get("/audit", params={"actor": "lead", "action": "", "brand": "", "q": ""})
        assert audit.status_code == 200
        assert "item.reassign" in audit.text and "incident.acknowledge" in audit.text
        assert (await lead.get("/", params={"brand": "", "category": "", "status": "open"})).status_code == 200


async def test_saved_reply_notes_and_author_note_forms(console):
    item = await insert_item(console.pool, brand="brand-a", handle="vip_vera")
    async with logged_in(console.base_url, "lead-a") as (lead, csrf), \
            logged_in(console.base_url, "agent-a") as (agent, agent_csrf):
        form = {"brand_id": "brand-a", "language": "en", "name": "welcome", "category": "", "body": "Hi {author_name}"}
        created = await lead.post("/saved-replies/save", data={**form, "csrf_token": csrf})
        assert created.status_code == 303 and created.headers["location"] == "/saved-replies"
        reply_id = await console.pool.fetchval("SELECT id FROM saved_replies WHERE name = 'welcome'")
        edited = await lead.post("/saved-replies/save", data={**form, "body": "Hello {author_name}!",
                                                              "reply_id": str(reply_id), "csrf_token": csrf})
        assert edited.status_code == 303
        assert await console.pool.fetchval("SELECT body FROM saved_replies") == "Hello {author_name}!"
        unknown = await lead.post("/saved-replies/save",
                                  data={**form, "name": "x", "body": "{nope}", "csrf_token": csrf})
        assert unknown.status_code == 422 and "{nope}" in unknown.text
        bad_language = await lead.post("/saved-replies/save", data={**form, "language": "english!", "csrf_token": csrf})
        assert bad_language.status_code == 422 and "language" in bad_language.text
        refused = await agent.post("/saved-replies/save", data={**form, "name": "mine", "csrf_token": agent_csrf})
        assert refused.status_code == 403 and "managed by leads" in refused.text
        listed = await agent.get("/saved-replies")
        assert "Hello {author_name}!" in listed.text and 'aria-label="Delete welcome"' not in listed.text
        no_csrf = await lead.post("/saved-replies/delete", data={"reply_id": str(reply_id)})
        assert no_csrf.status_code == 403
        deleted = await lead.post("/saved-replies/delete", data={"reply_id": str(reply_id), "csrf_token": csrf})
        assert deleted.status_code == 303 and await console.pool.fetchval("SELECT count(*) FROM saved_replies") == 0

        noted = await agent.post(f"/items/{item}/note", data={"csrf_token": agent_csrf, "text": "@lead-a <b>hi</b>"})
        assert noted.status_code == 303
        page = await agent.get(f"/items/{item}")
        assert "@lead-a &lt;b&gt;hi&lt;/b&gt;" in page.text  # escaped like every stored text
        assert "&lt;b&gt;hi" in (await lead.get("/mentions")).text
        unknown_user = await agent.post(f"/items/{item}/note", data={"csrf_token": agent_csrf, "text": "@ghost"})
        assert unknown_user.status_code == 422 and "@ghost" in unknown_user.text
        author = await agent.post(f"/items/{item}/author-note", data={"csrf_token": agent_csrf, "text": "VIP"})
        assert author.status_code == 303 and 'value="VIP"' in (await agent.get(f"/items/{item}")).text
        too_long = await agent.post(f"/items/{item}/author-note", data={"csrf_token": agent_csrf, "text": "v" * 501})
        assert too_long.status_code == 422 and "501 characters" in too_long.text
