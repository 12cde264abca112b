"""Evaluation report behind `mentionflow classify-eval` (reads files; not used by the service).

For each set, each decision the set labels gets per-class precision/recall/F1, its summary
figures and a confusion matrix (gold rows, predicted columns); then the set's most confident
errors, so what the classifier gets wrong *and is sure of* is in front of the reader.

- The project's own EN and FR sets, on the held-out "eval" half (never seen by the sentiment
  model) and on the whole set: category, is_question and sentiment.
- The TweetEval *test* split and the French XLM-T *validation* split when the reference data
  is present (sentiment only; they label nothing else); a clear line when it is absent.
  Their texts are analysed without a language tag, as the published figures always were.

Confidence of an error: for category (and is_question, which has none of its own) the
result's `confidence`; for sentiment the class probability the result reports in its
"sentiment:<label>(<p>)" reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mentionflow.classify.classifier import Result, analyse
from mentionflow.classify.model import load_model

from mentionflow_tools.training.datasets import (
    SENTIMENT_LABELS,
    Example,
    load_french,
    load_own,
    load_tweeteval,
    shared_data_dir,
)
from mentionflow_tools.training.metrics import (
    ClassScores,
    accuracy,
    confusion_matrix,
    format_confusion,
    format_scores,
    macro_f1,
    macro_recall,
    per_class,
)

CATEGORIES = ("question", "complaint", "crisis", "praise", "other")
QUESTION_LABELS = ("yes", "no")  # is_question as table labels; "yes" is the positive class
MAX_ERRORS = 20
ERROR_TEXT_CHARS = 100
_SENTIMENT_REASON = re.compile(r"sentiment:\w+\(([0-9.]+)\)")


@dataclass(frozen=True)
class DecisionReport:
    name: str
    labels: tuple[str, ...]
    scores: list[ClassScores]
    matrix: list[list[int]]
    summary: str  # the decision's headline figures, one line


@dataclass(frozen=True)
class Error:
    decision: str
    example_id: str
    gold: str
    pred: str
    confidence: float
    text: str


@dataclass(frozen=True)
class SetReport:
    title: str
    size: int
    decisions: list[DecisionReport]
    errors: list[Error]  # the most confident first, at most MAX_ERRORS
    error_count: int  # every wrong (row, decision), listed or not
    sentiment_macro_recall: float  # the published headline figure, unrounded
    by_kind: list[str]  # category on ordinary rows vs the hand-written hard cases, per kind


def category_by_kind(examples: Sequence[Example], results: Sequence[Result]) -> list[str]:
    """Where the category goes wrong: macro-F1 on ordinary rows and on the hard cases, then the
    hard cases right per kind (sarcasm, rhetorical_question, ...). Empty for sets without kinds."""
    if not any(e.hard for e in examples):
        return []
    lines = []
    for label, keep in (("ordinary rows", lambda e: not e.hard), ("hard cases", lambda e: bool(e.hard))):
        pairs = [(e.category or "", r.category) for e, r in zip(examples, results, strict=True) if keep(e)]
        gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
        lines.append(f"  category on {label}: macro-F1 {macro_f1(gold, pred, CATEGORIES):.3f} (n={len(pairs)})")
    right: dict[str, list[int]] = {}
    for e, r in zip(examples, results, strict=True):
        if e.hard:
            tally = right.setdefault(e.hard, [0, 0])
            tally[0] += e.category == r.category
            tally[1] += 1
    lines.append("  hard cases right, by kind: " + ", ".join(f"{k} {n}/{t}" for k, (n, t) in sorted(right.items())))
    return lines


def sentiment_confidence(result: Result) -> float:
    """The probability the result reports for its sentiment; |score| if the reason is missing."""
    for reason in result.reasons:
        match = _SENTIMENT_REASON.fullmatch(reason)
        if match:
            return float(match.group(1))
    return abs(result.sentiment_score)


def _yes_no(flag: bool) -> str:
    return QUESTION_LABELS[0] if flag else QUESTION_LABELS[1]


# What each decision reads from an example (gold), from a result (prediction) and how sure
# the result is of it.
_GOLD: dict[str, Callable[[Example], str]] = {
    "category": lambda e: e.category or "",
    "is_question": lambda e: _yes_no(e.question_gold()),
    "sentiment": lambda e: e.sentiment,
}
_PREDICTED: dict[str, Callable[[Result], str]] = {
    "category": lambda r: r.category,
    "is_question": lambda r: _yes_no(r.is_question),
    "sentiment": lambda r: r.sentiment,
}
_CONFIDENCE: dict[str, Callable[[Result], float]] = {
    "category": lambda r: r.confidence,
    "is_question": lambda r: r.confidence,
    "sentiment": sentiment_confidence,
}


def _decision(name: str, gold: list[str], pred: list[str], sentiment_recall: float) -> DecisionReport:
    if name == "category":
        labels: tuple[str, ...] = CATEGORIES
        # Kept word for word (the report before per-decision sections had it): notes grep it.
        summary = (f"  accuracy {accuracy(gold, pred):.3f}   macro-F1 {macro_f1(gold, pred, CATEGORIES):.3f}   "
                   f"sentiment macro recall {sentiment_recall:.3f}")
    elif name == "is_question":
        labels = QUESTION_LABELS
        yes = per_class(gold, pred, QUESTION_LABELS[:1])[0]
        summary = (f"  is_question (yes) precision {yes.precision:.3f}   recall {yes.recall:.3f}   "
                   f"F1 {yes.f1:.3f}   accuracy {accuracy(gold, pred):.3f}")
    else:
        labels = SENTIMENT_LABELS
        summary = f"  macro-recall {macro_recall(gold, pred):.3f}   macro-F1 {macro_f1(gold, pred):.3f}"
    return DecisionReport(name, labels, per_class(gold, pred, labels), confusion_matrix(gold, pred, labels), summary)


def evaluate_set(title: str, examples: Sequence[Example], decisions: Sequence[str], *,
                 use_lang: bool = True) -> SetReport:
    """Analyse every example once and report `decisions` (names of `_GOLD`) on them."""
    results = [analyse(e.text, lang=e.lang if use_lang else None) for e in examples]
    gold_sentiment = [e.sentiment for e in examples]
    sentiment_recall = macro_recall(gold_sentiment, [r.sentiment for r in results])
    reports = []
    errors = []
    for name in decisions:
        gold = [_GOLD[name](e) for e in examples]
        pred = [_PREDICTED[name](r) for r in results]
        reports.append(_decision(name, gold, pred, sentiment_recall))
        errors += [Error(name, e.id, g, p, _CONFIDENCE[name](r), e.text)
                   for e, r, g, p in zip(examples, results, gold, pred, strict=True) if g != p]
    # Most confident first; the decision's order and the id make ties reproducible.
    order = {name: i for i, name in enumerate(decisions)}
    errors.sort(key=lambda err: (-err.confidence, order[err.decision], err.example_id))
    by_kind = category_by_kind(examples, results) if "category" in decisions else []
    return SetReport(title, len(examples), reports, errors[:MAX_ERRORS], len(errors), sentiment_recall, by_kind)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= ERROR_TEXT_CHARS else flat[: ERROR_TEXT_CHARS - 1] + "…"


def render(report: SetReport) -> list[str]:
    lines = []
    for decision in report.decisions:
        lines += format_scores(decision.name, decision.scores)
        lines.append(decision.summary)
        if decision.name == "category":
            lines += report.by_kind
        lines.append(f"  {decision.name} confusion (rows gold, columns predicted):")
        lines += format_confusion(decision.labels, decision.matrix)
        lines.append("")
    lines.append(f"  most confident errors ({len(report.errors)} of {report.error_count}):")
    if report.errors:
        lines.append(f"  {'decision':<11} {'id':<18} {'gold':<10} {'pred':<10} {'conf':>5}  text")
    for err in report.errors:
        lines.append(f"  {err.decision:<11} {err.example_id:<18} {err.gold:<10} {err.pred:<10} "
                     f"{err.confidence:5.2f}  {_short(err.text)}")
    return lines


def own_reports() -> list[SetReport]:
    reports = []
    for lang in ("en", "fr"):
        for split in ("eval", "all"):
            examples = load_own(lang, split)  # type: ignore[arg-type]
            label = "held-out half" if split == "eval" else "whole set (half seen in training)"
            title = f"own {lang.upper()} set, {label}, n={len(examples)}"
            reports.append(evaluate_set(title, examples, ("category", "is_question", "sentiment")))
    return reports


def report(root: Path | None = None) -> str:
    out = [f"model {load_model().version}"]
    for own in own_reports():
        out += ["", own.title, *render(own)]
    root = root or shared_data_dir()
    out.append("")
    te = load_tweeteval("test", root)
    if te is None:
        out.append(f"TweetEval test: reference data absent at {root} (set MENTIONFLOW_SHARED_DATA)")
    else:
        te_report = evaluate_set("TweetEval sentiment test", te, ("sentiment",), use_lang=False)
        out.append(f"TweetEval sentiment test macro recall: {te_report.sentiment_macro_recall:.4f} (n={len(te)})")
        out += render(te_report)
    fr = load_french("val", root)
    out.append("")
    if fr is None:
        out.append(f"French XLM-T val: reference data absent at {root}")
    else:
        fr_report = evaluate_set("French XLM-T sentiment val", fr, ("sentiment",), use_lang=False)
        out.append(f"French XLM-T sentiment val macro recall: {fr_report.sentiment_macro_recall:.4f} (n={len(fr)})")
        out += render(fr_report)
    return "\n".join(out)
