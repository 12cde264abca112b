"""Compare the decisions of two configs on the same mentions (pure; `rules diff` feeds it).

Each mention is decided twice at the same instant — the time routing originally saw it — so
any difference comes from the configs alone. The report counts changed decisions overall, by
brand, by queue move (old queue → new queue) and by field, shows how each queue's volume would
change, and keeps a few samples chosen to be different from each other (one per kind of move)
rather than the first N, which tend to be N copies of the same change.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from mentionflow.brandconfig.models import AgencyConfig
from mentionflow.events.mentions_classified import MentionClassified
from mentionflow.events.mentions_routed import RoutingDecision
from mentionflow.routing.router import route
from pydantic import BaseModel, ConfigDict, Field

COMPARED_FIELDS = ("queue", "team", "priority", "rule_id", "escalate", "tags", "sla_due_at")
SAMPLE_TEXT_CHARS = 160


def changed_fields(before: RoutingDecision, after: RoutingDecision) -> tuple[str, ...]:
    """Names of the decision fields that differ (tags compared as sets)."""
    out = []
    for name in COMPARED_FIELDS:
        a, b = getattr(before, name), getattr(after, name)
        if name == "tags":
            a, b = set(a), set(b)
        if a != b:
            out.append(name)
    return tuple(out)


class _Report(BaseModel):
    model_config = ConfigDict(frozen=True)


class DecisionSummary(_Report):
    queue: str
    team: str | None
    priority: str
    rule_id: str
    escalate: bool
    tags: list[str]
    sla_due_at: datetime

    @classmethod
    def of(cls, decision: RoutingDecision) -> DecisionSummary:
        return cls(
            queue=decision.queue, team=decision.team, priority=decision.priority,
            rule_id=decision.rule_id, escalate=decision.escalate, tags=list(decision.tags),
            sla_due_at=decision.sla_due_at,
        )


class DiffSample(_Report):
    mention_id: str
    brand_id: str
    decided_at: datetime
    category: str
    sentiment: str
    text: str
    changed: list[str]
    before: DecisionSummary
    after: DecisionSummary
    explanation_after: list[str]


class BrandDiff(_Report):
    brand_id: str
    total: int
    changed: int


class QueueMove(_Report):
    from_queue: str
    to_queue: str
    count: int


class QueueVolume(_Report):
    queue: str
    before: int
    after: int


class FailedDecision(_Report):
    mention_id: str
    brand_id: str
    side: str  # "current" | "candidate"
    error: str


class DiffReport(_Report):
    current_version: str
    candidate_version: str
    total: int = 0
    changed: int = 0
    failed: int = Field(default=0, description="mentions a config could not decide")
    by_brand: list[BrandDiff] = Field(default_factory=list)
    by_field: dict[str, int] = Field(default_factory=dict)
    queue_moves: list[QueueMove] = Field(default_factory=list)
    queue_volumes: list[QueueVolume] = Field(default_factory=list)
    priority_moves: dict[str, int] = Field(default_factory=dict, description='"P3->P2": count')
    escalations: dict[str, int] = Field(default_factory=dict, description="added / removed pages")
    samples: list[DiffSample] = Field(default_factory=list)
    failures: list[FailedDecision] = Field(default_factory=list)
    # Filled by the reader (shadow replay), not by the comparison.
    source: dict[str, object] = Field(default_factory=dict)


class DecisionDiff:
    """Accumulates the comparison one mention at a time, in bounded memory (counters and a
    fixed number of samples), so a replay of millions of mentions is fine."""

    def __init__(self, current: AgencyConfig, candidate: AgencyConfig, *, max_samples: int = 20) -> None:
        self.current = current
        self.candidate = candidate
        self.max_samples = max_samples
        self.total = 0
        self.changed = 0
        self.brand_total: Counter[str] = Counter()
        self.brand_changed: Counter[str] = Counter()
        self.fields: Counter[str] = Counter()
        self.moves: Counter[tuple[str, str]] = Counter()
        self.volume_before: Counter[str] = Counter()
        self.volume_after: Counter[str] = Counter()
        self.priorities: Counter[str] = Counter()
        self.escalations: Counter[str] = Counter()
        self.samples: list[DiffSample] = []
        self._sample_kinds: set[tuple[object, ...]] = set()
        self.failures: list[FailedDecision] = []
        self.failure_count = 0

    def add(self, event: MentionClassified, *, now: datetime) -> tuple[str, ...] | None:
        """Decide `event` with both configs at `now`; returns the changed fields (empty when
        equal), or None when a config failed to decide (recorded as a failure)."""
        mention = event.mention
        before = self._decide(self.current, event, now, "current")
        after = self._decide(self.candidate, event, now, "candidate")
        if before is None or after is None:
            return None
        self.total += 1
        self.brand_total[mention.brand_id] += 1
        self.volume_before[before.queue] += 1
        self.volume_after[after.queue] += 1
        fields = changed_fields(before, after)
        if not fields:
            return fields
        self.changed += 1
        self.brand_changed[mention.brand_id] += 1
        self.fields.update(fields)
        if before.queue != after.queue:
            self.moves[(before.queue, after.queue)] += 1
        if before.priority != after.priority:
            self.priorities[f"{before.priority}->{after.priority}"] += 1
        if before.escalate != after.escalate:
            self.escalations["added" if after.escalate else "removed"] += 1
        self._maybe_sample(event, now, fields, before, after)
        return fields

    def _decide(
        self, config: AgencyConfig, event: MentionClassified, now: datetime, side: str
    ) -> RoutingDecision | None:
        try:
            return route(event, config, now=now)
        except Exception as exc:  # noqa: BLE001 - a config that cannot decide is a finding, not a crash
            self.failure_count += 1
            if len(self.failures) < self.max_samples:
                self.failures.append(FailedDecision(
                    mention_id=event.mention.id, brand_id=event.mention.brand_id, side=side,
                    error=f"{type(exc).__name__}: {exc}",
                ))
            return None

    def _maybe_sample(
        self, event: MentionClassified, now: datetime, fields: tuple[str, ...],
        before: RoutingDecision, after: RoutingDecision,
    ) -> None:
        if len(self.samples) >= self.max_samples:
            return
        kind = (event.mention.brand_id, before.queue, after.queue, before.priority, after.priority,
                before.rule_id, after.rule_id, fields)
        if kind in self._sample_kinds:
            return
        self._sample_kinds.add(kind)
        text = event.mention.text
        self.samples.append(DiffSample(
            mention_id=event.mention.id,
            brand_id=event.mention.brand_id,
            decided_at=now,
            category=event.classification.category,
            sentiment=event.classification.sentiment,
            text=text if len(text) <= SAMPLE_TEXT_CHARS else text[: SAMPLE_TEXT_CHARS - 1] + "…",
            changed=list(fields),
            before=DecisionSummary.of(before),
            after=DecisionSummary.of(after),
            explanation_after=list(after.explanation),
        ))

    def report(self) -> DiffReport:
        queues = sorted(set(self.volume_before) | set(self.volume_after))
        return DiffReport(
            current_version=self.current.version,
            candidate_version=self.candidate.version,
            total=self.total,
            changed=self.changed,
            failed=self.failure_count,
            by_brand=[
                BrandDiff(brand_id=b, total=n, changed=self.brand_changed[b])
                for b, n in sorted(self.brand_total.items(), key=lambda kv: (-self.brand_changed[kv[0]], kv[0]))
            ],
            by_field=dict(self.fields.most_common()),
            queue_moves=[
                QueueMove(from_queue=a, to_queue=b, count=n) for (a, b), n in self.moves.most_common()
            ],
            queue_volumes=[
                QueueVolume(queue=q, before=self.volume_before[q], after=self.volume_after[q])
                for q in queues
                if self.volume_before[q] != self.volume_after[q]
            ],
            priority_moves=dict(self.priorities.most_common()),
            escalations=dict(self.escalations),
            samples=list(self.samples),
            failures=list(self.failures),
        )


def compare(
    events: list[tuple[MentionClassified, datetime]],
    current: AgencyConfig,
    candidate: AgencyConfig,
    *,
    max_samples: int = 20,
) -> DiffReport:
    """Compare on (event, decision time) pairs already in memory."""
    diff = DecisionDiff(current, candidate, max_samples=max_samples)
    for event, now in events:
        diff.add(event, now=now)
    return diff.report()
