"""VADER's English sentiment lexicon, read from the installed `vaderSentiment` package.

Why: our hand-written lexicon (`lexicon.py`) covers brand-care vocabulary in English and
French, but general tweets use far more sentiment words than we can write by hand. The
vaderSentiment package (MIT, a runtime dependency) ships `vader_lexicon.txt`: ~7,500 words,
slang and emoticons rated -4..+4 by human raters for social media. It is read here from the
package directory at import time (nothing is downloaded; the VADER analyser itself is never
imported or run: only its word list is used, as one more feature of our own model).

Emoji: VADER's `emoji_utf8_lexicon.txt` maps an emoji to its description ("face with tears of
joy"); an emoji's score is the sum of its description words' scores, as VADER scores them.

Contract: `VADER_LEXICON` maps `tokenize.fold` form -> mean valence (-4..4). Entries that do
not survive folding unchanged (upper case) are folded; on a clash the first entry wins.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mentionflow.classify.tokenize import fold


def _package_dir() -> Path:
    # find_spec locates the package without executing its modules (we need files, not code).
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the vaderSentiment package is missing: it is a runtime dependency of mentionflow "
            "(its lexicon is a feature of the committed sentiment model); reinstall with `make install`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _load() -> dict[str, float]:
    folder = _package_dir()
    table: dict[str, float] = {}
    for line in (folder / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0]:
            table.setdefault(fold(parts[0]), float(parts[1]))
    for line in (folder / "emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        emoji, _, description = line.partition("\t")
        score = sum(table.get(word, 0.0) for word in description.split())
        if emoji and score:
            table.setdefault(emoji, round(score, 3))
    return table


VADER_LEXICON: dict[str, float] = _load()
