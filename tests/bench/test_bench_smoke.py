"""`make bench` in miniature: the whole harness against the test stack, with tiny sizes.

Real processes (classify, routing, publish), the real broker and database; the peer is
skipped here (tests/bench/test_peer.py runs it). Figures are not
asserted (they depend on the machine), only that every key is there with a sane value and
that no mention was lost or duplicated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mentionflow_tools.infra import stack as infra_stack

from bench.e2e.harness import BenchConfig, run_bench
from bench.e2e.services import endpoints_of
from bench.e2e.stats import RESULT_KEYS, problems

pytestmark = pytest.mark.slow

TINY = BenchConfig(mentions=2_000, offered_load_per_s=200.0, latency_seconds=5.0, stage_mentions=1_000,
                   warmup_mentions=100, ceiling_records=5_000, peer=False, sample_interval_s=0.25,
                   profile_mentions=2_000)


async def test_the_harness_measures_everything_and_loses_nothing(stack: infra_stack.Stack, tmp_path: Path) -> None:
    result = await run_bench(TINY, endpoints_of(stack), tmp_path)

    assert list(result) == list(RESULT_KEYS)
    assert problems(result) == []
    assert json.loads((tmp_path / "latest.json").read_text()) == result
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert result["offered_load_per_s"] == 200.0
    assert result["peer"]["name"] == "quixstreams"
    assert result["peer"]["pipeline_throughput_per_s"] is None  # skipped (the peer has its own test)
    assert set(result["peer"]["stage_ratio"].values()) == {None}
    # The pipeline cannot beat the broker it crosses three times.
    assert result["e2e_throughput_per_s"] < result["kafka_ceiling_per_s"]

    details = json.loads((tmp_path / "details.json").read_text())
    assert details["problems"] == []
    assert details["summary"]["delivery"] == {"generated": 100 + 2_000 + 1_000, "rows": 3_100, "lost": 0,
                                              "duplicates": 0, "unexpected": 0}
    assert details["summary"]["throughput_phase"]["rows"] == 2_000
    for name in ("report.html", "throughput.png", "latency.png", "lag.png", "stages.png", "peer.png"):
        assert (tmp_path / name).stat().st_size > 1_000, name
    # Every process of the stack was accounted for, the broker and PostgreSQL included.
    assert set(result["cpu_us_per_mention"]) == {"classify", "routing", "publish", "kafka", "postgresql",
                                                 "replay", "total"}
    # A flame graph and hotspots per service, from the profiled run.
    for stage in ("classify", "routing", "publish"):
        assert (tmp_path / "profiles" / f"{stage}.svg").read_text().lstrip().startswith("<?xml"), stage
        # Hottest frames by self time: a tiny run may have every sample under one stack, which
        # the inclusive list leaves out as "the loop" (see bench.e2e.profile.hotspots).
        assert details["summary"]["profiles"][stage]["self"], stage
