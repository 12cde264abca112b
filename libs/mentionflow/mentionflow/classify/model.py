"""The sentiment model: a multinomial logistic regression over `features.extract` output.

The weights live in `model/sentiment.json` inside the package (committed; rebuilt by
`make model`, i.e. `python -m mentionflow_tools.training.train`). Nothing is downloaded and no
embedding model runs here: word vectors were folded into per-token weights at training time.
Inference is pure Python, a dict look-up and three additions per distinct feature key, so one
core scores tens of thousands of mentions per second. The artifact is loaded once, lazily, on
first use (`load_model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import orjson

from mentionflow.classify.features import Features
from mentionflow.classify.native import PACKAGE_DIR
from mentionflow.heap import collector_paused

CLASSES = ("negative", "neutral", "positive")
ARTIFACT = PACKAGE_DIR / "model" / "sentiment.json"  # the source directory, also when compiled


def dense_vector(feats: Features) -> tuple[float, ...]:
    """Dense lexicon features; order is part of the artifact format (see DENSE_NAMES)."""
    pos, neg = feats.lex_pos, feats.lex_neg
    vpos, vneg = feats.vader_pos, feats.vader_neg
    # Scaled x3 so the L2 penalty shrinks the lexicons less than the sparse keys: they are the
    # part that carries over to words and topics the labelled tweets never had.
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
    probabilities: tuple[float, float, float]  # negative, neutral, positive
    top_features: list[tuple[str, float]]  # sparse keys that pushed the winning class most
    label_index: int  # argmax of the probabilities

    @property
    def label(self) -> str:
        return CLASSES[self.label_index]

    @property
    def score(self) -> float:
        """P(positive) - P(negative): a signed score in [-1, 1]."""
        return self.probabilities[2] - self.probabilities[0]


_Weights = tuple[float, float, float]


class SentimentModel:
    """Weights + a pure `predict(features)`. Thread-safe: nothing mutates after __init__."""

    def __init__(self, artifact: dict) -> None:
        self.version: str = artifact["version"]
        bias = artifact["bias"]
        self._bias: _Weights = (bias[0], bias[1], bias[2])
        self.dense: list[_Weights] = [tuple(w) for w in artifact["dense"]]  # type: ignore[misc]
        # Feature key -> weights, used as parsed (tens of thousands of rows: rebuilding them
        # would be most of the load time, which `mentionflow classify` pays on every run).
        self.weights: dict[str, list[float]] = artifact["weights"]

    def predict(self, feats: Features, *, explain: int = 0) -> Prediction:
        """The prediction for one mention's features; `explain` > 0 also keeps that many of the
        sparse keys that pushed the winning class most (for `reasons`)."""
        s0, s1, s2 = self._bias
        for x, (w0, w1, w2) in zip(dense_vector(feats), self.dense, strict=True):
            if x:
                s0 += x * w0
                s1 += x * w1
                s2 += x * w2
        weights = self.weights
        # The keys found and their weights, for `explain` (one look-up per key: the weights
        # table is large, and its look-ups are most of a prediction's cost).
        found: list[str] = []
        found_weights: list[list[float]] = []
        for key in feats.keys:
            w = weights.get(key)
            if w is not None:
                s0 += w[0]
                s1 += w[1]
                s2 += w[2]
                if explain:
                    found.append(key)
                    found_weights.append(w)
        top = max(s0, s1, s2)
        e0, e1, e2 = math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)
        total = e0 + e1 + e2
        k = 0 if s0 >= s1 and s0 >= s2 else 1 if s1 >= s2 else 2
        return Prediction((e0 / total, e1 / total, e2 / total), _strongest(found, found_weights, k, explain), k)


def _strongest(keys: list[str], weights: list[list[float]], k: int, explain: int) -> list[tuple[str, float]]:
    """The `explain` keys pushing class `k` most above the mean of the three classes, earliest
    first among equals. One pass keeps the running best (sorting every key of a mention cost
    more than the prediction's arithmetic)."""
    best: list[tuple[str, float]] = []
    if not explain:
        return best
    floor = 0.0
    for name, w in zip(keys, weights, strict=True):
        push = w[k] - (w[0] + w[1] + w[2]) / 3
        if push > floor or (push > 0.0 and len(best) < explain):
            position = len(best)
            while position and best[position - 1][1] < push:
                position -= 1
            best.insert(position, (name, push))
            del best[explain:]
            if len(best) == explain:
                floor = best[-1][1]
    return best


@lru_cache(maxsize=1)
def load_model(path: Path = ARTIFACT) -> SentimentModel:
    """Load and cache the committed artifact (first call reads the file; later calls are free)."""
    with collector_paused():
        return SentimentModel(orjson.loads(path.read_bytes()))
