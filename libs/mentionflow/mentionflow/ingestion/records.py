"""Files of mentions as replay reads them: JSON Lines of Mention objects, or CSV with a mapping.

Each record goes through the same normalisation and brand resolution as the ingest service
(`clean_text`, `BrandResolver`), so a replayed post becomes the same events, with the same
deterministic ids, as the service would have produced from it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from mentionflow.events.mentions_raw import Author, Mention, Source
from mentionflow.ingestion.encoding import fast_mention_id
from mentionflow.ingestion.observed import ObservedPost, to_mentions
from mentionflow.ingestion.resolve import BrandResolver, ResolvedBrand
from mentionflow.ingestion.text import TextRejected, clean_text, handles_in_text, parse_post_time

# Fields a CSV column can be mapped to (`--map field=column`).
CSV_FIELDS = (
    "external_id", "text", "author_id", "author_handle", "author_name", "author_followers", "author_verified",
    "account_handle", "lang", "created_at", "conversation_id", "in_reply_to", "quoted_id", "url",
    "received_at",
)
_TRUE = {"true", "1", "yes", "y", "t"}


class RecordRejected(ValueError):
    """A record that cannot become a mention; the message says which field and why."""


def parse_mapping(spec: str | None) -> dict[str, str]:
    """"text=text,external_id=tweet_id" → {"text": "text", "external_id": "tweet_id"}.

    Unmapped fields default to a column of the same name when the file has one.
    """
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not column:
            raise ValueError(f"mapping entry {part!r} is not field=column")
        if field not in CSV_FIELDS:
            raise ValueError(f"unknown field {field!r}; fields: {', '.join(CSV_FIELDS)}")
        mapping[field] = column
    return mapping


def parse_filters(specs: list[str] | None) -> dict[str, str]:
    filters = {}
    for spec in specs or ():
        column, sep, value = spec.partition("=")
        if not sep or not column.strip():
            raise ValueError(f"filter {spec!r} is not column=value")
        filters[column.strip()] = value
    return filters


@dataclass(frozen=True, slots=True)
class ReplayNormaliser:
    resolver: BrandResolver
    keep_brand: bool = False  # trust brand_id in Mention records instead of the brand config
    source: Source = "replay"

    def from_json_line(self, line: bytes, *, now: datetime) -> list[Mention]:
        """A Mention JSON line (what `mentionflow generate` writes) renormalised for replay."""
        try:
            mention = Mention.model_validate_json(line)
        except ValidationError as exc:
            raise RecordRejected(_first_error(exc)) from None
        try:
            text = clean_text(mention.text)
        except TextRejected as exc:
            raise RecordRejected(f"text: {exc}") from None
        if self.keep_brand:
            brands = [ResolvedBrand(mention.brand_id, mention.account_handle, mention.brand_known)]
        else:
            brands = self.resolver.resolve((mention.account_handle,))
        return [
            mention.model_copy(update={
                "id": fast_mention_id(mention.platform, mention.external_id, brand.brand_id),
                "brand_id": brand.brand_id, "brand_known": brand.known, "account_handle": brand.account_handle,
                "text": text, "source": self.source,
            })
            for brand in brands
        ]

    def from_csv_row(self, row: Mapping[str, str], mapping: Mapping[str, str], *, now: datetime) -> list[Mention]:
        def get(field: str) -> str | None:
            value = row.get(mapping.get(field, field))
            return value.strip() if value is not None and value.strip() != "" else None

        external_id = _id(get("external_id"))
        text = row.get(mapping.get("text", "text"))
        if external_id is None:
            raise RecordRejected(f"external_id: column {mapping.get('external_id', 'external_id')!r} is empty")
        if not text:
            raise RecordRejected(f"text: column {mapping.get('text', 'text')!r} is empty")
        author_id = get("author_id") or get("author_handle")
        handle = get("author_handle") or author_id
        if author_id is None or handle is None:
            raise RecordRejected("author_id/author_handle: map at least one of them to a column")
        account = get("account_handle")
        try:
            created_at = parse_post_time(get("created_at") or now)
            received = get("received_at")
            post = ObservedPost(
                external_id=external_id,
                text=text,
                author=Author(id=author_id, handle=handle, name=get("author_name"),
                              followers=int(float(get("author_followers") or 0)),
                              verified=(get("author_verified") or "").lower() in _TRUE),
                created_at=created_at,
                source=self.source,
                mentioned_handles=(account,) if account else handles_in_text(text),
                lang=get("lang"),
                conversation_id=_id(get("conversation_id")),
                in_reply_to=_id(get("in_reply_to")),
                quoted_id=_id(get("quoted_id")),
                url=get("url"),
                received_at=parse_post_time(received) if received else None,
            )
            return to_mentions(post, self.resolver, now=now)
        except ValidationError as exc:
            raise RecordRejected(_first_error(exc)) from None
        except (TextRejected, ValueError) as exc:
            raise RecordRejected(str(exc)) from None


def _id(value: str | None) -> str | None:
    """Ids exported by spreadsheets and pandas come as "4.0": keep the digits."""
    if value is not None and value.endswith(".0") and value[:-2].isdigit():
        return value[:-2]
    return value


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "<record>"
    more = exc.error_count() - 1
    return f"{where}: {err['msg']}" + (f" (+{more} more)" if more else "")


def csv_rows(path: Path, filters: Mapping[str, str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of every row matching all `filters` (column=value, exact)."""
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in filters if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)} to filter on")
        for row in reader:
            if all(row.get(column) == value for column, value in filters.items()):
                yield reader.line_num, row
