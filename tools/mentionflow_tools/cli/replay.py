"""`mentionflow replay FILE`: mentions from a file into mentions.raw, at a rate or flat out.

Heavy modules (aiokafka, pydantic models, the brand config) are imported inside the command
so `mentionflow --help` and the other commands start fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class FileFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


def replay(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="JSON Lines of Mention objects (as `mentionflow generate` "
                                              "writes) or CSV")],
    rate: Annotated[float | None, typer.Option(min=0.001, help="records per second; default: as fast as "
                                               "possible")] = None,
    file_format: Annotated[FileFormat, typer.Option("--format", help="default: from the extension "
                                                    "(.csv is CSV, anything else JSON Lines)")] = FileFormat.auto,
    mapping: Annotated[str | None, typer.Option(
        "--map", help="CSV: field=column pairs, e.g. text=text,external_id=tweet_id,author_handle=author_id,"
                      "created_at=created_at. Fields: external_id, text, author_id, author_handle, author_name, "
                      "author_followers, author_verified, account_handle, lang, created_at, conversation_id, "
                      "in_reply_to, url, received_at. Unmapped fields use a same-named column; without "
                      "account_handle the brands are the @handles in the text.")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="CSV: only rows whose column equals the value, e.g. inbound=True (repeatable)")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="stop after this many records")] = None,
    config: Annotated[Path | None, typer.Option(help="brand config for brand resolution; default "
                                                "MENTIONFLOW_BRAND_CONFIG or the demo config")] = None,
    keep_brand: Annotated[bool, typer.Option(
        "--keep-brand", help="JSON Lines: keep each record's brand_id instead of resolving its account_handle "
                             "through the brand config")] = False,
    bootstrap_servers: Annotated[str | None, typer.Option(
        help="Kafka bootstrap servers; default MENTIONFLOW_KAFKA__BOOTSTRAP_SERVERS")] = None,
    topic_prefix: Annotated[str | None, typer.Option(
        help="physical topic prefix; default MENTIONFLOW_KAFKA__TOPIC_PREFIX")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Produce the mentions of FILE to mentions.raw with the ingest service's normalisation.

    Brands are resolved through the brand config as the service does (unknown handles become
    brand 'unknown', routed to the unrouted queue); within a run the same (platform,
    external id, brand) is produced once; ids are deterministic, so replaying again yields
    the very same events, which downstream sinks absorb.
    """
    import asyncio

    from mentionflow.ingestion.records import parse_filters, parse_mapping

    try:
        columns = parse_mapping(mapping)
        filters = parse_filters(where)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    is_csv = file_format is FileFormat.csv or (file_format is FileFormat.auto and file.suffix.lower() == ".csv")
    if not is_csv and (columns or filters):
        raise typer.BadParameter("--map and --where apply to CSV files only")
    stats = asyncio.run(_replay(file, is_csv=is_csv, columns=columns, filters=filters, rate=rate, limit=limit,
                                config_path=config, keep_brand=keep_brand, bootstrap_servers=bootstrap_servers,
                                topic_prefix=topic_prefix, show_progress=progress))
    brands = ", ".join(f"{b} {n:,}" for b, n in sorted(stats.by_brand.items(), key=lambda kv: -kv[1])[:8])
    typer.echo(f"replayed {stats.records:,} records → {stats.produced:,} mentions in {stats.elapsed_s:.2f} s "
               f"({stats.rate:,.0f} mentions/s into Kafka); duplicates skipped {stats.duplicates:,}, "
               f"rejected {stats.rejected:,}", err=True)
    if brands:
        typer.echo(f"by brand: {brands}", err=True)
    for line in stats.errors:
        typer.echo(f"rejected {line}", err=True)


async def _replay(file: Path, *, is_csv: bool, columns: dict[str, str], filters: dict[str, str],
                  rate: float | None, limit: int | None, config_path: Path | None, keep_brand: bool,
                  bootstrap_servers: str | None, topic_prefix: str | None, show_progress: bool):  # noqa: ANN202
    import asyncio
    import itertools
    from collections.abc import Iterator

    from mentionflow.brandconfig import load_config
    from mentionflow.ingestion import BrandResolver
    from mentionflow.ingestion.encoding import MENTIONS_RAW
    from mentionflow.ingestion.records import ReplayNormaliser, csv_rows
    from mentionflow.kafka.admin import ensure_topics
    from mentionflow.kafka.producer import make_producer
    from mentionflow.settings import ServiceSettings
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mentionflow_tools.replay import Replayer, ReplayStats
    from mentionflow_tools.repo import brand_config_or_demo

    base = ServiceSettings().kafka
    kafka = base.model_copy(update={k: v for k, v in (("bootstrap_servers", bootstrap_servers),
                                                      ("topic_prefix", topic_prefix)) if v is not None})
    normaliser = ReplayNormaliser(BrandResolver(load_config(config_path or brand_config_or_demo())),
                                  keep_brand=keep_brand)

    def records() -> Iterator:  # type: ignore[type-arg]
        if is_csv:
            for line_no, row in csv_rows(file, filters):
                yield f"line {line_no}", (lambda now, row=row: normaliser.from_csv_row(row, columns, now=now))
        else:
            with file.open("rb") as handle:
                for line_no, line in enumerate(handle, 1):
                    if line.strip():
                        yield f"line {line_no}", (lambda now, line=line: normaliser.from_json_line(line, now=now))

    total = limit or _count_records(file, is_csv)
    await ensure_topics(kafka, [MENTIONS_RAW])
    # Bigger batches and a longer linger than the services: throughput is all that matters here.
    producer = make_producer(kafka, client_id=f"{kafka.client_id_prefix}-replay", linger_ms=20,
                             max_batch_size=1024 * 1024, max_request_size=8 * 1024 * 1024)
    await producer.start()
    progress = Progress(TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                        TimeRemainingColumn(), disable=not show_progress, transient=False)
    try:
        with progress:
            task = progress.add_task("replay", total=total, rate="")
            started = asyncio.get_running_loop().time()

            def on_progress(done: int) -> None:
                elapsed = asyncio.get_running_loop().time() - started
                progress.update(task, completed=done, rate=f"{done / elapsed:,.0f}/s" if elapsed > 0 else "")

            replayer = Replayer(producer, kafka.physical(MENTIONS_RAW), rate=rate, on_progress=on_progress)
            return await replayer.run(itertools.islice(records(), limit), ReplayStats())
    finally:
        await producer.stop()


def _count_records(file: Path, is_csv: bool) -> int | None:
    """Lines in the file (for the progress bar); CSV rows may span lines, so CSV has none."""
    if is_csv:
        return None
    with file.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
