"""`mentionflow classify-eval`: the shared metrics and the per-decision report built on them."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mentionflow.classify import analyse
from mentionflow.classify.classifier import Result
from mentionflow_tools.training import datasets
from mentionflow_tools.training.datasets import Example, load_own
from mentionflow_tools.training.evaluate import (
    MAX_ERRORS,
    SetReport,
    category_by_kind,
    evaluate_set,
    own_reports,
    report,
    sentiment_confidence,
)
from mentionflow_tools.training.metrics import (
    accuracy,
    confusion_matrix,
    format_confusion,
    macro_f1,
    macro_recall,
    per_class,
)

# --- metrics, by hand -------------------------------------------------------------------------

GOLD = ["a", "a", "b", "b", "c"]
PRED = ["a", "b", "b", "b", "a"]


def test_per_class_scores_by_hand() -> None:
    a, b, c = per_class(GOLD, PRED)
    assert (a.label, a.precision, a.recall, a.f1, a.support, a.predicted) == ("a", 0.5, 0.5, 0.5, 2, 2)
    assert (b.precision, b.recall, b.support, b.predicted) == (2 / 3, 1.0, 2, 3)
    assert b.f1 == pytest.approx(0.8)
    assert (c.precision, c.recall, c.f1) == (0.0, 0.0, 0.0)  # never predicted: 0, not an error


def test_averages_by_hand() -> None:
    assert macro_f1(GOLD, PRED) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert macro_recall(GOLD, PRED) == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert accuracy(GOLD, PRED) == 3 / 5


def test_labels_fix_the_classes_averaged() -> None:
    # By default only the gold classes count; a named class the set lacks counts as 0.
    assert macro_recall(["a", "a"], ["a", "b"]) == 0.5
    assert macro_recall(["a", "a"], ["a", "b"], labels=["a", "b"]) == 0.25
    assert [s.label for s in per_class(GOLD, PRED, labels=["c", "a"])] == ["c", "a"]


def test_confusion_matrix_by_hand() -> None:
    assert confusion_matrix(GOLD, PRED) == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]  # gold rows, predicted columns
    assert confusion_matrix(GOLD, PRED, labels=["c", "b", "a"]) == [[0, 0, 1], [0, 2, 0], [0, 1, 1]]


def test_a_label_outside_the_matrix_or_unequal_lengths_are_errors() -> None:
    with pytest.raises(ValueError, match="'c'"):
        confusion_matrix(GOLD, PRED, labels=["a", "b"])
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        macro_f1(["a", "b"], ["a"])


def test_confusion_matrix_text_keeps_the_counts_in_place() -> None:
    lines = format_confusion(["neg", "positive"], [[12, 3], [0, 140]])
    assert lines[0].split() == ["gold\\pred", "neg", "positive"]
    assert [line.split() for line in lines[1:]] == [["neg", "12", "3"], ["positive", "0", "140"]]
    assert len({len(line) for line in lines}) == 1  # aligned columns


# --- metrics, properties ---------------------------------------------------------------------

_labels = st.sampled_from(["neg", "neu", "pos"])
_pairs = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(st.lists(_labels, min_size=n, max_size=n), st.lists(_labels, min_size=n, max_size=n))
)


@settings(max_examples=150, deadline=None)
@given(_pairs)
def test_scores_are_probabilities_and_f1_lies_between_precision_and_recall(pair: tuple[list, list]) -> None:
    gold, pred = pair
    for s in per_class(gold, pred, ["neg", "neu", "pos"]):
        assert 0.0 <= s.precision <= 1.0 and 0.0 <= s.recall <= 1.0 and 0.0 <= s.f1 <= 1.0
        assert min(s.precision, s.recall) - 1e-12 <= s.f1 <= max(s.precision, s.recall) + 1e-12
    assert 0.0 <= macro_f1(gold, pred) <= 1.0 and 0.0 <= macro_recall(gold, pred) <= 1.0


@settings(max_examples=150, deadline=None)
@given(_pairs)
def test_confusion_matrix_counts_every_row_once(pair: tuple[list, list]) -> None:
    gold, pred = pair
    labels = ["neg", "neu", "pos"]
    matrix = confusion_matrix(gold, pred, labels)
    assert sum(map(sum, matrix)) == len(gold)
    assert [sum(row) for row in matrix] == [gold.count(label) for label in labels]
    assert [sum(col) for col in zip(*matrix, strict=True)] == [pred.count(label) for label in labels]
    assert sum(matrix[i][i] for i in range(3)) / len(gold) == accuracy(gold, pred)


@settings(max_examples=60, deadline=None)
@given(st.lists(_labels, min_size=1, max_size=40))
def test_perfect_prediction_scores_one(gold: list[str]) -> None:
    assert macro_f1(gold, gold) == macro_recall(gold, gold) == accuracy(gold, gold) == 1.0


# --- is_question gold ------------------------------------------------------------------------


def test_is_question_gold_is_the_rows_field_else_the_category(tmp_path: Path, monkeypatch) -> None:
    rows = [
        {"id": "t-1", "text": "@acme why is my bill double??", "category": "complaint", "sentiment": "negative",
         "lang": "en", "is_question": True},
        {"id": "t-2", "text": "@acme how do I pay?", "category": "question", "sentiment": "neutral", "lang": "en"},
        {"id": "t-3", "text": "@acme love it", "category": "praise", "sentiment": "positive", "lang": "en"},
    ]
    (tmp_path / "xx.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    monkeypatch.setattr(datasets, "OWN_DATA_DIR", tmp_path)
    examples = load_own("xx")
    assert [e.is_question for e in examples] == [True, None, None]
    assert [e.question_gold() for e in examples] == [True, True, False]
    # Callers building an Example positionally (train.py, tests) are unaffected.
    assert Example("i", "t", "en", "neutral", "question").question_gold() is True
    question = evaluate_set("tiny", examples, ("is_question",)).decisions[0]
    assert question.matrix[0][0] + question.matrix[0][1] == 2  # two gold "yes" rows


# --- the report ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own() -> list[SetReport]:
    return own_reports()


def test_sentiment_confidence_is_the_probability_the_result_reports() -> None:
    result = Result("crisis", "negative", -0.7, False, 0.9, 0.8, "en",
                    ["crisis:fire", "sentiment:negative(0.83)", "lex:fire(-2.0)"], "m")
    assert sentiment_confidence(result) == 0.83
    assert sentiment_confidence(result._replace(reasons=["crisis:fire"])) == 0.7


def test_own_sets_report_every_decision_with_a_full_confusion_matrix(own: list[SetReport]) -> None:
    assert [r.title.split(",")[0] for r in own] == ["own EN set"] * 2 + ["own FR set"] * 2
    for set_report in own:
        assert [d.name for d in set_report.decisions] == ["category", "is_question", "sentiment"]
        for decision in set_report.decisions:
            assert sum(map(sum, decision.matrix)) == set_report.size
            assert len(decision.matrix) == len(decision.labels) == len(decision.scores)


def test_listed_errors_are_real_and_the_most_confident(own: list[SetReport]) -> None:
    predicted = {
        "category": lambda r: r.category,
        "is_question": lambda r: "yes" if r.is_question else "no",
        "sentiment": lambda r: r.sentiment,
    }
    gold_of = {
        "category": lambda e: e.category,
        "is_question": lambda e: "yes" if e.question_gold() else "no",
        "sentiment": lambda e: e.sentiment,
    }
    by_id = {e.id: e for lang in ("en", "fr") for e in load_own(lang)}
    for set_report in own:
        assert 0 < len(set_report.errors) <= MAX_ERRORS <= set_report.error_count
        confidences = [err.confidence for err in set_report.errors]
        assert confidences == sorted(confidences, reverse=True)
        for err in set_report.errors:
            example = by_id[err.example_id]
            result = analyse(example.text, lang=example.lang)
            assert err.gold == gold_of[err.decision](example) != predicted[err.decision](result) == err.pred
    # The error the report is surest of cannot be beaten by an unlisted one.
    first = own[0]
    results = {e.id: analyse(e.text, lang=e.lang) for e in load_own("en", "eval")}
    worst_category_miss = max(r.confidence for i, r in results.items() if r.category != by_id[i].category)
    assert first.errors[0].confidence >= worst_category_miss


def _section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("\nown ", start + 1)
    return text[start:end if end != -1 else None]


def test_printed_report_has_the_sections_and_says_what_reference_data_is_missing(tmp_path: Path) -> None:
    text = report(root=tmp_path / "nowhere")
    assert "TweetEval test: reference data absent at" in text and "French XLM-T val: reference data absent" in text
    for title in ("own EN set, held-out half", "own FR set, whole set"):
        section = _section(text, title)
        size = int(re.search(r"n=(\d+)", section).group(1))
        assert re.search(r"^  accuracy \d\.\d{3}   macro-F1 \d\.\d{3}   sentiment macro recall \d\.\d{3}$",
                         section, re.M)
        for decision in ("category", "is_question", "sentiment"):
            assert f"  {decision} confusion (rows gold, columns predicted):" in section
        lines = section.splitlines()
        header = lines.index("  category confusion (rows gold, columns predicted):")
        cells = [int(c) for line in lines[header + 2: header + 7] for c in line.split()[1:]]
        assert len(cells) == 25 and sum(cells) == size
        listed = section.split("most confident errors", 1)[1].split("\n\n")[0].splitlines()[2:]
        assert 0 < len(listed) <= MAX_ERRORS
        assert all(len(line.split(None, 5)[-1]) <= 100 for line in listed)  # the text, truncated


def _result(category: str) -> Result:
    return Result(category, "neutral", 0.0, False, 0.1, 0.5, "en", [], "test")


def test_category_by_kind_splits_ordinary_rows_from_each_hard_kind() -> None:
    examples = [
        Example("o1", "a", "en", "neutral", "question"),
        Example("o2", "b", "en", "neutral", "praise"),
        Example("h1", "c", "en", "negative", "complaint", hard="sarcasm"),
        Example("h2", "d", "en", "negative", "complaint", hard="sarcasm"),
        Example("h3", "e", "en", "neutral", "other", hard="quoted_headline"),
    ]
    results = [_result(c) for c in ("question", "praise", "complaint", "praise", "question")]
    lines = category_by_kind(examples, results)
    # Over the five categories, as the set's headline macro-F1 (a category absent from both
    # sides counts 0): ordinary rows all right, question and praise 1 each -> 2/5.
    assert lines[0] == "  category on ordinary rows: macro-F1 0.400 (n=2)"
    hard_f1 = macro_f1(["complaint", "complaint", "other"], ["complaint", "praise", "question"],
                       ("question", "complaint", "crisis", "praise", "other"))
    assert 0 < hard_f1 < 0.4
    assert lines[1] == f"  category on hard cases: macro-F1 {hard_f1:.3f} (n=3)"
    assert lines[2] == "  hard cases right, by kind: quoted_headline 0/1, sarcasm 1/2"
    assert category_by_kind(examples[:2], results[:2]) == []
