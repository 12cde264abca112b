"""Evaluation report behind `mentionflow classify-eval` (reads files; not used by the service).

- Category precision/recall/F1 on the project's own EN and FR sets, on the held-out "eval"
  half (never seen by the sentiment model) and on the whole set.
- Sentiment macro-averaged recall on the TweetEval *test* split and the French XLM-T
  *validation* split when the reference data is present; a clear line when it is absent.
"""

from __future__ import annotations

from mentionflow.classify.classifier import analyse
from mentionflow.classify.model import load_model

from mentionflow_tools.training.datasets import (
    Example,
    load_french,
    load_own,
    load_tweeteval,
    macro_recall,
    shared_data_dir,
)

CATEGORIES = ("question", "complaint", "crisis", "praise", "other")


def category_table(examples: list[Example]) -> tuple[str, dict[str, float]]:
    gold = [e.category for e in examples]
    pred = [analyse(e.text, lang=e.lang).category for e in examples]
    lines = [f"  {'category':<10} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}"]
    f1s: dict[str, float] = {}
    for cat in CATEGORIES:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == cat)
        n_pred = sum(1 for p in pred if p == cat)
        n_gold = sum(1 for g in gold if g == cat)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        f1s[cat] = f1
        lines.append(f"  {cat:<10} {prec:6.3f} {rec:6.3f} {f1:6.3f} {n_gold:5d}")
    acc = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold)
    sent = macro_recall([e.sentiment for e in examples], [analyse(e.text).sentiment for e in examples])
    lines.append(f"  accuracy {acc:.3f}   macro-F1 {sum(f1s.values()) / len(f1s):.3f}   "
                 f"sentiment macro recall {sent:.3f}")
    return "\n".join(lines), f1s


def sentiment_recall(examples: list[Example]) -> float:
    return macro_recall([e.sentiment for e in examples], [analyse(e.text).sentiment for e in examples])


def report() -> str:
    out = [f"model {load_model().version}"]
    for lang in ("en", "fr"):
        for split in ("eval", "all"):
            examples = load_own(lang, split)  # type: ignore[arg-type]
            table, _ = category_table(examples)
            label = "held-out half" if split == "eval" else "whole set (half seen in training)"
            out.append(f"\nown {lang.upper()} set, {label}, n={len(examples)}\n{table}")
    root = shared_data_dir()
    out.append("")
    te = load_tweeteval("test", root)
    if te is None:
        out.append(f"TweetEval test: reference data absent at {root} (set MENTIONFLOW_SHARED_DATA)")
    else:
        out.append(f"TweetEval sentiment test macro recall: {sentiment_recall(te):.4f} (n={len(te)})")
    fr = load_french("val", root)
    if fr is None:
        out.append(f"French XLM-T val: reference data absent at {root}")
    else:
        out.append(f"French XLM-T sentiment val macro recall: {sentiment_recall(fr):.4f} (n={len(fr)})")
    return "\n".join(out)
