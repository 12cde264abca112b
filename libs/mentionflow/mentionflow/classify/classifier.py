"""classify_text / classify_mention: the pure classification of one mention.

How the categories combine. Each decision has its own model (`category`: one binary logistic
regression each for crisis, complaint, praise and is_question, over the tokens, the rule hits,
the sentiment probabilities, the opening words and the punctuation); the first that says yes
wins, in this order:

1. crisis — the crisis model says so, or a crisis rule fired (safety/health, legal threat, data
   breach/security, discrimination, threats/violence, an outage with a "many users" marker), or
   a brand's own crisis phrase, or a high-reach / VIP author is strongly negative. On clearly
   positive text ("the new burger is fire 🔥") the model and the rules are suppressed (noted in
   reasons); a brand's crisis phrase is kept. Inside a brand spike the service upgrades
   negative mentions (`classification_of`).
2. complaint — the complaint model: a customer reporting a problem or dissatisfaction (not
   followed on clearly positive text without a complaint or outage cue). Negative is not
   enough ("I hate Mondays @brand" is not a complaint); a furious question ("why is my
   order STILL not here?!") is a complaint with `is_question=True`: the CM must fix something;
   praise with a complaint is a complaint ("mixed:praise" in reasons). A strongly negative
   mention that opens with the brand's handle is a complaint even where the model is unsure
   ("complaint:negative_to_brand"; the handle last, "... @brand", is talk about the brand).
3. question — the is_question model: the mention asks something (of the brand or anyone), not
   a rhetorical "why me?!" nor a quoted headline.
4. praise — the praise model.
5. other — chatter, news, neutral mentions.

`reasons` names what decided: the crisis rules that fired ("crisis:safety"), then
"<decision>:model(<p>):<its strongest words or rule hits>" for the model that decided (e.g.
"complaint:model(0.81):r:complaint,refund") and for is_question when it says yes, then the
sentiment evidence and the rule cues ("complaint:<cue>", "praise:<cue>", "question:mark", ...).
Models after the deciding one are not asked (each learnt only from the mentions the earlier
ones let through). Thresholds are chosen on cross-validation at training time
(`mentionflow_tools.training.train_category`).

`is_question` is its own model's verdict, whatever the category. Severity grows with the
category, negativity and author reach; confidence is the deciding model's probability (0.9 at
least for a crisis rule), tempered by the sentiment model's.

Contract: pure; the model artifacts are read once (lazily) on first call, then no I/O.
Never raises on any str text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from mentionflow.classify.category import features, load_category_model
from mentionflow.classify.features import Features, extract
from mentionflow.classify.language import SUPPORTED, detect_language
from mentionflow.classify.model import Prediction, load_model
from mentionflow.classify.rules import crisis_hits, question_hits, scan
from mentionflow.classify.tokenize import fold, tokenize

if TYPE_CHECKING:  # pydantic models are imported lazily: `analyse` (the CLI path) needs none
    from mentionflow.events.mentions_classified import Classification
    from mentionflow.events.mentions_raw import Mention

HIGH_REACH_FOLLOWERS = 100_000
VERIFIED_REACH_FOLLOWERS = 20_000
STRONG_NEGATIVE = -0.5
ADDRESSED_COMPLAINT = -0.6  # sentiment score; see `analyse`
# The complaint model is not followed on clearly positive text without a complaint or outage
# cue ("love it" is not a complaint; train_category measured the veto: +0.003 macro-F1 on CV).
CLEARLY_POSITIVE = 0.8
_BASE_SEVERITY = {"crisis": 0.75, "complaint": 0.35, "question": 0.2, "praise": 0.05, "other": 0.05}
_MAX_REASONS = 12
# The models whose "<decision>:model(...)" reason is listed, by category: the deciding one,
# and is_question (reported whatever the category). The models after the deciding one are not
# asked: each learnt only from the mentions the earlier ones let through (the complaint model
# never saw a crisis), so its verdict on such a mention would mean nothing.
_REASON_ORDER = {
    "crisis": ("is_question",),
    "complaint": ("complaint", "is_question"),
    "question": ("is_question",),
    "praise": ("praise", "is_question"),
    "other": ("is_question",),
}


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


class _Reading(NamedTuple):
    """What `analyse` reads off a text before deciding (shared with `category_features`)."""

    folded: str
    tokens: list[str]
    language: str
    lang_reason: str
    prediction: Prediction
    lexicon: Features
    found: dict[str, str]
    crisis: list[str]
    questions: list[str]
    features: list[str]


def _read(text: str, lang: str | None, brand: BrandProfile | None) -> _Reading:
    folded = fold(text)
    tokens = tokenize(text, folded)
    language, lang_reason = _language(tokens, text, lang, brand)
    feats = extract(tokens)
    pred = load_model().predict(feats, explain=2)
    found = scan(folded)
    crisis = crisis_hits(found)
    questions = question_hits(found, folded, text)
    names = features(feats.keys, tokens, text, [*found, *crisis, *questions], pred.probabilities, pred.label,
                     (feats.lex_pos > 0, feats.lex_neg > 0), language)
    return _Reading(folded, tokens, language, lang_reason, pred, feats, found, crisis, questions, names)


def category_features(text: str, *, lang: str | None = None) -> list[str]:
    """The category models' feature names for `text`, exactly as `analyse` computes them
    (training reads them here, so they follow the sentiment model it is trained against)."""
    return _read(text, lang, None).features


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
    read = _read(text, lang, brand)
    pred, found, crisis = read.prediction, read.found, read.crisis
    p_neg, _, p_pos = pred.probabilities
    sentiment = pred.label
    score = round(max(-1.0, min(1.0, pred.score)), 4)
    decisions = load_category_model().decide(read.features)

    best_p = max(pred.probabilities)
    evidence: list[str] = [f"sentiment:{sentiment}({best_p:.2f})"]
    hits = read.lexicon.hits
    if hits:
        # The three strongest lexicon hits (stable order among equals); most mentions have one.
        strongest = sorted(hits, key=_strength)[:3] if len(hits) > 1 else hits
        evidence += [f"lex:{w}({s:+.1f})" for w, s in strongest]
    for name, _ in pred.top_features:
        evidence.append(f"model:{name}")

    if decisions.says("crisis"):
        crisis.append(decisions.reason("crisis"))
    if brand:
        crisis += [f"crisis:brand_phrase:{p}" for p in brand.crisis_phrases if p in read.folded]
        evidence += [f"product:{p}" for p in brand.product_names if p in read.folded]
    followers = max(0, author_followers)
    vip = bool(brand and author_handle and author_handle.lower().lstrip("@") in brand.vip_handles)
    high_reach = followers >= HIGH_REACH_FOLLOWERS or (
        author_verified and followers >= VERIFIED_REACH_FOLLOWERS
    )
    if (high_reach or vip) and sentiment == "negative" and score <= STRONG_NEGATIVE:
        crisis.append("crisis:vip_negative" if vip else "crisis:high_reach_negative")
    if crisis and sentiment == "positive" and p_pos >= 0.6:
        # "The new burger is fire": neither a crisis rule nor the crisis model pages anyone on
        # clearly positive text. A brand's own crisis phrase is the brand's explicit call: kept
        # (a VIP / high-reach crisis needs strong negativity, so it never gets here).
        kept = [c for c in crisis if c.startswith("crisis:brand_phrase:")]
        evidence += [f"suppressed:{c}" for c in crisis if c not in kept]
        crisis = kept

    # First match wins (see the module docstring); `deciding`: how sure what decided is.
    if crisis:
        category = "crisis"
        by_rule = any(not c.startswith("crisis:model(") for c in crisis)
        deciding = max(decisions.probability("crisis"), 0.9 if by_rule else 0.0)
    elif decisions.says("complaint") and not (
        p_pos >= CLEARLY_POSITIVE and "complaint" not in found and "outage" not in found
    ):
        category, deciding = "complaint", decisions.probability("complaint")
    elif score <= ADDRESSED_COMPLAINT and read.tokens[:1] == ["@user"]:
        # Strongly negative and addressed to the brand ("@QuickBite order cold again, terrible"):
        # a customer with a problem even where no cue and too few labelled rows taught the
        # complaint model; "I hate Mondays @brand" (the handle last) stays out.
        category, deciding = "complaint", p_neg
        evidence.insert(0, "complaint:negative_to_brand")
    elif decisions.says("is_question"):
        category, deciding = "question", decisions.probability("is_question")
    elif decisions.says("praise"):
        category, deciding = "praise", decisions.probability("praise")
    else:
        category, deciding = "other", 1.0 - decisions.highest_probability()
    # The deciding model and is_question's (the crisis model's reason is among `crisis` unless
    # suppressed); then the sentiment's and the rules' evidence.
    reasons = crisis
    for decision in _REASON_ORDER[category]:
        if decisions.says(decision):
            reasons.append(decisions.reason(decision))
    is_question = decisions.says("is_question")
    reasons += evidence
    # The rules' evidence stays visible beside the models' (a CM reads both).
    complaint_cue = found.get("complaint") or found.get("outage")
    if complaint_cue:
        reasons.append(f"complaint:{complaint_cue}")
    praise_cue = found.get("praise")
    if praise_cue:
        reasons.append("mixed:praise" if category == "complaint" else f"praise:{praise_cue}")
    reasons += read.questions
    reasons.append(read.lang_reason)

    severity = _BASE_SEVERITY[category]
    if category in ("crisis", "complaint"):
        severity += 0.3 * max(0.0, -score) + 0.05 * max(0, len(crisis) - 1)
    # Reach matters on a log scale: 1M followers ~ +0.15, 1k ~ +0.08.
    severity += 0.15 * min(1.0, math.log10(followers + 1) / 6)
    severity = round(min(1.0, severity), 4)

    # How sure the deciding model (or rule) is, tempered by the sentiment it read.
    confidence = round(min(1.0, max(0.0, 0.75 * deciding + 0.25 * best_p)), 4)

    return Result(
        category,
        sentiment,
        score,
        is_question,
        severity,
        confidence,
        read.language,
        reasons[:_MAX_REASONS],
        load_model().version,
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
