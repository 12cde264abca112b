"""Checks that need the whole configuration: references between sections, uniqueness across
brands, rules that can never fire. Each finding carries the key path it is about, so the
loader can point at the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from mentionflow.brandconfig.models import (
    PRIORITIES,
    AgencyConfig,
    Brand,
    RuleAction,
    console_username,
    normalize_handle,
)
from mentionflow.brandconfig.yamlsource import KeyPath
from mentionflow.events.mentions_raw import UNKNOWN_BRAND
from mentionflow.events.mentions_routed import UNROUTED_QUEUE


@dataclass(frozen=True)
class Finding:
    path: KeyPath
    message: str
    severity: Literal["error", "warning"] = "error"


def check(config: AgencyConfig) -> list[Finding]:
    """Every cross-reference problem of `config` (errors and warnings), in section order."""
    return [
        *_people_and_teams(config),
        *_queues(config),
        *_channels_rotations_policies(config),
        *_accounts(config),
        *(f for brand_id, brand in config.brands.items() for f in _brand(config, brand_id, brand)),
    ]


def _people_and_teams(config: AgencyConfig) -> Iterator[Finding]:
    if config.unrouted.team is not None and config.unrouted.team not in config.teams:
        yield Finding(("unrouted", "team"), f"unknown team {config.unrouted.team!r}{_known(config.teams)}")
    if config.escalation_policy is not None and config.escalation_policy not in config.escalation_policies:
        yield Finding(("escalation_policy",), _unknown_policy(config, config.escalation_policy))
    users: dict[str, str] = {}
    for person_id, details in config.people.items():
        username = console_username(person_id, details)
        if username in users:
            yield Finding(("people", person_id, "console_user"),
                          f"console user {username!r} is already {users[username]!r}'s")
        users.setdefault(username, person_id)
    for team_id, team in config.teams.items():
        if not team.members:
            yield Finding(("teams", team_id, "members"), "a team needs at least one member")
        for index, person in enumerate(team.members):
            if person not in config.people:
                yield Finding(("teams", team_id, "members", index), _unknown_person(config, person))
        if team.lead is not None and team.lead not in config.people:
            yield Finding(("teams", team_id, "lead"), _unknown_person(config, team.lead))
        if team.escalation_policy is not None and team.escalation_policy not in config.escalation_policies:
            yield Finding(("teams", team_id, "escalation_policy"), _unknown_policy(config, team.escalation_policy))


def _queues(config: AgencyConfig) -> Iterator[Finding]:
    if UNROUTED_QUEUE in config.queues:
        yield Finding(("queues", UNROUTED_QUEUE), f"{UNROUTED_QUEUE!r} is reserved for unknown brands")
    used = {rule.queue for brand in config.brands.values() for rule in brand.rules}
    used |= {action.queue for b in config.brands if (action := _default_action(config, b))}
    for queue_id, queue in config.queues.items():
        if queue.team not in config.teams:
            yield Finding(("queues", queue_id, "team"), f"unknown team {queue.team!r}{_known(config.teams)}")
        if queue.brand is not None and queue.brand not in config.brands:
            yield Finding(("queues", queue_id, "brand"), f"unknown brand {queue.brand!r}{_known(config.brands)}")
        if queue_id not in used:
            yield Finding(("queues", queue_id), "no rule sends mentions to this queue", "warning")
        team = config.teams.get(queue.team)
        if queue.assignment.mode != "off" and team is not None and team.calendar is None:
            yield Finding(("queues", queue_id, "assignment"),
                          f"team {queue.team!r} has no business_hours: its members get items only while "
                          "they set themselves available", "warning")


def _channels_rotations_policies(config: AgencyConfig) -> Iterator[Finding]:
    for rotation_id, rotation in config.rotations.items():
        for index, person in enumerate(rotation.members):
            if person not in config.people:
                yield Finding(("rotations", rotation_id, "members", index), _unknown_person(config, person))
        spans = sorted(
            (start, end, index) for index, (start, end, _, _) in enumerate(rotation.aware_overrides)
        )
        for index, override in enumerate(rotation.overrides):
            if override.person not in config.people:
                yield Finding(
                    ("rotations", rotation_id, "overrides", index, "person"),
                    _unknown_person(config, override.person),
                )
        for (_, first_end, first), (second_start, _, second) in zip(spans, spans[1:], strict=False):
            if second_start < first_end:
                yield Finding(
                    ("rotations", rotation_id, "overrides", second),
                    f"overlaps overrides[{first}]: who would be on call is ambiguous",
                )
    for policy_id, policy in config.escalation_policies.items():
        for index, step in enumerate(policy.steps):
            where = ("escalation_policies", policy_id, "steps", index)
            if step.rotation is not None and step.rotation not in config.rotations:
                yield Finding(where + ("rotation",), f"unknown rotation {step.rotation!r}{_known(config.rotations)}")
            if step.person is not None and step.person not in config.people:
                yield Finding(where + ("person",), _unknown_person(config, step.person))
            for c_index, channel in enumerate(step.channels):
                if channel not in config.channels:
                    yield Finding(
                        where + ("channels", c_index), f"unknown channel {channel!r}{_known(config.channels)}"
                    )


def _accounts(config: AgencyConfig) -> Iterator[Finding]:
    # A handle or user id owned by two brands would make every mention of it ambiguous.
    seen_handles: dict[str, tuple[str, int]] = {}
    seen_ids: dict[str, tuple[str, int]] = {}
    for brand_id, brand in config.brands.items():
        for index, account in enumerate(brand.accounts):
            handle = normalize_handle(account.handle)
            if handle in seen_handles:
                owner, first = seen_handles[handle]
                yield Finding(
                    ("brands", brand_id, "accounts", index, "handle"),
                    f"handle @{handle} is already an account of brand {owner!r} "
                    f"(brands.{owner}.accounts[{first}]); a handle belongs to one brand",
                )
            else:
                seen_handles[handle] = (brand_id, index)
            if account.x_user_id is not None:
                if account.x_user_id in seen_ids:
                    owner, first = seen_ids[account.x_user_id]
                    yield Finding(
                        ("brands", brand_id, "accounts", index, "x_user_id"),
                        f"x_user_id {account.x_user_id} is already used by brands.{owner}.accounts[{first}]",
                    )
                else:
                    seen_ids[account.x_user_id] = (brand_id, index)


def _brand(config: AgencyConfig, brand_id: str, brand: Brand) -> Iterator[Finding]:
    base: KeyPath = ("brands", brand_id)
    if brand_id == UNKNOWN_BRAND:
        yield Finding(base, f"{UNKNOWN_BRAND!r} is reserved for mentions no brand owns")
    for key in ("escalation_policy", "incident_policy"):
        policy = getattr(brand, key)
        if policy is not None and policy not in config.escalation_policies:
            yield Finding(base + (key,), _unknown_policy(config, policy))
    if brand.default is None and config.default_rule(brand_id) is None:
        yield Finding(
            base,
            "no `default` rule and no queue of its own (queues.<id>.brand) to synthesise one from: "
            "add `default: {queue: ..., priority: ...}`",
        )
    actions: list[tuple[KeyPath, RuleAction]] = [
        (base + ("rules", i), rule) for i, rule in enumerate(brand.rules)
    ]
    if brand.default is not None:
        actions.append((base + ("default",), brand.default))
    for where, action in actions:
        yield from _action(config, brand_id, brand, where, action)
    yield from _rule_order(brand, base)
    business_clock = [p for p in PRIORITIES if config.effective_sla(brand_id, p).clock == "business_hours"]
    if brand.business_hours.is_empty():
        if business_clock:
            yield Finding(
                base + ("business_hours",),
                f"no business hours, but the SLA of {', '.join(business_clock)} counts business "
                "hours only: the deadline could never be reached",
            )
        for i, rule in enumerate(brand.rules):
            if rule.when.business_hours is not None:
                yield Finding(
                    base + ("rules", i, "when", "business_hours"),
                    "the brand has no business hours: this condition is constant",
                    "warning",
                )


def _action(
    config: AgencyConfig, brand_id: str, brand: Brand, where: KeyPath, action: RuleAction
) -> Iterator[Finding]:
    queue = config.queues.get(action.queue)
    if action.queue == UNROUTED_QUEUE:
        yield Finding(where + ("queue",), f"{UNROUTED_QUEUE!r} is reserved for unknown brands")
    elif queue is None:
        yield Finding(where + ("queue",), f"unknown queue {action.queue!r}{_known(config.queues)}")
    elif queue.brand is not None and queue.brand != brand_id:
        yield Finding(where + ("queue",), f"queue {action.queue!r} belongs to brand {queue.brand!r}")
    if action.escalation_policy is not None and action.escalation_policy not in config.escalation_policies:
        yield Finding(where + ("escalation_policy",), _unknown_policy(config, action.escalation_policy))
    if action.escalate and resolve_policy_id(config, brand_id, action) is None:
        yield Finding(
            where + ("escalate",),
            "escalates, but no escalation policy applies (rule, queue's team, brand or agency)",
        )
    if action.sla_clock == "business_hours" and brand.business_hours.is_empty():
        yield Finding(where + ("sla_clock",), "the brand has no business hours")


def _rule_order(brand: Brand, base: KeyPath) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    catch_all: int | None = None
    for index, rule in enumerate(brand.rules):
        if rule.id in seen:
            yield Finding(base + ("rules", index, "id"), f"rule id {rule.id!r} already used by rules[{seen[rule.id]}]")
        seen.setdefault(rule.id, index)
        if rule.id == "default":
            yield Finding(base + ("rules", index, "id"), "'default' names the brand's default rule")
        if catch_all is not None:
            yield Finding(
                base + ("rules", index),
                f"unreachable: rules[{catch_all}] ({brand.rules[catch_all].id}) has no condition",
                "warning",
            )
        elif rule.when.is_empty():
            catch_all = index
        for lang in rule.when.language or []:
            if lang not in brand.languages:
                yield Finding(
                    base + ("rules", index, "when", "language"),
                    f"language {lang!r} is not among the brand's languages {brand.languages}",
                    "warning",
                )


def resolve_policy_id(config: AgencyConfig, brand_id: str, action: RuleAction) -> str | None:
    """The escalation policy for an escalating rule: the rule's own, else the queue's team's,
    else the brand's, else the agency's."""
    if action.escalation_policy is not None:
        return action.escalation_policy
    queue = config.queues.get(action.queue)
    team = config.teams.get(queue.team) if queue is not None else None
    if team is not None and team.escalation_policy is not None:
        return team.escalation_policy
    brand = config.brands.get(brand_id)
    if brand is not None and brand.escalation_policy is not None:
        return brand.escalation_policy
    return config.escalation_policy


def _default_action(config: AgencyConfig, brand_id: str) -> RuleAction | None:
    found = config.default_rule(brand_id)
    return found[0] if found else None


def _known(ids: Mapping[str, object]) -> str:
    names = sorted(ids)
    if not names:
        return " (none defined)"
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f" (known: {shown})"


def _unknown_person(config: AgencyConfig, person: str) -> str:
    return f"unknown person {person!r}: add it under `people`{_known(config.people)}"


def _unknown_policy(config: AgencyConfig, policy: str) -> str:
    return f"unknown escalation policy {policy!r}{_known(config.escalation_policies)}"
