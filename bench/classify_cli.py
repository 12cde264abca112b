"""Benchmark: `mentionflow classify` as a whole process vs VADER doing the same JSONL in/out.

Usage: .venv/bin/python bench/classify_cli.py [--n 30000] [--rounds 5]
Needs the `bench` dependency group (vaderSentiment). Input: the TweetEval test texts from the
reference data when present (read at run time, never copied), else the project's own EN/FR
sets repeated. Both sides read the same JSON Lines file on stdin and write JSON Lines to a
file, timed end to end including interpreter start-up. The same command is also timed as
`python -m mentionflow_tools.cli.classify`, which skips importing the console script's other
command groups (their import time is not the classifier's). Writes bench/out/classify_cli.json.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from mentionflow_tools.training.datasets import load_own, load_tweeteval

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"

# VADER side: the same contract shape (read JSONL, write one JSON line per input), kept minimal
# so the comparison measures the analysers, not our validation.
_VADER_SCRIPT = """
import sys, orjson
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
sia = SentimentIntensityAnalyzer()
out = []
for raw in sys.stdin.buffer:
    obj = orjson.loads(raw)
    c = sia.polarity_scores(obj["text"])["compound"]
    label = "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"
    out.append(orjson.dumps({"id": obj["id"], "sentiment": label, "sentiment_score": c}))
sys.stdout.buffer.write(b"\\n".join(out) + b"\\n")
"""


def _texts(n: int) -> tuple[list[str], str]:
    test = load_tweeteval("test")
    if test is not None:
        source, texts = "tweeteval test", [e.text for e in test]
    else:
        source, texts = "own EN+FR sets repeated", [e.text for e in load_own("en") + load_own("fr")]
    return list(itertools.islice(itertools.cycle(texts), n)), source


def _timed(cmd: list[str], infile: Path, outfile: Path) -> float:
    with infile.open("rb") as fin, outfile.open("wb") as fout:
        start = time.perf_counter()
        subprocess.run(cmd, stdin=fin, stdout=fout, check=True)
        return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating runs of each side; the medians are compared")
    args = parser.parse_args()
    texts, source = _texts(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        infile = Path(tmp) / "in.jsonl"
        infile.write_bytes(
            b"".join(orjson.dumps({"id": str(i), "text": t}) + b"\n" for i, t in enumerate(texts))
        )
        ours_out, vader_out = Path(tmp) / "ours.jsonl", Path(tmp) / "vader.jsonl"
        module_out = Path(tmp) / "module.jsonl"
        # Alternated rounds, medians compared: on this shared 2-core machine the same command's
        # time varies by 25 % from one run to the next; one run of each side said little.
        sides = {
            "ours": ([str(VENV_BIN / "mentionflow"), "classify"], ours_out),
            "module": ([sys.executable, "-m", "mentionflow_tools.cli.classify"], module_out),
            "vader": ([sys.executable, "-c", _VADER_SCRIPT], vader_out),
        }
        times: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side, (cmd, outfile) in sides.items():
                times[side].append(_timed(cmd, infile, outfile))
        ours, module, vader = (statistics.median(times[side]) for side in sides)
        counts = [p.read_bytes().count(b"\n") for p in (ours_out, module_out, vader_out)]
        if module_out.read_bytes() != ours_out.read_bytes():
            raise SystemExit("console script and module produced different output")
    if any(c != len(texts) for c in counts):
        raise SystemExit(f"line count mismatch (ours, module, vader): {counts}")
    result = {
        "texts": len(texts),
        "rounds": args.rounds,
        "source": source,
        "mentionflow_seconds": round(ours, 3),
        "mentionflow_texts_per_s": round(len(texts) / ours),
        "module_seconds": round(module, 3),
        "module_texts_per_s": round(len(texts) / module),
        "ratio_module_over_vader": round(vader / module, 3),
        "vader_seconds": round(vader, 3),
        "vader_texts_per_s": round(len(texts) / vader),
        "ratio_mentionflow_over_vader": round(vader / ours, 3),
        "seconds_per_round": {side: [round(t, 3) for t in runs] for side, runs in times.items()},
    }
    out_dir = REPO / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "classify_cli.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"{len(texts)} texts ({source}), median of {args.rounds} alternated rounds")
    print(f"mentionflow classify: {result['mentionflow_texts_per_s']:>7} texts/s ({ours:.2f} s)")
    print(f"python -m mentionflow_tools.cli.classify: {result['module_texts_per_s']:>7} texts/s "
          f"({module:.2f} s)")
    print(f"VADER               : {result['vader_texts_per_s']:>7} texts/s ({vader:.2f} s)")
    print(f"ratio (console script / VADER): {result['ratio_mentionflow_over_vader']:.2f}x")
    print(f"ratio (module / VADER):         {result['ratio_module_over_vader']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
