"""How people actually type: typos, lower case, shouting, dropped accents, extra punctuation.

Every function takes the generator's `random.Random`, so output stays deterministic.
@handles, #hashtags and links are left alone by typos: brand resolution must still work.
"""

from __future__ import annotations

import random

_ACCENTS = str.maketrans("àâäéèêëîïôöùûüçÀÂÉÈÊÎÔÙÛÇ", "aaaeeeeiioouuucAAEEEIOUUC")


def typo(rng: random.Random, text: str) -> str:
    """Swap, drop or double one letter inside an ordinary word (tries a few positions)."""
    for _ in range(4):
        i = rng.randrange(1, max(2, len(text) - 1))
        if i >= len(text) - 1 or not (text[i].isalpha() and text[i + 1].isalpha()):
            continue
        start = text.rfind(" ", 0, i) + 1
        if text[start] in "@#" or text.startswith("http", start):
            continue
        kind = rng.random()
        if kind < 0.5:
            return text[:i] + text[i + 1] + text[i] + text[i + 2:]
        if kind < 0.8:
            return text[:i] + text[i + 1:]
        return text[:i] + text[i] + text[i:]
    return text


def strip_accents(text: str) -> str:
    return text.translate(_ACCENTS)


def emphasise(rng: random.Random, text: str) -> str:
    """Multiply the final ! or ? the way angry or excited people do."""
    if text.endswith(("!", "?")):
        return text + text[-1] * rng.randint(1, 3)
    return text.rstrip(".") + rng.choice(("!!", "!!!", "..."))


def roughen(rng: random.Random, text: str, *, lang: str, shout_chance: float) -> str:
    """Apply the usual mix of noise to a finished text."""
    roll = rng.random()
    if roll < 0.15:
        text = typo(rng, text)
        if roll < 0.03:
            text = typo(rng, text)
    roll = rng.random()
    if roll < shout_chance:
        text = text.upper()
    elif roll < shout_chance + 0.22:
        text = text.lower()
    if lang == "fr" and rng.random() < 0.18:
        text = strip_accents(text)
    if rng.random() < 0.12:
        text = emphasise(rng, text)
    return text
