"""`mentionflow classify-eval --corrections N --brand B`: what N corrections of one brand buy.

A brand's labelled rows are split in two by a hash of their text: the first part plays the
community manager's queue, the second is held back. Going through the queue in order, every
mention the adapted classifier gets wrong is corrected (a LabelCorrected event, folded by the
very `Adapters` code the classify service runs) until N corrections are made. The held-back
part is measured before and after (macro-F1 of the decision the set labels), and every other
brand's results are compared byte for byte before and after.

Sources: one `target` of ../shared/data/brand_sentiment_en (sentiment); without the shared
data, a brand of the project's own EN/FR sets (category; brands are the @handle the text
addresses), which are far smaller, so fewer corrections are possible and the figure is weaker.
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from mentionflow.classify.adapters import Adapters
from mentionflow.classify.classifier import Result, analyse
from mentionflow.events.labels_corrected import LabelCorrected

from mentionflow_tools.training.datasets import load_own, load_tsv, shared_data_dir
from mentionflow_tools.training.metrics import macro_f1

BRAND_SET = "brand_sentiment_en/brand_tweets.tsv"
_HANDLE_RE = re.compile(r"@(\w+)")
OTHER_BRANDS_SAMPLE = 1500  # other brands' rows compared byte for byte
OTHER_BRAND_CORRECTIONS = 20  # corrections each other brand gets before the measured brand's


@dataclass(frozen=True, slots=True)
class Row:
    brand: str
    text: str
    lang: str | None
    label: str


@dataclass(frozen=True)
class Source:
    name: str
    decision: str  # "sentiment" | "category"
    rows: list[Row]


@dataclass(frozen=True)
class Outcome:
    source: str
    decision: str
    brand: str
    asked: int
    corrections: int
    queue_seen: int
    held_back: int
    before: float
    after: float
    others_compared: int
    others_identical: bool

    def lines(self) -> list[str]:
        gain = self.after - self.before
        lines = [
            f"corrections: {self.source}, brand {self.brand!r}, decision {self.decision}",
            f"  {self.corrections} corrections fed (asked {self.asked}) from {self.queue_seen} mentions of the queue",
            f"  held-back part: {self.held_back} mentions; macro-F1 before {self.before:.4f}, "
            f"after {self.after:.4f} ({gain:+.4f})",
            f"  other brands (each with {OTHER_BRAND_CORRECTIONS} corrections of its own): "
            f"{self.others_compared} mentions, byte-identical before/after: "
            f"{'yes' if self.others_identical else 'NO'}",
        ]
        if self.corrections < self.asked:
            lines.append(f"  note: the queue ran out after {self.corrections} corrections")
        return lines


def load_source(root: Path | None = None) -> tuple[Source, str | None]:
    """The brand set of the shared data, else the project's own sets (with a note saying so)."""
    brand_rows = load_tsv(BRAND_SET, root)
    if brand_rows is not None:
        rows = [Row(r["target"] or "(none)", r["text"], "en", r["label"])
                for r in brand_rows if r["text"] and r["label"]]
        return Source("brand_sentiment_en", "sentiment", rows), None
    rows = []
    for lang in ("en", "fr"):
        for example in load_own(lang):
            handle_match = _HANDLE_RE.search(example.text)
            if handle_match and example.category:
                rows.append(Row(handle_match.group(1).lower(), example.text, example.lang, example.category))
    note = (f"{(root or shared_data_dir()) / BRAND_SET} is absent: falling back to the project's own EN/FR sets "
            "(category; small brands)")
    return Source("own sets", "category", rows), note


def _held_back(text: str) -> bool:
    return zlib.crc32(text.encode()) % 2 == 1


def _label(result: Result, decision: str) -> str:
    return result.sentiment if decision == "sentiment" else result.category


def _serialised(result: Result) -> bytes:
    return orjson.dumps(result._asdict())


def simulate(source: Source, *, brand: str, corrections: int) -> Outcome:
    """Feed up to `corrections` corrections of `brand` and measure (see the module docstring)."""
    mine = [r for r in source.rows if r.brand == brand]
    if not mine:
        known = ", ".join(f"{b} ({n})" for b, n in Counter(r.brand for r in source.rows).most_common(12))
        raise ValueError(f"no rows of brand {brand!r} in {source.name}; brands: {known}")
    queue = [r for r in mine if not _held_back(r.text)]
    held = [r for r in mine if _held_back(r.text)]
    others = [r for r in source.rows if r.brand != brand][:OTHER_BRANDS_SAMPLE]
    decision = source.decision
    shared = {r.text: analyse(r.text, lang=r.lang) for r in [*held, *queue, *others]}
    adapters = Adapters()

    def labels(rows: list[Row]) -> list[str]:
        return [_label(adapters.adapt(brand, r.text, shared[r.text]), decision) for r in rows]

    def others_bytes() -> list[bytes]:
        return [_serialised(adapters.adapt(r.brand, r.text, shared[r.text])) for r in others]

    # The other brands are corrected too (a few each, first), so that what is compared is
    # brands with adapters of their own, not merely brands without any.
    for other in sorted({r.brand for r in others}):
        _correct(adapters, other, [r for r in others if r.brand == other], shared, decision, OTHER_BRAND_CORRECTIONS)
    gold = [r.label for r in held]
    before = macro_f1(gold, labels(held))
    others_before = others_bytes()
    made, seen = _correct(adapters, brand, queue, shared, decision, corrections)
    after = macro_f1(gold, labels(held))
    return Outcome(source.name, decision, brand, corrections, made, seen, len(held), before, after,
                   len(others), others_bytes() == others_before)


def _correct(adapters: Adapters, brand: str, queue: list[Row], shared: dict[str, Result], decision: str,
             limit: int) -> tuple[int, int]:
    """Go through `queue` as a community manager would, correcting what the adapted classifier
    gets wrong, until `limit` corrections; returns (corrections made, mentions seen)."""
    made = seen = 0
    for row in queue:
        if made >= limit:
            break
        seen += 1
        current = adapters.adapt(brand, row.text, shared[row.text])
        if _label(current, decision) == row.label:
            continue  # a community manager corrects only what is wrong
        made += 1
        labels_now: dict[str, Any] = {f"old_{decision}": _label(current, decision), f"new_{decision}": row.label}
        adapters.fold(LabelCorrected(
            correction_id=str(uuid.uuid4()), brand_id=brand, kind="correction", mention_id=f"sim-{brand}-{seen}",
            text=row.text, language=row.lang, corrected_by="classify-eval", **labels_now,
        ))
    return made, seen


def report(*, brand: str | None, corrections: int, root: Path | None = None) -> str:
    source, note = load_source(root)
    if brand is None:
        brand = Counter(r.brand for r in source.rows if r.brand != "(none)").most_common(1)[0][0]
    outcome = simulate(source, brand=brand, corrections=corrections)
    return "\n".join(([note] if note else []) + outcome.lines())
