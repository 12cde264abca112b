"""Reading py-spy's collapsed stacks into self and inclusive shares."""

from __future__ import annotations

import pytest

from bench.e2e.profile import frame_name, hotspots

LOOP = "main (svc/main.py:5);_run_once (asyncio/base_events.py:1)"
LINES = [
    f"{LOOP};handle (svc/handler.py:10);classify (lib/classifier.py:40) 6",
    f"{LOOP};handle (svc/handler.py:12);classify (lib/classifier.py:41);tokenize (lib/tokenize.py:3) 2",
    f"{LOOP};decode (lib/codec.py:7) 2",
    "not a stack line",
]


def test_frames_of_one_function_merge_across_lines() -> None:
    assert frame_name("classify (lib/classifier.py:40)") == "classify (classifier.py)"
    assert frame_name("_run_code (<frozen runpy>:88)") == "_run_code (<frozen runpy>)"


def test_self_and_inclusive_shares() -> None:
    own, inclusive = hotspots(LINES)
    assert [(h.frame, h.share) for h in own] == [
        ("classify (classifier.py)", pytest.approx(0.6)),
        ("tokenize (tokenize.py)", pytest.approx(0.2)),
        ("decode (codec.py)", pytest.approx(0.2)),
    ]
    shares = {h.frame: h.share for h in inclusive}
    assert shares["classify (classifier.py)"] == pytest.approx(0.8)  # with tokenize below it
    assert shares["handle (handler.py)"] == pytest.approx(0.8)
    assert "main (main.py)" not in shares  # in every sample: the loop, left out


def test_no_samples_no_hotspots() -> None:
    assert hotspots([]) == ([], [])
