"""Auto-assignment through the API of a running console with a brand config (its background task
assigns): availability per role and brand scope, refusals naming the field, the queues' view, and
new items assigned with their history in the item's detail."""

from __future__ import annotations

from pathlib import Path

from tests.console.factories import insert_item
from tests.console.sessions import logged_in
from tests.helpers import eventually

CONSOLE_BRAND_CONFIG = Path(__file__).with_name("assignment_config.yaml")  # read by the console fixture


async def test_availability_per_role_and_brand_scope(console) -> None:
    async with console.client("agent-a") as agent_a, console.client("agent-b") as agent_b, \
            console.client("lead-a") as lead_a, console.client("lead") as lead, console.client("admin") as admin:
        mine = (await agent_a.get("/api/v1/availability")).json()
        assert (mine["username"], mine["mode"], mine["open_items"]) == ("agent-a", "auto", 0)
        assert [t["team"] for t in mine["teams"]] == ["brand-a-team", "brand-a-day"]
        assert mine["teams"][0] == {"team": "brand-a-team", "available": False, "reason": (
            "team brand-a-team has no business hours and they have not set themselves available")}
        # bad input: 422 naming the field, nothing changed
        bad = await agent_a.put("/api/v1/availability", json={"mode": "sometimes"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "mode"]
        extra = await agent_a.put("/api/v1/availability", json={"mode": "away", "until": "tomorrow"})
        assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "until"]
        assert (await agent_a.get("/api/v1/availability")).json()["mode"] == "auto"
        # oneself, by either route
        assert (await agent_a.put("/api/v1/availability", json={"mode": "away"})).json()["mode"] == "away"
        own = await agent_a.put("/api/v1/users/agent-a/availability", json={"mode": "available"})
        assert (own.status_code, own.json()["mode"]) == (200, "available")
        # someone else: leads within their brands; agents never; outside the scope reads as missing
        assert (await agent_b.put("/api/v1/users/agent-a/availability", json={"mode": "away"})).status_code == 403
        assert (await lead_a.put("/api/v1/users/agent-b/availability", json={"mode": "away"})).status_code == 404
        assert (await lead.put("/api/v1/users/admin/availability", json={"mode": "away"})).status_code == 404
        assert (await admin.put("/api/v1/users/nobody/availability", json={"mode": "away"})).status_code == 404
        by_lead = await lead_a.put("/api/v1/users/agent-a2/availability", json={"mode": "available"})
        assert (by_lead.status_code, by_lead.json()["mode"]) == (200, "available")
        assert (await admin.put("/api/v1/users/agent-b/availability", json={"mode": "auto"})).status_code == 200
        seen_by_lead = (await lead.get("/api/v1/audit", params={"action": "user.availability"})).json()
        seen_by_admin = (await admin.get("/api/v1/audit", params={"action": "user.availability"})).json()
    modes = await console.pool.fetch("SELECT username, mode, updated_by FROM agent_availability ORDER BY username")
    assert [tuple(r) for r in modes] == [("agent-a", "available", "agent-a"), ("agent-a2", "available", "lead-a")]
    # every change audited, no refusal; the entries have no brand, so only admins find them
    assert [(e["actor"], e["target"], e["after"]["mode"]) for e in reversed(seen_by_admin)] == [
        ("agent-a", "agent-a", "away"), ("agent-a", "agent-a", "available"), ("lead-a", "agent-a2", "available"),
        ("admin", "agent-b", "auto")]
    assert seen_by_lead == []


async def test_queues_view_is_brand_scoped(console) -> None:
    async with console.client("agent-b") as agent_b, console.client("lead") as lead, \
            console.client("admin") as admin, console.client("lead-a") as lead_a:
        seen_by_b = (await agent_b.get("/api/v1/assignment/queues")).json()
        seen_by_lead_a = (await lead_a.get("/api/v1/assignment/queues")).json()
        seen_by_lead = (await lead.get("/api/v1/assignment/queues")).json()
        seen_by_admin = (await admin.get("/api/v1/assignment/queues")).json()
    assert [q["queue"] for q in seen_by_b] == ["brand-b-care"]
    assert seen_by_b[0] | {"agents": None} == {"queue": "brand-b-care", "brand": "brand-b", "team": "brand-b-team",
                                               "mode": "round-robin", "capacity": 5, "last_assignee": None,
                                               "agents": None}
    assert [a["username"] for a in seen_by_b[0]["agents"]] == ["agent-b"]
    assert [q["queue"] for q in seen_by_lead_a] == ["brand-a-care", "brand-a-day", "brand-a-manual", "brand-a-rr"]
    assert {q["queue"] for q in seen_by_lead} == {"brand-a-care", "brand-a-rr", "brand-a-day", "brand-a-manual",
                                                  "brand-b-care"} == {q["queue"] for q in seen_by_admin}


async def test_new_items_are_assigned_and_the_item_history_explains_it(console) -> None:
    async with console.client("agent-a") as agent_a, console.client("agent-a2") as agent_a2, \
            console.client("agent-b") as agent_b:
        for client in (agent_a, agent_a2):
            assert (await client.put("/api/v1/availability", json={"mode": "available"})).status_code == 200
        items = [await insert_item(console.pool, brand="brand-a", queue_name="brand-a-care") for _ in range(4)]

        async def all_assigned() -> bool:
            queue = (await agent_a.get("/api/v1/items", params={"queue": "brand-a-care"})).json()
            return len(queue) == 4 and all(i["assignee"] for i in queue)

        await eventually(all_assigned, timeout_s=20, what="the console's assigner to assign the four items")
        queue = (await agent_a.get("/api/v1/items", params={"queue": "brand-a-care"})).json()
        assert sorted(i["assignee"] for i in queue) == ["agent-a", "agent-a", "agent-a2", "agent-a2"]
        mine = next(i["id"] for i in queue if i["assignee"] == "agent-a")
        detail = (await agent_a.get(f"/api/v1/items/{mine}")).json()
        assert detail["status"] == "new"
        assert [(h["actor"], h["action"]) for h in detail["history"]] == [("auto-assign", "item.assign")]
        assert detail["history"][0]["detail"].startswith("assigned to agent-a by least-loaded: ")
        assert (await agent_b.get(f"/api/v1/items/{mine}")).status_code == 404
        assert (await agent_a.post(f"/api/v1/items/{mine}/claim")).json()["status"] == "claimed"
        away = (await agent_a.put("/api/v1/availability", json={"mode": "away"})).json()
        assert (away["handed_back"], away["open_items"]) == (1, 1)  # the claimed one stays theirs
        await eventually(lambda: _assigned_to(agent_a, items, "agent-a2", 3), timeout_s=20,
                         what="agent-a's unclaimed item to go to agent-a2")


async def _assigned_to(client, items, username: str, count: int) -> bool:  # noqa: ANN001
    queue = (await client.get("/api/v1/items", params={"queue": "brand-a-care"})).json()
    return sum(1 for i in queue if i["assignee"] == username and i["id"] in {str(x) for x in items}) == count


async def test_the_availability_form_checks_its_token_and_names_a_wrong_mode(console) -> None:
    async with logged_in(console.base_url, "agent-a") as (agent, csrf):
        forged = await agent.post("/availability", data={"mode": "available"})
        assert forged.status_code == 403
        wrong = await agent.post("/availability", data={"csrf_token": csrf, "mode": "busy"})
        assert wrong.status_code == 422 and "mode" in wrong.text and "auto, available, away" in wrong.text
        assert await console.pool.fetchval("SELECT count(*) FROM agent_availability") == 0
        done = await agent.post("/availability", data={"csrf_token": csrf, "mode": "available"})
        assert (done.status_code, done.headers["location"]) == (303, "/")
    assert await console.pool.fetchval("SELECT mode FROM agent_availability WHERE username = 'agent-a'") == "available"


async def test_a_lead_sending_an_agent_away_hands_their_unclaimed_items_to_the_others(console) -> None:
    async with console.client("agent-a") as agent_a, console.client("lead-a") as lead_a:
        assert (await agent_a.put("/api/v1/availability", json={"mode": "available"})).status_code == 200
        items = [await insert_item(console.pool, brand="brand-a", queue_name="brand-a-care") for _ in range(3)]
        await eventually(lambda: _assigned_to(agent_a, items, "agent-a", 3), timeout_s=20,
                         what="the three items to go to agent-a, the only one available")
        claimed = str(items[0])
        assert (await agent_a.post(f"/api/v1/items/{claimed}/claim")).status_code == 200

        sent_away = await lead_a.put("/api/v1/users/agent-a/availability", json={"mode": "away"})
        assert (sent_away.status_code, sent_away.json()["handed_back"]) == (200, 2)
        queue = (await lead_a.get("/api/v1/assignment/queues")).json()
        care = next(q for q in queue if q["queue"] == "brand-a-care")
        agents = {a["username"]: (a["available"], a["reason"], a["open_items"]) for a in care["agents"]}
        assert agents["agent-a"] == (False, "away", 1)
        assert (await lead_a.put("/api/v1/availability", json={"mode": "available"})).status_code == 200
        await eventually(lambda: _assigned_to(agent_a, items, "lead-a", 2), timeout_s=20,
                         what="the two handed back to go to lead-a")
        detail = (await lead_a.get(f"/api/v1/items/{items[1]}")).json()
        assert [(h["actor"], h["action"]) for h in detail["history"]] == [
            ("auto-assign", "item.assign"), ("auto-assign", "item.unassign"), ("auto-assign", "item.assign")]
        assert detail["history"][1]["detail"] == "handed back: agent-a is unavailable (away)"
        mine = (await agent_a.get(f"/api/v1/items/{claimed}")).json()
        assert (mine["status"], mine["assignee"]) == ("claimed", "agent-a")  # the claim is the lock
