"""Benchmark traffic: generated mentions written as a JSON Lines file, then replayed into
mentions.raw through the ingest path that replays files (`mentionflow.ingestion`).

Ingest receipt: the replay keeps the file's received_at (a replay of history keeps its
history); here the file is fresh traffic, so each mention's received_at is set when the
replay reads its line, which is what the end-to-end latency is measured from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from mentionflow.brandconfig import load_config
from mentionflow.events.mentions_raw import Mention
from mentionflow.ingestion import BrandResolver, encode_mention_event
from mentionflow.ingestion.records import ReplayNormaliser
from mentionflow_tools.generate import TrafficGenerator
from mentionflow_tools.generate.brands import DEMO_BRANDS
from mentionflow_tools.replay import Replayer, ReplayStats


@dataclass(frozen=True)
class TrafficFile:
    path: Path
    mention_ids: tuple[str, ...]  # in file order

    @property
    def count(self) -> int:
        return len(self.mention_ids)


def write_traffic(path: Path, count: int, *, seed: int, rate_per_s: float) -> TrafficFile:
    """`count` generated mentions of the demo brands (one Mention JSON per line). Seeds give
    disjoint external ids (the seed is the snowflake's worker), so phases never collide."""
    generator = TrafficGenerator(DEMO_BRANDS, seed=seed, rate_per_s=rate_per_s)
    ids = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for mention in generator.mentions(count):
            ids.append(mention.id)
            out.write(mention.model_dump_json().encode() + b"\n")
    return TrafficFile(path, tuple(ids))


def encoded_events(traffic: TrafficFile) -> list[tuple[bytes, bytes]]:
    """The mentions.raw records of the file (key, value), as the replay would produce them."""
    with traffic.path.open("rb") as lines:
        return [encode_mention_event(Mention.model_validate_json(line)) for line in lines if line.strip()]


def _records(traffic: TrafficFile, normaliser: ReplayNormaliser, limit: int | None) -> Iterator[tuple[str, object]]:
    with traffic.path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if limit is not None and number > limit:
                return
            yield f"line {number}", (lambda now, line=line: _received_now(normaliser.from_json_line(line, now=now)))


def _received_now(mentions: list[Mention]) -> list[Mention]:
    received_at = datetime.now(UTC)
    return [m.model_copy(update={"received_at": received_at}) for m in mentions]


async def replay(producer: AIOKafkaProducer, topic: str, traffic: TrafficFile, brand_config: Path, *,
                 rate: float | None = None, limit: int | None = None) -> ReplayStats:
    """Replay the file into the physical topic `topic` (flat out, or `rate` mentions/s)."""
    normaliser = ReplayNormaliser(BrandResolver(load_config(brand_config)))
    stats = await Replayer(producer, topic, rate=rate).run(_records(traffic, normaliser, limit), ReplayStats())  # type: ignore[arg-type]
    if stats.rejected or stats.duplicates:
        raise RuntimeError(f"replay rejected {stats.rejected} and skipped {stats.duplicates}: {stats.errors}")
    return stats
