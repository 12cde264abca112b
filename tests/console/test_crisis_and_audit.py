"""Crisis board (acknowledge stops escalation, resolve) and the audit log search."""

from __future__ import annotations

from tests.console.factories import insert_incident, insert_item, publish_applies


async def test_crisis_board_lists_open_incidents_with_volume_and_linked_mentions(console):
    incident = await insert_incident(console.pool, brand="brand-a", volume=[1.0, 4.0, 12.0])
    linked = await insert_item(console.pool, brand="brand-a", incident_id=incident, category="crisis", priority="P1")
    await insert_item(console.pool, brand="brand-a")
    async with console.client("agent-a") as agent:
        board = (await agent.get("/api/v1/incidents")).json()
    assert [i["incident_id"] for i in board] == [incident]
    assert [p["rate_per_minute"] for p in board[0]["volume"]] == [1.0, 4.0, 12.0]
    assert [m["id"] for m in board[0]["mentions"]] == [str(linked)] and board[0]["mention_count"] == 1


async def test_acknowledge_stops_escalation_and_resolve_closes(console):
    incident = await insert_incident(console.pool, brand="brand-a")
    other = await insert_incident(console.pool, brand="brand-a")
    async with console.client("lead") as lead, console.client("lead-a") as lead_a:
        acked = await lead.post(f"/api/v1/incidents/{incident}/acknowledge")
        # shown at once, pending until publish (which owns incidents and escalations) applied it
        assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "lead"
        assert acked.json()["pending"] == ["acknowledge"]
        escalation = await console.pool.fetchrow("SELECT * FROM escalations WHERE dedup_key = $1", incident)
        assert escalation["status"] == "triggered"  # the console writes no escalation
        second = await lead_a.post(f"/api/v1/incidents/{incident}/acknowledge")  # keeps the first ack
        assert second.status_code == 200 and second.json()["acknowledged_by"] == "lead"
        await publish_applies(console.kafka, console.pool, "incidents.actions", expect=1)
        applied = (await lead.get(f"/api/v1/incidents/{incident}")).json()
        assert (applied["acknowledged_by"], applied["pending"]) == ("lead", [])
        escalation = await console.pool.fetchrow("SELECT * FROM escalations WHERE dedup_key = $1", incident)
        assert (escalation["status"], escalation["acknowledged_by"]) == ("acknowledged", "lead")
        assert escalation["acknowledged_at"] is not None and escalation["next_step_at"] is None
        untouched = await console.pool.fetchval("SELECT status FROM escalations WHERE dedup_key = $1", other)
        assert untouched == "triggered"
        resolved = await lead_a.post(f"/api/v1/incidents/{incident}/resolve")
        assert resolved.status_code == 200
        assert (resolved.json()["status"], resolved.json()["resolved_by"]) == ("closed", "lead-a")
        assert resolved.json()["pending"] == ["resolve"]
        again = await lead.post(f"/api/v1/incidents/{incident}/resolve")
        assert again.status_code == 409 and "already resolved" in again.json()["detail"]
        assert (await lead.post(f"/api/v1/incidents/{incident}/acknowledge")).status_code == 409
        assert [i["incident_id"] for i in (await lead.get("/api/v1/incidents")).json()] == [other]
        everything = (await lead.get("/api/v1/incidents", params={"include_closed": True})).json()
        assert {i["incident_id"] for i in everything} == {incident, other}
    await publish_applies(console.kafka, console.pool, "incidents.actions", expect=2)
    assert await console.pool.fetchval("SELECT status FROM escalations WHERE dedup_key = $1", incident) == "resolved"
    actions = await console.pool.fetch("SELECT actor, action FROM audit_log WHERE incident_id = $1 ORDER BY id",
                                       incident)
    assert [(a["actor"], a["action"]) for a in actions] == [("lead", "incident.acknowledge"),
                                                            ("lead-a", "incident.resolve")]


async def test_audit_log_records_every_action_and_is_searchable_by_leads(console):
    item_a = await insert_item(console.pool, brand="brand-a")
    item_b = await insert_item(console.pool, brand="brand-b")
    async with console.client("agent-a") as agent_a, console.client("agent-b") as agent_b:
        await agent_a.post(f"/api/v1/items/{item_a}/claim")
        await agent_a.post(f"/api/v1/items/{item_a}/reply", json={"text": "We are looking into the refund"})
        await agent_a.post(f"/api/v1/items/{item_a}/tags", json={"add": ["refund"]})
        await agent_a.post(f"/api/v1/items/{item_a}/release")
        await agent_b.post(f"/api/v1/items/{item_b}/claim")
        await agent_b.post(f"/api/v1/items/{item_b}/resolve")
    async with console.client("lead") as lead, console.client("lead-a") as lead_a:
        by_actor = (await lead.get("/api/v1/audit", params={"actor": "agent-a"})).json()
        assert [e["action"] for e in by_actor] == ["item.release", "item.tag", "item.reply", "item.claim"]
        reply = by_actor[2]
        assert reply["detail"] == "We are looking into the refund" and reply["item_id"] == str(item_a)
        assert (reply["before"]["status"], reply["after"]["status"]) == ("claimed", "replied")
        found = (await lead.get("/api/v1/audit", params={"q": "refund"})).json()
        assert {e["action"] for e in found} == {"item.reply", "item.tag", "item.release"}  # tags in before/after
        assert [e["actor"] for e in (await lead.get("/api/v1/audit", params={"action": "item.resolve"})).json()] \
            == ["agent-b"]
        only_a = (await lead_a.get("/api/v1/audit")).json()
        assert {e["brand_id"] for e in only_a} == {"brand-a"}
        assert (await lead_a.get("/api/v1/audit", params={"brand": "brand-b"})).status_code == 404
        bad = await lead.get("/api/v1/audit", params={"since": "yesterday"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "since"]
