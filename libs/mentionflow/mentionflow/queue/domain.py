"""The queue and incident domain, in one place for the two services that share it.

Who writes what (one writer per table; the README's table of owners):
- publish owns what the pipeline decides: `queue_items` (one row per mention, its status as
  the pipeline set it: new or escalated), `reply_outbox`, `incidents`, `incident_volume`,
  `escalations`. People's requests reach it by event (replies.requested, incidents.actions).
- the console owns what people do: `queue_work` (claim, assignee, the status a CM sets, tags)
  beside publish's item, and `console_requests` (the events it asked publish for, shown as
  pending until publish's applied state arrives).

The item read model below joins the two sides; both services read through it, so "the status
of an item" or "open" means one thing everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class ItemStatus(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    REPLIED = "replied"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    # A reply was drafted by someone whose replies need approval; a lead approves or rejects it.
    AWAITING_APPROVAL = "awaiting_approval"


class ItemAction(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    REPLY = "reply"
    RESOLVE = "resolve"
    REASSIGN = "reassign"


# What the pipeline may set (publish): a crisis, or anything routing escalates, enters escalated.
PIPELINE_STATUSES = frozenset({ItemStatus.NEW, ItemStatus.ESCALATED})
# An item still in someone's queue: every status but resolved (the console's "open" filter).
UNRESOLVED = (ItemStatus.NEW, ItemStatus.CLAIMED, ItemStatus.REPLIED, ItemStatus.ESCALATED,
              ItemStatus.AWAITING_APPROVAL)
# An item whose SLA clock runs: nobody has answered it yet (queue depth, SLA breaches). A draft
# awaiting approval has not reached the customer, so its clock keeps running.
AWAITING_REPLY = (ItemStatus.NEW, ItemStatus.CLAIMED, ItemStatus.ESCALATED, ItemStatus.AWAITING_APPROVAL)
ALL_STATUSES = tuple(ItemStatus)
# Statuses in which an item is held by its assignee. An item awaiting approval is held too, but
# neither replied to nor released until its draft is decided (console approvals).
HELD = frozenset({ItemStatus.CLAIMED, ItemStatus.REPLIED})

# The statuses an item may be in for each action (who may act is checked by the console).
ITEM_TRANSITIONS: dict[ItemAction, frozenset[ItemStatus]] = {
    ItemAction.CLAIM: frozenset({ItemStatus.NEW, ItemStatus.ESCALATED}),
    ItemAction.RELEASE: HELD,
    ItemAction.REPLY: HELD,
    # a draft awaiting approval is decided first (approved or rejected), so none is left waiting
    # on a closed item
    ItemAction.RESOLVE: frozenset(ItemStatus) - {ItemStatus.RESOLVED, ItemStatus.AWAITING_APPROVAL},
    ItemAction.REASSIGN: frozenset(ItemStatus) - {ItemStatus.RESOLVED},
}


def item_allows(action: ItemAction, status: str) -> bool:
    return ItemStatus(status) in ITEM_TRANSITIONS[action]


class EscalationStatus(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# An escalation's status is its one marker of state (acknowledged_at / resolved_at only say when).
ESCALATION_TRANSITIONS: dict[EscalationStatus, dict[str, EscalationStatus]] = {
    EscalationStatus.TRIGGERED: {"acknowledge": EscalationStatus.ACKNOWLEDGED, "resolve": EscalationStatus.RESOLVED},
    EscalationStatus.ACKNOWLEDGED: {"resolve": EscalationStatus.RESOLVED},
    EscalationStatus.RESOLVED: {},
}


def escalation_after(status: str, action: str) -> EscalationStatus | None:
    """The status an escalation moves to on `action` (acknowledge, resolve); None: no change."""
    return ESCALATION_TRANSITIONS[EscalationStatus(status)].get(action)


# ---- read models (SQL fragments) ------------------------------------------------------------
# An item as people see it: publish's row, with the console's work state over it.
ITEM_FROM = "queue_items q LEFT JOIN queue_work w ON w.item_id = q.id"
# queue_items.status is the pipeline's (new, escalated); rows from before the split may still hold
# a person's status there, which the console's migration copied into queue_work: read as 'new'.
ITEM_STATUS = "coalesce(w.status, CASE WHEN q.status = 'escalated' THEN 'escalated' ELSE 'new' END)"
ITEM_TAGS = "coalesce(w.tags, q.tags)"
# Both sides only ever increase their counter, so the sum does too: a change on either side is seen.
ITEM_VERSION = "(q.version + coalesce(w.version, 0))"
ITEM_UPDATED_AT = "greatest(q.updated_at, w.updated_at)"
ITEM_COLUMNS = f"""
    q.id, q.brand_id, q.platform, q.external_id, q.mention_id, q.queue, q.team, q.priority, q.sla_due_at,
    {ITEM_STATUS} AS status, w.assignee, q.category, q.sentiment, q.severity, q.language, q.incident_id,
    {ITEM_TAGS} AS tags, q.author_handle, q.author_followers, q.author_verified, q.text, q.conversation_id,
    q.url, q.mention_created_at, q.created_at, {ITEM_UPDATED_AT} AS updated_at, {ITEM_VERSION} AS version
"""
ITEM_DETAIL_COLUMNS = ITEM_COLUMNS + ", q.mention, q.classification, q.decision, q.decided_at, q.received_at"
