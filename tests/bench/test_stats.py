"""The benchmark's arithmetic: rates from progress samples, delivery accounting, latest.json's shape."""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.e2e.stats import (
    Sample,
    account,
    crossing_time,
    lag,
    peer_summary,
    problems,
    rates_over_time,
    steady_rate,
)

VALID = {
    "e2e_throughput_per_s": 3100.5,
    "latency_ms": {"p50": 40.0, "p95": 120.0, "p99": 300.0},
    "offered_load_per_s": 1000.0,
    "stage_throughput_per_s": {"classify": 4000.0, "routing": 9000.0, "publish": 6000.0},
    "kafka_ceiling_per_s": 50000.0,
    "ratio_to_ceiling": 0.062,
    "peer": {"name": "quixstreams", "throughput_per_s": 3500.0, "ratio": 1.143,
             "stage_throughput_per_s": {"classify": 3500.0, "routing": 6000.0, "publish": 5000.0},
             "stage_ratio": {"classify": 1.143, "routing": 1.5, "publish": 1.2},
             "pipeline_throughput_per_s": 2000.0, "pipeline_ratio": 1.55, "pipeline_lost": 0,
             "pipeline_duplicates": 0},
    "rss_mb": {"classify": 90.0, "routing": 80.0, "publish": 110.0},
    "cpu_us_per_mention": {"classify": 130.0, "routing": 120.0, "publish": 140.0, "kafka": 60.0,
                           "postgresql": 130.0, "replay": 50.0, "total": 630.0},
    "lost": 0,
    "duplicates": 0,
    "machine": {"cores": 2, "memory_gb": 23.5},
    "git_sha": "ad374e8",
}


def linear_progress(rate: float, delay: float, total: int, interval: float) -> list[Sample]:
    """A counter that starts after `delay` seconds and then grows at `rate` up to `total`."""
    samples, t = [], 0.0
    while True:
        value = min(total, max(0, int((t - delay) * rate)))
        samples.append(Sample(t, value))
        if value >= total:
            return samples
        t += interval


def test_crossing_time_interpolates_between_samples() -> None:
    samples = [Sample(0.0, 0), Sample(1.0, 100), Sample(2.0, 300)]
    assert crossing_time(samples, 200) == pytest.approx(1.5)
    assert crossing_time(samples, 100) == 1.0
    assert crossing_time(samples, 301) is None


@given(rate=st.floats(50, 50_000), delay=st.floats(0, 10), interval=st.sampled_from([0.1, 0.25, 0.5]))
def test_steady_rate_is_the_slope_whatever_the_start_up_delay(rate: float, delay: float, interval: float) -> None:
    total = max(100, int(rate * 20 * interval))  # at least ~16 samples between 10 % and 90 %
    measured = steady_rate(linear_progress(rate, delay, total, interval), total)
    assert measured == pytest.approx(rate, rel=0.05)


def test_steady_rate_counts_from_the_base_and_is_none_when_unfinished() -> None:
    samples = [Sample(0, 1000), Sample(1, 1000), Sample(2, 1500), Sample(3, 2000)]
    assert steady_rate(samples, 1000, base=1000) == pytest.approx(500)
    assert steady_rate(samples[:3], 1000, base=1000) is None  # only halfway
    assert math.isinf(steady_rate([Sample(0, 0), Sample(0, 10)], 10))  # all in one instant


def test_rates_and_lag_over_time() -> None:
    ends = [Sample(0, 10), Sample(1, 30), Sample(2, 30)]
    committed = [Sample(0, 0), Sample(1, 10), Sample(2, 30)]
    assert rates_over_time(committed) == [(0.5, 10.0), (1.5, 20.0)]
    assert rates_over_time(committed, window_s=1.5) == [(1.0, 15.0)]  # smoothed over 2 s
    assert lag(ends, committed) == [(0, 10), (1, 20), (2, 0)]


def test_account_lost_duplicates_and_unexpected() -> None:
    delivery = account(["a", "b", "c", "d"], {"a": 1, "b": 2, "x": 1})
    assert (delivery.generated, delivery.rows) == (4, 4)
    assert delivery.lost == 2  # c and d
    assert delivery.duplicates == 1  # b's second row
    assert delivery.unexpected == 1  # x was never generated


def test_a_complete_document_has_no_problems() -> None:
    assert problems(VALID) == []
    skipped = peer_summary("quixstreams", ours=VALID["stage_throughput_per_s"], ours_e2e=3100.5,
                           peer={}, peer_pipeline=None, delivery=None)
    assert problems({**VALID, "peer": skipped}) == []


def test_peer_summary_ratios_are_ours_over_the_peers() -> None:
    peer = peer_summary("quixstreams", ours={"classify": 4000.0, "routing": 9000.0, "publish": 6000.0},
                        ours_e2e=3100.5, peer={"classify": 3500.0, "routing": 6000.0, "publish": None},
                        peer_pipeline=2000.04, delivery=account(["a", "b", "c"], {"a": 1, "b": 3}))
    assert peer == {
        "name": "quixstreams",
        "throughput_per_s": 3500.0, "ratio": 1.143,  # the classify figures, as before
        "stage_throughput_per_s": {"classify": 3500.0, "routing": 6000.0, "publish": None},
        "stage_ratio": {"classify": 1.143, "routing": 1.5, "publish": None},  # publish peer failed: no ratio
        "pipeline_throughput_per_s": 2000.0, "pipeline_ratio": 1.55,
        "pipeline_lost": 1, "pipeline_duplicates": 2,
    }
    assert problems({**VALID, "peer": peer}) == []
    skipped = peer_summary("quixstreams", ours={}, ours_e2e=None, peer={}, peer_pipeline=None, delivery=None)
    assert skipped["stage_ratio"] == {"classify": None, "routing": None, "publish": None}
    assert (skipped["pipeline_lost"], skipped["pipeline_duplicates"]) == (None, None)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.pop("lost"), "missing keys ['lost']"),
    (lambda d: d.update(extra=1), "unexpected keys ['extra']"),
    (lambda d: d.update(e2e_throughput_per_s=None), "e2e_throughput_per_s should be a positive"),
    (lambda d: d["latency_ms"].update(p99=10.0), "latency percentiles out of order"),
    (lambda d: d["stage_throughput_per_s"].pop("routing"), "stage_throughput_per_s should have exactly"),
    (lambda d: d["rss_mb"].update(publish=None), "rss_mb.publish should be a positive"),
    (lambda d: d["peer"].update(ratio=None), "peer.ratio should be a positive"),
    (lambda d: d["peer"].pop("pipeline_ratio"), "peer should have exactly"),
    (lambda d: d["peer"].update(extra=1), "peer should have exactly"),
    (lambda d: d["peer"]["stage_ratio"].pop("publish"), "peer.stage_ratio should have exactly"),
    (lambda d: d["peer"]["stage_ratio"].update(routing=0.0), "peer.stage_ratio.routing should be a positive"),
    (lambda d: d["peer"]["stage_throughput_per_s"].update(publish=None), "peer.stage_throughput_per_s.publish"),
    (lambda d: d["peer"].update(throughput_per_s=1.0), "is not its classify alone"),
    (lambda d: d["peer"].update(pipeline_ratio=math.inf), "peer.pipeline_ratio should be a positive"),
    (lambda d: d["peer"].update(pipeline_throughput_per_s=None), "peer.pipeline_throughput_per_s should be"),
    (lambda d: d["peer"].update(pipeline_lost=None), "peer.pipeline_lost should be a count"),
    (lambda d: d["peer"].update(pipeline_duplicates=-1), "peer.pipeline_duplicates should be a count"),
    (lambda d: d["cpu_us_per_mention"].update(total=100.0), "not the sum of its parts"),
    (lambda d: d["cpu_us_per_mention"].pop("publish"), "cpu_us_per_mention should have"),
    (lambda d: d["cpu_us_per_mention"].update(kafka=0.0), "cpu_us_per_mention.kafka should be a positive"),
    (lambda d: d.update(duplicates=-1), "duplicates should be a count"),
    (lambda d: d.update(machine={"cores": 2}), "machine should be"),
    (lambda d: d.update(git_sha=""), "git_sha should be"),
])
def test_a_broken_document_is_reported(change, expected: str) -> None:  # noqa: ANN001
    document = copy.deepcopy(VALID)
    change(document)
    assert any(expected in problem for problem in problems(document)), problems(document)
