"""The Jinja2 environment of the pages, and the row renderer the live stream reuses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from mentionflow_console.analytics.definitions import DEFINITIONS
from mentionflow_console.analytics.summary import change, minutes_text
from mentionflow_console.links import post_url, profile_url, safe_url
from mentionflow_console.schemas import ItemSummary

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

PRIORITY_LABELS = {"P1": "P1 urgent", "P2": "P2 high", "P3": "P3 normal", "P4": "P4 low"}


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _local(value: datetime | None, zone: str) -> str:
    """An instant in a brand's time zone, e.g. '2026-04-01 00:00 CEST' (the analytics' days are local)."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def _compact(number: int) -> str:
    if number >= 1_000_000:
        return f"{number / 1_000_000:.1f}M"
    if number >= 1_000:
        return f"{number / 1_000:.1f}k"
    return str(number)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"


def _hours(value: float | None) -> str:
    return "–" if value is None else minutes_text(value * 60)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(iso=_iso, when=_when, compact=_compact, safe_url=safe_url, local=_local,
                                 minutes=minutes_text, percent=_percent, hours=_hours)
    # Every href to the outside goes through web/links.py: never `href="{{ stored_url }}"`.
    templates.env.globals.update(PRIORITY_LABELS=PRIORITY_LABELS, post_url=post_url, profile_url=profile_url,
                                 change=change, DEFINITIONS=DEFINITIONS)
    return templates


def row_renderer(templates: Jinja2Templates):  # noqa: ANN201 - returns a render function
    macro = templates.env.get_template("_row.html").module.queue_row  # type: ignore[attr-defined]

    def render(item: ItemSummary) -> str:
        return str(macro(item))

    return render
