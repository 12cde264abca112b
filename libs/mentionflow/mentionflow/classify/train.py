"""Rebuild the committed sentiment artifact: `python -m mentionflow.classify.train`.

Needs the `train` dependency group (`uv sync --group train`: scikit-learn, numpy); the
runtime never imports this module. Reads, at run time:
  - TweetEval sentiment *validation* split (English; its test split is never read here),
  - the French XLM-T *train* split (its validation split is kept for reporting),
  - the "train" half of the project's own EN/FR sets (`datasets.own_split`).
Classes are weighted to balance (macro-averaged recall, the TweetEval metric, rewards balanced
predictions). Per-language, per-class offsets are then tuned on cross-validated predictions
(English: TweetEval val + own EN; French: XLM-T FR train + own FR) to maximise macro-averaged
recall, without looking at any test data. Deterministic: same inputs, same artifact.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import orjson

from mentionflow.classify.datasets import (
    Example,
    load_french,
    load_own,
    load_tweeteval,
    macro_recall,
)
from mentionflow.classify.features import extract
from mentionflow.classify.model import ARTIFACT, CLASSES, DENSE_NAMES, dense_vector
from mentionflow.classify.tokenize import tokenize

log = logging.getLogger(__name__)

MODEL_VERSION = "sentiment-lr-4"
_OWN_WEIGHT = 2.0  # our brand-care lines are few but are the domain we serve
_MIN_DF = 2


def _training_set() -> list[Example]:
    tweeteval = load_tweeteval("val")
    french = load_french("train")
    if tweeteval is None or french is None:
        raise SystemExit("reference data absent: set MENTIONFLOW_SHARED_DATA or add ../shared/data")
    own = load_own("en", "train") + load_own("fr", "train")
    log.info("training on %d TweetEval val, %d FR train, %d own", len(tweeteval), len(french), len(own))
    return tweeteval + french + own


def _fit(examples: list[Example], c: float):  # noqa: ANN202 - sklearn objects
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    feats = [extract(tokenize(e.text)) for e in examples]
    df: dict[str, int] = {}
    for f in feats:
        for name in f.sparse:
            df[name] = df.get(name, 0) + 1
    keep = {n for n, k in df.items() if k >= _MIN_DF}
    vec = DictVectorizer()
    sparse = vec.fit_transform([{n: 1.0 for n in f.sparse if n in keep} for f in feats])
    dense = csr_matrix(np.array([dense_vector(f) for f in feats]))
    x = hstack([dense, sparse]).tocsr()
    y = np.array([CLASSES.index(e.sentiment) for e in examples])
    w = np.array([_OWN_WEIGHT if e.category is not None else 1.0 for e in examples])
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(x, y, sample_weight=w)
    return clf, vec, x


def _cv_scores(examples: list[Example], c: float, folds: int = 5):  # noqa: ANN202
    import numpy as np

    scores = np.zeros((len(examples), 3))
    order = np.arange(len(examples))
    for k in range(folds):
        test = order % folds == k
        train_ex = [e for e, t in zip(examples, test, strict=True) if not t]
        test_ex = [e for e, t in zip(examples, test, strict=True) if t]
        clf, vec, _ = _fit(train_ex, c)
        artifact = _export(clf, vec, {})
        from mentionflow.classify.model import SentimentModel

        model = SentimentModel(artifact)
        for i, e in zip(np.nonzero(test)[0], test_ex, strict=True):
            p = model.predict(extract(tokenize(e.text))).probabilities
            scores[i] = np.log(np.array(p) + 1e-12)
    return scores


def _tune_offsets(examples: list[Example], scores) -> dict[str, list[float]]:  # noqa: ANN001
    """Per language: offsets (neg, 0, pos) added to the logits that maximise macro recall."""
    import numpy as np

    grid = np.arange(-1.0, 2.01, 0.1)
    offsets: dict[str, list[float]] = {}
    for lang in ("en", "fr"):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        if not idx:
            continue
        gold = [examples[i].sentiment for i in idx]
        best = (-1.0, [0.0, 0.0, 0.0])
        for a in grid:
            for b in grid:
                pred = [CLASSES[j] for j in np.argmax(scores[idx] + np.array([a, 0.0, b]), axis=1)]
                recall = macro_recall(gold, pred)
                if recall > best[0]:
                    best = (recall, [round(float(a), 2), 0.0, round(float(b), 2)])
        log.info("%s offsets %s, CV macro recall %.4f (n=%d)", lang, best[1], best[0], len(idx))
        offsets[lang] = best[1]
    return offsets


def _export(clf, vec, offsets: dict[str, list[float]]) -> dict:  # noqa: ANN001
    coef = clf.coef_  # shape (3, n_dense + n_sparse)
    n_dense = len(DENSE_NAMES)
    sparse = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        w = coef[:, n_dense + j]
        if float(abs(w).max()) < 0.02:  # pruned: too weak to matter, keeps the artifact small
            continue
        sparse[str(name)] = [round(float(v), 4) for v in w]
    return {
        "version": MODEL_VERSION,
        "classes": list(CLASSES),
        "bias": [round(float(b), 4) for b in clf.intercept_],
        "offsets": offsets,
        "dense_names": list(DENSE_NAMES),
        "dense": [[round(float(v), 4) for v in coef[:, i]] for i in range(n_dense)],
        "sparse": dict(sorted(sparse.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--c", type=float, default=0.1, help="inverse L2 strength")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    examples = _training_set()
    offsets = _tune_offsets(examples, _cv_scores(examples, args.c))
    clf, vec, _ = _fit(examples, args.c)
    artifact = _export(clf, vec, offsets)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(artifact) + b"\n")
    log.info("wrote %s (%d sparse features)", args.out, len(artifact["sparse"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
