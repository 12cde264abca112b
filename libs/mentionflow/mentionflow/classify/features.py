"""The sentiment feature pass over a token list: the one implementation, for training and inference.

Contract: `extract(tokens)` is pure and deterministic. It returns
  - `keys`: the distinct sparse features in first-seen order: a token as itself where it is
    counted plainly, "n:" + token inside a negation's reach ("not at all good": "n:at", "n:all",
    "n:good"). Tokens never contain ":" at their start, so the two forms cannot meet. The
    model's weights are looked up by exactly these keys (`model.SentimentModel.predict`), and
    training builds its design matrix from them, so the two cannot drift apart;
  - the dense lexicon sums of two lexicons, our own (`lexicon.SENTIMENT`) and VADER's
    (`vader.VADER_LEXICON`), each with the same negation, intensifier and contrast ("but":
    what came before is damped) handling, and the entries that fired (for `reasons`).
Any change here changes what the committed weights mean: bump MODEL_VERSION in
`mentionflow_tools.training.train` and rebuild the artifact with `make model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from mentionflow.classify.lexicon import CONTRASTS, INTENSIFIERS, NEGATION_STOPS, NEGATORS, SENTIMENT
from mentionflow.classify.vader import VADER_LEXICON

NEGATED_PREFIX = "n:"
# A negator reaches this many tokens ahead: "not at all good" yes, a whole sentence no.
_NEGATION_REACH = 3
# Negation damps as well as flips: "not great" is mildly negative, not awful.
_NEGATED = -0.6
# At a contrast word ("but", "mais") the lexicon sums so far are multiplied by this (VADER
# weighs before/after a "but" 0.5/1.5; the same ratio, applied to what came before).
_BEFORE_CONTRAST = 1 / 3
# Stretched forms that are other real words ("nul" -> "null", "super" -> "supper"): left out.
_NOT_STRETCHED = frozenset("brooke scarred boon bonn supper aimee troop null process salle".split())


def stretched_forms(word: str) -> list[str]:
    """What `tokenize` makes of `word` with one letter stretched: it squeezes runs of 3+ to 2,
    so "nuuul" and "merciii" reach the lexicon as "nuul" and "mercii" and, without these
    forms, miss it (a fifth of DEFT's French tweets have such a run)."""
    forms: list[str] = []
    for i, char in enumerate(word):
        if char.isalpha() and (i == 0 or word[i - 1] != char) and (i + 1 == len(word) or word[i + 1] != char):
            form = word[: i + 1] + word[i:]
            if form not in _NOT_STRETCHED:
                forms.append(form)
    return forms


def _lexicons() -> dict[str, tuple[float | None, float | None]]:
    """token -> (own score or None, VADER score or None): one look-up per token for both.

    Our own lexicon's words are also entered in their stretched forms (`stretched_forms`), at
    the word's scores, wherever that form is not a lexicon word itself."""
    table: dict[str, tuple[float | None, float | None]] = {
        tok: (SENTIMENT.get(tok), VADER_LEXICON.get(tok)) for tok in {*SENTIMENT, *VADER_LEXICON}
    }
    for word in sorted(SENTIMENT):
        if word.replace("'", "").isalpha():
            for form in stretched_forms(word):
                if form not in table:
                    table[form] = table[word]
    return table


LEXICONS: dict[str, tuple[float | None, float | None]] = _lexicons()


class _Role(NamedTuple):
    """What a modifier token does to the tokens around it."""

    stops_negation: bool  # "!", ".", "but": a negation's reach ends here
    contrast: bool  # "but", "mais": what came before counts less
    negator: bool  # "not", "pas": the next tokens are negated
    boost: float  # "very": the next token's lexicon score is multiplied by this


# The few modifier tokens, one look-up for all four roles: ordinary tokens (almost all of
# them) then cost a single failed dict look-up in the loop below.
_ROLES: dict[str, _Role] = {
    tok: _Role(tok in NEGATION_STOPS, tok in CONTRASTS, tok in NEGATORS, INTENSIFIERS.get(tok, 1.0))
    for tok in {*NEGATION_STOPS, *CONTRASTS, *NEGATORS, *INTENSIFIERS}
}


@dataclass(frozen=True, slots=True)
class Features:
    keys: dict[str, None]  # an insertion-ordered set of the sparse feature keys
    lex_pos: float
    lex_neg: float
    # Lexicon entries that fired (our score, else VADER's), for `reasons`.
    hits: list[tuple[str, float]]
    vader_pos: float = 0.0
    vader_neg: float = 0.0


def extract(tokens: list[str]) -> Features:
    keys: dict[str, None] = {}
    lex_pos = lex_neg = vader_pos = vader_neg = 0.0
    hits: list[tuple[str, float]] = []
    negated_for = 0
    boost = 1.0
    roles, lexicons = _ROLES, LEXICONS
    for tok in tokens:
        # `in` then index: cheaper than .get() for the common miss (no method call).
        role = roles[tok] if tok in roles else None
        if role is not None:
            if role.stops_negation:
                negated_for = 0
            if role.contrast:
                lex_pos *= _BEFORE_CONTRAST
                lex_neg *= _BEFORE_CONTRAST
                vader_pos *= _BEFORE_CONTRAST
                vader_neg *= _BEFORE_CONTRAST
        if negated_for:
            negated_for -= 1
            keys[NEGATED_PREFIX + tok] = None
            factor = _NEGATED * boost
        else:
            keys[tok] = None
            factor = boost
        if tok in lexicons:
            own, vader = lexicons[tok]
            if own is not None:
                own *= factor
                hits.append((tok, own))
                if own > 0:
                    lex_pos += own
                else:
                    lex_neg -= own
            if vader is not None:
                vader *= factor
                if own is None:
                    hits.append((tok, vader))
                if vader > 0:
                    vader_pos += vader
                else:
                    vader_neg -= vader
        if role is None:
            boost = 1.0
        else:
            if role.negator:
                negated_for = _NEGATION_REACH
            boost = role.boost
    return Features(keys, lex_pos, lex_neg, hits, vader_pos, vader_neg)
