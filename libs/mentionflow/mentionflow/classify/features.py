"""Sentiment features of a token list: shared, byte for byte, by training and inference.

Contract: `extract(tokens)` is pure and deterministic. It returns the sparse binary feature
names (unigrams and negation-marked unigrams; bigrams and prefixes were measured
to add nothing on cross-validation and cost half the inference time) and the dense lexicon
features. Any change here changes what the committed weights mean: bump MODEL_VERSION in
`model.py` and rebuild the artifact with `python -m mentionflow.classify.train`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mentionflow.classify.lexicon import INTENSIFIERS, NEGATION_STOPS, NEGATORS, SENTIMENT

# A negator reaches this many tokens ahead: "not at all good" yes, a whole sentence no.
_NEGATION_REACH = 3


@dataclass(frozen=True, slots=True)
class Features:
    sparse: set[str]
    lex_pos: float
    lex_neg: float
    # Lexicon entries that fired, best first by weight, for `reasons`.
    hits: list[tuple[str, float]]


def extract(tokens: list[str]) -> Features:
    sparse: set[str] = set()
    add = sparse.add
    lex_pos = 0.0
    lex_neg = 0.0
    hits: list[tuple[str, float]] = []
    negated_for = 0
    boost = 1.0
    for tok in tokens:
        if tok in NEGATION_STOPS:
            negated_for = 0
        score = SENTIMENT.get(tok)
        if negated_for:
            add("n:" + tok)
            negated_for -= 1
            if score is not None:
                # Negation damps as well as flips: "not great" is mildly negative, not awful.
                score = -0.6 * score
        else:
            add("w:" + tok)
        if score is not None:
            score *= boost
            hits.append((tok, score))
            if score > 0:
                lex_pos += score
            else:
                lex_neg -= score
        if tok in NEGATORS:
            negated_for = _NEGATION_REACH
        boost = INTENSIFIERS.get(tok, 1.0)
    return Features(sparse, lex_pos, lex_neg, hits)
