"""Which build of the classifier's hot path runs: compiled by mypyc, or the same source as Python.

The modules in COMPILED are the one implementation; `make install` also compiles them with mypyc
(`python -m mentionflow_tools.build_native`) into NATIVE_DIR, beside a digest of the exact
sources it compiled. Compiled, `analyse` runs about 1.4x faster; the results are the same (the
suite compares the two builds on the project's own sets).

`mentionflow.classify` puts the compiled directory first on its package path only when that
digest matches the sources next to it, so an edited module never runs as its stale compiled
copy: until the next `make install` it runs as Python. So does a checkout without a C
compiler, an installed wheel (the Docker images), or any process started with
MENTIONFLOW_CLASSIFY_PURE=1. `IMPLEMENTATION` in `mentionflow.classify` says which one is running
and why; the classify service logs it at start.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

# The analyse path, in import order (data-only modules such as the lexicons gain nothing).
COMPILED = ("tokenize", "features", "model", "rules", "category", "language", "classifier")
# Named for the package so the runtime support mypyc shares between the modules is imported as
# `mentionflow.classify.compiled__mypyc`, from the same directory as the modules.
GROUP_NAME = "mentionflow.classify.compiled"
PACKAGE_DIR = Path(__file__).resolve().parent
NATIVE_DIR = PACKAGE_DIR.parents[1] / ".native"  # libs/mentionflow/.native in a checkout
DIGEST_FILE = "sources.sha256"
PURE_ENV = "MENTIONFLOW_CLASSIFY_PURE"


def sources_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """sha256 over the interpreter's build (its version line: a venv moved to another
    interpreter compiles again) and each compiled module's name and source."""
    digest = hashlib.sha256(sys.version.encode())
    for name in COMPILED:
        digest.update(f"\n{name}\n".encode())
        digest.update((package_dir / f"{name}.py").read_bytes())
    return digest.hexdigest()


def compiled_dir(package_dir: Path = PACKAGE_DIR, native_dir: Path = NATIVE_DIR) -> tuple[Path | None, str]:
    """(directory holding the compiled modules, or None for pure Python; why, for the logs)."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None, f"python ({PURE_ENV} is set)"
    try:
        built = (native_dir / DIGEST_FILE).read_text().strip()
    except FileNotFoundError:
        return None, "python (not compiled: make install compiles it)"
    if built != sources_digest(package_dir):
        return None, "python (the compiled build is older than the source: make install rebuilds it)"
    return native_dir / "mentionflow" / "classify", "compiled (mypyc)"
