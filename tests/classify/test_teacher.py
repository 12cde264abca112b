"""The teacher and its distillation into the category models' training rows.

Hand-made sentence vectors stand in for e5 (no embedding model here): what is tested is which
care mentions become which training rows, not e5.
"""

from __future__ import annotations

import numpy as np
import pytest
from mentionflow_tools.training import teacher, train_category
from mentionflow_tools.training.train_category import Distillation, Row

# One direction per category; a text's vector is its category's direction, or a mix of two.
_AXES = {"complaint": 0, "praise": 1, "question": 2, "other": 3, "crisis": 4}


def _direction(*categories: str) -> np.ndarray:
    v = np.zeros(len(_AXES))
    for c in categories:
        v[_AXES[c]] = 1.0
    return v / np.linalg.norm(v)


_TAUGHT = {f"{c} example {i}": c for c in _AXES for i in range(6)}
_CARE = {
    "my order never came, again": ("complaint",),
    "you are the best, thank you": ("praise",),
    "smoke pouring out of the charger": ("crisis",),
    "loved the crew, lost my bag": ("complaint", "praise"),  # torn between two: unsure
}


def _fake_vectors(texts: list[str]) -> np.ndarray:
    return np.array([_direction(_TAUGHT[t]) if t in _TAUGHT else _direction(*_CARE[t]) for t in texts])


def test_the_teacher_labels_only_what_it_is_sure_of_and_never_a_crisis() -> None:
    texts = list(_TAUGHT)
    model = teacher.fit_teacher(_fake_vectors(texts), [_TAUGHT[t] for t in texts], c=10.0)
    care = list(_CARE)
    labels = dict(zip(care, model.label(_fake_vectors(care)), strict=True))
    assert labels == {
        "my order never came, again": "complaint",
        "you are the best, thank you": "praise",
        "smoke pouring out of the charger": None,  # crisis: never taught from care traffic
        "loved the crew, lost my bag": None,  # about half each: below MIN_CONFIDENCE
    }


def test_distilled_rows_teach_complaint_and_praise_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(teacher, "sentence_vectors", _fake_vectors)
    taught = [Row(["x"], (None, None, None, None), 1.0, "g", category, text) for text, category in _TAUGHT.items()]
    distillation = Distillation(list(_CARE), taught, weight=0.3)
    rows = distillation.rows(taught, c=10.0)
    features = {tuple(f): f for f in distillation.features}
    assert [(r.gold, r.weight) for r in rows] == [((None, True, False, None), 0.3), ((None, False, True, None), 0.3)]
    assert [r.features for r in rows] == [features[tuple(train_category.category_features(t))]
                                          for t in ("my order never came, again", "you are the best, thank you")]


def test_a_teacher_learns_only_from_the_rows_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a CV fold's teacher was not shown cannot reach it: taught without any complaint,
    it calls no care mention a complaint."""
    monkeypatch.setattr(teacher, "sentence_vectors", _fake_vectors)
    every = [Row(["x"], (None, None, None, None), 1.0, "g", category, text) for text, category in _TAUGHT.items()]
    distillation = Distillation(list(_CARE), every, weight=0.3)
    taught = [r for r in every if r.category != "complaint"]
    assert all(r.gold[1] is False for r in distillation.rows(taught, c=10.0))
