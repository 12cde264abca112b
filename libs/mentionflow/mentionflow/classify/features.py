"""Sentiment features of a token list: shared, byte for byte, by training and inference.

Contract: `extract(tokens)` is pure and deterministic. It returns the sparse binary feature
names (unigrams and negation-marked unigrams; bigrams and prefixes were measured
to add nothing on cross-validation and cost half the inference time) and the dense lexicon
sums of two lexicons: our own (`lexicon.SENTIMENT`) and VADER's (`vader.VADER_LEXICON`), each
with the same negation, intensifier and contrast ("but": what came before is damped) handling.
Any change here changes what the committed weights mean: bump MODEL_VERSION in
`mentionflow_tools.training.train` and rebuild the artifact with `make model`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mentionflow.classify.lexicon import CONTRASTS, INTENSIFIERS, NEGATION_STOPS, NEGATORS, SENTIMENT
from mentionflow.classify.vader import VADER_LEXICON

# A negator reaches this many tokens ahead: "not at all good" yes, a whole sentence no.
_NEGATION_REACH = 3
# Negation damps as well as flips: "not great" is mildly negative, not awful.
_NEGATED = -0.6
# At a contrast word ("but", "mais") the lexicon sums so far are multiplied by this (VADER
# weighs before/after a "but" 0.5/1.5; the same ratio, applied to what came before).
_BEFORE_CONTRAST = 1 / 3

# token -> (own score or None, VADER score or None): one look-up per token for both lexicons.
LEXICONS: dict[str, tuple[float | None, float | None]] = {
    tok: (SENTIMENT.get(tok), VADER_LEXICON.get(tok)) for tok in {*SENTIMENT, *VADER_LEXICON}
}


@dataclass(frozen=True, slots=True)
class Features:
    sparse: set[str]
    lex_pos: float
    lex_neg: float
    # Lexicon entries that fired (our score, else VADER's), for `reasons`.
    hits: list[tuple[str, float]]
    vader_pos: float = 0.0
    vader_neg: float = 0.0


def extract(tokens: list[str]) -> Features:
    sparse: set[str] = set()
    add = sparse.add
    lex_pos = lex_neg = vader_pos = vader_neg = 0.0
    hits: list[tuple[str, float]] = []
    negated_for = 0
    boost = 1.0
    for tok in tokens:
        if tok in NEGATION_STOPS:
            negated_for = 0
        if tok in CONTRASTS:
            lex_pos *= _BEFORE_CONTRAST
            lex_neg *= _BEFORE_CONTRAST
            vader_pos *= _BEFORE_CONTRAST
            vader_neg *= _BEFORE_CONTRAST
        own, vader = LEXICONS.get(tok, (None, None))
        if negated_for:
            add("n:" + tok)
            negated_for -= 1
            factor = _NEGATED * boost
        else:
            add("w:" + tok)
            factor = boost
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
        if tok in NEGATORS:
            negated_for = _NEGATION_REACH
        boost = INTENSIFIERS.get(tok, 1.0)
    return Features(sparse, lex_pos, lex_neg, hits, vader_pos, vader_neg)
