"""The queue domain shared by publish and the console: one meaning of each status set, the
allowed transitions, and the hand-over of people's state from databases written before the
split (queue_items held it then; the console's queue_work holds it now)."""

from __future__ import annotations

import asyncpg
import pytest
from mentionflow.db import migrate_all
from mentionflow.queue.domain import (
    AWAITING_REPLY,
    ITEM_COLUMNS,
    ITEM_FROM,
    UNRESOLVED,
    EscalationStatus,
    ItemAction,
    ItemStatus,
    escalation_after,
    item_allows,
)
from mentionflow_console.main import MIGRATIONS as CONSOLE_MIGRATIONS

from tests.console.factories import insert_item, migrate_publish_schema


def test_unresolved_and_awaiting_reply_differ_by_the_replied_status_only() -> None:
    assert set(UNRESOLVED) - set(AWAITING_REPLY) == {ItemStatus.REPLIED}
    assert ItemStatus.RESOLVED not in UNRESOLVED
    # a draft awaiting a lead's approval has not reached the customer: its SLA clock runs
    assert ItemStatus.AWAITING_APPROVAL in AWAITING_REPLY


@pytest.mark.parametrize(("action", "allowed"), [
    (ItemAction.CLAIM, {"new", "escalated"}),
    (ItemAction.RELEASE, {"claimed", "replied"}),
    (ItemAction.REPLY, {"claimed", "replied"}),
    (ItemAction.RESOLVE, {"new", "claimed", "replied", "escalated"}),
])
def test_item_transitions(action: ItemAction, allowed: set[str]) -> None:
    assert {s.value for s in ItemStatus if item_allows(action, s)} == allowed


def test_escalation_status_is_the_one_marker_and_moves_forward_only() -> None:
    assert escalation_after("triggered", "acknowledge") == EscalationStatus.ACKNOWLEDGED
    assert escalation_after("triggered", "resolve") == EscalationStatus.RESOLVED
    assert escalation_after("acknowledged", "resolve") == EscalationStatus.RESOLVED
    assert escalation_after("acknowledged", "acknowledge") is None
    assert escalation_after("resolved", "acknowledge") is None and escalation_after("resolved", "resolve") is None


async def test_people_state_written_before_the_split_is_carried_over(fresh_database_dsn: str) -> None:
    pool = await asyncpg.create_pool(fresh_database_dsn, min_size=1, max_size=2)
    try:
        await migrate_publish_schema(pool)
        claimed = await insert_item(pool, brand="brand-a")
        untouched = await insert_item(pool, brand="brand-a", status="escalated")
        # what the console wrote into publish's table before it had its own
        await pool.execute("UPDATE queue_items SET status = 'claimed', assignee = 'agent-a' WHERE id = $1", claimed)
        await migrate_all(pool, CONSOLE_MIGRATIONS)
        rows = {r["id"]: r for r in await pool.fetch(f"SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}")}
        assert (rows[claimed]["status"], rows[claimed]["assignee"]) == ("claimed", "agent-a")
        assert (rows[untouched]["status"], rows[untouched]["assignee"]) == ("escalated", None)
        # released by the console: the legacy status left in queue_items no longer shows
        await pool.execute("UPDATE queue_work SET status = NULL, assignee = NULL WHERE item_id = $1", claimed)
        status = await pool.fetchval(f"SELECT status FROM (SELECT {ITEM_COLUMNS} FROM {ITEM_FROM}) i WHERE id = $1",
                                     claimed)
        assert status == "new"
    finally:
        await pool.close()
