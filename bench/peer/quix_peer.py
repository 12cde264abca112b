"""The peer: each stage of our pipeline as a minimal Quix Streams app calling the same logic.

    bench/peer/.venv/bin/python bench/peer/quix_peer.py classify --broker HOST:PORT \
        --input P.mentions.raw --output P.peer.mentions.classified --group G --count N \
        --brand-config deploy/config/demo
    ... quix_peer.py routing  --input P.mentions.classified --output P.peer.mentions.routed ...
    ... quix_peer.py publish  --input P.mentions.routed --dsn postgresql://.../db ...

classify and routing map each record (peer_logic.classifier / router) to the output topic,
keyed like the input (brand id); publish sinks the records into `queue_items` of the database
`--dsn` (whose schema publish's migrations made) with publish's own upsert, one transaction per
partition batch at each checkpoint, before Quix commits the offsets (at least once; the upsert
makes a redelivery a no-op). Each app stops after N records (or when nothing came for
--idle-timeout seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import asyncpg
from peer_logic import classifier, load_brand_config, router, write_queue_items
from quixstreams import Application
from quixstreams.sinks import BatchingSink, SinkBatch

# publish batches up to 500 records per partition (runner max_batch) and commits each batch at
# once; the peer's sink writes at checkpoints, so it checkpoints as often: every 500 records
# or every second, whichever comes first (Quix's default, every 5 s, would hold rows back).
PUBLISH_COMMIT_EVERY = 500
PUBLISH_COMMIT_INTERVAL_S = 1.0


class QueueSink(BatchingSink):
    """Each checkpoint's records of one partition → queue rows, in one transaction."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self._dsn = dsn
        self._loop = asyncio.new_event_loop()
        self._conn: asyncpg.Connection | None = None

    def setup(self) -> None:
        self._conn = self._loop.run_until_complete(asyncpg.connect(self._dsn))

    def write(self, batch: SinkBatch) -> None:
        assert self._conn is not None, "setup() connects first"
        self._loop.run_until_complete(write_queue_items(self._conn, [item.value for item in batch]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("classify", "routing", "publish"))
    parser.add_argument("--broker", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", help="the output topic (classify, routing)")
    parser.add_argument("--dsn", help="the database of the queue rows (publish)")
    parser.add_argument("--group", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--brand-config", required=True)
    parser.add_argument("--idle-timeout", type=float, default=60.0, help="stop when nothing arrives for this long")
    args = parser.parse_args()
    if (args.stage == "publish") != (args.dsn is not None) or (args.stage != "publish") != bool(args.output):
        parser.error("publish takes --dsn, classify and routing take --output")
    logging.basicConfig(level=logging.WARNING)

    commits = ({"commit_every": PUBLISH_COMMIT_EVERY, "commit_interval": PUBLISH_COMMIT_INTERVAL_S}
               if args.stage == "publish" else {})
    app = Application(broker_address=args.broker, consumer_group=args.group, auto_offset_reset="earliest",
                      loglevel="WARNING", use_changelog_topics=False, auto_create_topics=False, **commits)
    source = app.dataframe(app.topic(args.input, value_deserializer="json", key_deserializer="bytes"))
    if args.stage == "publish":
        source.sink(QueueSink(args.dsn))
    else:
        config = load_brand_config(args.brand_config)
        step = classifier(config) if args.stage == "classify" else router(config)
        source.apply(step).to_topic(app.topic(args.output, value_serializer="json", key_serializer="bytes"))
    app.run(count=args.count, timeout=args.idle_timeout, collect=False)


if __name__ == "__main__":
    main()
