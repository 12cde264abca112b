"""CLI contract of `mentionflow classify` through the real console script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / ".venv" / "bin" / "mentionflow"
KEYS = {"id", "category", "sentiment", "sentiment_score", "is_question", "severity", "confidence",
        "language", "reasons"}


def _run(stdin: bytes, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], input=stdin, capture_output=True, timeout=60, env=env)


def test_contract_with_malformed_lines() -> None:
    lines = [
        b'{"id": "a", "text": "@NovaTel my phone caught fire", "author_followers": 10}',
        b"this is not json",
        b'{"id": "b"}',
        b'{"id": "c", "text": "merci @Telexa !", "lang": "fr", "brand_id": "telexa"}',
        b"[1, 2]",
        b'{"id": 7, "text": "ok", "author_followers": -3}',
        b'{"text": "no id"}',
        b'{"id": "d", "text": "@SkyLinkAir can I bring a bike?"}',
    ]
    proc = _run(b"\n".join(lines) + b"\n", "classify")
    assert proc.returncode == 0, proc.stderr
    out = [orjson.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert [o["id"] for o in out] == ["a", None, "b", "c", None, 7, None, "d"]
    for i in (1, 2, 4, 5, 6):
        assert set(out[i]) == {"id", "error"} and out[i]["error"]
    for i in (0, 3, 7):
        assert set(out[i]) == KEYS
    assert out[0]["category"] == "crisis"
    assert out[3]["language"] == "fr" and out[3]["category"] == "praise"
    assert out[7]["is_question"] is True


def test_large_input_keeps_order_with_workers() -> None:
    texts = ["@QuickBite order never arrived", "@Shopora thanks, love it!", "@NovaTel how do I pay?"]
    lines = b"".join(orjson.dumps({"id": i, "text": texts[i % 3]}) + b"\n" for i in range(5000))
    import os

    env = {**os.environ, "MENTIONFLOW_CLASSIFY_WORKERS": "2"}
    proc = _run(lines, "classify", env=env)
    assert proc.returncode == 0, proc.stderr
    out = [orjson.loads(x) for x in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == list(range(5000))
    assert [o["category"] for o in out[:3]] == ["complaint", "praise", "question"]


def test_classify_eval_says_when_reference_data_is_absent(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "MENTIONFLOW_SHARED_DATA": str(tmp_path / "nowhere")}
    proc = _run(b"", "classify-eval", env=env)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode()
    assert "own EN set" in text and "own FR set" in text and "crisis" in text
    assert "reference data absent" in text


def test_classify_command_imports_no_other_command_group() -> None:
    # Start-up is a large share of a batch run: `mentionflow classify` must not pay for the
    # other groups' imports (aiohttp, asyncpg, rich tables) nor for pydantic.
    import sys

    probe = (
        "import sys, io\n"
        "sys.argv = ['mentionflow', 'classify']\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{\"id\": 1, \"text\": \"love it\"}\\n'))\n"
        "from mentionflow_tools.cli.main import app\n"
        "try:\n"
        "    app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('aiohttp', 'asyncpg', 'pydantic', 'mentionflow_tools.cli.users',\n"
        "    'mentionflow_tools.cli.rules', 'mentionflow_tools.cli.fake_x') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert b'"category":"praise"' in proc.stdout
    assert b"HEAVY []" in proc.stderr, proc.stderr
