"""Auto-assignment against the database: the pass the console's background task runs, people's
availability toggle, and what the API shows of both. The decisions are assignment.py's.

An item is *assigned* when its work row (queue_work, the console's) has an assignee and no status
of its own: it still reads as new (or escalated) and anyone may claim it; claiming is the hard
lock, as before. The assigner only ever takes rows that are unassigned and unclaimed, locked
with SKIP LOCKED so someone acting on an item is never waited for nor overridden; it hands back
(unassigns) only items that are assigned and unclaimed, and never gives a released item back to
whoever released it. Each change is one transaction with its
audit entry, the item's history ("assigned to camille by least-loaded: 3 open vs 5").

One pass at a time across console replicas: a pass holds a PostgreSQL advisory lock, and a
toggle waits for it, so loads are never counted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from mentionflow import db
from mentionflow.accounts import User
from mentionflow.accounts.audit import record_audit
from mentionflow.accounts.store import get_user, list_users, transaction
from mentionflow.brandconfig import AgencyConfig
from mentionflow.brandconfig.models import Queue, console_username
from mentionflow.metrics import catalog

from mentionflow_console.assignment import (
    Availability,
    AvailabilityMode,
    Candidate,
    Choice,
    availability,
    choose,
)
from mentionflow_console.errors import Forbidden, NotFound

log = logging.getLogger(__name__)

ASSIGNER = "auto-assign"  # the actor of the assigner's audit entries
# pg advisory lock key of the pass ("mf-asgn" as a number): one pass at a time per database.
PASS_LOCK = 0x6D662D6173676E
PASS_ITEM_LIMIT = 500  # items looked at per queue and brand per pass: a backlog takes a few passes


@dataclass
class PassResult:
    assigned: int = 0
    handed_back: int = 0


@dataclass
class _Facts:
    """What a pass (or a page) decides from: read once, loads kept current as it assigns."""

    config: AgencyConfig | None
    now: datetime
    users: dict[str, User]
    modes: dict[str, AvailabilityMode]
    loads: dict[str, int]
    cursors: dict[str, str] = field(default_factory=dict)

    def mode(self, username: str) -> AvailabilityMode:
        return self.modes.get(username, "auto")

    def members(self, queue: Queue) -> list[str]:
        """The queue team's console usernames, in member order."""
        assert self.config is not None
        team = self.config.teams.get(queue.team)
        if team is None:
            return []
        people = self.config.people
        names = [console_username(p, people[p]) if p in people else p for p in team.members]
        return list(dict.fromkeys(names))

    def member_availability(self, queue_id: str, brand_id: str, username: str) -> Availability:
        """Whether `username` takes items of this queue and brand now."""
        user = self.users.get(username)
        if user is None:
            return Availability(False, f"{username} is not an active console user")
        queue = self.config.queues.get(queue_id) if self.config else None
        if queue is None:  # not a configured queue: only the toggle says anything
            return Availability(self.mode(username) != "away", self.mode(username))
        if username not in self.members(queue):
            return Availability(False, f"{username} is not in team {queue.team}")
        if not user.can_see(brand_id):
            return Availability(False, f"{username} has no access to brand {brand_id}")
        assert self.config is not None
        team = self.config.teams[queue.team]
        return availability(self.mode(username), team_id=queue.team, calendar=team.calendar, now=self.now)

    def candidates(self, queue_id: str, queue: Queue, brand_id: str) -> list[Candidate]:
        found = []
        for username in self.members(queue):
            user = self.users.get(username)
            if user is None or not user.can_see(brand_id):
                continue
            found.append(Candidate(username, self.loads.get(username, 0),
                                   self.member_availability(queue_id, brand_id, username).available))
        return found


# Agents' open items: assigned to or claimed by them, not resolved (what capacity counts); all
# agents' ($1 NULL) or one's.
OPEN_ITEMS = ("SELECT assignee, count(*) AS open_items FROM queue_work WHERE assignee IS NOT NULL "
              "AND (status IS NULL OR status <> 'resolved') AND ($1::text IS NULL OR assignee = $1) GROUP BY assignee")


async def _facts(conn: asyncpg.Connection, config: AgencyConfig | None, now: datetime) -> _Facts:
    users = {u.username: u for u in await list_users(conn)}
    modes = {r["username"]: r["mode"] for r in await conn.fetch("SELECT username, mode FROM agent_availability")}
    loads = {r["assignee"]: r["open_items"] for r in await conn.fetch(OPEN_ITEMS, None)}
    cursors = {r["queue_id"]: r["last_assignee"] for r in await conn.fetch(
        "SELECT queue_id, last_assignee FROM assignment_cursors")}
    return _Facts(config, now, users, modes, loads, cursors)


def _state(status: str | None, assignee: str | None) -> dict[str, Any]:
    return {"status": status or "new", "assignee": assignee}


async def _audit(conn: asyncpg.Connection, row: asyncpg.Record, action: str, before: dict[str, Any],
                 after: dict[str, Any], detail: str) -> None:
    await record_audit(conn, actor=ASSIGNER, action=action, brand_id=row["brand_id"], item_id=row["id"],
                       target=row["mention_id"], before=before, after=after, detail=detail)
    catalog.CONSOLE_ACTIONS.labels(action=action).inc()


# --- handing back -----------------------------------------------------------------------------

# Assigned and not claimed: the work row has an assignee and no status of a person's (a claim,
# a reply or a resolve sets one; release clears both).

ASSIGNED_UNCLAIMED = (
    "SELECT q.id, q.brand_id, q.queue, q.mention_id, w.assignee "
    "FROM queue_work w JOIN queue_items q ON q.id = w.item_id "
    "WHERE w.assignee IS NOT NULL AND (w.status IS NULL OR w.status = 'new') "
    "AND ($1::text[] IS NULL OR w.assignee = ANY($1::text[])) ORDER BY q.id")

LOCK_ASSIGNED_WAIT = ("SELECT assignee FROM queue_work WHERE item_id = $1 AND assignee = $2 "
                      "AND (status IS NULL OR status = 'new') FOR UPDATE")
LOCK_ASSIGNED_SKIP = LOCK_ASSIGNED_WAIT + " SKIP LOCKED"


async def _hand_back(conn: asyncpg.Connection, facts: _Facts, usernames: list[str] | None, *, wait: bool) -> int:
    """Unassign the assigned, unclaimed items whose assignee no longer takes their queue's items.
    `wait`: inside a caller's transaction, wait for row locks (all or nothing); else each item
    is its own transaction and an item someone is acting on is left for the next pass."""
    handed = 0
    for row in await conn.fetch(ASSIGNED_UNCLAIMED, usernames):
        verdict = facts.member_availability(row["queue"], row["brand_id"], row["assignee"])
        if verdict.available:
            continue
        async with transaction(conn):
            locked = await conn.fetchrow(LOCK_ASSIGNED_WAIT if wait else LOCK_ASSIGNED_SKIP, row["id"], row["assignee"])
            if locked is None:  # claimed or changed meanwhile: the claim wins
                continue
            await conn.execute("UPDATE queue_work SET assignee = NULL, version = version + 1, updated_at = now() "
                               "WHERE item_id = $1", row["id"])
            await _audit(conn, row, "item.unassign", _state(None, row["assignee"]), _state(None, None),
                         f"handed back: {row['assignee']} is unavailable ({verdict.reason})")
        facts.loads[row["assignee"]] = max(0, facts.loads.get(row["assignee"], 0) - 1)
        handed += 1
    return handed


# --- assigning --------------------------------------------------------------------------------

# New items nobody holds, per queue and brand: a queue whose items nobody may take now (nobody
# available, everyone at capacity) never holds up another's.
UNASSIGNED_GROUPS = (
    "SELECT q.queue, q.brand_id FROM queue_items q LEFT JOIN queue_work w ON w.item_id = q.id "
    "WHERE q.queue = ANY($1::text[]) AND q.status IN ('new', 'escalated') AND w.assignee IS NULL "
    "AND (w.status IS NULL OR w.status = 'new') "
    "GROUP BY q.queue, q.brand_id ORDER BY min(q.priority), min(q.sla_due_at)")
# Who released the item (the holder it was taken from, whoever clicked): it is not given back to them.
UNASSIGNED = (
    "SELECT q.id, q.brand_id, q.queue, q.mention_id, ARRAY(SELECT DISTINCT a.before->>'assignee' FROM audit_log a "
    "WHERE a.item_id = q.id AND a.action = 'item.release' AND a.before->>'assignee' IS NOT NULL) AS released_by "
    "FROM queue_items q LEFT JOIN queue_work w ON w.item_id = q.id "
    "WHERE q.queue = $1 AND q.brand_id = $2 AND q.status IN ('new', 'escalated') AND w.assignee IS NULL "
    "AND (w.status IS NULL OR w.status = 'new') ORDER BY q.priority, q.sla_due_at, q.id LIMIT $3")
LOCK_UNASSIGNED = ("SELECT status FROM queue_work WHERE item_id = $1 AND assignee IS NULL "
                   "AND (status IS NULL OR status = 'new') FOR UPDATE SKIP LOCKED")


def _choose(facts: _Facts, row: asyncpg.Record, queue: Queue, *, passing_over: frozenset[str] = frozenset()
            ) -> Choice | None:
    """Who gets this item now, from the pass's facts, passing over those who released it."""
    candidates = [c for c in facts.candidates(row["queue"], queue, row["brand_id"]) if c.username not in passing_over]
    choice = choose(queue.assignment.mode, candidates, capacity=queue.assignment.capacity,
                    last_assignee=facts.cursors.get(row["queue"]))
    released = sorted(passing_over & set(facts.members(queue)))
    if choice is None or not released:
        return choice
    return Choice(choice.username, f"{choice.explanation}; not {', '.join(released)}, who released it")


async def _choose_with_current_loads(conn: asyncpg.Connection, facts: _Facts, row: asyncpg.Record, queue: Queue,
                                     passing_over: frozenset[str]) -> Choice | None:
    """The choice, with the chosen agent's load read again inside the item's transaction: a
    claim made since the pass began counts, so nobody is pushed past the capacity."""
    tries = len(facts.candidates(row["queue"], queue, row["brand_id"])) + 1  # each try corrects one agent's load
    for _ in range(tries):
        choice = _choose(facts, row, queue, passing_over=passing_over)
        if choice is None:
            return None
        row_load = await conn.fetchrow(OPEN_ITEMS, choice.username)
        current = row_load["open_items"] if row_load else 0
        if current == facts.loads.get(choice.username, 0):
            return choice
        facts.loads[choice.username] = current  # and choose again with it
    return None


async def _assign_one(conn: asyncpg.Connection, facts: _Facts, row: asyncpg.Record, queue: Queue) -> bool | None:
    """Assign one item; True done, False skipped (someone is on it, or only those who released it
    may take it), None: nobody may take any item of its queue and brand now."""
    if _choose(facts, row, queue) is None:
        return None
    passing_over = frozenset(row["released_by"] or ())
    if _choose(facts, row, queue, passing_over=passing_over) is None:
        return False
    queue_id = row["queue"]
    async with transaction(conn):
        await conn.execute("INSERT INTO queue_work (item_id, brand_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           row["id"], row["brand_id"])
        locked = await conn.fetchrow(LOCK_UNASSIGNED, row["id"])
        if locked is None:  # claimed (or being acted on) since we looked: never take it
            return False
        choice = await _choose_with_current_loads(conn, facts, row, queue, passing_over)
        if choice is None:  # loads read again: the next item finds out whether anyone has room
            return False
        await conn.execute("UPDATE queue_work SET assignee = $2, version = version + 1, updated_at = now() "
                           "WHERE item_id = $1", row["id"], choice.username)
        await conn.execute(
            "INSERT INTO assignment_cursors (queue_id, last_assignee) VALUES ($1, $2) "
            "ON CONFLICT (queue_id) DO UPDATE SET last_assignee = excluded.last_assignee, updated_at = now()",
            queue_id, choice.username)
        status = locked["status"]
        await _audit(conn, row, "item.assign", _state(status, None), _state(status, choice.username),
                     choice.explanation)
    facts.loads[choice.username] = facts.loads.get(choice.username, 0) + 1
    facts.cursors[queue_id] = choice.username
    return True


async def _assign(conn: asyncpg.Connection, facts: _Facts) -> int:
    assert facts.config is not None
    queues = {qid: q for qid, q in facts.config.queues.items() if q.assignment.mode != "off"}
    if not queues:
        return 0
    assigned = 0
    for group in await conn.fetch(UNASSIGNED_GROUPS, sorted(queues)):
        queue = queues[group["queue"]]
        for row in await conn.fetch(UNASSIGNED, group["queue"], group["brand_id"], PASS_ITEM_LIMIT):
            done = await _assign_one(conn, facts, row, queue)
            if done is None:  # nobody may take more of this queue and brand in this pass
                break
            assigned += bool(done)
    return assigned


async def run_pass(pool: asyncpg.Pool, config: AgencyConfig, *, now: datetime | None = None) -> PassResult:
    """One pass: hand back what unavailable people hold unclaimed, then assign new items of the
    queues with auto-assignment on. Another replica's pass running: returns at once (nothing)."""
    result = PassResult()
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", PASS_LOCK):
            return result
        try:
            facts = await _facts(conn, config, now or datetime.now(UTC))
            result.handed_back = await _hand_back(conn, facts, None, wait=False)
            result.assigned = await _assign(conn, facts)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", PASS_LOCK)
    if result.assigned or result.handed_back:
        log.info("auto-assignment: %d assigned, %d handed back", result.assigned, result.handed_back)
    return result


async def run_assigner(pool: asyncpg.Pool, config: AgencyConfig, *, interval_s: float, stop: asyncio.Event) -> None:
    """The background task: a pass every `interval_s` until `stop`; a failed pass is logged and
    the next one tries again (a pass leaves nothing half-done: each item is one transaction)."""
    while not stop.is_set():
        try:
            await run_pass(pool, config)
        except db.TRANSIENT_ERRORS as exc:
            log.warning("auto-assignment pass failed, retrying in %.1fs: %s", interval_s, exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass


# --- availability: the toggle and what people see ------------------------------------------------

@dataclass(frozen=True)
class AvailabilityState:
    username: str
    mode: AvailabilityMode
    open_items: int
    teams: dict[str, Availability]  # per team of the config the user is a member of
    handed_back: int = 0


def _teams_of(config: AgencyConfig | None, username: str) -> Iterable[str]:
    if config is None:
        return []
    return [tid for tid, team in config.teams.items()
            if username in {console_username(p, config.people[p]) if p in config.people else p for p in team.members}]


def _state_of(facts: _Facts, username: str, handed_back: int = 0) -> AvailabilityState:
    teams = {}
    for team_id in _teams_of(facts.config, username):
        assert facts.config is not None
        teams[team_id] = availability(facts.mode(username), team_id=team_id,
                                      calendar=facts.config.teams[team_id].calendar, now=facts.now)
    return AvailabilityState(username, facts.mode(username), facts.loads.get(username, 0), teams, handed_back)


async def _target(conn: asyncpg.Connection, actor: User, username: str) -> User:
    """The user whose availability `actor` reads or sets: themselves, or (leads) a user who
    shares one of their brands; anyone else is indistinguishable from a missing user."""
    if username == actor.username:
        return actor
    if not actor.at_least("lead"):
        raise Forbidden("setting someone else's availability needs the lead role")
    target = await get_user(conn, username=username)
    if target is None or not (actor.all_brands or (actor.brands & target.brands and not target.all_brands)):
        raise NotFound(f"no user {username} in your brands")
    return target


async def get_availability(pool: asyncpg.Pool, *, user: User, config: AgencyConfig | None,
                           now: datetime | None = None) -> AvailabilityState:
    async with pool.acquire() as conn:
        return _state_of(await _facts(conn, config, now or datetime.now(UTC)), user.username)


async def set_availability(pool: asyncpg.Pool, *, actor: User, username: str, mode: AvailabilityMode,
                           config: AgencyConfig | None, now: datetime | None = None) -> AvailabilityState:
    """Set a user's toggle ('auto' removes it) and, in the same transaction, hand back the items
    they hold assigned but unclaimed in queues they no longer take; audited (user.availability)."""
    async with transaction(pool) as conn:
        target = await _target(conn, actor, username)
        await conn.execute("SELECT pg_advisory_xact_lock($1)", PASS_LOCK)  # no pass counts loads meanwhile
        before = await conn.fetchval("SELECT mode FROM agent_availability WHERE username = $1", target.username)
        if mode == "auto":
            await conn.execute("DELETE FROM agent_availability WHERE username = $1", target.username)
        else:
            await conn.execute(
                "INSERT INTO agent_availability (username, mode, updated_by) VALUES ($1, $2, $3) "
                "ON CONFLICT (username) DO UPDATE SET mode = excluded.mode, updated_by = excluded.updated_by, "
                "updated_at = now()", target.username, mode, actor.username)
        await record_audit(conn, actor=actor.username, action="user.availability", target=target.username,
                           before={"mode": before or "auto"}, after={"mode": mode})
        facts = await _facts(conn, config, now or datetime.now(UTC))
        handed = await _hand_back(conn, facts, [target.username], wait=True)
        return _state_of(facts, target.username, handed)


@dataclass(frozen=True)
class QueueAssignment:
    queue: str
    brand: str | None
    team: str
    mode: str
    capacity: int
    last_assignee: str | None
    agents: list[tuple[str, bool, str, int]]  # username, available, reason, open items


async def queue_overview(pool: asyncpg.Pool, *, user: User, config: AgencyConfig | None,
                         now: datetime | None = None) -> list[QueueAssignment]:
    """The queues of the user's brands with their auto-assignment and who takes their items now."""
    if config is None:
        return []
    async with pool.acquire() as conn:
        facts = await _facts(conn, config, now or datetime.now(UTC))
    out = []
    for queue_id, queue in sorted(config.queues.items()):
        if (queue.brand is None and not user.all_brands) or (queue.brand is not None and not user.can_see(queue.brand)):
            continue
        brand = queue.brand or ""
        agents = []
        for username in facts.members(queue):
            verdict = facts.member_availability(queue_id, brand, username) if queue.brand else \
                availability(facts.mode(username), team_id=queue.team, calendar=config.teams[queue.team].calendar,
                             now=facts.now)
            agents.append((username, verdict.available, verdict.reason, facts.loads.get(username, 0)))
        out.append(QueueAssignment(queue_id, queue.brand, queue.team, queue.assignment.mode,
                                   queue.assignment.capacity, facts.cursors.get(queue_id), agents))
    return out

