"""Per-brand adapters: what one brand's corrections teach the shared classifier.

An adapter holds, for each decision (category, sentiment), a bias per label and sparse
per-token weight deltas. Applied on top of the shared model's decision, the score of a label is

    base(label) + BIAS_FEATURE * bias(label) + sum of weight(token, label) over the text's tokens

The best score wins; a tie keeps the shared model's label, so an empty adapter changes nothing.

`base` is the shared model's own view, so that corrections flip its uncertain decisions first:
- sentiment: minus SCORE_SCALE times the distance of the shared `sentiment_score` (in [-1, 1])
  from the label's anchor (-1, 0, +1), the shared label lifted to the best of them (the score
  and the label can disagree a little: a 0.4 / 0.35 / 0.25 split is "negative" at -0.15);
- category: BASE_SCORE for the shared label, 0 for the others (the classifier decides the
  category by rules over its models, so it has no per-label category scores; `base_scores`
  is the one place to change when it has).

Learning is online, one labels.corrected event at a time, with a passive-aggressive (PA-I)
update: when the corrected label does not beat every other label by MARGIN, the weights of
the text's tokens and the bias move towards the corrected label and away from its strongest
rival, just enough to reach the margin (at most AGGRESSIVENESS per feature and event). The
applied weights are the *average* of the weights after each event (an averaged perceptron):
only mistakes are corrected, and the raw weights of such a stream swing with every single
correction of a frequent word ("apple", "rt"); their average does not.
The rival starts from the label the mention carried (the event's `old_*`). The sentiment base
a correction learns against is the shared model's on the event's text, computed again when the
event is folded (`analyse(text, lang=language)`: the same function, so the same view as when
applying): an adapter is therefore relative to the shared model's version, and rebuilding
it from the topic after a model change re-learns the corrections against the new model. The
category base is the event's `old_category` (the service's category also depends on the author
and the brand's profile, which the event does not carry).

Beside the weights, an adapter remembers its latest corrected texts: a mention whose token set
is at least LIKE_JACCARD similar to a remembered one (brand tweets repeat: retweets, templates,
copies) takes that correction's labels outright (a crisis still is never demoted), with
"adapter:like-correction:<id>" in its reasons. Candidates are found by shared keys (the
text's LIKE_KEYS tokens of smallest hash, a bottom-k MinHash; a key of more than LIKE_CROWDED
texts is skipped), so a look-up reads a few short lists, not the whole memory.

Contracts:
- Pure and deterministic: the same events in the same order give equal adapters and
  byte-identical results on every replica and after every rebuild (with the same shared model).
- Isolation: an event changes only its own brand's adapter; a brand without an adapter gets
  the shared result back unchanged (the very object).
- Bounded: at most `max_tokens` token entries and `max_remembered` texts per brand; the least
  recently updated entry, the oldest text, is evicted first.
- A crisis decided by the rules is never demoted by an adapter (a brand's corrections must
  not teach the pager to stay quiet); a correction *to* crisis is learned like any other.
- `model_version` of an adapted result is `<shared version>+<brand>:<adapter version>`, the
  adapter version counting the brand's events folded so far (a reset counts too).
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mentionflow.classify.tokenize import tokenize

if TYPE_CHECKING:
    from mentionflow.classify.classifier import Result
    from mentionflow.events.envelope import Envelope
    from mentionflow.events.labels_corrected import LabelCorrected

LABELS: dict[str, tuple[str, ...]] = {
    "category": ("question", "complaint", "crisis", "praise", "other"),
    "sentiment": ("negative", "neutral", "positive"),
}
SENTIMENT_ANCHORS = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
# Chosen with the simulation of `mentionflow classify-eval --corrections N` (N = 50, 100, 200)
# on the other targets of brand_sentiment_en (iPad, Google, "iPad or iPhone App", iPhone,
# "Other Google product or service", "(none)"), each over the set's order and two shuffles of
# it; the figure is the mean macro-F1 gain over targets, N and orders (Apple, the target the
# shared model never saw, was only read afterwards):
#   one-hot base (1 for the shared label), raw weights (the previous adapter):  +0.003
#   averaged over the events before the latest only (a first try):
#     one-hot base +0.024; base = the shared probabilities x1 / x2: +0.048 / +0.041;
#     score base, SCORE_SCALE 0.5 / 1 / 2: +0.059 / +0.054 / +0.048
#   averaged with the latest (as below), score base, SCORE_SCALE 0.25 / 0.35 / 0.5:
#                                                                      +0.056 / +0.059 / +0.061
#   ...with SCORE_SCALE 0.5: MARGIN 0.1 / 0.25 / 0.5:                  +0.054 / +0.061 / +0.057
#   ...AGGRESSIVENESS 0.01 / 0.02 / 0.05:                              +0.062 / +0.064 / +0.061
#   ...BIAS_FEATURE 0 / 0.5 / 1 (AGGRESSIVENESS 0.05):                 +0.063 / +0.061 / +0.060
#   ...AGGRESSIVENESS 0.02, remembered corrections LIKE_JACCARD 0.5 / 0.6 / 0.7 / none:
#                                                             +0.065 / +0.068 / +0.066 / +0.064
#   ...LIKE_JACCARD 0.6, AGGRESSIVENESS 0.03: +0.066; LIKE_KEYS 2 / 4 / 8 (4 finds what a
#      full scan finds): +0.068 / +0.068 / +0.068; LIKE_CROWDED 16 / 32 / none: +0.067 / +0.068
#      / +0.068 (the cap took a look-up on Apple from 45 to 15 µs: one key, a frequent word's,
#      held 84 of 105 remembered texts)
# PA steps are scale-free: only MARGIN and AGGRESSIVENESS relative to the base's scale matter.
# The category has no labelled brand set: BASE_SCORE 0.5 keeps the pace of the previous
# adapter under the smaller, averaged steps (three corrections of a kind of mention, e.g.
# "@brand your van parked on our street ...", change how its like is filed).
BASE_SCORE = 0.5
SCORE_SCALE = 0.5
BIAS_FEATURE = 0.5
MARGIN = 0.25
AGGRESSIVENESS = 0.02
LIKE_JACCARD = 0.6
LIKE_MIN_TOKENS = 3  # "@brand thanks": too short to call anything a copy of it
LIKE_KEYS = 4
LIKE_CROWDED = 32  # a key shared by more texts is a frequent word's: found through their other keys
DEFAULT_MAX_TOKENS = 5_000  # per brand: about 2 MB at most; 200 corrections fill about half
DEFAULT_MAX_REMEMBERED = 1_000  # per brand: texts of 30 tokens or so, about 1 MB
MAX_REASONS = 12
MAX_MODEL_VERSION = 64  # Classification.model_version's limit


def features(text: str) -> list[str]:
    """The tokens an adapter learns from and scores with: distinct, in first-seen order (a
    fixed order keeps the float sums, hence the results, identical on every replica)."""
    return list(dict.fromkeys(tokenize(text)))


def base_scores(decision: str, chosen: str, sentiment_score: float | None = None) -> dict[str, float]:
    """The shared model's per-label scores for one decision, as the adapter sees them (see the
    module docstring); `chosen` is the shared label, always at the top."""
    if decision == "sentiment" and sentiment_score is not None:
        scores = {label: -SCORE_SCALE * abs(sentiment_score - anchor) for label, anchor in SENTIMENT_ANCHORS.items()}
        scores[chosen] = max(scores.values())
        return scores
    return {label: BASE_SCORE if label == chosen else 0.0 for label in LABELS[decision]}


def like_keys(tokens: frozenset[str]) -> list[int]:
    """The LIKE_KEYS smallest token hashes: two texts with a high Jaccard similarity are likely
    to share one (the chance that the smallest hashes agree is the similarity itself)."""
    return sorted(zlib.crc32(t.encode()) for t in tokens)[:LIKE_KEYS]


@dataclass(frozen=True, slots=True)
class Remembered:
    """One corrected text and the labels it was given."""

    correction_id: str
    sequence: int  # the adapter's corrections count when remembered: the latest wins a tie
    tokens: frozenset[str]
    keys: tuple[int, ...]
    labels: dict[str, str]  # decision -> corrected label


@dataclass
class BrandAdapter:
    """One brand's learned deltas. Mutated only by `learn`, `remember` and `reset`."""

    brand_id: str
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_remembered: int = DEFAULT_MAX_REMEMBERED
    version: int = 0
    corrections: int = 0
    resets: int = 0
    steps: int = 0  # corrections folded since the last reset: the averaging's denominator
    # Per decision, label -> [weight, sum]: `sum` adds each update times the number of steps
    # before it, so that the average of the weights after each step is weight - sum / steps.
    bias: dict[str, dict[str, list[float]]] = field(default_factory=lambda: {d: {} for d in LABELS})
    # (decision, token) -> label -> [weight, sum]; insertion order = least recently updated first.
    weights: OrderedDict[tuple[str, str], dict[str, list[float]]] = field(default_factory=OrderedDict)
    remembered: OrderedDict[str, Remembered] = field(default_factory=OrderedDict)  # oldest first
    keyed: dict[int, list[str]] = field(default_factory=dict)  # like key -> correction ids

    def scores(self, decision: str, tokens: list[str], base: dict[str, float], *,
               averaged: bool = True) -> dict[str, float]:
        """`base` plus the adapter's deltas: averaged (applying) or the raw ones (learning)."""
        weight = dict.fromkeys(base, 0.0)
        total = dict.fromkeys(base, 0.0)
        for label, (w, s) in self.bias[decision].items():
            weight[label] += BIAS_FEATURE * w
            total[label] += BIAS_FEATURE * s
        rows = self.weights
        for token in tokens:
            row = rows.get((decision, token))
            if row is not None:
                for label, (w, s) in row.items():
                    weight[label] += w
                    total[label] += s
        if averaged and self.steps:
            return {label: base[label] + weight[label] - total[label] / self.steps for label in base}
        return {label: base[label] + weight[label] for label in base}

    def decide(self, decision: str, tokens: list[str], base: dict[str, float], chosen: str) -> str:
        scores = self.scores(decision, tokens, base)
        best = chosen
        for label in LABELS[decision]:
            if scores[label] > scores[best]:
                best = label
        return best

    def learn(self, decision: str, tokens: list[str], base: dict[str, float], old: str, new: str) -> None:
        """One PA-I step towards `new` for a text whose shared view is `base` and whose label
        was `old`. Call once per decision of an event, after `steps` counted the event."""
        scores = self.scores(decision, tokens, base, averaged=False)
        rival = old if old != new else None
        for label in LABELS[decision]:
            if label != new and (rival is None or scores[label] > scores[rival]):
                rival = label
        assert rival is not None
        loss = MARGIN - (scores[new] - scores[rival])
        if loss <= 0:
            return
        step = min(AGGRESSIVENESS, loss / (2 * (BIAS_FEATURE**2 + len(tokens))))
        before = self.steps - 1  # the steps this update was absent from
        _move(self.bias[decision], new, rival, step * BIAS_FEATURE, before)
        weights = self.weights
        for token in tokens:
            key = (decision, token)
            row = weights.get(key)
            if row is None:
                row = weights[key] = {}
                if len(weights) > self.max_tokens:
                    weights.popitem(last=False)
            else:
                weights.move_to_end(key)
            _move(row, new, rival, step, before)

    def remember(self, correction_id: str, tokens: list[str], labels: dict[str, str]) -> None:
        distinct = frozenset(tokens)
        if len(distinct) < LIKE_MIN_TOKENS:
            return
        self._forget(correction_id)
        entry = Remembered(correction_id, self.corrections, distinct, tuple(like_keys(distinct)), labels)
        self.remembered[correction_id] = entry
        for key in entry.keys:
            self.keyed.setdefault(key, []).append(correction_id)
        if len(self.remembered) > self.max_remembered:
            self._forget(next(iter(self.remembered)))

    def _forget(self, correction_id: str) -> None:
        entry = self.remembered.pop(correction_id, None)
        if entry is None:
            return
        for key in entry.keys:
            ids = self.keyed[key]
            ids.remove(correction_id)
            if not ids:
                del self.keyed[key]

    def like(self, tokens: list[str]) -> Remembered | None:
        """The remembered correction most like `tokens` (the latest among equals), if any is at
        least LIKE_JACCARD similar."""
        distinct = frozenset(tokens)
        if len(distinct) < LIKE_MIN_TOKENS or not self.remembered:
            return None
        best: Remembered | None = None
        best_rank = (LIKE_JACCARD, -1)
        # A similarity of LIKE_JACCARD needs a size within [size * LIKE_JACCARD, size / LIKE_JACCARD].
        size = len(distinct)
        smallest, largest = size * LIKE_JACCARD, size / LIKE_JACCARD
        for key in like_keys(distinct):
            ids = self.keyed.get(key, ())
            if len(ids) > LIKE_CROWDED:
                continue
            for correction_id in ids:
                entry = self.remembered[correction_id]
                if not smallest <= len(entry.tokens) <= largest:
                    continue
                shared = len(distinct & entry.tokens)
                rank = (shared / (len(distinct) + len(entry.tokens) - shared), entry.sequence)
                if rank > best_rank:
                    best, best_rank = entry, rank
        return best

    def reset(self) -> None:
        self.steps = 0
        self.bias = {d: {} for d in LABELS}
        self.weights = OrderedDict()
        self.remembered = OrderedDict()
        self.keyed = {}

    def model_version(self, shared: str) -> str:
        tagged = f"{shared}+{self.brand_id}:{self.version}"
        if len(tagged) <= MAX_MODEL_VERSION:
            return tagged
        short = f"+{zlib.crc32(self.brand_id.encode()):08x}:{self.version}"
        return shared[: MAX_MODEL_VERSION - len(short)] + short

    def adapt(self, text: str, result: Result) -> Result:
        tokens = features(text)
        like = self.like(tokens)
        known = like.labels if like is not None else {}
        sentiment = known.get("sentiment") or self.decide(
            "sentiment", tokens, base_scores("sentiment", result.sentiment, result.sentiment_score), result.sentiment)
        category = result.category
        if category != "crisis":
            category = known.get("category") or self.decide(
                "category", tokens, base_scores("category", category), category)
        changed = []
        if category != result.category:
            changed.append(f"adapter:category:{result.category}->{category}")
        if sentiment != result.sentiment:
            changed.append(f"adapter:sentiment:{result.sentiment}->{sentiment}")
        if changed and like is not None:
            changed.append(f"adapter:like-correction:{like.correction_id}")
        return result._replace(
            category=category,
            sentiment=sentiment,
            reasons=[*changed, *result.reasons][:MAX_REASONS] if changed else result.reasons,
            model_version=self.model_version(result.model_version),
        )

    def summary(self, top: int = 10) -> dict[str, Any]:
        """What `mentionflow model adapters show` prints: sizes, biases, strongest tokens (the
        averaged values, the ones applied)."""
        steps = self.steps or 1
        strongest: dict[str, list[tuple[str, str, float]]] = {d: [] for d in LABELS}
        for (decision, token), row in self.weights.items():
            for label, (w, s) in row.items():
                strongest[decision].append((token, label, w - s / steps))
        return {
            "brand_id": self.brand_id,
            "version": self.version,
            "corrections": self.corrections,
            "resets": self.resets,
            "tokens": len(self.weights),
            "max_tokens": self.max_tokens,
            "remembered": len(self.remembered),
            "max_remembered": self.max_remembered,
            "bias": {d: {k: round(w - s / steps, 4) for k, (w, s) in sorted(b.items())}
                     for d, b in self.bias.items()},
            "strongest": {
                d: [{"token": t, "label": lab, "weight": round(w, 4)}
                    for t, lab, w in sorted(rows, key=lambda r: (-r[2], r[0], r[1]))[:top]]
                for d, rows in strongest.items()
            },
        }


def _move(row: dict[str, list[float]], towards: str, away: str, amount: float, before: int) -> None:
    for label, delta in ((towards, amount), (away, -amount)):
        cell = row.get(label)
        if cell is None:
            cell = row[label] = [0.0, 0.0]
        cell[0] += delta
        cell[1] += before * delta


def refusal(envelope: Envelope[Any]) -> str | None:
    """Why a decoded labels.corrected event cannot be folded (None: it can). Beyond what the
    schema checks: the payload's brand must be the envelope's (the key the topic is ordered by)."""
    payload = envelope.payload
    if payload.brand_id != envelope.brand_id:
        return f"payload.brand_id {payload.brand_id!r} differs from the envelope's brand_id {envelope.brand_id!r}"
    return None


def shared_view(text: str, language: str | None) -> Result:
    """The shared model's result on a corrected text, as `analyse` gives it when applying."""
    from mentionflow.classify.classifier import analyse  # the models load on first use only

    return analyse(text, lang=language)


class Adapters:
    """Every brand's adapter, built by folding labels.corrected events in topic order."""

    def __init__(self, *, max_tokens: int = DEFAULT_MAX_TOKENS, max_remembered: int = DEFAULT_MAX_REMEMBERED) -> None:
        self.max_tokens = max_tokens
        self.max_remembered = max_remembered
        self.brands: dict[str, BrandAdapter] = {}

    def adapter(self, brand_id: str) -> BrandAdapter | None:
        return self.brands.get(brand_id)

    def fold(self, correction: LabelCorrected) -> BrandAdapter:
        """Apply one (valid) event to its brand's adapter and return that adapter."""
        brand_id = correction.brand_id
        adapter = self.brands.get(brand_id)
        if adapter is None:
            adapter = self.brands[brand_id] = BrandAdapter(brand_id, self.max_tokens, self.max_remembered)
        adapter.version += 1
        if correction.kind == "reset":
            adapter.resets += 1
            adapter.reset()
            return adapter
        adapter.corrections += 1
        adapter.steps += 1
        assert correction.text is not None  # the schema requires it for a correction
        tokens = features(correction.text)
        labels: dict[str, str] = {}
        if correction.new_category is not None:
            old = correction.old_category or correction.new_category
            adapter.learn("category", tokens, base_scores("category", old), old, correction.new_category)
            labels["category"] = correction.new_category
        if correction.new_sentiment is not None:
            shared = shared_view(correction.text, correction.language)
            adapter.learn("sentiment", tokens, base_scores("sentiment", shared.sentiment, shared.sentiment_score),
                          correction.old_sentiment or correction.new_sentiment, correction.new_sentiment)
            labels["sentiment"] = correction.new_sentiment
        adapter.remember(correction.correction_id, tokens, labels)
        return adapter

    def fold_envelope(self, envelope: Envelope[Any]) -> str | None:
        """`fold` the envelope's payload unless `refusal` names a reason (returned; nothing changes)."""
        reason = refusal(envelope)
        if reason is None:
            self.fold(envelope.payload)
        return reason

    def adapt(self, brand_id: str, text: str, result: Result) -> Result:
        """`result` with the brand's adapter applied; the same object for a brand without one."""
        adapter = self.brands.get(brand_id)
        if adapter is None:
            return result
        return adapter.adapt(text, result)
