"""Auto-assignment in the brand config: a queue's `assignment`, a team's hours, a person's console
user. A mistake is refused with the file, the line and the key that is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml
from mentionflow.brandconfig import ConfigError, read_config
from mentionflow.brandconfig.loader import validate_document
from mentionflow.brandconfig.models import console_username
from mentionflow.brandconfig.yamlsource import read_text

from tests.routing.builders import DEMO_CONFIG, config_from, small_dict

MONDAY = {"monday": "09:00-17:00"}


def problems(change) -> list[tuple[str, str]]:  # noqa: ANN001
    data = small_dict()
    change(data)
    with pytest.raises(ConfigError) as caught:
        config_from(data)
    assert all(p.file == "test.yaml" and p.line > 1 for p in caught.value.problems)
    return [(p.path, p.message) for p in caught.value.problems]


def test_a_queue_assigns_by_its_mode_and_capacity_and_a_team_has_hours() -> None:
    data = small_dict()
    data["queues"]["acme-care"]["assignment"] = {"mode": "least-loaded", "capacity": 4}
    data["queues"]["acme-low"]["assignment"] = {"mode": "round-robin"}
    data["teams"]["care"].update(time_zone="Europe/Paris", business_hours=MONDAY, holidays=["2026-12-14"])
    data["people"]["ann"]["console_user"] = "ann.smith"
    config = config_from(data)

    assert (config.queues["acme-care"].assignment.mode, config.queues["acme-care"].assignment.capacity) == (
        "least-loaded", 4)
    assert (config.queues["acme-low"].assignment.mode, config.queues["acme-low"].assignment.capacity) == (
        "round-robin", 10)
    assert config.queues["acme-urgent"].assignment.mode == "off"  # the default
    calendar = config.teams["care"].calendar
    assert calendar is not None
    assert calendar.is_open(datetime(2026, 12, 7, 8, 30, tzinfo=UTC))  # 09:30 in Paris, a Monday
    assert not calendar.is_open(datetime(2026, 12, 7, 16, 30, tzinfo=UTC))  # 17:30 in Paris
    assert not calendar.is_open(datetime(2026, 12, 14, 10, 0, tzinfo=UTC))  # the team's holiday
    assert not calendar.is_open(datetime(2026, 12, 8, 10, 0, tzinfo=UTC))  # Tuesday: no hours
    assert date(2026, 12, 14) in config.teams["care"].holidays
    people = config.people
    assert [console_username(p, people[p]) for p in ("ann", "bob")] == ["ann.smith", "bob"]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda d: d["queues"]["acme-care"].update(assignment={"mode": "fastest"}),
         "queues.acme-care.assignment.mode", "'off', 'round-robin' or 'least-loaded' (got 'fastest')"),
        (lambda d: d["queues"]["acme-care"].update(assignment={"mode": "round-robin", "capacity": 0}),
         "queues.acme-care.assignment.capacity", "greater than or equal to 1"),
        (lambda d: d["queues"]["acme-care"].update(assignment={"mode": "least-loaded", "capacity": 100_000}),
         "queues.acme-care.assignment.capacity", "less than or equal to 1000"),
        (lambda d: d["queues"]["acme-care"].update(assignment={"mode": "least-loaded", "cap": 3}),
         "queues.acme-care.assignment.cap", "unknown key"),
        (lambda d: d["queues"]["acme-care"].update(assignment="least-loaded"),
         "queues.acme-care.assignment", "valid dictionary"),
        (lambda d: d["teams"]["care"].update(business_hours=MONDAY),
         "teams.care", "business_hours need the team's time_zone"),
        (lambda d: d["teams"]["care"].update(time_zone="Mars/Olympus", business_hours=MONDAY),
         "teams.care.time_zone", "unknown IANA time zone 'Mars/Olympus'"),
        (lambda d: d["teams"]["care"].update(time_zone="UTC", business_hours={"monday": "18:00-09:00"}),
         "teams.care.business_hours.monday", "a range must end after it starts"),
        (lambda d: d["people"]["bob"].update(console_user="ann"),
         "people.bob.console_user", "console user 'ann' is already 'ann''s"),
        (lambda d: d["people"]["bob"].update(console_user="Bob Smith"),
         "people.bob.console_user", "should match pattern"),
    ],
)
def test_a_wrong_assignment_setting_is_refused_naming_the_key(change, path: str, words: str) -> None:  # noqa: ANN001
    found = problems(change)
    matching = [message for p, message in found if p == path]
    assert matching, found
    assert words in matching[0]


def test_assigning_with_a_team_without_hours_is_a_warning() -> None:
    data = small_dict()
    data["queues"]["acme-care"]["assignment"] = {"mode": "least-loaded"}
    result = validate_document(read_text(yaml.safe_dump(data, sort_keys=False), file="test.yaml"))
    assert result.errors == []
    (warning,) = [w for w in result.warnings if w.path == "queues.acme-care.assignment"]
    assert "team 'care' has no business_hours" in warning.message


def test_the_demo_config_assigns_two_queues_and_gives_every_care_team_hours() -> None:
    config = read_config(DEMO_CONFIG).config
    assert config is not None
    modes = {q: queue.assignment.mode for q, queue in config.queues.items() if queue.assignment.mode != "off"}
    assert modes == {"hexafone-care": "least-loaded", "skylark-care": "round-robin", "bouffego-fr": "least-loaded"}
    assert all(config.teams[t].calendar is not None for t in ("care-fr", "care-en", "care-qc"))
