"""The hand-written hard cases in the project's own sets: present, varied and well-formed.

Read straight from the jsonl files (not through the training loader, which drops the extra
"hard" and "is_question" fields) so the checks see exactly what a reviewer would.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "tools" / "mentionflow_tools" / "training" / "data"
CATEGORIES = {"question", "complaint", "crisis", "praise", "other"}
SENTIMENTS = {"negative", "neutral", "positive"}
SHARED_KINDS = {
    "sarcasm",
    "negative_not_complaint",
    "rhetorical_question",
    "quoted_headline",
    "praise_with_complaint",
    "question_with_complaint",
    "emoji_only",
    "slang_misspelling",
    "false_crisis",
    "real_crisis_subtle",
}
KINDS = {"en": SHARED_KINDS, "fr": SHARED_KINDS | {"fr_slang", "missing_accents"}}


def rows_of(lang: str) -> list[dict]:
    lines = (DATA_DIR / f"{lang}.jsonl").read_bytes().splitlines()
    return [orjson.loads(line) for line in lines if line.strip()]


def hard_rows_of(lang: str) -> list[dict]:
    return [row for row in rows_of(lang) if "hard" in row]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_language_has_enough_hard_rows(lang: str) -> None:
    assert len(hard_rows_of(lang)) >= 200


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_kind_is_well_represented_and_no_unknown_kind(lang: str) -> None:
    kinds = Counter(row["hard"] for row in hard_rows_of(lang))
    assert set(kinds) == KINDS[lang]
    for kind in KINDS[lang]:
        assert kinds[kind] >= 25, kind


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_category_has_enough_hard_rows(lang: str) -> None:
    categories = Counter(row["category"] for row in hard_rows_of(lang))
    for category in CATEGORIES:
        assert categories[category] >= 30, category


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_ids_and_texts_are_unique(lang: str) -> None:
    rows = rows_of(lang)
    assert len({row["id"] for row in rows}) == len(rows)
    # A hard case that repeats another row (case aside) would count twice without testing more.
    assert len({row["text"].casefold() for row in rows}) == len(rows)
    assert all(row["id"].startswith(f"{lang}-h") for row in hard_rows_of(lang))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_fields_are_valid(lang: str) -> None:
    for row in rows_of(lang):
        assert row["category"] in CATEGORIES, row["id"]
        assert row["sentiment"] in SENTIMENTS, row["id"]
        assert row["lang"] == lang, row["id"]
        assert isinstance(row["text"], str) and row["text"].strip(), row["id"]
        if "is_question" in row:
            assert isinstance(row["is_question"], bool), row["id"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_is_question_is_consistent_with_category(lang: str) -> None:
    for row in hard_rows_of(lang):
        # A question row is a question by definition; saying otherwise would contradict it.
        if row["category"] == "question":
            assert row.get("is_question", True) is True, row["id"]
        # A complaint asked as a question is the whole point of that kind.
        if row["hard"] == "question_with_complaint":
            assert row["category"] != "question" and row.get("is_question") is True, row["id"]
        # A rhetorical question asks nothing: never a question, and flagged as such.
        if row["hard"] == "rhetorical_question":
            assert row["category"] != "question" and row.get("is_question") is False, row["id"]
