"""promtool and prometheus from Debian's `prometheus` package (the Makefile installs it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

INSTALL_HINT = "install Debian's prometheus package: apt-get install -y prometheus (make test does it)"


def binary(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not found; {INSTALL_HINT}"
    return path


def promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *map(str, args)], capture_output=True, text=True, timeout=60,
                          cwd=cwd)
