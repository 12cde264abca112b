"""`mentionflow classify` and `mentionflow classify-eval`.

classify (exact contract, tools depend on it): JSON Lines on stdin, one object per line with
"id" and "text" plus optional "lang", "author_followers", "brand_id"; one JSON line per input
on stdout, in input order, with id, category, sentiment, sentiment_score, is_question,
severity, confidence, language, reasons. A malformed line yields {"id": <id or null>,
"error": "..."} and processing continues; exit code 0. Output is written in large buffered
chunks (no per-line flush) and large inputs are spread over forked worker processes
(MENTIONFLOW_CLASSIFY_WORKERS, default: usable cores, at most 4): this is a batch tool and
must beat VADER end to end. "brand_id" is accepted; brand profiles are not loaded here.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
from collections.abc import Iterator
from typing import IO

import orjson

_CHUNK = 1000  # lines per unit of work: large enough to amortise the pipe; small enough that the
# last chunk, run while the other worker idles, is short (2000: 0.98-0.99x VADER; 1000: 1.00-1.04x)


def _error(line_id: object, message: str) -> dict:
    ok_id = line_id if isinstance(line_id, str | int) and not isinstance(line_id, bool) else None
    return {"id": ok_id, "error": message}


def classify_line(raw: bytes, analyse) -> dict:  # noqa: ANN001 - the classifier's analyse()
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _error(None, f"invalid JSON: {exc}")
    if not isinstance(obj, dict):
        return _error(None, "each line must be a JSON object")
    line_id = obj.get("id")
    text = obj.get("text")
    if line_id is None:
        return _error(None, "missing 'id'")
    if not isinstance(text, str) or not text.strip():
        return _error(line_id, "'text' must be a non-empty string")
    lang = obj.get("lang")
    followers = obj.get("author_followers", 0)
    if lang is not None and not isinstance(lang, str):
        return _error(line_id, "'lang' must be a string")
    if followers is None:
        followers = 0
    if not isinstance(followers, int) or isinstance(followers, bool) or followers < 0:
        return _error(line_id, "'author_followers' must be a non-negative integer")
    r = analyse(text, lang=lang, author_followers=followers)
    return {
        "id": line_id,
        "category": r.category,
        "sentiment": r.sentiment,
        "sentiment_score": r.sentiment_score,
        "is_question": r.is_question,
        "severity": r.severity,
        "confidence": r.confidence,
        "language": r.language,
        "reasons": r.reasons,
    }


def _classify_chunk(lines: list[bytes]) -> bytes:
    from mentionflow.classify.classifier import analyse

    dumps = orjson.dumps
    return b"".join(dumps(classify_line(raw, analyse)) + b"\n" for raw in lines)


def _chunks(stdin: IO[bytes]) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for raw in stdin:
        if raw.strip():
            chunk.append(raw)
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _workers() -> int:
    configured = os.environ.get("MENTIONFLOW_CLASSIFY_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(1, min(4, len(os.sched_getaffinity(0))))


def run_classify(stdin: IO[bytes], stdout: IO[bytes], workers: int | None = None) -> None:
    """Stream stdin to stdout, output in input order.

    With more than one worker, chunks of lines are classified in forked processes (the model
    is loaded before the fork, so workers share it) and written back in order; a small input
    (one chunk) never pays for the pool.
    """
    from mentionflow.classify.model import load_model
    from mentionflow.heap import settle_heap

    load_model()
    # Forked workers then share the model's pages instead of copying them as the collector
    # walks its ~75,000 weight rows (measured: 1.64 -> 1.42 s for 30,000 tweets, 2 workers).
    settle_heap()
    workers = workers or _workers()
    chunks = _chunks(stdin)
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if second is None or workers == 1:
        for chunk in itertools.chain([first], [second] if second else [], chunks):
            stdout.write(_classify_chunk(chunk))
    else:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers) as pool:
            for out in pool.imap(_classify_chunk, itertools.chain([first, second], chunks)):
                stdout.write(out)
    stdout.flush()


def classify() -> None:
    """Classify JSON Lines from stdin ({"id","text"} + optional lang, author_followers, brand_id)."""
    run_classify(sys.stdin.buffer, sys.stdout.buffer)


def classify_eval(corrections: int | None = None, brand: str | None = None) -> None:
    """Per decision (category, is_question, sentiment) on the project's EN/FR sets and sentiment
    on reference data: P/R/F1, a confusion matrix and the 20 most confident errors of each set.

    With --corrections N: instead, feed N label corrections of one brand (--brand, a target of
    brand_sentiment_en; default the largest) through the per-brand adapter and measure that
    brand's held-back part before and after, and that other brands' results stay byte-identical.
    """
    if corrections is not None:
        if corrections < 1:
            sys.exit("--corrections must be at least 1")
        from mentionflow_tools.training.corrections_eval import report as corrections_report

        try:
            print(corrections_report(brand=brand, corrections=corrections))
        except ValueError as exc:  # an unknown brand: the message lists the known ones
            sys.exit(str(exc))
        return
    from mentionflow_tools.training.evaluate import report

    print(report())


if __name__ == "__main__":
    # `python -m mentionflow_tools.cli.classify`: the same command without importing every other
    # command group of the console script (start-up is a large share of a batch run).
    classify()
