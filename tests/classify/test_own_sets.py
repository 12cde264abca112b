"""The project's own labelled sets: well-formed, balanced enough, and classified well."""

from __future__ import annotations

import pytest
from mentionflow.classify import analyse
from mentionflow_tools.training.datasets import load_own

CATEGORIES = {"question", "complaint", "crisis", "praise", "other"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sets_are_well_formed(lang: str) -> None:
    rows = load_own(lang)
    assert len(rows) >= 300
    assert len({r.id for r in rows}) == len(rows)
    assert {r.category for r in rows} == CATEGORIES
    assert all(r.sentiment in ("negative", "neutral", "positive") and r.lang == lang for r in rows)
    for cat in CATEGORIES:
        assert sum(r.category == cat for r in rows) >= 40


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_held_out_half_accuracy_and_crisis_recall(lang: str) -> None:
    """The ordinary mentions of the held-out half: what the classifier was held to before the
    hard cases were written (those are measured on their own below, and reported in full by
    `mentionflow classify-eval`)."""
    rows = [r for r in load_own(lang, "eval") if r.hard is None]
    pred = [analyse(r.text, lang=r.lang).category for r in rows]
    accuracy = sum(p == r.category for p, r in zip(pred, rows, strict=True)) / len(rows)
    crises = [p for p, r in zip(pred, rows, strict=True) if r.category == "crisis"]
    assert accuracy >= 0.75
    assert sum(p == "crisis" for p in crises) / len(crises) >= 0.75


# Floors just under what the classifier scores on the held-out hard cases today: a change that
# makes sarcasm, rhetorical questions or calm crises worse than this fails here.
HARD_ACCURACY_FLOOR = {"en": 0.48, "fr": 0.54}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_held_out_hard_cases_do_not_regress(lang: str) -> None:
    rows = [r for r in load_own(lang, "eval") if r.hard is not None]
    assert len(rows) >= 100
    correct = sum(analyse(r.text, lang=r.lang).category == r.category for r in rows)
    assert correct / len(rows) >= HARD_ACCURACY_FLOOR[lang]
