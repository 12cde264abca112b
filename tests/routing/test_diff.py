"""The pure comparison behind `rules diff`: counts by brand, queue moves, samples, failures."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import yaml
from mentionflow.brandconfig import load_config_text
from mentionflow.routing import route
from mentionflow_tools.rules.diff import DecisionDiff, changed_fields, compare

from tests.routing.builders import DEMO_CONFIG, classified, demo_config

NOW = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)


def demo_variant(change) -> object:  # noqa: ANN001
    """The demo config merged into one document, changed by `change`."""
    merged: dict = {}
    for path in sorted(DEMO_CONFIG.rglob("*.yaml")):
        if "fixtures" in path.parts:
            continue
        for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key].update(value)
            else:
                merged[key] = value
    data = copy.deepcopy(merged)
    change(data)
    return load_config_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), file="new.yaml")


def sample_events() -> list:
    events = []
    for n in range(30):
        events.append((classified(brand_id="hexafone", account="Hexafone", category="question", language="fr",
                                  text=f"question numéro {n}", external_id=f"h{n}"), NOW + timedelta(minutes=n)))
    for n in range(10):
        events.append((classified(brand_id="skylark", account="SkylarkAir", category="complaint",
                                  text=f"complaint {n}", external_id=f"s{n}"), NOW))
    events.append((classified(brand_id="ghost", brand_known=False, text="who?", external_id="g"), NOW))
    return events


def test_identical_configs_change_nothing() -> None:
    report = compare(sample_events(), demo_config(), demo_variant(lambda d: None))
    assert (report.total, report.changed, report.failed) == (41, 0, 0)
    assert report.queue_moves == [] and report.samples == []
    assert report.current_version == report.candidate_version


def test_moving_questions_to_another_queue_is_counted_by_brand_and_queue() -> None:
    def move(data: dict) -> None:
        rule = next(r for r in data["brands"]["hexafone"]["rules"] if r["id"] == "question")
        rule["queue"], rule["priority"] = "hexafone-engagement", "P4"

    report = compare(sample_events(), demo_config(), demo_variant(move), max_samples=5)
    assert (report.total, report.changed) == (41, 30)
    assert [(b.brand_id, b.total, b.changed) for b in report.by_brand] == [
        ("hexafone", 30, 30), ("ghost", 1, 0), ("skylark", 10, 0)
    ]
    assert [(m.from_queue, m.to_queue, m.count) for m in report.queue_moves] == [
        ("hexafone-care", "hexafone-engagement", 30)
    ]
    assert {(v.queue, v.before, v.after) for v in report.queue_volumes} == {
        ("hexafone-care", 30, 0), ("hexafone-engagement", 0, 30)
    }
    assert report.priority_moves == {"P3->P4": 30}
    assert report.by_field["queue"] == 30 and report.by_field["priority"] == 30
    # One sample per kind of change, not 5 copies of the same move.
    assert len(report.samples) == 1
    sample = report.samples[0]
    assert (sample.before.queue, sample.after.queue) == ("hexafone-care", "hexafone-engagement")
    assert sample.explanation_after[0].startswith("rule question")


def test_changed_fields_compares_tags_as_sets() -> None:
    config = demo_config()
    event = classified(brand_id="hexafone", account="Hexafone", category="praise", language="fr")
    decision = route(event, config, now=NOW)
    assert changed_fields(decision, decision.model_copy(update={"tags": list(reversed(decision.tags))})) == ()
    assert changed_fields(decision, decision.model_copy(update={"tags": ["x"], "escalate": True})) == (
        "escalate", "tags"
    )


def test_a_config_that_cannot_decide_is_reported_not_raised() -> None:
    class Broken:
        version = "broken"

    diff = DecisionDiff(demo_config(), Broken(), max_samples=3)  # type: ignore[arg-type]
    assert diff.add(sample_events()[0][0], now=NOW) is None
    report = diff.report()
    assert report.failed == 1 and report.total == 0
    assert report.failures[0].side == "candidate"
