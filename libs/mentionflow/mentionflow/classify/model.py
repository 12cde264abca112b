"""The sentiment model: a multinomial logistic regression over `features.extract` output.

The weights live in `model/sentiment.json` inside the package (committed; rebuilt by
`python -m mentionflow.classify.train`). Nothing is downloaded. Inference is pure Python:
a few dict look-ups and additions per token, so one core scores tens of thousands of
mentions per second. The artifact is loaded once, lazily, on first use (`load_model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import orjson

from mentionflow.classify.features import _NEGATION_REACH, Features
from mentionflow.classify.lexicon import INTENSIFIERS, NEGATION_STOPS, NEGATORS, SENTIMENT

CLASSES = ("negative", "neutral", "positive")
ARTIFACT = Path(__file__).with_name("model") / "sentiment.json"


def dense_vector(feats: Features) -> tuple[float, ...]:
    """Dense lexicon features; order is part of the artifact format (see DENSE_NAMES)."""
    pos, neg = feats.lex_pos, feats.lex_neg
    # Scaled x3 so the L2 penalty shrinks the lexicon less than the sparse n-grams: with a
    # few thousand training tweets the lexicon is the part that generalises.
    return (
        3.0 * math.log1p(pos),
        3.0 * math.log1p(neg),
        3.0 if pos > 0 and neg == 0 else 0.0,
        3.0 if neg > 0 and pos == 0 else 0.0,
    )


DENSE_NAMES = ("lex_pos", "lex_neg", "only_pos", "only_neg")


@dataclass(frozen=True, slots=True)
class Prediction:
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    top_features: list[tuple[str, float]]  # sparse features that pushed the winning class

    @property
    def label(self) -> str:
        p = self.probabilities
        return CLASSES[max(range(3), key=p.__getitem__)]

    @property
    def score(self) -> float:
        """P(positive) - P(negative): a signed score in [-1, 1]."""
        return self.probabilities[2] - self.probabilities[0]


class SentimentModel:
    """Weights + a pure `predict(features)`. Thread-safe: nothing mutates after __init__."""

    def __init__(self, artifact: dict) -> None:
        self.version: str = artifact["version"]
        self.bias: tuple[float, float, float] = tuple(artifact["bias"])  # type: ignore[assignment]
        self.dense: list[tuple[float, float, float]] = [tuple(w) for w in artifact["dense"]]
        self.sparse: dict[str, tuple[float, float, float]] = {
            name: tuple(w) for name, w in artifact["sparse"].items()  # type: ignore[misc]
        }
        # The fast path looks tokens up directly, without building "w:"/"n:" feature names.
        self._plain = {n[2:]: w for n, w in self.sparse.items() if n.startswith("w:")}
        self._negated = {n[2:]: w for n, w in self.sparse.items() if n.startswith("n:")}

    def predict_tokens(self, tokens: list[str], *, explain: int = 0) -> tuple[Prediction, Features]:
        """Same result as `predict(extract(tokens))` in one pass (the classifier's hot path).

        `features.extract` stays the reference the training uses; a test holds the two equal.
        """
        sentiment, negators, stops, boosts = SENTIMENT, NEGATORS, NEGATION_STOPS, INTENSIFIERS
        plain, negated = self._plain, self._negated
        seen: set[str] = set()
        lex_pos = lex_neg = 0.0
        hits: list[tuple[str, float]] = []
        s0, s1, s2 = self.bias
        used: list[tuple[str, tuple[float, float, float]]] = []
        negated_for = 0
        boost = 1.0
        for tok in tokens:
            if tok in stops:
                negated_for = 0
            score = sentiment.get(tok)
            if negated_for:
                negated_for -= 1
                key, table, prefix = "n:" + tok, negated, "n:"
                if score is not None:
                    score = -0.6 * score
            else:
                key, table, prefix = tok, plain, "w:"
            if key not in seen:
                seen.add(key)
                w = table.get(tok)
                if w is not None:
                    s0 += w[0]
                    s1 += w[1]
                    s2 += w[2]
                    if explain:
                        used.append((prefix + tok, w))
            if score is not None:
                score *= boost
                hits.append((tok, score))
                if score > 0:
                    lex_pos += score
                else:
                    lex_neg -= score
            if tok in negators:
                negated_for = _NEGATION_REACH
            boost = boosts.get(tok, 1.0)
        feats = Features(seen, lex_pos, lex_neg, hits)
        for x, (w0, w1, w2) in zip(dense_vector(feats), self.dense, strict=True):
            s0 += x * w0
            s1 += x * w1
            s2 += x * w2
        return self._finish(s0, s1, s2, used, explain), feats

    def predict(self, feats: Features, *, explain: int = 0) -> Prediction:
        s0, s1, s2 = self.bias
        for x, (w0, w1, w2) in zip(dense_vector(feats), self.dense, strict=True):
            s0 += x * w0
            s1 += x * w1
            s2 += x * w2
        weights = self.sparse
        used: list[tuple[str, tuple[float, float, float]]] = []
        for name in feats.sparse:
            w = weights.get(name)
            if w is not None:
                s0 += w[0]
                s1 += w[1]
                s2 += w[2]
                if explain:
                    used.append((name, w))
        return self._finish(s0, s1, s2, used, explain)

    @staticmethod
    def _finish(
        s0: float, s1: float, s2: float, used: list[tuple[str, tuple[float, float, float]]], explain: int
    ) -> Prediction:
        top = max(s0, s1, s2)
        e0, e1, e2 = math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)
        total = e0 + e1 + e2
        probs = (e0 / total, e1 / total, e2 / total)
        top_features: list[tuple[str, float]] = []
        if explain and used:
            k = max(range(3), key=probs.__getitem__)
            # A feature's push towards the winner relative to the mean of the three classes.
            pushes = [(name, w[k] - (w[0] + w[1] + w[2]) / 3) for name, w in used]
            pushes.sort(key=lambda item: -item[1])
            top_features = [(n, v) for n, v in pushes[:explain] if v > 0]
        return Prediction(probs, top_features)


@lru_cache(maxsize=1)
def load_model(path: Path = ARTIFACT) -> SentimentModel:
    """Load and cache the committed artifact (first call reads the file; later calls are free)."""
    return SentimentModel(orjson.loads(path.read_bytes()))
