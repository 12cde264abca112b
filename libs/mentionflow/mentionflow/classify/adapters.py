"""Per-brand adapters: what one brand's corrections teach the shared classifier.

An adapter holds, for each decision (category, sentiment), a bias per label and sparse
per-token weight deltas. Applied on top of the shared model's decision, the score of a label is

    base(label) + BIAS_FEATURE * bias(label) + sum of weight(token, label) over the text's tokens

where base is BASE_SCORE for the label the shared model chose and 0 for the others (the
classifier decides the category by rules over the sentiment model, so it has no per-label
category scores; `base_scores` is the one place to change when it has). The best score wins;
a tie keeps the shared model's label.

Learning is online, one labels.corrected event at a time, with a passive-aggressive (PA-I)
update: when the corrected label does not beat every other label by MARGIN, the weights of
the text's tokens and the bias move towards the corrected label and away from its strongest
rival, just enough to reach the margin (at most AGGRESSIVENESS per feature and event). The
label a correction starts from is the one the mention carried (the event's `old_*`), so an
adapter is rebuilt from its events alone: no model, no look-up, no re-classification.

Contracts:
- Pure and deterministic: the same events in the same order give equal adapters and
  byte-identical results on every replica and after every rebuild.
- Isolation: an event changes only its own brand's adapter; a brand without an adapter gets
  the shared result back unchanged (the very object).
- Bounded: at most `max_tokens` token entries per brand; the least recently updated entry is
  evicted first.
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
# Chosen with `mentionflow classify-eval --corrections N` on several brand_sentiment_en targets
# and N from 50 to 400: a small AGGRESSIVENESS (each correction moves a token's weight by at
# most 0.05) keeps the gain from swinging with the noise of single labels; two or three
# corrections of a kind of mention are then enough to change how its like is classified.
BASE_SCORE = 1.0
BIAS_FEATURE = 0.5
MARGIN = 0.25
AGGRESSIVENESS = 0.05
DEFAULT_MAX_TOKENS = 5_000  # per brand: about 2 MB at most; 200 corrections fill about half
MAX_REASONS = 12
MAX_MODEL_VERSION = 64  # Classification.model_version's limit


def features(text: str) -> list[str]:
    """The tokens an adapter learns from and scores with: distinct, in first-seen order (a
    fixed order keeps the float sums, hence the results, identical on every replica)."""
    return list(dict.fromkeys(tokenize(text)))


def base_scores(decision: str, chosen: str) -> dict[str, float]:
    """The shared model's per-label scores for one decision, as the adapter sees them.

    BASE_SCORE for the chosen label, 0 for the others, when learning (an event names only the
    label the mention carried) and when applying alike: the same view on both sides is what
    makes a correction's margin hold on the corrected text."""
    return {label: BASE_SCORE if label == chosen else 0.0 for label in LABELS[decision]}


@dataclass
class BrandAdapter:
    """One brand's learned deltas. Mutated only by `learn` and `reset`."""

    brand_id: str
    max_tokens: int = DEFAULT_MAX_TOKENS
    version: int = 0
    corrections: int = 0
    resets: int = 0
    bias: dict[str, dict[str, float]] = field(default_factory=lambda: {d: {} for d in LABELS})
    # (decision, token) -> label -> weight; insertion order = least recently updated first.
    weights: OrderedDict[tuple[str, str], dict[str, float]] = field(default_factory=OrderedDict)

    def scores(self, decision: str, tokens: list[str], chosen: str) -> dict[str, float]:
        scores = base_scores(decision, chosen)
        for label, value in self.bias[decision].items():
            scores[label] += BIAS_FEATURE * value
        weights = self.weights
        for token in tokens:
            row = weights.get((decision, token))
            if row is not None:
                for label, value in row.items():
                    scores[label] += value
        return scores

    def decide(self, decision: str, tokens: list[str], chosen: str) -> str:
        scores = self.scores(decision, tokens, chosen)
        best = chosen
        for label in LABELS[decision]:
            if scores[label] > scores[best]:
                best = label
        return best

    def learn(self, decision: str, tokens: list[str], old: str, new: str) -> None:
        """One PA-I step towards `new` for a text whose shared label was `old`."""
        scores = self.scores(decision, tokens, old)
        rival = old if old != new else None
        for label in LABELS[decision]:
            if label != new and (rival is None or scores[label] > scores[rival]):
                rival = label
        assert rival is not None
        loss = MARGIN - (scores[new] - scores[rival])
        if loss <= 0:
            return
        step = min(AGGRESSIVENESS, loss / (2 * (BIAS_FEATURE**2 + len(tokens))))
        _move(self.bias[decision], new, rival, step * BIAS_FEATURE)
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
            _move(row, new, rival, step)

    def reset(self) -> None:
        self.bias = {d: {} for d in LABELS}
        self.weights = OrderedDict()

    def model_version(self, shared: str) -> str:
        tagged = f"{shared}+{self.brand_id}:{self.version}"
        if len(tagged) <= MAX_MODEL_VERSION:
            return tagged
        short = f"+{zlib.crc32(self.brand_id.encode()):08x}:{self.version}"
        return shared[: MAX_MODEL_VERSION - len(short)] + short

    def adapt(self, text: str, result: Result) -> Result:
        tokens = features(text)
        sentiment = self.decide("sentiment", tokens, result.sentiment)
        category = result.category if result.category == "crisis" else self.decide("category", tokens, result.category)
        changed = []
        if category != result.category:
            changed.append(f"adapter:category:{result.category}->{category}")
        if sentiment != result.sentiment:
            changed.append(f"adapter:sentiment:{result.sentiment}->{sentiment}")
        return result._replace(
            category=category,
            sentiment=sentiment,
            reasons=[*changed, *result.reasons][:MAX_REASONS] if changed else result.reasons,
            model_version=self.model_version(result.model_version),
        )

    def summary(self, top: int = 10) -> dict[str, Any]:
        """What `mentionflow model adapters show` prints: sizes, biases, strongest tokens."""
        strongest: dict[str, list[tuple[str, str, float]]] = {d: [] for d in LABELS}
        for (decision, token), row in self.weights.items():
            for label, value in row.items():
                strongest[decision].append((token, label, value))
        return {
            "brand_id": self.brand_id,
            "version": self.version,
            "corrections": self.corrections,
            "resets": self.resets,
            "tokens": len(self.weights),
            "max_tokens": self.max_tokens,
            "bias": {d: {k: round(v, 4) for k, v in sorted(b.items())} for d, b in self.bias.items()},
            "strongest": {
                d: [{"token": t, "label": lab, "weight": round(w, 4)}
                    for t, lab, w in sorted(rows, key=lambda r: (-r[2], r[0], r[1]))[:top]]
                for d, rows in strongest.items()
            },
        }


def _move(row: dict[str, float], towards: str, away: str, amount: float) -> None:
    row[towards] = row.get(towards, 0.0) + amount
    row[away] = row.get(away, 0.0) - amount


def refusal(envelope: Envelope[Any]) -> str | None:
    """Why a decoded labels.corrected event cannot be folded (None: it can). Beyond what the
    schema checks: the payload's brand must be the envelope's (the key the topic is ordered by)."""
    payload = envelope.payload
    if payload.brand_id != envelope.brand_id:
        return f"payload.brand_id {payload.brand_id!r} differs from the envelope's brand_id {envelope.brand_id!r}"
    return None


class Adapters:
    """Every brand's adapter, built by folding labels.corrected events in topic order."""

    def __init__(self, *, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        self.max_tokens = max_tokens
        self.brands: dict[str, BrandAdapter] = {}

    def adapter(self, brand_id: str) -> BrandAdapter | None:
        return self.brands.get(brand_id)

    def fold(self, correction: LabelCorrected) -> BrandAdapter:
        """Apply one (valid) event to its brand's adapter and return that adapter."""
        brand_id = correction.brand_id
        adapter = self.brands.get(brand_id)
        if adapter is None:
            adapter = self.brands[brand_id] = BrandAdapter(brand_id, self.max_tokens)
        adapter.version += 1
        if correction.kind == "reset":
            adapter.resets += 1
            adapter.reset()
            return adapter
        adapter.corrections += 1
        assert correction.text is not None  # the schema requires it for a correction
        tokens = features(correction.text)
        if correction.new_category is not None:
            adapter.learn("category", tokens, correction.old_category or correction.new_category,
                          correction.new_category)
        if correction.new_sentiment is not None:
            adapter.learn("sentiment", tokens, correction.old_sentiment or correction.new_sentiment,
                          correction.new_sentiment)
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
