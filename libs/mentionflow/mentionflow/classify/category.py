"""The learned category layer: one binary logistic model per decision (crisis, complaint,
praise, is_question) over cheap features of what `analyse` has already computed.

Features (names are part of the artifact format; `features` builds them, for training and
inference alike):
  - the sentiment pass's keys (`features.extract`): the distinct tokens, "n:<token>" within
    a negation's reach,
  - "r:<rule>" for every rule that fired in `rules.scan` and `rules.question_hits`
    ("r:complaint", "r:crisis:safety", "r:question:mark", ...),
  - the sentiment: "s:<label>" and the probabilities in fifths ("pn:<0-4>", "pp:<0-4>"),
    "lex+" / "lex-" when a lexicon word (emoji included) of that polarity fired,
  - the opening: "f:<first token>" and "f2:<first two tokens>" (handles skipped: "how",
    "can i", "est-ce"...),
  - "?" and "!": "q:<count>" (0, 1, 2+), "q:end" when the text ends with one, "x:<count>",
    "?!" when both,
  - crosses of the sentiment label with each rule hit ("s:negative|r:complaint") and with
    "addr" (the text opens with a handle: addressed to the brand) ; "@end" (a handle last),
    "lex+-" (lexicon words of both polarities: sarcasm, praise with a complaint),
  - '"' present (a quoted headline or a scare quote): "quote"; "lang:<language>".
No bigrams over all tokens: each costs a look-up and they added nothing measured here.

Scoring is one dict look-up per feature: the artifact maps feature -> the 4 weights (one per
decision), so the four models are scored in the same pass. The artifact
(`model/category.json`, rebuilt by `python -m mentionflow_tools.training.train_category`) is
read once, lazily, on first use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from pathlib import Path

import orjson

from mentionflow.classify.native import PACKAGE_DIR
from mentionflow.heap import collector_paused

DECISIONS = ("crisis", "complaint", "praise", "is_question")
ARTIFACT = PACKAGE_DIR / "model" / "category.json"  # the source directory, also when compiled
_SKIPPED_OPENING = frozenset({"@user", "<url>", "."})
_EVIDENCE = 2  # features named in a fired decision's reason
_STRONG_QUANTILE = 0.9
_UNREADABLE = ("s:", "pn:", "pp:", "lang:", "q:", "x:", "addr", "@end", "lex+", "lex-")
_READABLE = frozenset({"q:end"})


# The sentiment probabilities in fifths: "pn:0" is P(negative) < 0.2, ... "pn:4" >= 0.8.
_NEG_FIFTHS = tuple(f"pn:{i}" for i in range(5))
_POS_FIFTHS = tuple(f"pp:{i}" for i in range(5))
_INDEX = {decision: k for k, decision in enumerate(DECISIONS)}


def features(
    keys: dict[str, None],
    tokens: list[str],
    text: str,
    rule_names: Sequence[str],
    probabilities: tuple[float, float, float],
    sentiment: str,
    lexicon_polarity: tuple[bool, bool],
    lang: str,
) -> list[str]:
    """The feature names of one mention (distinct, stable order)."""
    out = list(keys)  # the sentiment pass's keys: tokens, "n:" ones in a negation's reach
    mood = "s:" + sentiment
    for name in rule_names:
        out += ("r:" + name, mood + "|r:" + name)
    p_neg, _, p_pos = probabilities
    out += (mood, _NEG_FIFTHS[min(4, int(p_neg * 5))], _POS_FIFTHS[min(4, int(p_pos * 5))], "lang:" + lang)
    lex_pos, lex_neg = lexicon_polarity
    if lex_pos:
        out.append("lex+")
        if lex_neg:
            out.append("lex+-")  # both polarities: sarcasm, praise with a complaint
    elif lex_neg:
        out.append("lex-")
    if tokens and tokens[0] == "@user":
        # Addressed to someone (the brand, usually): a request; "... @brand" at the end or in
        # the middle is more often talk about the brand ("I hate Mondays @brand").
        out += ("addr", mood + "|addr")
    elif tokens and tokens[-1] == "@user":
        out.append("@end")
    opening = [t for t in tokens[:6] if t not in _SKIPPED_OPENING][:2]
    if opening:
        out.append("f:" + opening[0])
        if len(opening) == 2:
            out.append("f2:" + opening[0] + " " + opening[1])
    questions = text.count("?")
    out.append("q:" + ("0" if not questions else "1" if questions == 1 else "2"))
    if questions and text.rstrip().endswith("?"):
        out.append("q:end")
    bangs = text.count("!")
    out.append("x:" + ("0" if not bangs else "1" if bangs == 1 else "2"))
    if questions and bangs:
        out.append("?!")  # "why me?!": rhetorical or furious more than asking
    if '"' in text or "“" in text or "«" in text:
        out.append("quote")
    return out


# The four weights of a feature are packed into one Python int, 40 bits a decision in fixed
# point, so that scoring is one C-level sum over the mention's features (`decide`) instead of
# four float additions each: sums of packed ints are the packed sums, and each decision's sum
# stays far inside its 40 bits. Measured: the float loop cost ~9 us a mention, this ~2 us.
_LANE_BITS = 40  # `decide` shifts by 40, 80, 120
_FIXED = 1 << 20  # 1e-6 resolution; weights are stored rounded to 1e-3 anyway
_LANE_MASK = (1 << _LANE_BITS) - 1
# Added to every lane of the bias: each decision's sum then lies in [0, 2**40) (its weights
# would need to add up beyond +-2**18 to leave it), so the lanes read back by shift and mask.
_LANE_OFFSET = 1 << (_LANE_BITS - 1)


def _pack(weights: Sequence[float], offset: int = 0) -> int:
    return sum((round(w * _FIXED) + offset) << (_LANE_BITS * k) for k, w in enumerate(weights))


class Decisions:
    """The four decisions of one mention: verdicts, and on demand their probabilities and why.

    Probabilities are computed when asked (the classifier asks for one or two): the verdicts
    compare the logits with the thresholds' logits."""

    __slots__ = ("logits", "fired", "names", "model")

    def __init__(self, logits: tuple[float, float, float, float], fired: tuple[bool, bool, bool, bool],
                 names: list[str], model: CategoryModel) -> None:
        self.logits = logits  # in DECISIONS order
        self.fired = fired  # probability >= the decision's threshold
        self.names = names  # the mention's features
        self.model = model  # whose weights `evidence` reads

    @property
    def probabilities(self) -> tuple[float, ...]:
        return tuple(_sigmoid(z) for z in self.logits)

    def probability(self, decision: str) -> float:
        return _sigmoid(self.logits[_INDEX[decision]])

    def highest_probability(self) -> float:
        return _sigmoid(max(self.logits))

    def says(self, decision: str) -> bool:
        return self.fired[_INDEX[decision]]

    def evidence(self, decision: str) -> list[str]:
        """The features that pushed `decision` up the most, strongest first (earliest on ties)."""
        lane = self.model.lanes[_INDEX[decision]]
        pushing = lane.keys() & self.names  # few: the strong features only
        # Strongest first; by name on ties (a set has no order of its own).
        return [name for _, name in sorted((-lane[name], name) for name in pushing)][:_EVIDENCE]

    def reason(self, decision: str) -> str:
        """"complaint:model(0.81):refund,still": the model, its probability and its strongest
        evidence ("complaint:model(0.55)" when no feature of the mention is among its strong ones)."""
        evidence = self.evidence(decision)
        probability = f"{decision}:model({self.probability(decision):.2f})"
        return f"{probability}:{','.join(evidence)}" if evidence else probability


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class CategoryModel:
    """Weights + thresholds; `decide(features)` is pure. Nothing mutates after __init__."""

    def __init__(self, artifact: dict) -> None:
        if tuple(artifact["decisions"]) != DECISIONS:
            raise ValueError(f"category artifact decides {artifact['decisions']}, expected {DECISIONS}")
        self.version: str = artifact["version"]
        self.thresholds: tuple[float, ...] = tuple(artifact["thresholds"])
        # p >= t  <=>  logit >= log(t / (1 - t)): the verdicts need no sigmoid.
        self._threshold_logits = tuple(math.log(t / (1 - t)) for t in self.thresholds)
        weights: dict[str, list[float]] = artifact["weights"]
        self._bias = _pack(artifact["bias"], _LANE_OFFSET)
        self._packed = {name: _pack(w) for name, w in weights.items()}
        # Per decision, the readable features that push it up the most (its top decile of
        # positive weights): what `Decisions.evidence` names. Few, so the look-up is cheap.
        self.lanes = tuple(_strong(weights, k) for k in range(len(DECISIONS)))

    def decide(self, names: list[str]) -> Decisions:
        total = self._bias + sum(map(self._packed.get, names, repeat(0)))
        mask, offset, fixed = _LANE_MASK, _LANE_OFFSET, _FIXED
        z = (
            ((total & mask) - offset) / fixed,
            (((total >> 40) & mask) - offset) / fixed,
            (((total >> 80) & mask) - offset) / fixed,
            (((total >> 120) & mask) - offset) / fixed,
        )
        t = self._threshold_logits
        return Decisions(z, (z[0] >= t[0], z[1] >= t[1], z[2] >= t[2], z[3] >= t[3]), names, self)


def _readable(name: str) -> bool:
    """Whether a feature means something to a CM reading reasons: words, rule hits, openings,
    "q:end", "quote", "?!"; not the sentiment buckets, counts, language nor crosses."""
    return name in _READABLE or not name.startswith(_UNREADABLE)


def _strong(weights: dict[str, list[float]], k: int) -> dict[str, float]:
    positive = sorted(w[k] for name, w in weights.items() if w[k] > 0 and _readable(name))
    if not positive:
        return {}
    floor = positive[int(len(positive) * _STRONG_QUANTILE)]
    return {name: w[k] for name, w in weights.items() if w[k] >= floor and _readable(name)}


@lru_cache(maxsize=1)
def load_category_model(path: Path = ARTIFACT) -> CategoryModel:
    """Load and cache the committed artifact (first call reads the file; later calls are free)."""
    with collector_paused():
        return CategoryModel(orjson.loads(path.read_bytes()))
