"""The sentiment model: a multinomial logistic regression over `features.extract` output.

The weights live in `model/sentiment.bin` inside the package (committed; rebuilt by
`make model`, i.e. `python -m mentionflow_tools.training.train`). Nothing is downloaded and no
embedding model runs here: word vectors were folded into per-token weights at training time.
Inference is a dict look-up and three additions per distinct feature key, so one core scores
tens of thousands of mentions per second. The artifact is loaded once, lazily, on first use
(`load_model`).

The artifact's format (`write_artifact` / `read_artifact`, its one implementation): a magic
line, a JSON header line (version, classes, bias, dense weights, the key block's length), the
feature keys as UTF-8 separated by newlines, then three little-endian int16 per key: the
sparse weights in thousandths of a logit, the precision training keeps. The same weights as
JSON were twice the size and loaded in 80 ms instead of 62 (`mentionflow classify` pays the
load on every run); building the table of ~133,000 keys is most of what remains.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import orjson

from mentionflow.classify.features import Features
from mentionflow.classify.native import PACKAGE_DIR
from mentionflow.heap import collector_paused

CLASSES = ("negative", "neutral", "positive")
ARTIFACT = PACKAGE_DIR / "model" / "sentiment.bin"  # the source directory, also when compiled
MAGIC = b"mentionflow sentiment model 1\n"
WEIGHT_SCALE = 1000  # sparse weights are stored and summed as integer thousandths of a logit


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
_Sparse = tuple[int, int, int]  # thousandths of a logit


class SentimentModel:
    """Weights + a pure `predict(features)`. Thread-safe: nothing mutates after __init__."""

    def __init__(self, header: Mapping, weights: dict[str, _Sparse]) -> None:
        self.version: str = header["version"]
        bias = header["bias"]
        self._bias: _Weights = (bias[0], bias[1], bias[2])
        self.dense: list[_Weights] = [(w[0], w[1], w[2]) for w in header["dense"]]
        self.weights = weights  # feature key -> its three sparse weights

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
        found_weights: list[_Sparse] = []
        t0 = t1 = t2 = 0
        for key in feats.keys:
            w = weights.get(key)
            if w is not None:
                t0 += w[0]
                t1 += w[1]
                t2 += w[2]
                if explain:
                    found.append(key)
                    found_weights.append(w)
        s0 += t0 / WEIGHT_SCALE
        s1 += t1 / WEIGHT_SCALE
        s2 += t2 / WEIGHT_SCALE
        top = max(s0, s1, s2)
        e0, e1, e2 = math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)
        total = e0 + e1 + e2
        k = 0 if s0 >= s1 and s0 >= s2 else 1 if s1 >= s2 else 2
        return Prediction((e0 / total, e1 / total, e2 / total), _strongest(found, found_weights, k, explain), k)


def _strongest(keys: list[str], weights: list[_Sparse], k: int, explain: int) -> list[tuple[str, float]]:
    """The `explain` keys pushing class `k` most above the mean of the three classes, earliest
    first among equals. One pass keeps the running best (sorting every key of a mention cost
    more than the prediction's arithmetic)."""
    if not explain:
        return []
    best: list[tuple[str, int]] = []  # pushes x3, in thousandths: integers, so ties are exact
    floor = 0
    for name, w in zip(keys, weights, strict=True):
        push = 3 * w[k] - (w[0] + w[1] + w[2])
        if push > floor or (push > 0 and len(best) < explain):
            position = len(best)
            while position and best[position - 1][1] < push:
                position -= 1
            best.insert(position, (name, push))
            del best[explain:]
            if len(best) == explain:
                floor = best[-1][1]
    return [(name, push / (3 * WEIGHT_SCALE)) for name, push in best]


def write_artifact(path: Path, header: Mapping, weights: Mapping[str, Sequence[float]]) -> None:
    """Write the model: `header` (version, classes, bias, dense_names, dense) and the sparse
    `weights` (key -> three logits, rounded here to thousandths)."""
    keys = list(weights)
    if any("\n" in key for key in keys):
        raise ValueError("a feature key contains a newline (keys are stored one per line)")
    key_block = "\n".join(keys).encode()
    values = array("h")
    for key in keys:
        row = weights[key]
        if len(row) != 3:
            raise ValueError(f"key {key!r} has {len(row)} weights, not 3")
        for v in row:
            scaled = round(v * WEIGHT_SCALE)
            if not -32768 <= scaled <= 32767:
                raise ValueError(f"weight {v} of {key!r} is out of the stored range (|w| < 32.7)")
            values.append(scaled)
    if sys.byteorder == "big":
        values.byteswap()
    meta = {**header, "keys": len(keys), "key_bytes": len(key_block)}
    path.write_bytes(MAGIC + orjson.dumps(meta) + b"\n" + key_block + values.tobytes())


def read_artifact(path: Path) -> SentimentModel:
    """The model `write_artifact` wrote; ValueError for anything else or a damaged file."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError(f"{path} is not a mentionflow sentiment model (bad magic line)")
    header_end = data.index(b"\n", len(MAGIC))
    header = orjson.loads(data[len(MAGIC) : header_end])
    keys_start = header_end + 1
    keys_end = keys_start + header["key_bytes"]
    keys = data[keys_start:keys_end].decode().split("\n") if header["keys"] else []
    values = array("h")
    values.frombytes(data[keys_end:])
    if sys.byteorder == "big":
        values.byteswap()
    if len(keys) != header["keys"] or len(values) != 3 * len(keys):
        raise ValueError(f"{path} is truncated or corrupt: {len(keys)} keys, {len(values)} weights")
    weights = dict(zip(keys, zip(values[0::3], values[1::3], values[2::3], strict=True), strict=True))
    return SentimentModel(header, weights)


@lru_cache(maxsize=1)
def load_model(path: Path = ARTIFACT) -> SentimentModel:
    """Load and cache the committed artifact (first call reads the file; later calls are free)."""
    with collector_paused():
        return read_artifact(path)
