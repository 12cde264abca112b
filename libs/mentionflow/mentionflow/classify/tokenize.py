"""Tokenizer for short, messy social text (English and French).

Contract: `tokenize(text)` is pure, deterministic and never raises on any str. It returns
lower-cased, accent-folded tokens so that "déçu", "decu" and "DÉÇU" meet the same lexicon
entry and the same model feature (French tweets drop accents as often as they keep them).

Special tokens: "@user" for handles, "<url>" for links, "!" / "?" for runs of them, "."
for any run of , . ; : (it ends a negation scope), emoji
kept one per token. Letter runs of 3+ are squeezed to 2 ("soooo" -> "soo", "nuuul" -> "nuul")
and flagged, because elongation itself carries intensity.

Everything is a translate table, a split on whitespace and, for each chunk not seen before, one
regex pass: the classifier calls this once per mention and must stay well above 10,000
mentions/s on one core.
"""

from __future__ import annotations

import re

# Accent folding by table lookup: far cheaper than unicodedata.normalize + filtering per call.
_FOLD = str.maketrans(
    {
        "à": "a", "â": "a", "ä": "a", "á": "a", "ã": "a",
        "ç": "c",
        "é": "e", "è": "e", "ê": "e", "ë": "e",
        "î": "i", "ï": "i", "í": "i", "ì": "i",
        "ô": "o", "ö": "o", "ó": "o", "ò": "o", "õ": "o",
        "ù": "u", "û": "u", "ü": "u", "ú": "u",
        "ÿ": "y", "ñ": "n",
        "œ": "oe", "æ": "ae",
        "’": "'", "‘": "'", "ʼ": "'", "`": "'",
        "“": '"', "”": '"', "«": '"', "»": '"',
    }
)  # fmt: skip

# Non-capturing on purpose: `findall` then returns whole matches, and the kind of a token is
# read from its first character (several times cheaper than finditer + lastgroup).
_TOKEN_RE = re.compile(
    r"""
    https?://\S+|www\.\S+
    |@\w+
    |[^\W\d_]+(?:['-][^\W\d_]+)*'?
    |\d+(?:[.,:]\d+)*
    |!+|\?+
    |[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2764]|[:;]-?[()DdPp/\\|]|<3
    |[.,;:]+
    """,
    re.VERBOSE,
)
_SPECIAL_FIRST = {"@": "@user", "!": "!", "?": "?", ".": ".", ",": ".", ";": ".", ":": "."}
_SQUEEZE_RE = re.compile(r"(\w)\1{2,}")
# Any text _SQUEEZE_RE changes has three equal characters in a row; this test is about three
# times cheaper than the substitution (no character classes, no Python-level callback), and
# most mentions have no such run, so the substitution is skipped.
_TRIPLE_RE = re.compile(r"(.)\1\1", re.DOTALL)
_ELISION = ("l'", "d'", "j'", "n'", "qu'", "c'", "s'", "m'", "t'")


def fold(text: str) -> str:
    """Lower-case and strip the common Latin accents (the key form of every lexicon)."""
    lowered = text.lower()
    # The table maps one ASCII character only (the backtick): pure-ASCII text without one is
    # already folded, and most mentions are pure ASCII (translate is the costly half).
    if lowered.isascii() and "`" not in lowered:
        return lowered
    return lowered.translate(_FOLD)


def _forms(tok: str) -> tuple[str, ...]:
    """What one regex match contributes to the token list (it depends on the match alone)."""
    first = tok[0]
    if first.isalpha():
        if first in "hw" and (tok == "http" or tok.startswith(("http://", "https://", "www."))):
            return ("<url>",)
        if "'" in tok:
            # French elision: "l'appli" -> "l'", "appli"; English "don't" stays whole.
            for prefix in _ELISION:
                if tok.startswith(prefix) and len(tok) > len(prefix):
                    rest = tok[len(prefix) :]
                    return (prefix, rest.rstrip("'") or rest)
            return (tok.rstrip("'") or tok,)
        return (tok,)
    if first.isdigit():
        return ("<num>",)
    if first == ":" and len(tok) > 1 and tok[1] not in ".,;:":
        return (tok,)  # an emoticon such as ":(" or ":-d"
    return (_SPECIAL_FIRST.get(first, tok),)


# Whitespace-separated chunk -> its forms. No token spans whitespace (none of _TOKEN_RE's
# alternatives matches a whitespace character), so a text's tokens are its chunks' tokens in
# order; mentions reuse a small vocabulary, so each distinct chunk ("late!!", "@brand") goes
# through the regex once (bounded: cleared when full, e.g. by a stream of unique links; that
# only costs time). Measured: 7.1 -> 3.2 us a mention (one regex pass over the whole text).
_CHUNK_FORMS: dict[str, tuple[str, ...]] = {}
_CHUNK_FORMS_LIMIT = 50_000  # ~10 MB at most


def _chunk_forms(chunk: str) -> tuple[str, ...]:
    forms: tuple[str, ...] = ()
    for tok in _TOKEN_RE.findall(chunk):
        forms += _forms(tok)
    return forms


def tokenize(text: str, folded: str | None = None) -> list[str]:
    """Tokens of `text` (see module docstring). Elongated text adds one "<elong>" token.

    `folded` may be passed when the caller already has `fold(text)` (saves a pass)."""
    out: list[str] = []
    squeezed = fold(text) if folded is None else folded
    elongated = 0
    if _TRIPLE_RE.search(squeezed):
        squeezed, elongated = _SQUEEZE_RE.subn(r"\1\1", squeezed)
    if elongated:
        out.append("<elong>")
    cache = _CHUNK_FORMS
    for chunk in squeezed.split():
        forms = cache.get(chunk)
        if forms is None:
            if len(cache) >= _CHUNK_FORMS_LIMIT:
                cache.clear()
            forms = cache[chunk] = _chunk_forms(chunk)
        out += forms
    return out
