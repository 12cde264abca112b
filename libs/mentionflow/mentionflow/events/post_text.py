"""How long X counts a post: the weighted length, not len().

X counts most Latin, Greek, Cyrillic, Hebrew, Arabic and general-punctuation characters as 1
and everything else (CJK, emoji, symbols) as 2, and every URL as 23 whatever its length (t.co
wraps it). A post "over 280 after expansion" is one whose weighted length exceeds 280: the
console refuses it before the post is requested, publish never sees one.
"""

from __future__ import annotations

import re
import unicodedata

MAX_POST_WEIGHT = 280
URL_WEIGHT = 23

# Code point ranges X weighs 1 (its published text configuration, version 3).
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_URL = re.compile(r"https?://[^\s]+|\b(?:www\.)[^\s]+", re.IGNORECASE)


def _char_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in _LIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """X's weighted length of `text` (NFC-normalised first, as X does)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for match in _URL.finditer(text):
        total += sum(_char_weight(c) for c in text[position:match.start()]) + URL_WEIGHT
        position = match.end()
    return total + sum(_char_weight(c) for c in text[position:])

