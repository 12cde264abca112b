"""route(): the routing decision for one classified mention. Pure and deterministic.

Same event, config and `now` give the same decision; nothing is read or written. For a known
brand the brand's rules are tried in order and the first whose conditions all hold decides;
when none does, the brand's default rule decides (written in config, or synthesised at load
time and said so in the explanation). A mention of an unknown brand — `brand_known` false, or
a brand id the config does not have — goes to the `unrouted` queue: it is never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mentionflow.brandconfig.calendar import BusinessCalendar
from mentionflow.brandconfig.crossref import resolve_policy_id
from mentionflow.brandconfig.models import AgencyConfig, Brand, RuleAction
from mentionflow.events.mentions_classified import MentionClassified
from mentionflow.events.mentions_routed import UNROUTED_QUEUE, RoutingDecision
from mentionflow.routing.conditions import Check, MatchContext, compile_conditions

DEFAULT_RULE_ID = "default"
UNROUTED_RULE_ID = "unrouted"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule_id: str
    position: str  # "rules[3]" or "default"
    checks: tuple[Check, ...]
    queue: str
    team: str | None
    priority: str
    tags: tuple[str, ...]
    escalate: bool
    policy: str | None
    sla_minutes: int
    sla_business_hours: bool
    sla_source: str
    # Explanation text that does not depend on the mention, built once.
    preamble: tuple[str, ...]
    headline: str
    sla_text: str
    escalation_text: str | None


@dataclass(frozen=True, slots=True)
class BrandBook:
    brand_id: str
    brand: Brand
    calendar: BusinessCalendar
    rules: tuple[CompiledRule, ...]
    default: CompiledRule | None


@dataclass(frozen=True, slots=True)
class RuleBook:
    version: str
    brands: dict[str, BrandBook]


# Compiled books of the configs in use, keyed by id(config). The entry holds the config
# itself, so its id cannot be reused while cached; a service swaps configs rarely.
_BOOKS: dict[int, tuple[AgencyConfig, RuleBook]] = {}
_BOOKS_MAX = 8


def rule_book(config: AgencyConfig) -> RuleBook:
    """The compiled rules of `config`, built on first use and reused afterwards."""
    entry = _BOOKS.get(id(config))
    if entry is not None and entry[0] is config:
        return entry[1]
    book = _compile(config)
    if len(_BOOKS) >= _BOOKS_MAX:
        _BOOKS.pop(next(iter(_BOOKS)))
    _BOOKS[id(config)] = (config, book)
    return book


def _compile(config: AgencyConfig) -> RuleBook:
    brands = {}
    for brand_id, brand in config.brands.items():
        rules = tuple(
            _compile_action(config, brand_id, brand, rule, rule.id, f"rules[{index}]",
                            compile_conditions(rule.when, brand), None, index)
            for index, rule in enumerate(brand.rules)
        )
        found = config.default_rule(brand_id)
        default = None
        if found is not None:
            action, note = found
            default = _compile_action(
                config, brand_id, brand, action, DEFAULT_RULE_ID, "default", (), note, len(rules)
            )
        brands[brand_id] = BrandBook(brand_id, brand, brand.calendar, rules, default)
    return RuleBook(config.version, brands)


def _compile_action(
    config: AgencyConfig,
    brand_id: str,
    brand: Brand,
    action: RuleAction,
    rule_id: str,
    position: str,
    checks: tuple[Check, ...],
    note: str | None,
    tried_before: int,
) -> CompiledRule:
    target = config.effective_sla(brand_id, action.priority)
    own = "brand" if getattr(brand.sla, action.priority) is not None else "agency default"
    minutes = action.sla_minutes if action.sla_minutes is not None else target.minutes
    clock = action.sla_clock or target.clock
    source = f"rule {rule_id}" if action.sla_minutes is not None else f"{own} SLA for {action.priority}"
    queue = config.queues.get(action.queue)
    team = queue.team if queue is not None else None
    policy = resolve_policy_id(config, brand_id, action) if action.escalate else None
    # Rules are tried in order, so a rule at position i matches after exactly i misses.
    if rule_id == DEFAULT_RULE_ID:
        preamble = [f"no rule matched ({tried_before} tried): default rule of brand {brand_id}"]
        if note:
            preamble.append(note)
    else:
        preamble = [
            f"rule {rule_id} ({position}) of brand {brand_id} matched"
            + (f"; {tried_before} earlier rule{'s' if tried_before != 1 else ''} did not" if tried_before else "")
        ]
        if not checks:
            preamble.append("holds: the rule has no condition")
    if clock == "business_hours":
        sla_text = f"SLA {minutes} business minutes ({source})"
    else:
        sla_text = f"SLA {minutes} minutes round the clock ({source})"
    return CompiledRule(
        rule_id=rule_id,
        position=position,
        checks=checks,
        queue=action.queue,
        team=team,
        priority=action.priority,
        tags=tuple(action.tags),
        escalate=action.escalate,
        policy=policy,
        sla_minutes=minutes,
        sla_business_hours=clock == "business_hours",
        sla_source=source,
        preamble=tuple(preamble),
        headline=f"queue {action.queue} (team {team}), priority {action.priority}",
        sla_text=sla_text,
        escalation_text=f"escalate: page on-call per policy {policy}" if action.escalate else None,
    )


def route(event: MentionClassified, config: AgencyConfig, *, now: datetime) -> RoutingDecision:
    """Decide queue, team, priority, SLA due time, tags and escalation for `event` at `now`
    (timezone-aware). Always returns exactly one decision; never raises for a valid event."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    book = rule_book(config)
    mention = event.mention
    brand_book = book.brands.get(mention.brand_id) if mention.brand_known else None
    if brand_book is None or brand_book.default is None:
        return _unrouted(event, config, book, now)
    ctx = MatchContext(event, brand_book.brand, brand_book.calendar, now)
    for rule in brand_book.rules:
        for check in rule.checks:
            if not check.test(ctx):
                break
        else:
            return _decide(rule, ctx, book)
    return _decide(brand_book.default, ctx, book)


def _decide(rule: CompiledRule, ctx: MatchContext, book: RuleBook) -> RoutingDecision:
    lines = list(rule.preamble)
    for check in rule.checks:
        lines.append("holds: " + check.explain(ctx))
    lines.append(rule.headline)
    now = ctx.now
    calendar = ctx.calendar
    if rule.sla_business_hours:
        due, open_now = calendar.business_deadline(now, rule.sla_minutes)
        sla = rule.sla_text if open_now else rule.sla_text + _CLOSED_NOW
    else:
        due = now.astimezone(UTC) + timedelta(minutes=rule.sla_minutes)
        sla = rule.sla_text
    lines.append(f"{sla}: due {due.astimezone(calendar.tz).isoformat(timespec='minutes')} "
                 f"({calendar.time_zone})")
    if rule.escalation_text is not None:
        lines.append(rule.escalation_text)
    return RoutingDecision(
        queue=rule.queue,
        team=rule.team,
        priority=rule.priority,  # type: ignore[arg-type]  # a Priority, validated at load
        sla_due_at=due,
        tags=list(rule.tags),
        rule_id=rule.rule_id,
        explanation=lines,
        escalate=rule.escalate,
        config_version=book.version,
        decided_at=now,
    )


_CLOSED_NOW = "; outside business hours now, the clock starts at the next opening"


def _unrouted(event: MentionClassified, config: AgencyConfig, book: RuleBook, now: datetime) -> RoutingDecision:
    mention = event.mention
    if not mention.brand_known:
        why = f"no brand owns @{mention.account_handle} (brand_known=false)"
    elif mention.brand_id not in config.brands:
        why = f"brand {mention.brand_id!r} is not in the config"
    else:
        why = f"brand {mention.brand_id!r} has no default rule"
    priority = config.unrouted.priority
    minutes = getattr(config.sla, priority).minutes
    due = now.astimezone(UTC) + timedelta(minutes=minutes)
    return RoutingDecision(
        queue=UNROUTED_QUEUE,
        team=config.unrouted.team,
        priority=priority,
        sla_due_at=due,
        tags=[UNROUTED_QUEUE],
        rule_id=UNROUTED_RULE_ID,
        explanation=[
            f"{why}: queue {UNROUTED_QUEUE}, never dropped",
            f"queue {UNROUTED_QUEUE} (team {config.unrouted.team}), priority {priority}",
            f"SLA {minutes} minutes round the clock (agency default for {priority}; an unknown "
            f"brand has no business hours): due {due:%Y-%m-%d %H:%M} UTC",
        ],
        escalate=False,
        config_version=book.version,
        decided_at=now,
    )
