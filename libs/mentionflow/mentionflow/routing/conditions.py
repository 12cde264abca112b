"""Rule conditions compiled into checks, once per config.

A check is a cheap predicate plus a function that explains, in words, why it held. The router
only builds explanations for the rule that matched, so the per-decision cost of a failing rule
is a few attribute reads and comparisons. Checks run cheapest first (category before regex).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mentionflow.brandconfig.calendar import BusinessCalendar
from mentionflow.brandconfig.models import Brand, Conditions, normalize_handle
from mentionflow.events.mentions_classified import Classification, MentionClassified
from mentionflow.events.mentions_raw import Mention


class MatchContext:
    """What conditions look at, for one mention at one instant. Business-hours state is
    computed at most once, and only if a condition asks."""

    __slots__ = ("mention", "classification", "brand", "calendar", "now", "language", "handle", "_open")

    def __init__(self, event: MentionClassified, brand: Brand, calendar: BusinessCalendar, now: datetime) -> None:
        self.mention: Mention = event.mention
        self.classification: Classification = event.classification
        self.brand = brand
        self.calendar = calendar
        self.now = now
        # "fr-CA" and "FR" both count as "fr": rules name primary language subtags.
        self.language = self.classification.language.replace("_", "-").split("-", 1)[0].lower()
        self.handle = normalize_handle(self.mention.author.handle)
        self._open: bool | None = None

    def is_open(self) -> bool:
        if self._open is None:
            self._open = self.calendar.is_open(self.now)
        return self._open


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    test: Callable[[MatchContext], bool]
    explain: Callable[[MatchContext], str]


def _listed(values: Sequence[str]) -> str:
    return "[" + ", ".join(values) + "]"


def compile_conditions(when: Conditions, brand: Brand) -> tuple[Check, ...]:
    """Checks for `when` in evaluation order; an empty tuple matches everything."""
    checks: list[Check] = []
    if when.category is not None:
        categories, shown = frozenset(when.category), _listed(when.category)
        checks.append(Check(
            "category",
            lambda c: c.classification.category in categories,
            lambda c: f"category {c.classification.category} in {shown}",
        ))
    if when.sentiment is not None:
        sentiments, shown_s = frozenset(when.sentiment), _listed(when.sentiment)
        checks.append(Check(
            "sentiment",
            lambda c: c.classification.sentiment in sentiments,
            lambda c: f"sentiment {c.classification.sentiment} in {shown_s}",
        ))
    if when.language is not None:
        languages, shown_l = frozenset(when.language), _listed(when.language)
        checks.append(Check(
            "language",
            lambda c: c.language in languages,
            lambda c: f"language {c.classification.language} in {shown_l}",
        ))
    if when.is_question is not None:
        want_question = when.is_question
        checks.append(Check(
            "is_question",
            lambda c: c.classification.is_question is want_question,
            lambda c: "is a question" if want_question else "is not a question",
        ))
    if when.severity_min is not None:
        low = when.severity_min
        checks.append(Check(
            "severity_min",
            lambda c: c.classification.severity >= low,
            lambda c: f"severity {c.classification.severity:.2f} >= {low:.2f}",
        ))
    if when.severity_max is not None:
        high = when.severity_max
        checks.append(Check(
            "severity_max",
            lambda c: c.classification.severity <= high,
            lambda c: f"severity {c.classification.severity:.2f} <= {high:.2f}",
        ))
    if when.followers_min is not None:
        followers = when.followers_min
        checks.append(Check(
            "followers_min",
            lambda c: c.mention.author.followers >= followers,
            lambda c: f"author followers {c.mention.author.followers} >= {followers}",
        ))
    if when.verified is not None:
        want_verified = when.verified
        checks.append(Check(
            "verified",
            lambda c: c.mention.author.verified is want_verified,
            lambda c: "author is verified" if want_verified else "author is not verified",
        ))
    if when.vip is not None:
        want_vip, vips = when.vip, brand.vip_set
        checks.append(Check(
            "vip",
            lambda c: (c.handle in vips) is want_vip,
            lambda c: f"author @{c.handle} is {'' if want_vip else 'not '}on the brand's VIP list",
        ))
    if when.business_hours is not None:
        want_open = when.business_hours == "in"
        tz_name = brand.time_zone
        checks.append(Check(
            "business_hours",
            lambda c: c.is_open() is want_open,
            lambda c: (
                f"{'inside' if want_open else 'outside'} business hours "
                f"({c.now.astimezone(c.calendar.tz):%a %H:%M} {tz_name})"
            ),
        ))
    if when.keywords is not None:
        checks.append(_phrase_check("keywords", "keyword", when.keyword_matcher, True))
    if when.crisis_phrase is not None:
        checks.append(_phrase_check("crisis_phrase", "crisis phrase", brand.crisis_matcher, when.crisis_phrase))
    if when.product is not None:
        checks.append(_phrase_check("product", "product name", brand.product_matcher, when.product))
    if when.regex is not None:
        patterns = when.compiled_regexes
        checks.append(Check(
            "regex",
            lambda c: any(p.search(c.mention.text) for p in patterns),
            lambda c: _regex_explanation(patterns, c.mention.text),
        ))
    return tuple(checks)


def _phrase_check(name: str, label: str, matcher: re.Pattern[str] | None, wanted: bool) -> Check:
    if matcher is None:
        # Nothing to look for: "has one" never holds, "has none" always does.
        return Check(name, lambda c: not wanted, lambda c: f"no {label} configured, none found")
    if wanted:
        return Check(
            name,
            lambda c: matcher.search(c.mention.text) is not None,
            lambda c: f"{label} {_found(matcher, c.mention.text)!r} found",
        )
    return Check(name, lambda c: matcher.search(c.mention.text) is None, lambda c: f"no {label} found")


def _found(matcher: re.Pattern[str], text: str) -> str:
    match = matcher.search(text)
    return match.group(0) if match else ""


def _regex_explanation(patterns: tuple[re.Pattern[str], ...], text: str) -> str:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return f"regex {pattern.pattern!r} matched {match.group(0)!r}"
    return "regex matched"
