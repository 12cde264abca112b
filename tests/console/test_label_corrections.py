"""Label corrections in the console (API and item page) against real PostgreSQL and Kafka:
audited, brand-scoped, produced as labels.corrected; bad input answered 404/422 with
nothing produced and nothing audited."""

from __future__ import annotations

from mentionflow.events import decode

from tests.console.factories import insert_item
from tests.console.sessions import logged_in
from tests.helpers import end_offsets, read_all


async def _corrections(console, expect: int) -> list:
    records = await read_all(console.kafka, console.kafka.physical("labels.corrected"), expect=expect, timeout_s=5)
    return [decode("labels.corrected", r.value) for r in records]


async def _audited(console) -> list:
    return await console.pool.fetch("SELECT actor, action, brand_id, before, after, detail FROM audit_log "
                                    "WHERE action = 'item.correct_labels' ORDER BY id")


async def test_a_correction_is_audited_and_produced_keyed_by_brand(console):
    text = "@brand-a the parcel came with a dented box"
    item = await insert_item(console.pool, brand="brand-a", text=text, category="question")
    async with console.client("agent-a") as agent:
        response = await agent.post(f"/api/v1/items/{item}/label-correction", json={"category": "complaint"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["old_category"], body["new_category"], body["new_sentiment"]) == ("question", "complaint", None)
    [event] = await _corrections(console, 1)
    assert event.brand_id == "brand-a" and event.correlation_id == event.payload.mention_id
    payload = event.payload
    assert (payload.kind, payload.text, payload.corrected_by) == ("correction", text, "agent-a")
    assert (payload.old_category, payload.new_category, payload.old_sentiment) == ("question", "complaint", None)
    [entry] = await _audited(console)
    assert (entry["actor"], entry["brand_id"]) == ("agent-a", "brand-a")
    assert "category question → complaint" in entry["detail"]
    # The queue row is publish's: it keeps the labels it was routed with.
    assert await console.pool.fetchval("SELECT category FROM queue_items WHERE id = $1", item) == "question"


async def test_bad_corrections_produce_nothing(console):
    mine = await insert_item(console.pool, brand="brand-a")
    theirs = await insert_item(console.pool, brand="brand-b")
    async with console.client("agent-a") as agent:
        unknown = await agent.post("/api/v1/items/00000000-0000-4000-8000-000000000000/label-correction",
                                   json={"category": "complaint"})
        assert unknown.status_code == 404
        other_brand = await agent.post(f"/api/v1/items/{theirs}/label-correction", json={"category": "complaint"})
        assert other_brand.status_code == 404  # another brand's item looks like a missing one
        bad_label = await agent.post(f"/api/v1/items/{mine}/label-correction", json={"sentiment": "furious"})
        assert bad_label.status_code == 422
        assert [e["loc"] for e in bad_label.json()["detail"]] == [["body", "sentiment"]]
        nothing = await agent.post(f"/api/v1/items/{mine}/label-correction", json={})
        assert nothing.status_code == 422 and nothing.json()["detail"][0]["loc"] == ["body", "category"]
    assert sum((await end_offsets(console.kafka, "labels.corrected")).values()) == 0
    assert await _audited(console) == []


async def test_one_click_on_the_item_page(console):
    item = await insert_item(console.pool, brand="brand-a", text="@brand-a thanks, the refund arrived")
    async with logged_in(console.base_url, "agent-a") as (agent, csrf):
        page = await agent.get(f"/items/{item}")
        assert 'aria-label="Sentiment is positive"' in page.text
        assert 'aria-label="Category is question"' not in page.text  # the current category is not offered
        clicked = await agent.post(f"/items/{item}/label-correction",
                                   data={"csrf_token": csrf, "sentiment": "positive"})
        assert clicked.status_code == 303 and clicked.headers["location"] == f"/items/{item}"
        refused = await agent.post(f"/items/{item}/label-correction", data={"csrf_token": csrf, "category": "meh"})
        assert refused.status_code == 422 and "unknown category" in refused.text
        history = (await agent.get(f"/items/{item}")).text
        assert "correct_labels" in history and "sentiment negative → positive" in history
    [event] = await _corrections(console, 1)
    assert (event.payload.old_sentiment, event.payload.new_sentiment) == ("negative", "positive")
