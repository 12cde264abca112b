"""`make chaos`: run every scenario and write bench/out/chaos.json.

    CHAOS_MENTIONS=50000 CHAOS_REPLIES=1000 .venv/bin/python -m bench.chaos

Variables: CHAOS_MENTIONS and CHAOS_REPLIES (totals, split evenly over the scenarios),
CHAOS_SCENARIOS (comma-separated names, default all), CHAOS_LONG_HISTORY (1000000: the mentions
of the long-history spike-state restore timed after the scenarios, 0: skip), CHAOS_STREAM_S (40:
each scenario's mentions are paced over this many seconds, so faults hit a busy pipeline),
CHAOS_X_OUTAGE_S (60), SOAK=1 (adds the soak after the scenarios: CHAOS_SOAK_S (1800) seconds at
CHAOS_SOAK_RATE (500) mentions/s, resident memory growth ≤ 10 % after warm-up, no error logs),
CHAOS_RECOVERY_TIMEOUT_S (300), CHAOS_SEED (7), CHAOS_DIR (.infra/chaos), CHAOS_OUT
(bench/out/chaos.json). Exit status 1 when any scenario lost, duplicated or double-posted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

from bench.chaos.harness import REPO, ChaosConfig, Harness
from bench.chaos.long_history import measure_restore
from bench.chaos.scenarios import SCENARIOS, soak


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _write(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


async def main() -> int:
    names = [n.strip() for n in os.environ.get("CHAOS_SCENARIOS", "").split(",") if n.strip()] or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios {unknown}; known: {list(SCENARIOS)}", file=sys.stderr)
        return 2
    mentions = _split(int(os.environ.get("CHAOS_MENTIONS", "50000")), len(names))
    replies = _split(int(os.environ.get("CHAOS_REPLIES", "1000")), len(names))
    out = Path(os.environ.get("CHAOS_OUT", REPO / "bench" / "out" / "chaos.json"))
    config = ChaosConfig(
        work_dir=Path(os.environ.get("CHAOS_DIR", REPO / ".infra" / "chaos")),
        seed=int(os.environ.get("CHAOS_SEED", "7")),
        x_outage_s=float(os.environ.get("CHAOS_X_OUTAGE_S", "60")),
        stream_s=float(os.environ.get("CHAOS_STREAM_S", "40")),
        recovery_timeout_s=float(os.environ.get("CHAOS_RECOVERY_TIMEOUT_S", "300")),
    )
    started = time.monotonic()
    rows = []
    async with Harness(config) as harness:
        for name, count, reply_count in zip(names, mentions, replies, strict=True):
            result = await harness.run_scenario(name, SCENARIOS[name], mentions=count, replies=reply_count)
            rows.append(result)
            await asyncio.to_thread(_write, out, [r.row() for r in rows])
        if os.environ.get("SOAK") == "1":
            soak_s = float(os.environ.get("CHAOS_SOAK_S", "1800"))
            count = int(soak_s * float(os.environ.get("CHAOS_SOAK_RATE", "500")))
            rows.append(await harness.run_scenario("soak", soak, mentions=count, replies=0, stream_s=soak_s))
            await asyncio.to_thread(_write, out, [r.row() for r in rows])
        final = await harness.final_checks()
        history = int(os.environ.get("CHAOS_LONG_HISTORY", "1000000"))
        if history:  # after the checks: its topics have a prefix of their own
            final["long_history_restore"] = await measure_restore(harness.kafka, history, config.partitions)
    await asyncio.to_thread(_write, out.with_name(out.stem + "-final.json"), final)
    print(f"{'scenario':28} {'mentions':>8} {'lost':>5} {'dup':>4} {'2x':>3} {'replies':>7} {'posts':>5} "
          f"{'2xpost':>6} {'fault_s':>8} {'recovery_s':>10}")
    for r in rows:
        recovery = "-" if r.recovery_s is None else f"{r.recovery_s:.1f}"
        verdict = "" if r.passed else "  FAILED " + "; ".join(r.notes[:2])
        print(f"{r.scenario:28} {r.mentions:8d} {r.lost:5d} {r.duplicates:4d} {r.double_replies:3d} "
              f"{r.replies:7d} {r.posts:5d} {r.double_posts:6d} {r.fault_s:8.1f} {recovery:>10}{verdict}")
    print(f"after all scenarios: {json.dumps(final)}")
    print(f"wrote {out} in {time.monotonic() - started:.0f}s")
    ok = all(r.passed for r in rows) and final["lost"] == 0 and final["double_replies"] == 0 \
        and final["replies_lost"] == 0 and final["posts_lost"] == 0 and final["double_posts"] == 0 \
        and not final["dlq_unexpected"] and final["unexpected_queue_rows"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s chaos %(levelname)s %(name)s: %(message)s")
    for noisy in ("aiokafka", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.exit(asyncio.run(main()))
