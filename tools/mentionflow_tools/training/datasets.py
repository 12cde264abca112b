"""Loading the labelled data: the project's own EN/FR sets and the reference data beside the repo.

The reference data (`../shared/data`, or MENTIONFLOW_SHARED_DATA) is read at run time only and
never copied into the repository. Every loader returns None when its files are absent so the
caller can say so instead of failing.

The project's own sets are split deterministically by id: the "train" half may feed the
sentiment model, the "eval" half never does, so figures reported on it are held out.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from mentionflow_tools.repo import SHARED_DATA
from mentionflow_tools.training.metrics import macro_recall as macro_recall  # re-exported: train.py imports it here

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

