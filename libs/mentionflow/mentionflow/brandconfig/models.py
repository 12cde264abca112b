"""The brand-config model: agency → brands → teams → queues, SLAs, on-call and escalation.

Every model is frozen and forbids unknown keys (a typo in a config key is an error, not a
silently ignored setting). Shape checks live here; checks that need the whole config (a rule
naming an unknown queue, a handle owned by two brands) live in `crossref.py`. Derived lookup
tables the router needs (compiled matchers, effective SLAs, handle index) are built once at
load time in `AgencyConfig.model_post_init`, never per decision.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from mentionflow.brandconfig.calendar import BusinessCalendar
from mentionflow.brandconfig.types import (
    PRIORITIES,
    WEEKDAYS,
    EnvVarName,
    Identifier,
    Priority,
    TimeOfDay,
    TimeZoneName,
    Weekday,
    parse_time_of_day,
    zone,
)
from mentionflow.events.mentions_classified import Category, Sentiment


class ConfigModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _as_list(value: Any) -> Any:
    """Let a single value stand for a one-item list (`category: crisis`)."""
    if value is None or isinstance(value, list | tuple):
        return value
    return [value]


def _phrase_matcher(phrases: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any phrase as whole words (spaces match any run
    of whitespace). Built once at load; None when there is nothing to match."""
    cleaned = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


HandleText = Annotated[str, StringConstraints(pattern=r"^@?[A-Za-z0-9_]{1,15}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=200)]


# --- people, teams, queues, channels -------------------------------------------------------


ConsoleUsername = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]


class Person(ConfigModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    chat_handle: str | None = Field(default=None, max_length=200, description="@name in chat")
    console_user: ConsoleUsername | None = Field(
        default=None, description="their console username; None: the person's id is their username")


class Team(ConfigModel):
    name: str = Field(min_length=1, max_length=200)
    members: list[Identifier] = Field(default_factory=list)
    lead: Identifier | None = None
    escalation_policy: Identifier | None = None
    time_zone: TimeZoneName | None = Field(default=None, description="zone of business_hours")
    business_hours: BusinessHours | None = Field(
        default=None, description="when members are on shift for auto-assignment (unless they toggle)")
    holidays: list[date] = Field(default_factory=list)

    _calendar: BusinessCalendar | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _hours_have_a_zone(self) -> Team:
        if self.business_hours is not None and self.time_zone is None:
            raise ValueError("business_hours need the team's time_zone")
        return self

    def model_post_init(self, context: Any, /) -> None:
        if self.business_hours is not None and self.time_zone is not None:
            self._calendar = BusinessCalendar(self.time_zone, self.business_hours.by_weekday(),
                                              frozenset(self.holidays))

    @property
    def calendar(self) -> BusinessCalendar | None:
        """The team's shift hours as instants; None when the team has none (members then are
        available for auto-assignment only when they say so)."""
        return self._calendar


def console_username(person_id: str, person: Person) -> str:
    """The console user a person of the config is: `console_user`, else their id."""
    return person.console_user or person_id


AssignmentMode = Literal["off", "round-robin", "least-loaded"]


class Assignment(ConfigModel):
    """Auto-assignment of a queue's new items among its team's available members: `round-robin`
    takes turns, `least-loaded` picks who has the fewest open items; nobody at or above
    `capacity` open items gets more."""

    mode: AssignmentMode = "off"
    capacity: int = Field(default=10, ge=1, le=1000, description="open items per agent, at most")


class Queue(ConfigModel):
    name: str | None = Field(default=None, max_length=200)
    team: Identifier
    brand: Identifier | None = Field(default=None, description="owning brand; None: any brand")
    assignment: Assignment = Field(default_factory=Assignment)


class PagerDutyChannel(ConfigModel):
    type: Literal["pagerduty"]
    routing_key_env: EnvVarName = Field(description="env var holding the Events v2 routing key")


class SlackChannel(ConfigModel):
    type: Literal["slack"]
    webhook_url_env: EnvVarName = Field(description="env var holding the incoming-webhook URL")
    channel: str | None = Field(default=None, max_length=200, description="display name only")


class WebhookChannel(ConfigModel):
    type: Literal["webhook"]
    url_env: EnvVarName = Field(description="env var holding the URL (may embed a token)")


Channel = Annotated[PagerDutyChannel | SlackChannel | WebhookChannel, Field(discriminator="type")]


# --- on-call ---------------------------------------------------------------------------------


class Override(ConfigModel):
    """`person` is on call instead of the rotation from `start` (inclusive) to `end`
    (exclusive). Naive times are read in the rotation's time zone."""

    person: Identifier
    start: datetime
    end: datetime
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _is_interval(self) -> Override:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give both start and end with a UTC offset, or neither")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class _RotationBase(ConfigModel):
    name: str | None = Field(default=None, max_length=200)
    time_zone: TimeZoneName
    start: date = Field(description="first day of the rotation (members[0] takes the first shift)")
    members: list[Identifier] = Field(min_length=1)
    overrides: list[Override] = Field(default_factory=list)

    _overrides_aware: list[tuple[datetime, datetime, str, str | None]] = PrivateAttr(
        default_factory=list
    )

    def model_post_init(self, context: Any, /) -> None:
        tz = zone(self.time_zone)
        self._overrides_aware = [
            (
                o.start if o.start.tzinfo else o.start.replace(tzinfo=tz),
                o.end if o.end.tzinfo else o.end.replace(tzinfo=tz),
                o.person,
                o.reason,
            )
            for o in self.overrides
        ]

    @property
    def aware_overrides(self) -> list[tuple[datetime, datetime, str, str | None]]:
        """(start, end, person, reason) with time zones applied, in config order."""
        return self._overrides_aware

    # The schedule, normalised: shifts change at each of `handoff_clock_times` on every
    # `cycle_days`-th day counted from `anchor_date`, in `time_zone` wall-clock time.
    def anchor_date(self) -> date:
        raise NotImplementedError

    def cycle_days(self) -> int:
        raise NotImplementedError

    def handoff_clock_times(self) -> list[time]:
        raise NotImplementedError


class WeeklyRotation(_RotationBase):
    kind: Literal["weekly"]
    handoff_day: Weekday = "monday"
    handoff_time: TimeOfDay = time(9, 0)

    def anchor_date(self) -> date:
        # The first handoff weekday on or after `start`.
        shift = (WEEKDAYS.index(self.handoff_day) - self.start.weekday()) % 7
        return date.fromordinal(self.start.toordinal() + shift)

    def cycle_days(self) -> int:
        return 7

    def handoff_clock_times(self) -> list[time]:
        return [self.handoff_time]


class CustomRotation(_RotationBase):
    kind: Literal["custom"]
    every_days: int = Field(default=1, ge=1, le=28, description="days between handoff days")
    handoff_times: list[TimeOfDay] = Field(min_length=1, max_length=24)

    @field_validator("handoff_times")
    @classmethod
    def _sorted_unique(cls, value: list[time]) -> list[time]:
        if len(set(value)) != len(value):
            raise ValueError("handoff_times must not repeat a time")
        return sorted(value)

    def anchor_date(self) -> date:
        return self.start

    def cycle_days(self) -> int:
        return self.every_days

    def handoff_clock_times(self) -> list[time]:
        return list(self.handoff_times)


Rotation = Annotated[WeeklyRotation | CustomRotation, Field(discriminator="kind")]


class PolicyStep(ConfigModel):
    """Page one rotation's current on-call person, or one named person."""

    rotation: Identifier | None = None
    person: Identifier | None = None
    after_minutes: int = Field(ge=0, le=24 * 60, description="minutes without acknowledgement")
    channels: list[Identifier] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> PolicyStep:
        if (self.rotation is None) == (self.person is None):
            raise ValueError("a step pages exactly one of `rotation` or `person`")
        return self


class EscalationPolicy(ConfigModel):
    name: str | None = Field(default=None, max_length=200)
    steps: list[PolicyStep] = Field(min_length=1, max_length=10)

    @field_validator("steps")
    @classmethod
    def _in_time_order(cls, steps: list[PolicyStep]) -> list[PolicyStep]:
        for before, after in zip(steps, steps[1:], strict=False):
            if after.after_minutes < before.after_minutes:
                raise ValueError("steps must be in order of after_minutes (primary first)")
        return steps


# --- time: business hours and SLAs ----------------------------------------------------------


class TimeRange(ConfigModel):
    """[start, end) on one day; end None means midnight at the end of the day ("24:00")."""

    start: time
    end: time | None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            left, sep, right = value.partition("-")
            if not sep:
                raise ValueError(f"expected \"HH:MM-HH:MM\", got {value!r}")
            return {"start": parse_time_of_day(left), "end": parse_time_of_day(right, allow_24=True)}
        if isinstance(value, dict):
            return {
                "start": parse_time_of_day(value.get("start")),
                "end": parse_time_of_day(value.get("end"), allow_24=True),
            }
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                "a range must end after it starts on the same day; split overnight ranges "
                "(\"22:00-24:00\" and \"00:00-06:00\" on the next day)"
            )
        return self

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{'24:00' if self.end is None else f'{self.end:%H:%M}'}"


DayRanges = Annotated[list[TimeRange], BeforeValidator(_as_list)]


class BusinessHours(ConfigModel):
    """Open ranges per weekday, in the brand's time zone. A day not listed is closed."""

    monday: DayRanges = Field(default_factory=list)
    tuesday: DayRanges = Field(default_factory=list)
    wednesday: DayRanges = Field(default_factory=list)
    thursday: DayRanges = Field(default_factory=list)
    friday: DayRanges = Field(default_factory=list)
    saturday: DayRanges = Field(default_factory=list)
    sunday: DayRanges = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_overlap(self) -> BusinessHours:
        for day in WEEKDAYS:
            ranges = sorted(getattr(self, day), key=lambda r: r.start)
            for first, second in zip(ranges, ranges[1:], strict=False):
                if first.end is None or second.start < first.end:
                    raise ValueError(f"{day}: ranges {first} and {second} overlap")
        return self

    def by_weekday(self) -> tuple[tuple[TimeRange, ...], ...]:
        """Ranges sorted by start, indexed by datetime.weekday()."""
        return tuple(tuple(sorted(getattr(self, d), key=lambda r: r.start)) for d in WEEKDAYS)

    def is_empty(self) -> bool:
        return not any(getattr(self, d) for d in WEEKDAYS)


SlaClock = Literal["always", "business_hours"]


class SlaTarget(ConfigModel):
    """Answer within `minutes`, counted on the clock: round the clock, or business hours only."""

    minutes: int = Field(ge=1, le=60 * 24 * 30)
    clock: SlaClock = "always"


class AgencySla(ConfigModel):
    P1: SlaTarget
    P2: SlaTarget
    P3: SlaTarget
    P4: SlaTarget


class BrandSla(ConfigModel):
    """Per-brand overrides of the agency's SLA, priority by priority."""

    P1: SlaTarget | None = None
    P2: SlaTarget | None = None
    P3: SlaTarget | None = None
    P4: SlaTarget | None = None


# --- rules -----------------------------------------------------------------------------------


class Conditions(ConfigModel):
    """All the listed conditions must hold (AND); a list means any of its values (OR).
    No condition at all matches every mention."""

    category: Annotated[list[Category] | None, BeforeValidator(_as_list)] = None
    sentiment: Annotated[list[Sentiment] | None, BeforeValidator(_as_list)] = None
    language: Annotated[list[LanguageCode] | None, BeforeValidator(_as_list)] = None
    is_question: bool | None = None
    severity_min: float | None = Field(default=None, ge=0.0, le=1.0)
    severity_max: float | None = Field(default=None, ge=0.0, le=1.0)
    followers_min: int | None = Field(default=None, ge=0)
    verified: bool | None = None
    vip: bool | None = Field(default=None, description="author is (not) in the brand's VIP list")
    keywords: Annotated[list[Phrase] | None, BeforeValidator(_as_list)] = Field(
        default=None, description="any of these words/phrases, case-insensitive, whole words"
    )
    regex: Annotated[list[str] | None, BeforeValidator(_as_list)] = Field(
        default=None, description="any of these Python regexes (search) matches the text"
    )
    crisis_phrase: bool | None = Field(default=None, description="text has a brand crisis phrase")
    product: bool | None = Field(default=None, description="text names a brand product")
    business_hours: Literal["in", "out"] | None = None

    _keyword_matcher: re.Pattern[str] | None = PrivateAttr(default=None)
    _regexes: tuple[re.Pattern[str], ...] = PrivateAttr(default=())

    @field_validator("regex")
    @classmethod
    def _regexes_compile(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} does not compile: {exc}") from None
        return value

    @field_validator("language")
    @classmethod
    def _lowercase(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [v.lower() for v in value]

    @model_validator(mode="after")
    def _severity_range(self) -> Conditions:
        if (
            self.severity_min is not None
            and self.severity_max is not None
            and self.severity_min > self.severity_max
        ):
            raise ValueError("severity_min is above severity_max: the rule could never match")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._keyword_matcher = _phrase_matcher(self.keywords or [])
        self._regexes = tuple(re.compile(p) for p in self.regex or [])

    @property
    def keyword_matcher(self) -> re.Pattern[str] | None:
        return self._keyword_matcher

    @property
    def compiled_regexes(self) -> tuple[re.Pattern[str], ...]:
        return self._regexes

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


Tag = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9:_./-]{0,63}$")]


class RuleAction(ConfigModel):
    """What a matching rule decides."""

    queue: Identifier
    priority: Priority
    sla_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30)
    sla_clock: SlaClock | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    escalate: bool = False
    escalation_policy: Identifier | None = None


class Rule(RuleAction):
    id: Identifier
    description: str | None = Field(default=None, max_length=500)
    when: Conditions = Field(default_factory=Conditions)


# --- brands and the agency --------------------------------------------------------------------


class Account(ConfigModel):
    handle: HandleText
    x_user_id: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = None
    # Opt-in: a brand often watches handles it never posts from (a support desk, a regional
    # account); the console's publishing offers only the accounts that say so.
    can_post: bool = Field(default=False, description="the brand publishes posts and threads from this account")

    @field_validator("x_user_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # X ids exceed 2**53: YAML reads them as int; keep the exact digits as text.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Brand(ConfigModel):
    name: str = Field(min_length=1, max_length=200)
    accounts: list[Account] = Field(min_length=1)
    languages: Annotated[list[LanguageCode], BeforeValidator(_as_list)] = Field(min_length=1)
    time_zone: TimeZoneName
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: list[date] = Field(default_factory=list)
    vip_handles: list[HandleText] = Field(default_factory=list)
    posts_need_approval: bool = Field(
        default=False, description="every post from the brand's accounts waits for a lead's approval "
                                   "(besides people whose replies need approval, whose posts always do)")
    products: list[Phrase] = Field(default_factory=list)
    crisis_phrases: list[Phrase] = Field(default_factory=list)
    sla: BrandSla = Field(default_factory=BrandSla)
    escalation_policy: Identifier | None = None
    incident_policy: Identifier | None = Field(
        default=None, description="policy for brand incidents; defaults to escalation_policy"
    )
    rules: list[Rule] = Field(default_factory=list)
    default: RuleAction | None = Field(
        default=None, description="decision when no rule matches; synthesised when absent"
    )

    _vips: frozenset[str] = PrivateAttr(default=frozenset())
    _crisis_matcher: re.Pattern[str] | None = PrivateAttr(default=None)
    _product_matcher: re.Pattern[str] | None = PrivateAttr(default=None)
    _hours: tuple[tuple[TimeRange, ...], ...] = PrivateAttr(default=())
    _holidays: frozenset[date] = PrivateAttr(default=frozenset())
    _calendar: BusinessCalendar | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        self._vips = frozenset(normalize_handle(h) for h in self.vip_handles)
        self._crisis_matcher = _phrase_matcher(self.crisis_phrases)
        self._product_matcher = _phrase_matcher(self.products)
        self._hours = self.business_hours.by_weekday()
        self._holidays = frozenset(self.holidays)
        self._calendar = BusinessCalendar(self.time_zone, self._hours, self._holidays)

    @property
    def calendar(self) -> BusinessCalendar:
        """Business hours as instants (open now? N business minutes from now?)."""
        assert self._calendar is not None  # set in model_post_init
        return self._calendar

    @property
    def vip_set(self) -> frozenset[str]:
        """VIP handles, lower case, without '@'."""
        return self._vips

    @property
    def crisis_matcher(self) -> re.Pattern[str] | None:
        return self._crisis_matcher

    @property
    def product_matcher(self) -> re.Pattern[str] | None:
        return self._product_matcher

    @property
    def hours_by_weekday(self) -> tuple[tuple[TimeRange, ...], ...]:
        return self._hours

    @property
    def holiday_set(self) -> frozenset[date]:
        return self._holidays


class Agency(ConfigModel):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    time_zone: TimeZoneName = "UTC"


SYNTHESISED_DEFAULT_PRIORITY: Priority = "P3"


def normalize_handle(handle: str) -> str:
    """X handles are case-insensitive; '@' is decoration."""
    return handle.strip().lstrip("@").lower()


class UnroutedSettings(ConfigModel):
    """How mentions of unknown brands are queued: never dropped, always visible."""

    priority: Priority = "P3"
    team: Identifier | None = None


class AgencyConfig(ConfigModel):
    """The whole configuration of one agency (one YAML file or a folder of them)."""

    agency: Agency
    sla: AgencySla
    unrouted: UnroutedSettings = Field(default_factory=UnroutedSettings)
    escalation_policy: Identifier | None = Field(default=None, description="agency-wide fallback")
    people: dict[Identifier, Person] = Field(default_factory=dict)
    teams: dict[Identifier, Team] = Field(default_factory=dict)
    queues: dict[Identifier, Queue] = Field(default_factory=dict)
    channels: dict[Identifier, Channel] = Field(default_factory=dict)
    rotations: dict[Identifier, Rotation] = Field(default_factory=dict)
    escalation_policies: dict[Identifier, EscalationPolicy] = Field(default_factory=dict)
    brands: dict[Identifier, Brand] = Field(default_factory=dict)

    # Set by the loader: a content hash carried in every decision, and the files read.
    _version: str = PrivateAttr(default="")
    _sources: tuple[str, ...] = PrivateAttr(default=())
    # Derived at load time.
    _defaults: dict[str, tuple[RuleAction, str | None]] = PrivateAttr(default_factory=dict)
    _handles: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)
    _user_ids: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        for brand_id, brand in self.brands.items():
            if brand.default is not None:
                self._defaults[brand_id] = (brand.default, None)
                continue
            owned = next((qid for qid, q in self.queues.items() if q.brand == brand_id), None)
            if owned is not None:
                self._defaults[brand_id] = (
                    RuleAction(queue=owned, priority=SYNTHESISED_DEFAULT_PRIORITY),
                    f"brand {brand_id!r} has no `default` rule: synthesised one sending to its "
                    f"first queue {owned!r} at {SYNTHESISED_DEFAULT_PRIORITY}",
                )
        handles: dict[str, dict[str, None]] = {}
        user_ids: dict[str, dict[str, None]] = {}
        for brand_id, brand in self.brands.items():
            for account in brand.accounts:
                handles.setdefault(normalize_handle(account.handle), {})[brand_id] = None
                if account.x_user_id:
                    user_ids.setdefault(account.x_user_id, {})[brand_id] = None
        self._handles = {h: tuple(ids) for h, ids in handles.items()}
        self._user_ids = {u: tuple(ids) for u, ids in user_ids.items()}

    def default_rule(self, brand_id: str) -> tuple[RuleAction, str | None] | None:
        """The brand's default action and, when it was synthesised, why (None if impossible:
        the brand has neither a `default` nor a queue of its own; crossref reports that)."""
        return self._defaults.get(brand_id)

    def posting_accounts(self, brand_id: str) -> tuple[str, ...]:
        """Handles (as configured) the brand publishes from: its accounts with can_post."""
        brand = self.brands.get(brand_id)
        return tuple(a.handle for a in brand.accounts if a.can_post) if brand is not None else ()

    def brands_for_handle(self, handle: str) -> tuple[str, ...]:
        """Brand ids owning the X account `handle` (any case, with or without '@')."""
        return self._handles.get(normalize_handle(handle), ())

    def brands_for_x_user_id(self, user_id: str) -> tuple[str, ...]:
        return self._user_ids.get(str(user_id), ())

    @property
    def version(self) -> str:
        return self._version

    @property
    def sources(self) -> tuple[str, ...]:
        return self._sources

    def effective_sla(self, brand_id: str, priority: Priority) -> SlaTarget:
        """The brand's SLA for `priority`, falling back to the agency default."""
        brand = self.brands.get(brand_id)
        own = getattr(brand.sla, priority) if brand is not None else None
        return own if own is not None else getattr(self.sla, priority)


MERGEABLE_SECTIONS = frozenset(
    {"people", "teams", "queues", "channels", "rotations", "escalation_policies", "brands"}
)
__all__ = [
    "MERGEABLE_SECTIONS",
    "PRIORITIES",
    "Account",
    "Agency",
    "AgencyConfig",
    "Assignment",
    "AgencySla",
    "Brand",
    "BrandSla",
    "BusinessHours",
    "Channel",
    "Conditions",
    "CustomRotation",
    "EscalationPolicy",
    "Override",
    "PagerDutyChannel",
    "Person",
    "PolicyStep",
    "Queue",
    "Rotation",
    "Rule",
    "RuleAction",
    "SYNTHESISED_DEFAULT_PRIORITY",
    "SlackChannel",
    "SlaTarget",
    "Team",
    "TimeRange",
    "WebhookChannel",
    "WeeklyRotation",
    "console_username",
    "normalize_handle",
]
