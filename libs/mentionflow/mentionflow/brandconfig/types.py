"""Small value types shared by the brand-config models: ids, times of day, weekdays, zones.

Times of day are written as "HH:MM" strings in YAML. (The loader keeps them as strings: YAML 1.1
would otherwise read an unquoted 18:00 as the base-60 integer 1080.)
"""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from mentionflow.events.mentions_routed import Priority

__all__ = [
    "PRIORITIES",
    "WEEKDAYS",
    "EnvVarName",
    "Identifier",
    "Priority",
    "TimeOfDay",
    "TimeZoneName",
    "Weekday",
    "parse_time_of_day",
    "zone",
]

PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Index = datetime.weekday() (Monday is 0).
WEEKDAYS: tuple[Weekday, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)

# Ids are used in topic payloads, metric labels and file names: keep them boring.
Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
]

_ENV_VAR_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")


def _check_env_var_name(value: str) -> str:
    if not _ENV_VAR_RE.fullmatch(value):
        # Show only a prefix: a value that is not a variable name may well be the secret itself.
        shown = value if len(value) <= 8 else value[:4] + "…"
        raise ValueError(
            f"{shown!r} is not an environment variable name (A-Z, 0-9, _): "
            "config names the variable that holds a secret, never the secret itself"
        )
    return value


EnvVarName = Annotated[str, AfterValidator(_check_env_var_name)]


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (cached; ZoneInfo objects are immutable)."""
    return ZoneInfo(name)


def _check_zone(value: str) -> str:
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Paris)") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_zone)]

_TIME_RE = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def parse_time_of_day(value: object, *, allow_24: bool = False) -> time | None:
    """Parse "HH:MM"; "24:00" (end of day) is returned as None when allowed."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a time of day as \"HH:MM\", got {value!r}")
    match = _TIME_RE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"expected a time of day as \"HH:MM\", got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24:
        if minutes or not allow_24:
            raise ValueError(f"{value!r}: 24:00 is only allowed as the end of a range")
        return None
    return time(hours, minutes)


def _time_of_day(value: object) -> time | None:
    return parse_time_of_day(value)


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
