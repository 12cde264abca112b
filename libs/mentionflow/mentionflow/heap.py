"""Settle the heap once start-up is done (every service, and `mentionflow classify`), and
collect a running service's cyclic garbage on a clock rather than on allocation counts."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between young-generation collections (CPython's default is 700). A consumer
# allocates tens of objects per message and frees almost all of them by reference counting;
# at 700 the collector ran every few messages and, with the batch in flight, cost a fifth
# of the classify service's CPU (measured: ~25 us of ~140 us per mention).
GC_YOUNG_THRESHOLD = 10_000

# A running service collects every few seconds instead (`collect_periodically`). Measured with
# GC callbacks (thread CPU time) in a quick `make bench`, 75,000 mentions: at 10,000
# allocations, classify ran 247 young collections costing 3.3 ms of CPU each (walking the batch
# in flight, ~11,000 objects, none of it garbage: 390 objects freed in the whole run), about
# 11 % of its CPU; routing 10 %, publish 8 %. A full collection under load walks the fetched
# backlog too, 35-50 ms: every second that was still 3.5 % of classify, every five seconds
# under 1 %. Rarely collecting is no option: at 100,000 allocations (collections then almost
# never ran) classify's memory grew without bound (108 -> 531 MB over 200,000 mentions); with a
# collection every 5 s its peak was 191 MB (every 1 s: 162 MB; at 10,000 allocations: 154 MB).
# The allocation threshold stays, far above a service's working set, only as a backstop for a
# loop that never yields.
SERVICE_GC_THRESHOLD = 200_000
SERVICE_GC_INTERVAL_S = 5.0


def settle_heap() -> None:
    """What exists now (modules, config, model weights) lives as long as the process, so it is
    moved out of the collector's sight (`gc.freeze`) instead of being re-scanned by every full
    collection, and young collections run less often. A process forked after this keeps sharing
    those pages: the collector no longer writes to them.

    No collection first: it would walk every weight row of the models (~15 ms of
    `mentionflow classify`'s start-up) to free the few cycles start-up leaves, and those few
    objects may as well stay in the frozen generation."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD)


async def collect_periodically(interval_s: float = SERVICE_GC_INTERVAL_S) -> None:
    """Run until cancelled: a full collection every `interval_s`, so what is left in cycles is
    freed within that time, whatever the traffic. It walks what is not frozen: a few thousand
    long-lived objects, plus the records in flight under load."""
    gc.set_threshold(SERVICE_GC_THRESHOLD)
    while True:
        await asyncio.sleep(interval_s)
        gc.collect()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection while a large artifact is parsed: its hundreds of thousands of new objects
    would otherwise trigger collections that re-walk them all (a third of the sentiment
    model's load time). Nothing parsed is garbage, so none is missed."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
