"""Settle the heap once start-up is done (every service, and `mentionflow classify`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between young-generation collections (CPython's default is 700). A consumer
# allocates tens of objects per message and frees almost all of them by reference counting;
# at 700 the collector ran every few messages and, with the batch in flight, cost a fifth
# of the classify service's CPU (measured: ~25 us of ~140 us per mention).
GC_YOUNG_THRESHOLD = 10_000


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
