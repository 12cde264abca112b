"""`mentionflow generate`: synthetic mentions as JSON Lines (what `mentionflow replay` reads)."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, BinaryIO

import orjson
import typer
from mentionflow.events.mentions_raw import Mention

from mentionflow_tools.generate import DEFAULT_START, DEMO_BRANDS, BrandProfile, TrafficGenerator
from mentionflow_tools.generate.brands import parse_brand

_to_json = Mention.__pydantic_serializer__.to_json


def brands_from_specs(specs: list[str] | None) -> tuple[BrandProfile, ...]:
    """Brands from repeated `--brands id=Handle[:sector[:en,fr]]`, or the demo brands."""
    if not specs:
        return DEMO_BRANDS
    try:
        return tuple(parse_brand(spec) for spec in specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--brands") from None


def generate(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="mentions to write")] = 10_000,
    seed: Annotated[int, typer.Option(help="same seed, same mentions")] = 0,
    brands: Annotated[list[str] | None, typer.Option(
        "--brands", "--brand", "-b",
        help="brand_id=Handle[:sector[:en,fr]], repeatable (sectors: telecom, airline, "
             "food_delivery, generic); default: three demo brands")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="JSON Lines file; "
                                             "default stdout")] = None,
    labels_out: Annotated[Path | None, typer.Option(
        help="also write the intended category per mention (id, category, incident)")] = None,
    rate: Annotated[float, typer.Option(help="timeline rate: mentions per second of "
                                        "created_at time", min=0.001)] = 20.0,
    start: Annotated[datetime | None, typer.Option(
        help="created_at of the first mention (UTC); default 2025-01-15T09:00:00")] = None,
) -> None:
    """Write COUNT synthetic mentions, one Mention JSON per line."""
    begin = start.replace(tzinfo=DEFAULT_START.tzinfo) if start and start.tzinfo is None else start
    generator = TrafficGenerator(brands_from_specs(brands), seed=seed,
                                 start=begin or DEFAULT_START, rate_per_s=rate)
    started = time.perf_counter()
    sink: BinaryIO = out.open("wb") if out else sys.stdout.buffer
    labels = labels_out.open("wb") if labels_out else None
    try:
        written = _write(generator, count, sink, labels)
    finally:
        if out:
            sink.close()
        if labels:
            labels.close()
    elapsed = time.perf_counter() - started
    typer.echo(f"wrote {written} mentions in {elapsed:.2f} s ({written / elapsed:,.0f}/s)",
               err=True)


def _write(generator: TrafficGenerator, count: int, sink: BinaryIO, labels: BinaryIO | None
           ) -> int:
    buffer: list[bytes] = []
    label_buffer: list[bytes] = []
    written = 0
    for item in generator.labeled(count):
        buffer.append(_to_json(item.mention))
        if labels is not None:
            label_buffer.append(orjson.dumps({"id": item.mention.id, "category": item.category,
                                              "incident": item.incident}))
        written += 1
        if len(buffer) >= 5_000:
            sink.write(b"\n".join(buffer) + b"\n")
            buffer.clear()
            if labels is not None:
                labels.write(b"\n".join(label_buffer) + b"\n")
                label_buffer.clear()
    if buffer:
        sink.write(b"\n".join(buffer) + b"\n")
    if labels is not None and label_buffer:
        labels.write(b"\n".join(label_buffer) + b"\n")
    return written
