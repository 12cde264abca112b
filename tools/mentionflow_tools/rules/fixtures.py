"""Rule fixtures: example mentions shipped with a config, each with the decision it must get.

A fixture file (`<config>/fixtures/<brand>.yaml`):

    brand: hexafone                       # default brand of the cases
    now: 2025-03-11T10:00:00+01:00        # default decision time (with an offset)
    cases:
      - name: outage at night goes to care with a 24/7 SLA
        now: 2025-03-11T22:30:00+01:00    # optional, per case
        text: "Encore une coupure, pas de connexion"
        author: {handle: jeanne, followers: 120, verified: false}
        classification: {category: complaint, sentiment: negative, severity: 0.4}
        expect: {queue: hexafone-care, priority: P2, rule: panne-hors-heures}

`expect` needs queue and priority; rule, team, escalate, tags (all listed must be present),
sla_due_at and on_call (the first escalation step's target) are checked when given. Missing
mention fields get plain defaults (language: the brand's first; is_question: category is
question). Running fixtures is pure: it builds events and calls `route`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mentionflow.brandconfig.errors import ConfigError, ConfigProblem, problems_from_validation
from mentionflow.brandconfig.loader import FIXTURES_DIR
from mentionflow.brandconfig.models import AgencyConfig
from mentionflow.brandconfig.yamlsource import format_path, read_text
from mentionflow.events.mentions_classified import Category, Classification, MentionClassified, Sentiment
from mentionflow.events.mentions_raw import UNKNOWN_BRAND, Author, Mention, mention_id
from mentionflow.events.mentions_routed import Priority, RoutingDecision
from mentionflow.routing.escalation import escalation_for_mention
from mentionflow.routing.router import route
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FixtureAuthor(_Strict):
    handle: str = "someone"
    followers: int = Field(default=0, ge=0)
    verified: bool = False


class FixtureClassification(_Strict):
    category: Category
    sentiment: Sentiment = "neutral"
    severity: float = Field(default=0.3, ge=0.0, le=1.0)
    confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    language: str | None = None
    is_question: bool | None = None
    incident_id: str | None = None


class FixtureExpect(_Strict):
    queue: str
    priority: Priority
    rule: str | None = None
    team: str | None = None
    escalate: bool | None = None
    tags: list[str] | None = None
    sla_due_at: AwareDatetime | None = None
    on_call: str | None = None


class FixtureCase(_Strict):
    name: str = Field(min_length=1, max_length=200)
    brand: str | None = None
    brand_known: bool | None = None
    account: str | None = None
    now: AwareDatetime | None = None
    text: str = Field(min_length=1)
    author: FixtureAuthor = Field(default_factory=FixtureAuthor)
    classification: FixtureClassification
    expect: FixtureExpect


class FixtureFile(_Strict):
    brand: str | None = None
    now: AwareDatetime
    cases: list[FixtureCase] = Field(min_length=1)


@dataclass(frozen=True)
class Mismatch:
    field: str
    expected: Any
    actual: Any


@dataclass
class CaseResult:
    file: str
    line: int
    name: str
    event: MentionClassified
    decision: RoutingDecision
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


def fixture_files(config_path: Path) -> list[Path]:
    """The fixture files shipped with the config at `config_path` (file or folder)."""
    folder = (config_path if config_path.is_dir() else config_path.parent) / FIXTURES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_fixture_text(text: str, *, file: str) -> tuple[FixtureFile, dict[int, int]]:
    """Parse one fixture file; returns it and the line of each case. Raises ConfigError with
    file:line:key problems for a malformed file."""
    doc = read_text(text, file=file)
    if doc.problems:
        raise ConfigError([
            ConfigProblem(p.location.file, p.location.line, format_path(p.path), p.message)
            for p in doc.problems
        ])
    try:
        parsed = FixtureFile.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc, doc)) from None
    lines = {i: doc.locate(("cases", i)).line for i in range(len(parsed.cases))}
    return parsed, lines


def build_event(config: AgencyConfig, fixture: FixtureFile, case: FixtureCase, *, file: str) -> MentionClassified:
    """The classified mention a case describes (deterministic ids)."""
    brand_id = case.brand or fixture.brand or UNKNOWN_BRAND
    brand = config.brands.get(brand_id)
    known = case.brand_known if case.brand_known is not None else brand is not None
    account = case.account or (brand.accounts[0].handle if brand is not None else "unknown_account")
    now = case.now or fixture.now
    language = case.classification.language or (brand.languages[0] if brand is not None else "und")
    external_id = hashlib.sha256(f"{file}:{case.name}".encode()).hexdigest()[:20]
    mention = Mention(
        id=mention_id("x", external_id, brand_id),
        external_id=external_id,
        brand_id=brand_id,
        brand_known=known,
        account_handle=account.lstrip("@"),
        author=Author(
            id=hashlib.sha256(case.author.handle.encode()).hexdigest()[:12],
            handle=case.author.handle.lstrip("@"),
            followers=case.author.followers,
            verified=case.author.verified,
        ),
        text=case.text,
        lang=language,
        created_at=now,
        received_at=now,
        source="replay",
    )
    c = case.classification
    score = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[c.sentiment]
    classification = Classification(
        category=c.category,
        sentiment=c.sentiment,
        sentiment_score=score,
        is_question=c.is_question if c.is_question is not None else c.category == "question",
        severity=c.severity,
        confidence=c.confidence,
        language=language,
        reasons=["fixture"],
        model_version="fixture",
        incident_id=c.incident_id,
    )
    return MentionClassified(mention=mention, classification=classification)


def run_case(config: AgencyConfig, fixture: FixtureFile, case: FixtureCase, *, file: str, line: int) -> CaseResult:
    event = build_event(config, fixture, case, file=file)
    now = case.now or fixture.now
    decision = route(event, config, now=now)
    expect = case.expect
    mismatches = []

    def compare(name: str, expected: Any, actual: Any) -> None:
        if expected is not None and expected != actual:
            mismatches.append(Mismatch(name, expected, actual))

    compare("queue", expect.queue, decision.queue)
    compare("priority", expect.priority, decision.priority)
    compare("rule", expect.rule, decision.rule_id)
    compare("team", expect.team, decision.team)
    compare("escalate", expect.escalate, decision.escalate)
    compare("sla_due_at", expect.sla_due_at, decision.sla_due_at)
    if expect.tags is not None and not set(expect.tags) <= set(decision.tags):
        mismatches.append(Mismatch("tags", sorted(expect.tags), sorted(decision.tags)))
    if expect.on_call is not None:
        page = escalation_for_mention(event, decision, config, now=now)
        compare("on_call", expect.on_call, page.steps[0].target if page else None)
    return CaseResult(file, line, case.name, event, decision, mismatches)


def run_fixture_file(config: AgencyConfig, path: Path, *, display: str | None = None) -> list[CaseResult]:
    """Run every case of one fixture file (raises ConfigError if the file is malformed)."""
    shown = display or str(path)
    fixture, lines = load_fixture_text(path.read_text(encoding="utf-8"), file=shown)
    return [
        run_case(config, fixture, case, file=shown, line=lines[index])
        for index, case in enumerate(fixture.cases)
    ]
