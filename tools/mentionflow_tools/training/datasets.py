"""Loading the labelled data: the project's own EN/FR sets and the reference data beside the repo.

The reference data (`../shared/data`, or MENTIONFLOW_SHARED_DATA) is read at run time only and
never copied into the repository. Every loader returns None when its files are absent so the
caller can say so instead of failing.

The project's own sets are split deterministically by id: the "train" half may feed the
sentiment model, the "eval" half never does, so figures reported on it are held out.
"""

from __future__ import annotations

import csv
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from mentionflow_tools.repo import SHARED_DATA

OWN_DATA_DIR = Path(__file__).with_name("data")
SENTIMENT_LABELS = ("negative", "neutral", "positive")  # index = label id in the reference data


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    lang: str
    sentiment: str
    category: str | None = None
    # Whether the mention asks something, when the row says so; None: the category decides
    # (see `question_gold`). Last, so that positional construction keeps working.
    is_question: bool | None = None
    # The kind of hand-written hard case ("sarcasm", "emoji_only", ...), None for ordinary rows.
    hard: str | None = None

    def question_gold(self) -> bool:
        """The is_question gold: the row's own field, else "is it in the question category"."""
        return self.is_question if self.is_question is not None else self.category == "question"


def shared_data_dir() -> Path:
    """MENTIONFLOW_SHARED_DATA, else ../shared/data relative to the repository root."""
    override = os.environ.get("MENTIONFLOW_SHARED_DATA")
    if override:
        return Path(override)
    return SHARED_DATA


def own_split(example_id: str) -> Literal["train", "eval"]:
    return "train" if zlib.crc32(example_id.encode()) % 2 == 0 else "eval"


def load_own(lang: str, split: Literal["train", "eval", "all"] = "all") -> list[Example]:
    rows = []
    for line in (OWN_DATA_DIR / f"{lang}.jsonl").read_bytes().splitlines():
        if not line.strip():
            continue
        row = orjson.loads(line)
        if split != "all" and own_split(row["id"]) != split:
            continue
        rows.append(Example(row["id"], row["text"], row["lang"], row["sentiment"], row["category"],
                            row.get("is_question"), row.get("hard")))
    return rows


def _load_pair(folder: Path, split: str, lang: str, name: str) -> list[Example] | None:
    text_path = folder / f"{split}_text.txt"
    label_path = folder / f"{split}_labels.txt"
    if not (text_path.is_file() and label_path.is_file()):
        return None
    texts = text_path.read_text(encoding="utf-8").splitlines()
    labels = label_path.read_text(encoding="utf-8").splitlines()
    if len(texts) != len(labels):
        raise ValueError(f"{text_path}: {len(texts)} texts but {len(labels)} labels")
    return [
        Example(f"{name}-{split}-{i}", t, lang, SENTIMENT_LABELS[int(lab)])
        for i, (t, lab) in enumerate(zip(texts, labels, strict=True))
    ]


def load_tweeteval(split: Literal["val", "test"], root: Path | None = None) -> list[Example] | None:
    folder = (root or shared_data_dir()) / "tweeteval_sentiment"
    return _load_pair(folder, split, "en", "tweeteval")


def load_french(split: Literal["train", "val"], root: Path | None = None) -> list[Example] | None:
    folder = (root or shared_data_dir()) / "fr_sentiment_xlmt"
    return _load_pair(folder, split, "fr", "xlmt-fr")


def load_tsv(relative: str | Path, root: Path | None = None) -> list[dict[str, str]] | None:
    """The rows of a tab-separated file of the reference data (None when it is absent)."""
    path = (root or shared_data_dir()) / relative
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8") as rows:
        return list(csv.DictReader(rows, delimiter="\t"))


def load_semeval(root: Path | None = None) -> list[Example] | None:
    """SemEval 2013-2016 task 4A English tweets (training only: none of TweetEval's splits)."""
    rows = load_tsv("semeval_sentiment_en/semeval2013_2016.tsv", root)
    if rows is None:
        return None
    return [Example(f"semeval-{r['tweet_id']}", r["text"], "en", r["label"]) for r in rows]


# The brand of brand_sentiment_en kept out of training: `classify-eval --corrections N --brand
# Apple` measures what corrections teach the model about a brand it has never seen, as a new
# client's is (trained on, its rows were fitted already and corrections only chased noise).
CORRECTIONS_BRAND = "Apple"


def load_brand_sentiment(root: Path | None = None) -> list[Example] | None:
    """English tweets about brands and products, labelled for the feeling toward the brand
    (without CORRECTIONS_BRAND's)."""
    rows = load_tsv("brand_sentiment_en/brand_tweets.tsv", root)
    if rows is None:
        return None
    return [Example(f"brand-{i}", r["text"], "en", r["label"]) for i, r in enumerate(rows)
            if r["target"] != CORRECTIONS_BRAND]


# DEFT 2017 labels tweets objective / positive / negative / mixed: "objective" is our neutral;
# "mixed" holds both polarities, which a three-way label cannot say: `load_deft` leaves those
# rows out and `load_deft_mixed` returns them apart (training counts each as half negative,
# half positive).
_DEFT_SENTIMENT = {"objective": "neutral", "positive": "positive", "negative": "negative"}
DEFT_MIXED = "mixed"


def load_deft(root: Path | None = None) -> list[Example] | None:
    """French DEFT 2017 task 1 tweets (politics, news, everyday life), without the mixed ones."""
    rows = load_tsv("fr_sentiment_deft2017/deft2017_task1.tsv", root)
    if rows is None:
        return None
    return [
        Example(f"deft-{r['split']}-{r['id']}", r["text"], "fr", _DEFT_SENTIMENT[r["label"]])
        for r in rows
        if r["label"] in _DEFT_SENTIMENT
    ]


def load_deft_mixed(root: Path | None = None) -> list[Example] | None:
    """The DEFT 2017 task 1 tweets labelled "mixed" (both polarities), sentiment DEFT_MIXED."""
    rows = load_tsv("fr_sentiment_deft2017/deft2017_task1.tsv", root)
    if rows is None:
        return None
    return [Example(f"deft-{r['split']}-{r['id']}", r["text"], "fr", DEFT_MIXED)
            for r in rows if r["label"] == DEFT_MIXED]
