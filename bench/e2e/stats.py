"""Pure arithmetic of the end-to-end benchmark: rates from progress samples, delivery accounting,
the shape of `latest.json`. No I/O here, so all of it is unit-tested directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# The keys of bench/out/latest.json, fixed by the issue: nothing more, nothing less.
RESULT_KEYS = (
    "e2e_throughput_per_s", "latency_ms", "offered_load_per_s", "stage_throughput_per_s",
    "kafka_ceiling_per_s", "ratio_to_ceiling", "peer", "rss_mb", "cpu_us_per_mention", "lost", "duplicates",
    "machine", "git_sha",
)
# CPU-µs per mention during the throughput phase: each service, the broker, PostgreSQL, the
# replay (the benchmark's own process), and all of them together.
CPU_PARTS = (*("classify", "routing", "publish"), "kafka", "postgresql", "replay", "total")
STAGES = ("classify", "routing", "publish")
# latest.json's `peer`: name, its classify alone and our classify's ratio to it (the original
# figures, kept), each stage alone with ours/peer ratios, its pipeline end to end with ours/peer,
# and what its pipeline lost or duplicated.
PEER_KEYS = ("name", "throughput_per_s", "ratio", "stage_throughput_per_s", "stage_ratio",
             "pipeline_throughput_per_s", "pipeline_ratio", "pipeline_lost", "pipeline_duplicates")
PERCENTILES = ("p50", "p95", "p99")


@dataclass(frozen=True, slots=True)
class Sample:
    """A cumulative progress counter (records produced, committed, rows) at time `t` (seconds)."""

    t: float
    value: int


def crossing_time(samples: Sequence[Sample], level: float) -> float | None:
    """When the counter first reached `level`, interpolated linearly between the two samples
    around the crossing (sampling every few hundred ms would otherwise quantise short runs).
    None when it never did. Samples must be in time order."""
    previous: Sample | None = None
    for sample in samples:
        if sample.value >= level:
            if previous is None or sample.value == previous.value:
                return sample.t
            fraction = (level - previous.value) / (sample.value - previous.value)
            return previous.t + max(0.0, fraction) * (sample.t - previous.t)
        previous = sample
    return None


def steady_rate(samples: Sequence[Sample], total: int, *, base: int = 0, low: float = 0.1,
                high: float = 0.9) -> float | None:
    """Records per second while the counter went from `base + low * total` to `base + high * total`.

    Measuring between 10 % and 90 % leaves out start-up (process import, group join) and the
    tail (a last partial batch), which are not the stage's throughput. None when the counter
    did not get that far.
    """
    if total <= 0 or not 0 <= low < high <= 1:
        raise ValueError("need total > 0 and 0 <= low < high <= 1")
    start = crossing_time(samples, base + low * total)
    end = crossing_time(samples, base + high * total)
    if start is None or end is None:
        return None
    if end <= start:
        return math.inf
    return (high - low) * total / (end - start)


def rates_over_time(samples: Sequence[Sample], *, window_s: float = 0.0) -> list[tuple[float, float]]:
    """(mid-interval time, records/s) from each sample to the first one at least `window_s`
    later (0: the next one): the throughput curve, smoothed over the window. Stages handle
    batches of hundreds of records, so sample-to-sample rates jump between 0 and peaks."""
    points = []
    j = 0
    for i, a in enumerate(samples):
        j = max(j, i + 1)
        while j < len(samples) and samples[j].t - a.t < window_s:
            j += 1
        if j >= len(samples):
            break
        b = samples[j]
        if b.t > a.t:
            points.append(((a.t + b.t) / 2, (b.value - a.value) / (b.t - a.t)))
    return points


def lag(ends: Sequence[Sample], committed: Sequence[Sample]) -> list[tuple[float, int]]:
    """Consumer lag (end offset − committed offset) at each time both were sampled."""
    committed_at = {s.t: s.value for s in committed}
    return [(s.t, max(0, s.value - committed_at[s.t])) for s in ends if s.t in committed_at]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of the generated mentions once every row is in.

    lost: generated mentions with no queue row. duplicates: rows beyond the first for one
    mention (the unique key (brand, platform, external id) makes it 0 unless that key is
    broken). unexpected: rows for mentions the benchmark never generated. Events consumed
    more than once (redelivery after a rebalance) are not duplicates: the upsert absorbs them,
    and they show up as `stale` queue-item changes in publish's metrics instead.
    """

    generated: int
    rows: int
    lost: int
    duplicates: int
    unexpected: int


def account(generated: Iterable[str], rows_per_mention: Mapping[str, int]) -> Delivery:
    wanted = set(generated)
    present = {mention for mention, count in rows_per_mention.items() if count > 0}
    return Delivery(
        generated=len(wanted),
        rows=sum(rows_per_mention.values()),
        lost=len(wanted - present),
        duplicates=sum(count - 1 for count in rows_per_mention.values() if count > 1),
        unexpected=len(present - wanted),
    )


def percentiles(values: Sequence[float] | np.ndarray) -> dict[str, float] | None:
    """p50/p95/p99 of `values`, interpolated linearly between the closest ranks (as PostgreSQL's
    percentile_cont); None when there are none."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return None
    return {name: float(np.percentile(array, q)) for name, q in zip(PERCENTILES, (50, 95, 99), strict=True)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def peer_summary(name: str, *, ours: Mapping[str, float | None], ours_e2e: float | None,
                 peer: Mapping[str, float | None], peer_pipeline: float | None,
                 delivery: Delivery | None) -> dict[str, Any]:
    """latest.json's `peer`: rates per second (0.1), ratios ours / peer (0.001; above 1: we are
    faster), None where either side has no figure; lost/duplicates None when its pipeline did
    not run."""
    stage_rates = {s: _rounded(peer.get(s), 1) for s in STAGES}
    stage_ratios = {s: _rounded(ratio(ours.get(s), peer.get(s)), 3) for s in STAGES}
    return {
        "name": name,
        "throughput_per_s": stage_rates["classify"],
        "ratio": stage_ratios["classify"],
        "stage_throughput_per_s": stage_rates,
        "stage_ratio": stage_ratios,
        "pipeline_throughput_per_s": _rounded(peer_pipeline, 1),
        "pipeline_ratio": _rounded(ratio(ours_e2e, peer_pipeline), 3),
        "pipeline_lost": delivery.lost if delivery else None,
        "pipeline_duplicates": delivery.duplicates if delivery else None,
    }


def _peer_problems(peer: Any, positive: Any) -> list[str]:  # noqa: ANN401
    """What is wrong with latest.json's `peer` (see PEER_KEYS). A figure and its ratio are both
    None (that part of the peer did not run: skipped or failed, said in details.json) or both
    positive numbers."""
    if not (isinstance(peer, Mapping) and set(peer) == set(PEER_KEYS) and isinstance(peer.get("name"), str)):
        return [f"peer should have exactly {PEER_KEYS}: {peer!r}"]
    found: list[str] = []
    pairs = [("throughput_per_s", peer["throughput_per_s"], "ratio", peer["ratio"]),
             ("pipeline_throughput_per_s", peer["pipeline_throughput_per_s"], "pipeline_ratio",
              peer["pipeline_ratio"])]
    rates, ratios = peer["stage_throughput_per_s"], peer["stage_ratio"]
    for key, value in (("stage_throughput_per_s", rates), ("stage_ratio", ratios)):
        if not (isinstance(value, Mapping) and set(value) == set(STAGES)):
            found.append(f"peer.{key} should have exactly {STAGES}: {value!r}")
    if not found:
        pairs += [(f"stage_throughput_per_s.{s}", rates[s], f"stage_ratio.{s}", ratios[s]) for s in STAGES]
        if peer["throughput_per_s"] != rates["classify"]:
            found.append(f"peer.throughput_per_s ({peer['throughput_per_s']!r}) is not its classify alone "
                         f"({rates['classify']!r})")
    for rate_key, rate, ratio_key, value in pairs:
        if rate is not None or value is not None:
            positive(f"peer.{rate_key}", rate)
            positive(f"peer.{ratio_key}", value)
    for key in ("pipeline_lost", "pipeline_duplicates"):
        value = peer[key]
        if value is None and peer["pipeline_throughput_per_s"] is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            found.append(f"peer.{key} should be a count, not {value!r}")
    return found


def problems(result: Mapping[str, Any]) -> list[str]:
    """What is wrong with a latest.json document (empty: it has every key, nothing else,
    and values of the right kind). Used by the harness before writing and by the smoke test."""
    found: list[str] = []
    missing = [k for k in RESULT_KEYS if k not in result]
    extra = [k for k in result if k not in RESULT_KEYS]
    if missing:
        found.append(f"missing keys {missing}")
    if extra:
        found.append(f"unexpected keys {extra}")

    def positive(name: str, value: Any) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0 or math.isinf(value):
            found.append(f"{name} should be a positive finite number, not {value!r}")

    for key in ("e2e_throughput_per_s", "offered_load_per_s", "kafka_ceiling_per_s", "ratio_to_ceiling"):
        if key in result:
            positive(key, result[key])
    latency = result.get("latency_ms")
    if isinstance(latency, Mapping) and set(latency) == set(PERCENTILES):
        for p in PERCENTILES:
            positive(f"latency_ms.{p}", latency[p])
        if all(isinstance(latency[p], int | float) for p in PERCENTILES) and not (
                latency["p50"] <= latency["p95"] <= latency["p99"]):
            found.append(f"latency percentiles out of order: {latency}")
    elif "latency_ms" in result:
        found.append(f"latency_ms should have exactly {PERCENTILES}: {latency!r}")
    for key in ("stage_throughput_per_s", "rss_mb"):
        value = result.get(key)
        if isinstance(value, Mapping) and set(value) == set(STAGES):
            for stage in STAGES:
                positive(f"{key}.{stage}", value[stage])
        elif key in result:
            found.append(f"{key} should have exactly {STAGES}: {value!r}")
    if "peer" in result:
        found += _peer_problems(result["peer"], positive)
    cpu = result.get("cpu_us_per_mention")
    if isinstance(cpu, Mapping) and set(cpu) <= set(CPU_PARTS) and {"total", *STAGES} <= set(cpu):
        for part, value in cpu.items():
            positive(f"cpu_us_per_mention.{part}", value)
        if all(isinstance(v, int | float) for v in cpu.values()) and not math.isclose(
                cpu["total"], sum(v for k, v in cpu.items() if k != "total"), abs_tol=0.1 * len(cpu)):
            found.append(f"cpu_us_per_mention.total is not the sum of its parts: {cpu}")
    elif "cpu_us_per_mention" in result:
        found.append(f"cpu_us_per_mention should have the services and total, from {CPU_PARTS}: {cpu!r}")
    for key in ("lost", "duplicates"):
        value = result.get(key)
        if key in result and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            found.append(f"{key} should be a count, not {value!r}")
    machine = result.get("machine")
    if not (isinstance(machine, Mapping) and set(machine) == {"cores", "memory_gb"}):
        if "machine" in result:
            found.append(f"machine should be {{cores, memory_gb}}: {machine!r}")
    else:
        positive("machine.cores", machine["cores"])
        positive("machine.memory_gb", machine["memory_gb"])
    if "git_sha" in result and not (isinstance(result["git_sha"], str) and result["git_sha"]):
        found.append(f"git_sha should be a non-empty string: {result['git_sha']!r}")
    return found
