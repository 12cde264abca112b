"""The auto-assignment decisions, pure: availability by toggle and team hours, round-robin turns,
least-loaded with its explanation, capacity; and the brand config's assignment settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mentionflow.brandconfig import ConfigError, load_config_text
from mentionflow.brandconfig.models import Team
from mentionflow_console.assignment import Candidate, availability, choose

MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
MONDAY_NIGHT = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
DAY_TEAM = Team(name="Day", members=["ann"], time_zone="UTC", business_hours={"monday": "09:00-17:00"})


def test_the_toggle_wins_over_the_team_hours_and_auto_follows_them() -> None:
    calendar = DAY_TEAM.calendar
    assert availability("available", team_id="day", calendar=calendar, now=MONDAY_NIGHT).available
    assert not availability("away", team_id="day", calendar=calendar, now=MONDAY_NOON).available
    on = availability("auto", team_id="day", calendar=calendar, now=MONDAY_NOON)
    off = availability("auto", team_id="day", calendar=calendar, now=MONDAY_NIGHT)
    assert (on.available, on.reason) == (True, "on shift (day hours)")
    assert (off.available, off.reason) == (False, "off shift (day hours)")
    assert not availability("auto", team_id="night", calendar=None, now=MONDAY_NOON).available


def test_least_loaded_picks_the_fewest_open_items_and_says_against_whom() -> None:
    team = [Candidate("hugo", 5, True), Candidate("camille", 3, True), Candidate("lea", 1, False)]
    choice = choose("least-loaded", team, capacity=8, last_assignee=None)
    assert choice is not None
    assert (choice.username, choice.explanation) == ("camille", "assigned to camille by least-loaded: 3 open vs 5")


def test_least_loaded_ties_take_turns() -> None:
    team = [Candidate("a", 2, True), Candidate("b", 2, True), Candidate("c", 2, True)]
    assert choose("least-loaded", team, capacity=8, last_assignee="a").username == "b"
    assert choose("least-loaded", team, capacity=8, last_assignee="c").username == "a"


def test_round_robin_goes_on_after_the_last_assignee_and_skips_who_cannot_take() -> None:
    team = [Candidate("a", 0, True), Candidate("b", 4, True), Candidate("c", 9, True), Candidate("d", 0, False)]
    choice = choose("round-robin", team, capacity=4, last_assignee="a")  # b is full, c over, d away
    assert choice is not None and choice.username == "a"
    assert choice.explanation == "assigned to a by round-robin: next after a (0 open, capacity 4)"
    assert choose("round-robin", team, capacity=10, last_assignee="a").username == "b"
    assert choose("round-robin", team, capacity=10, last_assignee="gone").username == "a"


def test_nobody_gets_an_item_when_off_unavailable_or_full() -> None:
    team = [Candidate("a", 3, True), Candidate("b", 0, False)]
    assert choose("off", team, capacity=8, last_assignee=None) is None
    assert choose("least-loaded", team, capacity=3, last_assignee=None) is None
    assert choose("round-robin", [], capacity=3, last_assignee=None) is None


@given(st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=1, max_size=6),
       st.sampled_from(["round-robin", "least-loaded"]), st.integers(1, 10))
def test_the_chosen_one_is_always_available_and_under_capacity(loads, mode, capacity) -> None:  # noqa: ANN001
    team = [Candidate(f"u{i}", load, ok) for i, (load, ok) in enumerate(loads)]
    choice = choose(mode, team, capacity=capacity, last_assignee="u0")
    eligible = [c for c in team if c.available and c.open_items < capacity]
    if not eligible:
        assert choice is None
        return
    chosen = next(c for c in team if c.username == choice.username)
    assert chosen in eligible
    if mode == "least-loaded":
        assert chosen.open_items == min(c.open_items for c in eligible)


BASE = """\
agency: {id: a, name: A}
sla: {P1: {minutes: 30}, P2: {minutes: 60}, P3: {minutes: 90}, P4: {minutes: 120}}
people: {ann: {name: Ann}, bob: {name: Bob, console_user: bob.smith}}
teams: {care: {name: Care, members: [ann, bob]%s}}
queues: {q: {team: care, brand: acme, assignment: %s}}
brands:
  acme: {name: Acme, accounts: [{handle: Acme}], languages: [en], time_zone: UTC, default: {queue: q, priority: P3}}
"""


def _problems(team_extra: str, assignment: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(BASE % (team_extra, assignment), file="agency.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_brand_config_takes_an_assignment_per_queue_and_hours_per_team() -> None:
    config = load_config_text(BASE % (', time_zone: UTC, business_hours: {monday: "09:00-17:00"}',
                                      "{mode: least-loaded, capacity: 8}"), file="agency.yaml")
    queue = config.queues["q"]
    assert (queue.assignment.mode, queue.assignment.capacity) == ("least-loaded", 8)
    assert config.teams["care"].calendar.is_open(MONDAY_NOON)
    assert config.people["bob"].console_user == "bob.smith"


@pytest.mark.parametrize(("team_extra", "assignment", "words"), [
    ("", "{mode: random}", "queues.q.assignment.mode"),
    ("", "{mode: round-robin, capacity: 0}", "queues.q.assignment.capacity"),
    ("", "{mode: round-robin, capcity: 3}", "queues.q.assignment.capcity"),
    (', business_hours: {monday: "09:00-17:00"}', "{mode: off}", "business_hours need the team's time_zone"),
])
def test_bad_assignment_settings_are_refused_naming_the_key(team_extra: str, assignment: str, words: str) -> None:
    problems = _problems(team_extra, assignment)
    assert any(words in p and p.startswith("agency.yaml:") for p in problems), problems


def test_two_people_cannot_be_the_same_console_user() -> None:
    text = BASE.replace("console_user: bob.smith", "console_user: ann") % ("", "{mode: off}")
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, file="agency.yaml")
    assert any(p.path == "people.bob.console_user" and "already 'ann'" in p.message for p in caught.value.problems)
