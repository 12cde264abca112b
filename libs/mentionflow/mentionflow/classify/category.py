"""The learned category layer: one binary logistic model per decision (crisis, complaint,
praise, is_question) over cheap features of what `analyse` has already computed.

Features (names are part of the artifact format; `features` builds them, for training and
inference alike):
  - the distinct tokens; within 3 tokens after a negator, "n:<token>" instead,
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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import orjson

from mentionflow.classify.lexicon import NEGATION_STOPS, NEGATORS

DECISIONS = ("crisis", "complaint", "praise", "is_question")
ARTIFACT = Path(__file__).with_name("model") / "category.json"
_NEGATION_REACH = 3
_SKIPPED_OPENING = frozenset({"@user", "<url>", "."})
_EVIDENCE = 2  # features named in a fired decision's reason


def _fifth(p: float) -> str:
    return "01234"[min(4, int(p * 5))]


def features(
    tokens: list[str],
    text: str,
    rule_names: Sequence[str],
    probabilities: tuple[float, float, float],
    sentiment: str,
    lexicon_polarity: tuple[bool, bool],
    lang: str,
) -> list[str]:
    """The feature names of one mention (distinct, stable order)."""
    if NEGATORS.isdisjoint(tokens):
        out = list(dict.fromkeys(tokens))
    else:
        out = []
        negated_for = 0
        for tok in tokens:
            if tok in NEGATION_STOPS:
                negated_for = 0
            if negated_for:
                negated_for -= 1
                out.append("n:" + tok)
            else:
                out.append(tok)
            if tok in NEGATORS:
                negated_for = _NEGATION_REACH
        out = list(dict.fromkeys(out))
    mood = "s:" + sentiment
    for name in rule_names:
        out += ("r:" + name, mood + "|r:" + name)
    p_neg, _, p_pos = probabilities
    out += (mood, "pn:" + _fifth(p_neg), "pp:" + _fifth(p_pos), "lang:" + lang)
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


@dataclass(frozen=True, slots=True)
class Decisions:
    """The four decisions of one mention: probabilities, verdicts and what weighed most."""

    probabilities: tuple[float, float, float, float]  # in DECISIONS order
    fired: tuple[bool, bool, bool, bool]  # probability >= the decision's threshold
    evidence: tuple[tuple[str, ...], ...]  # per decision, its strongest features if it fired

    def probability(self, decision: str) -> float:
        return self.probabilities[DECISIONS.index(decision)]

    def says(self, decision: str) -> bool:
        return self.fired[DECISIONS.index(decision)]

    def reason(self, decision: str) -> str:
        """"complaint:model(0.81):refund,still": the model, its probability and evidence."""
        k = DECISIONS.index(decision)
        return f"{decision}:model({self.probabilities[k]:.2f}):{','.join(self.evidence[k])}"


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
        self._bias: tuple[float, ...] = tuple(artifact["bias"])
        self.thresholds: tuple[float, ...] = tuple(artifact["thresholds"])
        self._weights: dict[str, Sequence[float]] = artifact["weights"]

    def decide(self, names: list[str]) -> Decisions:
        weights = self._weights
        s0, s1, s2, s3 = self._bias
        used: list[tuple[str, Sequence[float]]] = []
        for name in names:
            w = weights.get(name)
            if w is not None:
                s0 += w[0]
                s1 += w[1]
                s2 += w[2]
                s3 += w[3]
                used.append((name, w))
        probs = (_sigmoid(s0), _sigmoid(s1), _sigmoid(s2), _sigmoid(s3))
        t = self.thresholds
        fired = (probs[0] >= t[0], probs[1] >= t[1], probs[2] >= t[2], probs[3] >= t[3])
        evidence = tuple(_strongest(used, k) if fired[k] else () for k in range(4))
        return Decisions(probs, fired, evidence)


def _strongest(used: list[tuple[str, Sequence[float]]], k: int) -> tuple[str, ...]:
    """The features that pushed decision k up the most, strongest first (earliest on ties)."""
    pushing = [(w[k], i, name) for i, (name, w) in enumerate(used) if w[k] > 0]
    pushing.sort(key=lambda item: (-item[0], item[1]))
    return tuple(name for _, _, name in pushing[:_EVIDENCE])


@lru_cache(maxsize=1)
def load_category_model(path: Path = ARTIFACT) -> CategoryModel:
    """Load and cache the committed artifact (first call reads the file; later calls are free)."""
    return CategoryModel(orjson.loads(path.read_bytes()))
