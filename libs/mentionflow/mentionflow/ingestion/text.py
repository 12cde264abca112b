"""Text and time normalisation: what every source's raw post goes through, the same way.

X sends text with `&`, `<` and `>` as HTML entities (v1.1 and v2 alike); people and other
collectors send plain text. `clean_text` unescapes entities, normalises to NFC (so "é" typed
two ways is one string for the classifier's lexicons and for dedup of identical replies), and
enforces the Mention length limit. Unescaping is not idempotent ("&amp;amp;" loses a level
each time), so it runs once, at the edge, on what a source delivered.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime

from mentionflow.events.mentions_raw import MAX_TEXT_CHARS

# X handles: 1-15 word characters. Preceded by start or a non-word char, so e-mail
# addresses (a@b.com) do not count as mentions.
HANDLE_RE = re.compile(r"(?<![\w@])@(\w{1,15})(?!\w)")

_SURROGATE = re.compile("[\ud800-\udfff]")
_V1_TIME = "%a %b %d %H:%M:%S %z %Y"  # v1.1 / CSV exports: "Tue Oct 31 22:10:47 +0000 2017"


class TextRejected(ValueError):
    """The text cannot be a mention's text (empty, too long, NUL, lone surrogates)."""


def clean_text(raw: str) -> str:
    """Unescape HTML entities, NFC-normalise, check the length; raises TextRejected."""
    text = html.unescape(raw) if "&" in raw else raw
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _SURROGATE.search(text) is not None:
            raise TextRejected("text is not valid UTF-8 (lone surrogate)")
    if "\x00" in text:
        raise TextRejected("text contains a NUL character")
    if not text.strip():
        raise TextRejected("text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise TextRejected(f"text has {len(text)} characters, more than {MAX_TEXT_CHARS}")
    return text


def handles_in_text(text: str) -> tuple[str, ...]:
    """The @handles a text names, in order of appearance, without '@', first occurrence only."""
    return tuple(dict.fromkeys(HANDLE_RE.findall(text)))


def parse_post_time(value: str | datetime) -> datetime:
    """A post time as an aware UTC datetime: ISO 8601 (v2, JSON Lines) or the v1.1 format.

    Naive times are taken as UTC (exports drop the zone more often than they mean local time).
    Raises ValueError when the value is neither.
    """
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            try:
                parsed = datetime.strptime(text, _V1_TIME)
            except ValueError:
                raise ValueError(f"{value!r} is neither ISO 8601 nor 'Tue Oct 31 22:10:47 +0000 2017'") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
