"""Auto-assignment passes on the real PostgreSQL (no console running, so each pass is the test's
own): least-loaded and round-robin spreads, capacity, the claim lock, handing back when someone
goes away or off shift, brand scope, and the item's history explaining each decision."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from mentionflow.accounts import store
from mentionflow.brandconfig import AgencyConfig, load_config
from mentionflow.service import EXIT_BAD_CONFIG
from mentionflow_console import actions, assigner, repository
from mentionflow_console.assignment import AvailabilityMode

from tests.console.factories import add_team, insert_item, migrate_all

CONFIG_PATH = Path(__file__).with_name("assignment_config.yaml")
MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MONDAY_NIGHT = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


@pytest.fixture
def config() -> AgencyConfig:
    return load_config(CONFIG_PATH)


@pytest.fixture
async def pool(fresh_database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=4)
    try:
        await migrate_all(pool)
        await add_team(pool)
        yield pool
    finally:
        await pool.close()


async def set_mode(pool: asyncpg.Pool, config: AgencyConfig, username: str, mode: AvailabilityMode,
                   ) -> assigner.AvailabilityState:
    user = await store.get_user(pool, username=username)
    assert user is not None
    return await assigner.set_availability(pool, actor=user, username=username, mode=mode, config=config)


async def assignees(pool: asyncpg.Pool, items: list[uuid.UUID]) -> list[str | None]:
    rows = {r["item_id"]: r["assignee"] for r in await pool.fetch(
        "SELECT item_id, assignee FROM queue_work WHERE item_id = ANY($1::uuid[])", items)}
    return [rows.get(i) for i in items]


async def test_least_loaded_evens_out_the_load_and_the_history_says_why(pool, config) -> None:
    for username in ("agent-a", "agent-a2", "lead-a"):
        await set_mode(pool, config, username, "available")
    for _ in range(2):  # agent-a already holds two items
        await insert_item(pool, brand="brand-a", queue_name="brand-a-manual", status="claimed", assignee="agent-a")
    items = [await insert_item(pool, brand="brand-a", queue_name="brand-a-care") for _ in range(7)]

    result = await assigner.run_pass(pool, config)

    assert (result.assigned, result.handed_back) == (7, 0)
    assert Counter(await assignees(pool, items)) == {"agent-a": 1, "agent-a2": 3, "lead-a": 3}  # 3 open each
    first = await repository.item_history(pool, item_id=items[0])
    assert [(h["actor"], h["action"], h["detail"]) for h in first] == [
        ("auto-assign", "item.assign", "assigned to agent-a2 by least-loaded: 0 open vs 0")]
    details = [h["detail"] for i in items for h in await repository.item_history(pool, item_id=i)]
    assert all(re.fullmatch(r"assigned to [\w-]+ by least-loaded: \d open vs \d", d) for d in details), details
    # an assigned item still reads as new, and its assignee claims it as before
    item = await repository.get_item(pool, scope=None, item_id=items[0])
    assert (item["status"], item["assignee"]) == ("new", "agent-a2")
    user = await store.get_user(pool, username="agent-a2")
    claimed = await actions.claim(pool, user=user, item_id=items[0])
    assert (claimed["status"], claimed["assignee"]) == ("claimed", "agent-a2")


async def test_round_robin_takes_turns_up_to_the_capacity(pool, config) -> None:
    await set_mode(pool, config, "agent-a", "available")
    await set_mode(pool, config, "lead-a", "available")  # agent-a2 is in 'auto' and the team has no hours
    items = [await insert_item(pool, brand="brand-a", queue_name="brand-a-rr") for _ in range(8)]

    assert (await assigner.run_pass(pool, config)).assigned == 6  # capacity 3 each
    got = await assignees(pool, items)
    assert got == ["agent-a", "lead-a"] * 3 + [None, None]
    assert (await assigner.run_pass(pool, config)).assigned == 0  # still full
    await store.revoke(pool, username="lead-a", brands=["brand-a"])  # lead-a loses the brand
    resolved_by = await store.get_user(pool, username="agent-a")
    await actions.resolve(pool, user=resolved_by, item_id=items[0])  # agent-a has room for one more
    result = await assigner.run_pass(pool, config)
    assert (result.handed_back, result.assigned) == (3, 1)  # lead-a's three go back; one goes to agent-a
    got = await assignees(pool, items)
    assert got.count("lead-a") == 0 and got.count("agent-a") == 4
    for item in items[1:6:2]:  # lead-a's three, each handed back (one may since have gone to agent-a)
        details = [h["detail"] for h in await repository.item_history(pool, item_id=item)]
        assert details[1] == "handed back: lead-a is unavailable (lead-a has no access to brand brand-a)", details


async def test_claimed_items_are_never_taken_and_one_being_acted_on_is_skipped(pool, config) -> None:
    await set_mode(pool, config, "agent-a", "available")
    claimed = await insert_item(pool, brand="brand-a", queue_name="brand-a-care", status="claimed",
                                assignee="agent-a2")
    busy = await insert_item(pool, brand="brand-a", queue_name="brand-a-care")
    await pool.execute("INSERT INTO queue_work (item_id, brand_id) VALUES ($1, 'brand-a')", busy)
    async with pool.acquire() as other, other.transaction():  # someone is claiming `busy` right now
        await other.execute("SELECT 1 FROM queue_work WHERE item_id = $1 FOR UPDATE", busy)
        assert (await assigner.run_pass(pool, config)).assigned == 0
        await other.execute("UPDATE queue_work SET status = 'claimed', assignee = 'lead-a' WHERE item_id = $1", busy)
    assert await assignees(pool, [claimed, busy]) == ["agent-a2", "lead-a"]
    assert (await assigner.run_pass(pool, config)).assigned == 0  # both claimed: the claim is the lock
    assert await repository.item_history(pool, item_id=busy) == []


async def test_going_away_hands_back_assigned_items_but_not_claimed_ones(pool, config) -> None:
    await set_mode(pool, config, "agent-a", "available")
    items = [await insert_item(pool, brand="brand-a", queue_name="brand-a-care") for _ in range(3)]
    assert (await assigner.run_pass(pool, config)).assigned == 3
    agent = await store.get_user(pool, username="agent-a")
    await actions.claim(pool, user=agent, item_id=items[0])

    state = await set_mode(pool, config, "agent-a", "away")

    assert (state.mode, state.handed_back, state.open_items) == ("away", 2, 1)
    assert await assignees(pool, items) == ["agent-a", None, None]
    history = await repository.item_history(pool, item_id=items[1])
    assert [(h["actor"], h["action"], h["detail"]) for h in history][-1] == (
        "auto-assign", "item.unassign", "handed back: agent-a is unavailable (away)")
    audit = await pool.fetchrow("SELECT actor, target, before, after FROM audit_log WHERE action = 'user.availability' "
                                "ORDER BY id DESC LIMIT 1")
    assert (audit["actor"], audit["target"]) == ("agent-a", "agent-a")
    await set_mode(pool, config, "agent-a2", "available")
    assert (await assigner.run_pass(pool, config)).assigned == 2
    assert await assignees(pool, items) == ["agent-a", "agent-a2", "agent-a2"]


async def test_a_released_item_is_never_given_back_to_whoever_released_it(pool, config) -> None:
    await set_mode(pool, config, "agent-a", "available")
    await set_mode(pool, config, "agent-a2", "available")
    item = await insert_item(pool, brand="brand-a", queue_name="brand-a-care")
    assert (await assigner.run_pass(pool, config)).assigned == 1
    assert await assignees(pool, [item]) == ["agent-a"]  # equal loads: the first in member order
    agent = await store.get_user(pool, username="agent-a")
    await actions.claim(pool, user=agent, item_id=item)
    await actions.release(pool, user=agent, item_id=item)  # "not for me"

    assert (await assigner.run_pass(pool, config)).assigned == 1
    assert await assignees(pool, [item]) == ["agent-a2"]  # though agent-a is the least loaded now
    history = await repository.item_history(pool, item_id=item)
    assert history[-1]["detail"] == (
        "assigned to agent-a2 by least-loaded: 0 open (the only one available under capacity); "
        "not agent-a, who released it")
    await set_mode(pool, config, "agent-a2", "away")  # handed back; only agent-a is left
    assert (await assigner.run_pass(pool, config)).assigned == 0
    assert await assignees(pool, [item]) == [None]  # in the queue for anyone to claim
    other = await insert_item(pool, brand="brand-a", queue_name="brand-a-care")
    assert (await assigner.run_pass(pool, config)).assigned == 1  # agent-a still takes new items
    assert await assignees(pool, [item, other]) == [None, "agent-a"]


async def test_auto_follows_the_team_hours(pool, config) -> None:
    items = [await insert_item(pool, brand="brand-a", queue_name="brand-a-day") for _ in range(4)]
    assert (await assigner.run_pass(pool, config, now=MONDAY_NIGHT)).assigned == 0  # nobody on shift
    assert (await assigner.run_pass(pool, config, now=MONDAY_NOON)).assigned == 4
    assert Counter(await assignees(pool, items)) == {"agent-a": 2, "agent-a2": 2}
    await set_mode(pool, config, "agent-a", "available")  # stays on after hours

    result = await assigner.run_pass(pool, config, now=MONDAY_NIGHT)

    assert (result.handed_back, result.assigned) == (2, 2)  # agent-a2's go back, and on to agent-a
    assert await assignees(pool, items) == ["agent-a"] * 4
    detail = [h["detail"] for h in await repository.item_history(pool, item_id=items[1])]
    assert "handed back: agent-a2 is unavailable (off shift (brand-a-day hours))" in detail


async def test_a_queue_without_assignment_and_other_brands_are_left_alone(pool, config) -> None:
    for username in ("agent-a", "agent-b"):
        await set_mode(pool, config, username, "available")
    manual = await insert_item(pool, brand="brand-a", queue_name="brand-a-manual")
    other = await insert_item(pool, brand="brand-b", queue_name="brand-b-care")
    resolved = await insert_item(pool, brand="brand-a", queue_name="brand-a-care", status="resolved")
    assert (await assigner.run_pass(pool, config)).assigned == 1
    assert await assignees(pool, [manual, other, resolved]) == [None, "agent-b", None]


async def test_a_backlog_nobody_may_take_never_holds_up_another_queue(pool, config, monkeypatch) -> None:
    monkeypatch.setattr(assigner, "PASS_ITEM_LIMIT", 3)  # fewer items looked at than the backlog
    await set_mode(pool, config, "agent-b", "available")  # nobody of brand A is
    backlog = [await insert_item(pool, brand="brand-a", queue_name="brand-a-care", priority="P1") for _ in range(5)]
    later = [await insert_item(pool, brand="brand-b", queue_name="brand-b-care", priority="P4") for _ in range(2)]

    assert (await assigner.run_pass(pool, config)).assigned == 2
    assert await assignees(pool, backlog + later) == [None] * 5 + ["agent-b"] * 2


async def test_two_replicas_passing_at_once_assign_each_item_once_within_capacity(pool, config,
                                                                                   fresh_database_dsn) -> None:
    await set_mode(pool, config, "agent-a", "available")
    await set_mode(pool, config, "lead-a", "available")
    items = [await insert_item(pool, brand="brand-a", queue_name="brand-a-rr") for _ in range(8)]
    other = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)  # a second replica's
    try:
        results = await asyncio.gather(*(assigner.run_pass(p, config) for p in (pool, other, pool, other)))
    finally:
        await other.close()
    assert sum(r.assigned for r in results) == 6  # capacity 3 each, counted by one pass at a time
    assert Counter(await assignees(pool, items)) == {"agent-a": 3, "lead-a": 3, None: 2}
    entries = await pool.fetch("SELECT item_id FROM audit_log WHERE action = 'item.assign'")
    assert len(entries) == len({e["item_id"] for e in entries}) == 6


def test_an_unknown_mode_in_the_brand_config_stops_the_console_naming_file_line_and_key(tmp_path: Path) -> None:
    broken = tmp_path / "agency.yaml"
    broken.write_text(CONFIG_PATH.read_text().replace("mode: round-robin, capacity: 3", "mode: fair-share"))
    env = {**os.environ, "MENTIONFLOW_BRAND_CONFIG": str(broken), "MENTIONFLOW_LOG_JSON": "false"}
    result = subprocess.run([sys.executable, "-m", "mentionflow_console.main"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == EXIT_BAD_CONFIG, result.stderr[-2000:]
    assert "agency.yaml:25: queues.brand-a-rr.assignment.mode: Input should be 'off', 'round-robin' or " \
           "'least-loaded' (got 'fair-share')" in result.stderr
    assert "Traceback" not in result.stderr
