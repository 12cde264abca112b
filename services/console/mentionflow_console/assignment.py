"""Auto-assignment decisions, pure (no I/O): who is available for a queue, and who gets its next
item. The assigner (assigner.py) gathers the facts from PostgreSQL and the brand config, and
writes what these functions decide.

Availability: a person's own toggle wins ('available' or 'away'); without one ('auto') they are
available while their team's business hours are open. A team without hours has nobody on shift
in 'auto'.

The choice, among the available candidates under the queue's capacity:
- round-robin: the first after the queue's last assignee, in the team's member order;
- least-loaded: the fewest open items (assigned or claimed, not resolved); ties go to the first
  in round-robin order, so equal loads still take turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mentionflow.brandconfig.calendar import BusinessCalendar
from mentionflow.brandconfig.models import AssignmentMode

AvailabilityMode = Literal["auto", "available", "away"]
AVAILABILITY_MODES: tuple[AvailabilityMode, ...] = ("auto", "available", "away")


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str  # why, for people: "set available", "away", "on shift (care-fr hours)"…


def availability(mode: AvailabilityMode, *, team_id: str, calendar: BusinessCalendar | None,
                 now: datetime) -> Availability:
    """Whether a member of `team_id` takes items now, by their toggle, else the team's hours."""
    if mode == "available":
        return Availability(True, "set available")
    if mode == "away":
        return Availability(False, "away")
    if calendar is None:
        return Availability(False, f"team {team_id} has no business hours and they have not set themselves available")
    if calendar.is_open(now):
        return Availability(True, f"on shift ({team_id} hours)")
    return Availability(False, f"off shift ({team_id} hours)")


@dataclass(frozen=True)
class Candidate:
    """A team member who may see the item's brand, in the team's member order."""

    username: str
    open_items: int
    available: bool


@dataclass(frozen=True)
class Choice:
    username: str
    explanation: str  # written into the item's history


def _rotation(candidates: Sequence[Candidate], last_assignee: str | None) -> list[Candidate]:
    """Candidates in turn order: the one after `last_assignee` first (wrapping round)."""
    names = [c.username for c in candidates]
    if last_assignee not in names:
        return list(candidates)
    start = names.index(last_assignee) + 1
    return [*candidates[start:], *candidates[:start]]


def choose(mode: AssignmentMode, candidates: Sequence[Candidate], *, capacity: int,
           last_assignee: str | None) -> Choice | None:
    """Who gets the next item of a queue, and why; None when nobody may (mode off, nobody
    available, everyone at capacity)."""
    if mode == "off":
        return None
    eligible = [c for c in _rotation(candidates, last_assignee) if c.available and c.open_items < capacity]
    if not eligible:
        return None
    if mode == "round-robin":
        chosen = eligible[0]
        after = f"next after {last_assignee}" if last_assignee in {c.username for c in candidates} else "first in turn"
        return Choice(chosen.username, f"assigned to {chosen.username} by round-robin: {after} "
                                       f"({chosen.open_items} open, capacity {capacity})")
    chosen = min(eligible, key=lambda c: c.open_items)  # min keeps the first of equals: turn order
    others = sorted(c.open_items for c in eligible if c is not chosen)
    versus = f" vs {others[0]}" if others else " (the only one available under capacity)"
    return Choice(chosen.username, f"assigned to {chosen.username} by least-loaded: {chosen.open_items} open{versus}")
