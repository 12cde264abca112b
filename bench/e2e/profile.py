"""Reading py-spy's collapsed stacks (`--format raw`): where a stage spends its time."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# "function (path/to/module.py:123)" → "function (module.py)": lines of one function merged.
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^:()]*)(?::\d+)?\)$")


LOOP_SHARE = 0.85


@dataclass(frozen=True)
class Hotspot:
    frame: str
    share: float  # of all samples


def frame_name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['function']} ({match['path'].rsplit('/', 1)[-1]})"


def hotspots(lines: Iterable[str], *, top: int = 15) -> tuple[list[Hotspot], list[Hotspot]]:
    """(self time, inclusive time) of the `top` frames, as shares of all samples; the inclusive
    list leaves out frames in more than 85 % of the samples (event loop, entry point)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [frame_name(f) for f in stack.split(";")]
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if total == 0:
        return [], []

    def ranked(counter: Counter[str], ceiling: float) -> list[Hotspot]:
        shares = (Hotspot(frame, n / total) for frame, n in counter.most_common())
        return [h for h in shares if h.share < ceiling][:top]

    # Frames present in (nearly) every sample are the event loop and the entry point: skip them.
    return ranked(own, 1.01), ranked(inclusive, LOOP_SHARE)
