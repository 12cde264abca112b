"""classify_text / classify_mention: the pure classification of one mention.

How the categories combine (first match wins, in this order):

1. crisis — a crisis rule fired (safety/health, legal threat, data breach/security,
   discrimination, threats/violence, an outage with a "many users" marker, a brand's own
   crisis phrase), or a high-reach / VIP author is strongly negative. A crisis rule on a
   clearly positive text ("the new burger is fire 🔥") is suppressed and noted in reasons.
   Inside a brand spike the service upgrades negative mentions (`classification_of`).
2. complaint — a complaint cue (still waiting, refund, not working, en retard, ...) unless
   the text is strongly positive (a "thanks, refund received!" is praise), or a negative
   sentiment without any cue. A furious question ("why is my order STILL not here?!") is a
   complaint with `is_question=True`: the CM must fix something, not just answer.
3. question — a question (mark, interrogative opening or phrase) that is not a complaint.
4. praise — positive sentiment or a praise cue without negativity. Praise with a complaint
   ("love the app but the update broke my login") is a complaint: the actionable part wins;
   the praise shows up in reasons as "mixed:praise".
5. other — chatter, news, neutral mentions.

`is_question` is reported independently of the category. Severity grows with the category,
negativity and author reach; confidence combines the model's probability with rule evidence.

Contract: pure; the model artifact is read once (lazily) on first call, then no I/O.
Never raises on any str text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from mentionflow.classify.features import extract
from mentionflow.classify.language import SUPPORTED, detect_language
from mentionflow.classify.model import load_model
from mentionflow.classify.rules import crisis_hits, question_hits, scan
from mentionflow.classify.tokenize import fold, tokenize

if TYPE_CHECKING:  # pydantic models are imported lazily: `analyse` (the CLI path) needs none
    from mentionflow.events.mentions_classified import Classification
    from mentionflow.events.mentions_raw import Mention

HIGH_REACH_FOLLOWERS = 100_000
VERIFIED_REACH_FOLLOWERS = 20_000
STRONG_NEGATIVE = -0.5
_BASE_SEVERITY = {"crisis": 0.75, "complaint": 0.35, "question": 0.2, "praise": 0.05, "other": 0.05}
_MAX_REASONS = 12


@dataclass(frozen=True)
class BrandProfile:
    """Per-brand settings the classifier honours. Phrases and names are matched folded."""

    brand_id: str
    crisis_phrases: tuple[str, ...] = ()
    vip_handles: frozenset[str] = field(default_factory=frozenset)
    product_names: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en", "fr")

    def __post_init__(self) -> None:
        # Normalise once here so the hot path only does substring tests.
        object.__setattr__(self, "crisis_phrases", tuple(fold(p) for p in self.crisis_phrases if p))
        object.__setattr__(self, "product_names", tuple(fold(p) for p in self.product_names if p))
        handles = frozenset(h.lower().lstrip("@") for h in self.vip_handles)
        object.__setattr__(self, "vip_handles", handles)


class Result(NamedTuple):
    """The classification as plain values: what the CLI serialises without pydantic."""

    category: str
    sentiment: str
    sentiment_score: float
    is_question: bool
    severity: float
    confidence: float
    language: str
    reasons: list[str]
    model_version: str


def _strength(hit: tuple[str, float]) -> float:
    return -abs(hit[1])


def _language(tokens: list[str], text: str, lang: str | None, brand: BrandProfile | None) -> tuple[str, str]:
    """(language, reason). The source's tag wins when it is one we serve (X tags are decent)."""
    if lang:
        tag = lang.lower()[:2]
        if tag in SUPPORTED:
            return tag, "lang:given"
    detected, conf = detect_language(tokens, text)
    if brand and brand.languages and detected not in brand.languages and conf < 0.6:
        return brand.languages[0], "lang:brand_default"
    return detected, f"lang:detected({conf:.2f})"


def analyse(
    text: str,
    *,
    lang: str | None = None,
    author_followers: int = 0,
    author_verified: bool = False,
    author_handle: str | None = None,
    brand: BrandProfile | None = None,
) -> Result:
    """The whole decision as a `Result` (the fast path; `classify_text` wraps it)."""
    model = load_model()
    folded = fold(text)
    tokens = tokenize(text, folded)
    language, lang_reason = _language(tokens, text, lang, brand)
    feats = extract(tokens)
    pred = model.predict(feats, explain=2)
    p_neg, _, p_pos = pred.probabilities
    sentiment = pred.label
    score = round(max(-1.0, min(1.0, pred.score)), 4)

    best_p = max(pred.probabilities)
    reasons: list[str] = [f"sentiment:{sentiment}({best_p:.2f})"]
    hits = feats.hits
    if hits:
        # The three strongest lexicon hits (stable order among equals); most mentions have one.
        strongest = sorted(hits, key=_strength)[:3] if len(hits) > 1 else hits
        reasons += [f"lex:{w}({s:+.1f})" for w, s in strongest]
    for name, _ in pred.top_features:
        reasons.append(f"model:{name}")

    found = scan(folded)
    crisis = crisis_hits(found)
    if brand:
        crisis += [f"crisis:brand_phrase:{p}" for p in brand.crisis_phrases if p in folded]
        reasons += [f"product:{p}" for p in brand.product_names if p in folded]
    followers = max(0, author_followers)
    vip = bool(brand and author_handle and author_handle.lower().lstrip("@") in brand.vip_handles)
    high_reach = followers >= HIGH_REACH_FOLLOWERS or (
        author_verified and followers >= VERIFIED_REACH_FOLLOWERS
    )
    if (high_reach or vip) and sentiment == "negative" and score <= STRONG_NEGATIVE:
        crisis.append("crisis:vip_negative" if vip else "crisis:high_reach_negative")
    if crisis and sentiment == "positive" and p_pos >= 0.6:
        reasons += [f"suppressed:{c}" for c in crisis]
        crisis = []

    questions = question_hits(found, folded, text)
    # An outage mention ("not working", "panne") is a complaint cue when not widespread.
    complaint_cue = found.get("complaint") or found.get("outage")
    praise_cue = found.get("praise")
    rule_backed = True
    if crisis:
        category = "crisis"
        reasons = crisis + reasons
    elif complaint_cue and not (sentiment == "positive" and score >= 0.6):
        category = "complaint"
        reasons = [f"complaint:{complaint_cue}"] + reasons
    elif sentiment == "negative" and score <= -0.4:
        category = "complaint"
        rule_backed = False
    elif questions:
        category = "question"
    elif sentiment == "positive" or (praise_cue and sentiment != "negative"):
        category = "praise"
        rule_backed = praise_cue is not None
        if praise_cue:
            reasons.insert(0, f"praise:{praise_cue}")
    else:
        category = "other"
        rule_backed = False
    if category == "complaint" and praise_cue:
        reasons.append("mixed:praise")
    if questions:
        reasons += questions
    reasons.append(lang_reason)

    severity = _BASE_SEVERITY[category]
    if category in ("crisis", "complaint"):
        severity += 0.3 * max(0.0, -score) + 0.05 * max(0, len(crisis) - 1)
    # Reach matters on a log scale: 1M followers ~ +0.15, 1k ~ +0.08.
    severity += 0.15 * min(1.0, math.log10(followers + 1) / 6)
    severity = round(min(1.0, severity), 4)

    confidence = 0.5 * best_p + 0.5 * (0.9 if rule_backed else best_p)
    if category == "complaint" and not rule_backed:
        confidence = 0.5 * best_p + 0.5 * p_neg
    confidence = round(min(1.0, max(0.0, confidence)), 4)

    return Result(
        category,
        sentiment,
        score,
        bool(questions),
        severity,
        confidence,
        language,
        reasons[:_MAX_REASONS],
        model.version,
    )


def classify_text(
    text: str,
    *,
    lang: str | None = None,
    author_followers: int = 0,
    author_verified: bool = False,
    author_handle: str | None = None,
    brand: BrandProfile | None = None,
) -> Classification:
    """Classify one text (see the module docstring for how categories combine)."""
    return classification_of(
        analyse(
            text,
            lang=lang,
            author_followers=author_followers,
            author_verified=author_verified,
            author_handle=author_handle,
            brand=brand,
        )
    )


def analyse_mention(mention: Mention, brand: BrandProfile | None = None) -> Result:
    """`analyse` of one mentions.raw mention."""
    return analyse(
        mention.text,
        lang=mention.lang,
        author_followers=mention.author.followers,
        author_verified=mention.author.verified,
        author_handle=mention.author.handle,
        brand=brand,
    )


def classification_of(result: Result, incident_id: str | None = None) -> Classification:
    """The `Classification` of `result`; `incident_id` is the brand's open spike, if any.

    Inside a spike, a negative (or already crisis) mention becomes a crisis; positive and
    neutral mentions keep their category but carry the incident id, so the console can group
    everything said during the incident. The model is validated by calling its validator
    directly (the service builds one per mention: the keyword round trip of
    `Classification(...)` costs more than the rules that decide it).
    """
    category, severity, reasons = result.category, result.severity, result.reasons
    if incident_id is not None and (category == "crisis" or result.sentiment == "negative"):
        category = "crisis"
        severity = max(severity, 0.8)
        if "crisis:spike" not in reasons:
            reasons = ["crisis:spike", *reasons][:_MAX_REASONS]
    classification: Classification = _classification_validator().validate_python({
        "category": category,
        "sentiment": result.sentiment,
        "sentiment_score": result.sentiment_score,
        "is_question": result.is_question,
        "severity": severity,
        "confidence": result.confidence,
        "language": result.language,
        "reasons": reasons,
        "model_version": result.model_version,
        "incident_id": incident_id,
    })
    return classification


def was_crisis_before_spike(category: str, reasons: list[str]) -> bool:
    """Whether a classified mention was a crisis on its own, before any spike upgrade: what
    the spike detector counted it as (`classification_of` upgrades negatives to "crisis" and
    adds "crisis:spike"; a crisis of its own carries a "crisis:<rule>" reason besides)."""
    return category == "crisis" and any(r.startswith("crisis:") and r != "crisis:spike" for r in reasons)


@cache
def _classification_validator() -> Any:
    """Classification's pydantic validator, imported on first use (see the lazy import above)."""
    from mentionflow.events.mentions_classified import Classification

    return Classification.__pydantic_validator__


def classify_mention(mention: Mention, brand: BrandProfile | None = None) -> Classification:
    """The `Classification` of one mentions.raw mention, outside any spike."""
    return classification_of(analyse_mention(mention, brand))
