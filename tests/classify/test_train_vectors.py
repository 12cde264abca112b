"""Training with word vectors: the projection folds into per-word weights, and it generalises.

Uses tiny hand-made vectors (no embedding model): what is tested is `train`'s arithmetic and
what it buys, not MiniLM.
"""

from __future__ import annotations

import numpy as np
import pytest
from mentionflow.classify.features import extract
from mentionflow.classify.model import CLASSES, dense_vector
from mentionflow.classify.tokenize import tokenize
from mentionflow_tools.training import train, word_vectors
from mentionflow_tools.training.datasets import Example

# Three directions: praise-like, blame-like, plain. The sentiment words are invented, so that no
# lexicon knows them: only the labels and the vectors teach them. "blissum" and "grumox" never
# appear in a labelled example; their vectors sit next to words that do.
_DIRECTIONS = {
    "blissa": [1.0, 0.0, 0.0], "joyva": [0.95, 0.05, 0.0], "blissum": [0.9, 0.1, 0.0],
    "grumo": [0.0, 1.0, 0.0], "sadra": [0.05, 0.95, 0.0], "grumox": [0.1, 0.9, 0.0],
    "delivery": [0.0, 0.0, 1.0], "order": [0.0, 0.05, 0.95], "today": [0.05, 0.0, 0.95],
}  # fmt: skip


def _vectors() -> train.WordVectors:
    words = sorted(_DIRECTIONS)
    matrix = np.array([_DIRECTIONS[w] for w in words])
    return train.WordVectors(words, matrix / np.linalg.norm(matrix, axis=1, keepdims=True))


def _examples() -> list[train.Weighted]:
    texts = {
        "positive": ["blissa delivery today", "joyva order", "blissa order today", "joyva delivery"],
        "negative": ["grumo delivery today", "sadra order", "grumo order today", "sadra delivery"],
        "neutral": ["delivery today", "order today", "the order", "a delivery"],
    }
    return [
        train.Weighted(Example(f"{label}-{i}-{r}", text, "en", label), 1.0)
        for label, rows in texts.items()
        for i, text in enumerate(rows)
        for r in range(3)  # df >= 2 for every word
    ]


def test_summed_vectors_split_plain_and_negated_words() -> None:
    vectors = _vectors()
    summed = vectors.summed(extract(tokenize("order today, not grumo")).keys)
    dim = vectors.matrix.shape[1]
    row = vectors.matrix.__getitem__
    order, today, grumo = (row(vectors.index[w]) for w in ("order", "today", "grumo"))
    assert np.allclose(summed[:dim], train.VECTOR_SCALE * (order + today))
    assert np.allclose(summed[dim:], train.VECTOR_SCALE * grumo)  # "not" negates what follows


def test_folded_weights_give_the_logits_of_the_explicit_projection() -> None:
    vectors = _vectors()
    rng = np.random.default_rng(7)
    projection = rng.normal(size=(len(CLASSES), 2 * vectors.matrix.shape[1]))
    unfolded = {"bias": [0.1, 0.2, 0.3], "dense": [[0.0] * 3 for _ in dense_vector(extract([]))],
                "sparse": {"blissa": [0.5, -0.5, 0.25], "the": [0.1, 0.1, 0.1]}}
    folded = train.fold_vectors(unfolded, vectors, projection)
    for text in ("blissa delivery", "not grumox", "the blissum order, not sadra", "nothing known"):
        feats = extract(tokenize(text))
        explicit = np.array(train.logits(unfolded, text)) + projection @ vectors.summed(feats.keys)
        assert np.allclose(train.logits(folded, text), explicit), text


@pytest.mark.parametrize(("unseen", "towards", "away"), [("blissum", "positive", "negative"),
                                                        ("grumox", "negative", "positive")])
def test_a_word_never_labelled_leans_like_its_neighbours(unseen: str, towards: str, away: str) -> None:
    weights = train.fit(_examples(), 1.0, _vectors())

    def lean(text: str) -> float:
        logits = train.logits(weights, text)
        return logits[CLASSES.index(towards)] - logits[CLASSES.index(away)]

    assert lean(f"{unseen} delivery") - lean("delivery") > 0.3
    # Without vectors the unseen word has no weight at all.
    plain = train.fit(_examples(), 1.0, train.WordVectors([], np.zeros((0, 3))))
    assert unseen not in plain["sparse"]


def test_emoji_polarity_splits_the_rankings_score_into_positive_and_negative() -> None:
    emoji = train.emoji_polarity()
    row = {e: emoji.matrix[i] for i, e in enumerate(emoji.words)}
    assert row["😍"][0] > 0.5 and row["😍"][1] == 0
    assert row["😠"][0] == 0 and row["😠"][1] > 0.2
    assert all(len(e) == 1 for e in emoji.words)  # what `tokenize` emits: one code point an emoji


def test_an_emoji_never_labelled_leans_by_its_polarity() -> None:
    emoji = train.emoji_polarity()
    examples = _examples() + [
        train.Weighted(Example(f"emoji-{label}-{r}", text, "en", label), 1.0)
        for label, text in (("positive", "order today 😍"), ("negative", "order today 😠"))
        for r in range(3)
    ]
    weights = train.fit(examples, 1.0, _vectors(), emoji)

    def lean(text: str) -> float:
        logits = train.logits(weights, text)
        return logits[CLASSES.index("positive")] - logits[CLASSES.index("negative")]

    # 😊 and 😡 are in no example: the ranking's polarity alone moves them.
    assert lean("delivery 😊") - lean("delivery") > 1.0
    assert lean("delivery 😡") - lean("delivery") < -0.5
    plain = train.fit(examples, 1.0, _vectors())
    assert "😊" not in plain["sparse"]


def test_centred_vectors_lose_their_common_direction() -> None:
    """e5's words all lean one way; centred, unrelated words are unrelated again."""
    rng = np.random.default_rng(3)
    common = rng.normal(size=16) * 4
    raw = common + rng.normal(size=(200, 16))
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    assert float(raw[0] @ raw[1]) > 0.7  # the shared direction dominates
    centred = word_vectors.centred(raw)
    assert np.allclose(np.linalg.norm(centred, axis=1), 1.0)
    assert np.linalg.norm(centred.mean(axis=0)) < 0.1
    cosines = centred @ centred.T
    assert abs(float(np.mean(cosines[np.triu_indices(200, 1)]))) < 0.05
