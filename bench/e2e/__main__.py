"""`make bench`: end-to-end speed of mentionflow on this machine, against the broker's own ceiling.

    python -m bench.e2e [--quick] [--mentions N] [--rate R] [--latency-seconds S] [--surge]
                        [--stage-mentions N] [--peer-mentions N] [--no-peer] [--no-profile] [--keep]

Uses the stack named by MENTIONFLOW_BENCH_INFRA_DIR (a folder of `mentionflow infra up --dir`)
when set, else starts Kafka (1 broker) + PostgreSQL under .infra/bench and stops them at the end.
Writes bench/out/latest.json, details.json, report.html (see bench.e2e.harness); exits 1 when
a figure is missing or a mention was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from bench.e2e.harness import DEFAULT_OUT, QUICK, REPO, BenchConfig, run_bench
from bench.e2e.services import INFRA_ENV, bench_stack
from bench.e2e.stats import problems

log = logging.getLogger("bench.e2e")

OWN_STACK_DIR = REPO / ".infra" / "bench"


def _parse(argv: list[str] | None) -> tuple[BenchConfig, Path, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 mentions, a 20 s latency run (< 3 min)")
    parser.add_argument("--mentions", type=int, help="throughput phase size (default 100,000)")
    parser.add_argument("--rate", type=float, help="offered load of the latency phase (default 1,000/s)")
    parser.add_argument("--latency-seconds", type=float, help="length of the latency phase (default 60)")
    parser.add_argument("--stage-mentions", type=int, help="mentions for each stage alone (ours and the peer's)")
    parser.add_argument("--peer-mentions", type=int,
                        help="mentions for the peer's pipeline (default: as many as the throughput phase)")
    parser.add_argument("--surge", action="store_true",
                        help="post times as dense as the offered load (every brand in a spike)")
    parser.add_argument("--no-peer", action="store_true", help="skip the Quix Streams peer")
    parser.add_argument("--no-profile", action="store_true",
                        help="skip the py-spy'd run (flame graphs in bench/out/profiles)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics and databases")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--infra-dir", type=Path, default=os.environ.get(INFRA_ENV) or None,
                        help=f"a running stack to use (default ${INFRA_ENV}); else one is started")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else BenchConfig()
    overrides = {"mentions": args.mentions, "offered_load_per_s": args.rate, "latency_seconds": args.latency_seconds,
                 "stage_mentions": args.stage_mentions, "peer_pipeline_mentions": args.peer_mentions}
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None},
                     peer=not args.no_peer, profile=not args.no_profile, keep=args.keep,
                     post_rate_per_s=None if args.surge else config.post_rate_per_s)
    return config, args.out, args.infra_dir


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    config, out_dir, infra_dir = _parse(argv)
    with bench_stack(infra_dir, OWN_STACK_DIR) as endpoints:
        result = asyncio.run(run_bench(config, endpoints, out_dir))
    print(json.dumps(result, indent=2))
    print(f"wrote {out_dir / 'latest.json'}, {out_dir / 'details.json'}, {out_dir / 'report.html'}")
    return 1 if problems(result) or result["lost"] or result["duplicates"] else 0


if __name__ == "__main__":
    sys.exit(main())
