"""Loading and refusing configs: every error names the file, the key path and the line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from mentionflow.brandconfig import ConfigError, load_config, load_config_text, read_config

from tests.routing.builders import DEMO_CONFIG, SMALL, config_from, demo_config, small_dict

BROKEN_PRIORITY = """\
agency: {id: a, name: A}
sla:
  P1: {minutes: 30}
  P2: {minutes: 60}
  P3: {minutes: 90}
  P4: {minutes: 120}
people: {ann: {name: Ann}}
teams: {care: {name: Care, members: [ann]}}
queues: {q: {team: care, brand: acme}}
brands:
  acme:
    name: Acme
    accounts: [{handle: Acme}]
    languages: [en]
    time_zone: UTC
    rules:
      - {id: one, queue: q, priority: P1}
      - id: two
        queue: q
        priority: P5
"""


def problems_of(text: str, file: str = "brands/acme.yaml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text, file=file)
    return [str(p) for p in caught.value.problems]


def test_demo_config_loads_with_three_brands_and_no_warnings() -> None:
    result = read_config(DEMO_CONFIG)
    assert result.errors == [] and result.warnings == []
    config = result.config
    assert config is not None
    assert set(config.brands) == {"hexafone", "skylark", "bouffego"}
    assert {tuple(b.languages) for b in config.brands.values()} == {("fr",), ("en",), ("fr", "en")}
    assert config.version.startswith("sha256:")


def test_wrong_priority_is_reported_with_file_line_and_key_path() -> None:
    assert problems_of(BROKEN_PRIORITY) == [
        "brands/acme.yaml:20: brands.acme.rules[1].priority: Input should be 'P1', 'P2', 'P3' or 'P4' (got 'P5')"
    ]


def test_every_problem_is_reported_not_only_the_first() -> None:
    text = BROKEN_PRIORITY.replace("time_zone: UTC", "time_zone: Mars/Olympus").replace(
        "languages: [en]", "languages: [en]\n    colour: blue"
    )
    problems = problems_of(text)
    assert len(problems) == 3
    assert "brands/acme.yaml:15: brands.acme.colour: unknown key" in problems[0]
    assert problems[1].startswith("brands/acme.yaml:16: brands.acme.time_zone: unknown IANA time zone 'Mars/Olympus'")
    assert problems[2].startswith("brands/acme.yaml:21: brands.acme.rules[1].priority:")


def test_missing_key_points_at_the_mapping_that_lacks_it() -> None:
    text = BROKEN_PRIORITY.replace("    name: Acme\n", "")
    assert problems_of(text) == [
        "brands/acme.yaml:11: brands.acme.name: required key is missing",
        "brands/acme.yaml:19: brands.acme.rules[1].priority: Input should be 'P1', 'P2', 'P3' or 'P4' (got 'P5')",
    ]


def test_yaml_syntax_error_has_a_line() -> None:
    problems = problems_of("agency: {id: a\nsla: [\n", file="bad.yaml")
    assert len(problems) == 1 and problems[0].startswith("bad.yaml:") and "YAML syntax" in problems[0]


def test_duplicate_key_in_one_mapping_is_refused() -> None:
    text = BROKEN_PRIORITY.replace("priority: P5", "priority: P2").replace(
        "    time_zone: UTC\n", "    time_zone: UTC\n    time_zone: Europe/Paris\n"
    )
    assert problems_of(text) == [
        "brands/acme.yaml:16: brands.acme.time_zone: duplicate key 'time_zone' (first written at line 15)"
    ]


def test_unquoted_clock_times_are_not_read_as_base_60_integers() -> None:
    data = small_dict()
    text = yaml.safe_dump(data, sort_keys=False).replace("'09:00-18:00'", "09:00-18:00")
    text = text.replace("handoff_time: 09:00", "handoff_time: 18:00")
    text = text.replace("handoff_time: '09:00'", "handoff_time: 18:00")
    config = load_config_text(text)
    assert str(config.brands["acme"].business_hours.monday[0]) == "09:00-18:00"
    assert config.rotations["primary"].handoff_time.hour == 18  # type: ignore[union-attr]


def test_language_no_is_not_the_boolean_false() -> None:
    data = small_dict(languages=["no"])
    text = yaml.safe_dump(data, sort_keys=False).replace("- 'no'", "- no")
    assert "- no\n" in text
    assert load_config_text(text).brands["acme"].languages == ["no"]


def test_secrets_are_names_of_environment_variables_only() -> None:
    data = small_dict()
    data["channels"]["pd"]["routing_key_env"] = "3f1c0a9b8e7d6c5b4a392817f6e5d4c3"
    with pytest.raises(ConfigError) as caught:
        config_from(data)
    message = str(caught.value.problems[0])
    assert "channels.pd.routing_key_env" in message and "never the secret itself" in message
    assert "3f1c0a9b8e7d6c5b4a392817f6e5d4c3" not in message  # the would-be secret is not echoed


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda d: d["brands"]["acme"]["rules"][1].update(queue="nowhere"),
         "brands.acme.rules[1].queue", "unknown queue 'nowhere'"),
        (lambda d: d["teams"]["care"].update(members=[]), "teams.care.members", "at least one member"),
        (lambda d: d["teams"]["care"]["members"].append("zed"), "teams.care.members[2]", "unknown person 'zed'"),
        (lambda d: d["brands"].update(other={**d["brands"]["acme"], "accounts": [{"handle": "@ACME"}]}),
         "brands.other.accounts[0].handle", "already an account of brand 'acme'"),
        (lambda d: d["escalation_policies"]["crisis"]["steps"][0].update(channels=["slack"]),
         "escalation_policies.crisis.steps[0].channels[0]", "unknown channel 'slack'"),
        (lambda d: d["brands"]["acme"].pop("escalation_policy"),
         "brands.acme.rules[0].escalate", "no escalation policy applies"),
        (lambda d: d["brands"]["acme"].update(business_hours={}),
         "brands.acme.business_hours", "the SLA of P3, P4 counts business hours"),
        (lambda d: d["brands"]["acme"]["rules"][1].update(id="crisis"),
         "brands.acme.rules[1].id", "already used by rules[0]"),
        (lambda d: d["rotations"]["primary"].update(overrides=[
            {"person": "dee", "start": "2025-02-01T00:00:00", "end": "2025-02-03T00:00:00"},
            {"person": "cy", "start": "2025-02-02T00:00:00", "end": "2025-02-04T00:00:00"}]),
         "rotations.primary.overrides[1]", "overlaps overrides[0]"),
        (lambda d: d["queues"].update(unrouted={"team": "care"}), "queues.unrouted", "reserved"),
        (lambda d: d["brands"]["acme"].update(default=None) or d["queues"].update(
            {k: {**v, "brand": None} for k, v in d["queues"].items()}),
         "brands.acme", "no `default` rule and no queue of its own"),
    ],
)
def test_cross_reference_errors(change, path: str, words: str) -> None:  # noqa: ANN001
    data = small_dict()
    change(data)
    with pytest.raises(ConfigError) as caught:
        config_from(data)
    matching = [p for p in caught.value.problems if p.path == path]
    assert matching, [str(p) for p in caught.value.problems]
    assert words in matching[0].message
    assert matching[0].file == "test.yaml" and matching[0].line > 1


def test_unreachable_rule_is_a_warning_not_an_error() -> None:
    data = small_dict()
    data["brands"]["acme"]["rules"].insert(0, {"id": "all", "queue": "acme-care", "priority": "P3"})
    text = yaml.safe_dump(data, sort_keys=False)
    from mentionflow.brandconfig.loader import validate_document
    from mentionflow.brandconfig.yamlsource import read_text

    result = validate_document(read_text(text, file="t.yaml"))
    assert result.errors == []
    assert [w.path for w in result.warnings] == ["brands.acme.rules[1]", "brands.acme.rules[2]"]
    assert "unreachable" in result.warnings[0].message


def test_folder_merges_files_and_refuses_an_id_defined_twice(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    shutil.copytree(DEMO_CONFIG, folder)
    assert load_config(folder).version == demo_config().version  # same content, same version
    (folder / "brands" / "zz-extra.yaml").write_text(
        "queues:\n  hexafone-care: {team: care-fr, brand: hexafone}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(folder, display_root=tmp_path)
    (problem,) = caught.value.problems
    assert problem.file == "cfg/brands/zz-extra.yaml" and problem.line == 2
    assert problem.path == "queues.hexafone-care"
    assert "defined twice: here and at cfg/brands/hexafone.yaml:" in problem.message


def test_fixtures_folder_is_not_read_as_config(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    shutil.copytree(DEMO_CONFIG, folder)
    (folder / "fixtures" / "junk.yaml").write_text("not: [a, config", encoding="utf-8")
    assert set(load_config(folder).brands) == {"hexafone", "skylark", "bouffego"}


def test_small_config_round_trips() -> None:
    config = config_from(SMALL)
    assert config.brands["acme"].accounts[1].x_user_id == "123"  # int in YAML, digits kept as text
