"""The Jinja2 environment of the pages, and the row renderer the live stream reuses."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from mentionflow_console.links import post_url, profile_url, safe_url
from mentionflow_console.schemas import ItemSummary

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

PRIORITY_LABELS = {"P1": "P1 urgent", "P2": "P2 high", "P3": "P3 normal", "P4": "P4 low"}


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _compact(number: int) -> str:
    if number >= 1_000_000:
        return f"{number / 1_000_000:.1f}M"
    if number >= 1_000:
        return f"{number / 1_000:.1f}k"
    return str(number)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters.update(iso=_iso, when=_when, compact=_compact, safe_url=safe_url)
    # Every href to the outside goes through web/links.py: never `href="{{ stored_url }}"`.
    templates.env.globals.update(PRIORITY_LABELS=PRIORITY_LABELS, post_url=post_url, profile_url=profile_url)
    return templates


def row_renderer(templates: Jinja2Templates):  # noqa: ANN201 - returns a render function
    macro = templates.env.get_template("_row.html").module.queue_row  # type: ignore[attr-defined]

    def render(item: ItemSummary) -> str:
        return str(macro(item))

    return render
