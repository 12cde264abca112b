"""Classification metrics: the one implementation the evaluation, the training and the
corrections simulation share (pure Python: scikit-learn is not a runtime dependency of tools).

Every function takes the gold and predicted labels as equal-length sequences. `labels` fixes
the classes reported and their order; by default it is the classes present in the gold
labels, sorted, which is what a macro average over "the classes of the set" means.
A class with no prediction has precision 0, one with no gold row recall 0 (not an error:
an evaluation must print something for a class the set happens to lack).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClassScores:
    label: Hashable
    precision: float
    recall: float
    f1: float
    support: int  # gold rows of this class
    predicted: int  # rows predicted as this class


def _check(gold: Sequence, pred: Sequence) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")


def _labels(gold: Sequence, labels: Sequence | None) -> list:
    return list(labels) if labels is not None else sorted(set(gold))


def f1_score(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def per_class(gold: Sequence, pred: Sequence, labels: Sequence | None = None) -> list[ClassScores]:
    _check(gold, pred)
    scores = []
    for label in _labels(gold, labels):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        support = sum(1 for g in gold if g == label)
        predicted = sum(1 for p in pred if p == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        scores.append(ClassScores(label, precision, recall, f1_score(precision, recall), support, predicted))
    return scores


def macro_f1(gold: Sequence, pred: Sequence, labels: Sequence | None = None) -> float:
    scores = per_class(gold, pred, labels)
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


def macro_recall(gold: Sequence, pred: Sequence, labels: Sequence | None = None) -> float:
    scores = per_class(gold, pred, labels)
    return sum(s.recall for s in scores) / len(scores) if scores else 0.0


def accuracy(gold: Sequence, pred: Sequence) -> float:
    _check(gold, pred)
    return sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / len(gold) if gold else 0.0


def confusion_matrix(gold: Sequence, pred: Sequence, labels: Sequence | None = None) -> list[list[int]]:
    """Counts with gold classes as rows and predicted classes as columns, in `labels` order
    (default: every class seen in either, sorted). A label outside `labels` is an error rather
    than silently dropped, so the cells always sum to the number of rows."""
    _check(gold, pred)
    order = list(labels) if labels is not None else sorted(set(gold) | set(pred))
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for g, p in zip(gold, pred, strict=True):
        if g not in index or p not in index:
            raise ValueError(f"label {g if g not in index else p!r} is not among {order}")
        matrix[index[g]][index[p]] += 1
    return matrix


def format_scores(title: str, scores: Sequence[ClassScores]) -> list[str]:
    """One line per class: precision, recall, F1 and gold count, under a header naming `title`."""
    width = max([10, len(title), *(len(str(s.label)) for s in scores)])
    lines = [f"  {title:<{width}} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}"]
    for s in scores:
        lines.append(f"  {s.label!s:<{width}} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:5d}")
    return lines


def format_confusion(labels: Sequence, matrix: Sequence[Sequence[int]]) -> list[str]:
    """The matrix as aligned text: gold rows, predicted columns, each column as wide as its name."""
    names = [str(label) for label in labels]
    first = max([len("gold\\pred"), *map(len, names)])
    widths = [max([len(n), *(len(str(row[j])) for row in matrix)]) for j, n in enumerate(names)]
    lines = ["  " + "gold\\pred".ljust(first) + "".join(f" {n:>{w}}" for n, w in zip(names, widths, strict=True))]
    for name, row in zip(names, matrix, strict=True):
        cells = "".join(f" {c:>{w}}" for c, w in zip(row, widths, strict=True))
        lines.append("  " + name.ljust(first) + cells)
    return lines
