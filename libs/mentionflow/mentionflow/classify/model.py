"""The sentiment model: a multinomial logistic regression over `features.extract` output.

The weights live in `model/sentiment.json` inside the package (committed; rebuilt by
`python -m mentionflow_tools.training.train`). Nothing is downloaded. Inference is pure Python:
a few dict look-ups and additions per token, so one core scores tens of thousands of
mentions per second. The artifact is loaded once, lazily, on first use (`load_model`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import orjson

from mentionflow.classify.features import _BEFORE_CONTRAST, _NEGATED, _NEGATION_REACH, LEXICONS, Features
from mentionflow.classify.lexicon import CONTRASTS, INTENSIFIERS, NEGATION_STOPS, NEGATORS

CLASSES = ("negative", "neutral", "positive")
ARTIFACT = Path(__file__).with_name("model") / "sentiment.json"
# Per-language decision offsets live in the artifact; a language without its own uses this one.
DEFAULT_OFFSETS_LANG = "en"


def dense_vector(feats: Features) -> tuple[float, ...]:
    """Dense lexicon features; order is part of the artifact format (see DENSE_NAMES)."""
    pos, neg = feats.lex_pos, feats.lex_neg
    vpos, vneg = feats.vader_pos, feats.vader_neg
    # Scaled x3 so the L2 penalty shrinks the lexicons less than the sparse n-grams: with a
    # few thousand training tweets the lexicons are the part that generalises.
    return (
        3.0 * math.log1p(pos),
        3.0 * math.log1p(neg),
        3.0 if pos > 0 and neg == 0 else 0.0,
        3.0 if neg > 0 and pos == 0 else 0.0,
        3.0 * math.log1p(vpos),
        3.0 * math.log1p(vneg),
        3.0 if vpos > 0 and vneg == 0 else 0.0,
        3.0 if vneg > 0 and vpos == 0 else 0.0,
    )


DENSE_NAMES = (
    "lex_pos", "lex_neg", "only_pos", "only_neg",
    "vader_pos", "vader_neg", "vader_only_pos", "vader_only_neg",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Prediction:
    probabilities: tuple[float, float, float]  # negative, neutral, positive (calibrated)
    top_features: list[tuple[str, float]]  # sparse features that pushed the winning class
    label_index: int  # the decision: argmax of the logits plus the language's offsets

    @property
    def label(self) -> str:
        return CLASSES[self.label_index]

    @property
    def score(self) -> float:
        """P(positive) - P(negative): a signed score in [-1, 1]."""
        return self.probabilities[2] - self.probabilities[0]


_Weights = tuple[float, float, float]


class SentimentModel:
    """Weights + a pure `predict(features)`. Thread-safe: nothing mutates after __init__ (but
    the `sparse` view, built once on first use).

    The label adds per-language offsets to the logits (tuned at training time to balance the
    recall of the three classes, see `mentionflow_tools.training.train`). The probabilities (hence `score`) are the
    plain softmax, calibrated on the training mix: the offsets move the label boundary, they
    do not make every mention look more negative to the category rules and severity.
    """

    def __init__(self, artifact: dict) -> None:
        self.version: str = artifact["version"]
        bias = artifact["bias"]
        offsets: dict[str, list[float]] = artifact.get("offsets") or {DEFAULT_OFFSETS_LANG: [0.0] * 3}
        self._bias: _Weights = (bias[0], bias[1], bias[2])
        self._offsets: dict[str, _Weights] = {lang: (o[0], o[1], o[2]) for lang, o in offsets.items()}
        self._default_offsets = self._offsets.get(DEFAULT_OFFSETS_LANG, (0.0, 0.0, 0.0))
        self.dense: list[_Weights] = [tuple(w) for w in artifact["dense"]]  # type: ignore[misc]
        # Token -> weights, for plain and for negated occurrences: the maps as parsed (tens of
        # thousands of rows; rebuilding them was 40 % of the load, which `mentionflow classify`
        # pays on every run).
        self._plain: dict[str, Sequence[float]] = artifact["plain"]
        self._negated: dict[str, Sequence[float]] = artifact["negated"]
        # Tokens that change how the tokens after (or before) them count.
        self._modifiers = NEGATORS | CONTRASTS | frozenset(INTENSIFIERS)

    @cached_property
    def sparse(self) -> dict[str, Sequence[float]]:
        """Weights by feature name ("w:token", "n:token"), as `features.extract` names them."""
        return {**{"w:" + t: w for t, w in self._plain.items()}, **{"n:" + t: w for t, w in self._negated.items()}}

    def offsets(self, lang: str | None) -> _Weights:
        return self._offsets.get(lang, self._default_offsets) if lang else self._default_offsets

    def predict_tokens(
        self, tokens: list[str], *, lang: str | None = None, explain: int = 0
    ) -> tuple[Prediction, Features]:
        """Same result as `predict(extract(tokens), lang=lang)` in one pass (the hot path).

        `features.extract` stays the reference the training uses; a test holds the two equal.
        The returned `Features` carry the lexicon sums and hits (`sparse` is not collected).
        """
        if self._modifiers.isdisjoint(tokens):
            return self._predict_unmodified(tokens, lang, explain)
        lexicons, negators, stops, boosts = LEXICONS, NEGATORS, NEGATION_STOPS, INTENSIFIERS
        plain, negated = self._plain, self._negated
        seen: set[str] = set()
        lex_pos = lex_neg = vader_pos = vader_neg = 0.0
        hits: list[tuple[str, float]] = []
        s0, s1, s2 = self._bias
        used: list[tuple[str, Sequence[float]]] = []
        negated_for = 0
        boost = 1.0
        none = (None, None)
        for tok in tokens:
            if tok in stops:
                negated_for = 0
                if tok in CONTRASTS:  # every contrast is a stop: one set test on the hot path
                    lex_pos *= _BEFORE_CONTRAST
                    lex_neg *= _BEFORE_CONTRAST
                    vader_pos *= _BEFORE_CONTRAST
                    vader_neg *= _BEFORE_CONTRAST
            if negated_for:
                negated_for -= 1
                key, table, factor = "n:" + tok, negated, _NEGATED * boost
            else:
                key, table, factor = tok, plain, boost
            if key not in seen:
                seen.add(key)
                w = table.get(tok)
                if w is not None:
                    s0 += w[0]
                    s1 += w[1]
                    s2 += w[2]
                    if explain:
                        used.append((key if table is negated else "w:" + tok, w))
            own, vader = lexicons.get(tok, none)
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
            if tok in negators:
                negated_for = _NEGATION_REACH
            boost = boosts.get(tok, 1.0)
        return self._conclude(s0, s1, s2, Features(set(), lex_pos, lex_neg, hits, vader_pos, vader_neg),
                              lang, used, explain)

    def _predict_unmodified(
        self, tokens: list[str], lang: str | None, explain: int
    ) -> tuple[Prediction, Features]:
        """`predict_tokens` for the common mention without a negator, intensifier or contrast:
        every factor is 1, so the weights are a plain sum over the distinct tokens and the
        lexicon scores a plain sum over all of them; two light loops instead of the full one
        (a test holds it equal to the full loop)."""
        plain = self._plain
        s0, s1, s2 = self._bias
        used: list[tuple[str, Sequence[float]]] = []
        for tok in dict.fromkeys(tokens):  # distinct, in first-seen order (ties in `explain`)
            w = plain.get(tok)
            if w is not None:
                s0 += w[0]
                s1 += w[1]
                s2 += w[2]
                if explain:
                    used.append(("w:" + tok, w))
        lex_pos = lex_neg = vader_pos = vader_neg = 0.0
        hits: list[tuple[str, float]] = []
        lexicons = LEXICONS
        for tok in [t for t in tokens if t in lexicons]:
            own, vader = lexicons[tok]
            if own is not None:
                hits.append((tok, own))
                if own > 0:
                    lex_pos += own
                else:
                    lex_neg -= own
            if vader is not None:
                if own is None:
                    hits.append((tok, vader))
                if vader > 0:
                    vader_pos += vader
                else:
                    vader_neg -= vader
        return self._conclude(s0, s1, s2, Features(set(), lex_pos, lex_neg, hits, vader_pos, vader_neg),
                              lang, used, explain)

    def _conclude(
        self, s0: float, s1: float, s2: float, feats: Features, lang: str | None,
        used: list[tuple[str, Sequence[float]]], explain: int,
    ) -> tuple[Prediction, Features]:
        for x, (w0, w1, w2) in zip(dense_vector(feats), self.dense, strict=True):
            if x:
                s0 += x * w0
                s1 += x * w1
                s2 += x * w2
        return self._finish(s0, s1, s2, self.offsets(lang), used, explain), feats

    def predict(self, feats: Features, *, lang: str | None = None, explain: int = 0) -> Prediction:
        s0, s1, s2 = self._bias
        for x, (w0, w1, w2) in zip(dense_vector(feats), self.dense, strict=True):
            s0 += x * w0
            s1 += x * w1
            s2 += x * w2
        weights = self.sparse
        used: list[tuple[str, Sequence[float]]] = []
        for name in feats.sparse:
            w = weights.get(name)
            if w is not None:
                s0 += w[0]
                s1 += w[1]
                s2 += w[2]
                if explain:
                    used.append((name, w))
        return self._finish(s0, s1, s2, self.offsets(lang), used, explain)

    @staticmethod
    def _finish(
        s0: float, s1: float, s2: float, off: _Weights, used: list[tuple[str, Sequence[float]]], explain: int
    ) -> Prediction:
        top = max(s0, s1, s2)
        e0, e1, e2 = math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)
        total = e0 + e1 + e2
        probs = (e0 / total, e1 / total, e2 / total)
        d0, d1, d2 = s0 + off[0], s1 + off[1], s2 + off[2]
        k = 0 if d0 >= d1 and d0 >= d2 else 1 if d1 >= d2 else 2
        top_features: list[tuple[str, float]] = []
        if explain and used:
            # A feature's push towards the winner relative to the mean of the three classes; the
            # strongest positive ones, earliest first among equals. One pass keeps the running
            # best `explain` (most mentions now hit ten weighted words; sorting them all cost
            # more than the prediction's arithmetic).
            best: list[tuple[str, float]] = []
            floor = 0.0
            for name, w in used:
                push = w[k] - (w[0] + w[1] + w[2]) / 3
                if push > floor or (push > 0.0 and len(best) < explain):
                    position = len(best)
                    while position and best[position - 1][1] < push:
                        position -= 1
                    best.insert(position, (name, push))
                    del best[explain:]
                    if len(best) == explain:
                        floor = best[-1][1]
            top_features = best
        return Prediction(probs, top_features, k)


@lru_cache(maxsize=1)
def load_model(path: Path = ARTIFACT) -> SentimentModel:
    """Load and cache the committed artifact (first call reads the file; later calls are free)."""
    return SentimentModel(orjson.loads(path.read_bytes()))
