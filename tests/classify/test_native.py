"""The compiled build of the classifier (mentionflow.classify.native): used only when current,
and deciding exactly what the same source decides as Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from mentionflow.classify import native
from mentionflow_tools.training.datasets import load_own

REPO = Path(__file__).resolve().parents[2]

# Beyond the project's own sets: what tends to differ between an interpreter and compiled code
# (empty and huge input, numbers at the edges of their types, odd characters).
_EDGE_TEXTS = [
    "?", "!!!", "😡😡😡", "🔥", "@brand", "#fail", "http://x.co", "NOT GOOD AT ALL @NovaTel!!!",
    "très déçu... pas de remboursement ?!", "a" * 5000, " ".join(["refund"] * 400), "\u0000\u200b\ufeff",
    "ça marche pas, personne répond @Telexa", "is it safe to eat? my kid got sick @FreshCart",
]


def _package_copy(tmp_path: Path) -> Path:
    package = tmp_path / "classify"
    package.mkdir()
    for name in native.COMPILED:
        shutil.copy(native.PACKAGE_DIR / f"{name}.py", package / f"{name}.py")
    return package


def _built(tmp_path: Path, digest: str) -> Path:
    built = tmp_path / "native"
    built.mkdir()
    (built / native.DIGEST_FILE).write_text(digest + "\n")
    return built


def test_a_current_build_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    package = _package_copy(tmp_path)
    built = _built(tmp_path, native.sources_digest(package))
    directory, why = native.compiled_dir(package, built)
    assert directory == built / "mentionflow" / "classify"
    assert why == "compiled (mypyc)"


def test_a_build_older_than_the_source_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    package = _package_copy(tmp_path)
    built = _built(tmp_path, native.sources_digest(package))
    edited = package / "model.py"
    edited.write_text(edited.read_text() + "\n# edited after the build\n")
    directory, why = native.compiled_dir(package, built)
    assert directory is None
    assert "older than the source" in why


def test_no_build_or_the_pure_switch_means_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package_copy(tmp_path)
    monkeypatch.delenv(native.PURE_ENV, raising=False)
    not_compiled = (None, "python (not compiled: make install compiles it)")
    assert native.compiled_dir(package, tmp_path / "absent") == not_compiled
    built = _built(tmp_path, native.sources_digest(package))
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert native.compiled_dir(package, built)[0] is None


def _classify(texts: list[str], *, pure: bool) -> tuple[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    stdin = b"".join(orjson.dumps({"id": i, "text": t}) + b"\n" for i, t in enumerate(texts))
    implementation = subprocess.run(
        [sys.executable, "-c", "import mentionflow.classify as c; print(c.IMPLEMENTATION)"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()
    out = subprocess.run(
        [sys.executable, "-m", "mentionflow_tools.cli.classify"],
        input=stdin, env={**env, "MENTIONFLOW_CLASSIFY_WORKERS": "1"}, capture_output=True, check=True, timeout=120,
    ).stdout
    return implementation, out


def test_compiled_and_python_builds_give_the_same_bytes() -> None:
    texts = [e.text for e in load_own("en") + load_own("fr")] + _EDGE_TEXTS
    compiled_as, compiled_out = _classify(texts, pure=False)
    python_as, python_out = _classify(texts, pure=True)
    assert python_as.startswith("python")
    if shutil.which("cc") or shutil.which("gcc"):
        # `make install` compiles on any machine with a C compiler: a "python" here means the
        # build is missing or stale (run `make install`), and the comparison would prove nothing.
        assert compiled_as == "compiled (mypyc)"
    assert compiled_out.count(b"\n") == len(texts)
    assert compiled_out == python_out
