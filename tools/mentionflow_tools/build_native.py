"""Compile the classifier's hot path with mypyc: `python -m mentionflow_tools.build_native`.

`make install` runs it whenever a module of `mentionflow.classify` changed. It compiles the
modules `mentionflow.classify.native.COMPILED` names, from the sources as they are, into a fresh
directory, swaps it in for NATIVE_DIR, and writes the digest of those sources last: the
runtime uses the build only when that digest matches (see `mentionflow.classify.native`). A
type error mypyc finds fails the build (and so `make install`); a machine without a C compiler
gets a clear line and keeps the pure Python classifier.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from mentionflow.classify.native import COMPILED, DIGEST_FILE, GROUP_NAME, NATIVE_DIR, PACKAGE_DIR, sources_digest


def build(native_dir: Path = NATIVE_DIR, package_dir: Path = PACKAGE_DIR) -> None:
    from mypyc.build import mypycify  # build-time only (the dev group)
    from setuptools import Distribution

    library_root = package_dir.parents[1]  # mypyc names modules by their path below this root
    digest = sources_digest(package_dir)  # of the sources compiled, read before compiling
    staging = native_dir.with_name(native_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="mentionflow-native-") as work:
        os.chdir(library_root)
        try:
            paths = [str((package_dir / f"{name}.py").relative_to(library_root)) for name in COMPILED]
            extensions = mypycify(paths, group_name=GROUP_NAME, target_dir=str(Path(work) / "c"))
            distribution = Distribution({"name": "mentionflow-classify-compiled", "ext_modules": extensions})
            command = distribution.get_command_obj("build_ext")
            command.build_lib = str(staging)  # type: ignore[attr-defined]
            command.build_temp = str(Path(work) / "objects")  # type: ignore[attr-defined]
            command.parallel = os.cpu_count() or 1  # type: ignore[attr-defined]
            distribution.run_command("build_ext")
        finally:
            os.chdir(cwd)
    (staging / DIGEST_FILE).write_text(digest + "\n")
    # Processes running the old build keep their mapped files: the old directory is unlinked.
    shutil.rmtree(native_dir, ignore_errors=True)
    staging.rename(native_dir)


def main() -> int:
    if not (shutil.which("cc") or shutil.which("gcc")):
        print("build_native: no C compiler (cc/gcc): the classifier runs as pure Python", file=sys.stderr)
        return 0
    started = time.monotonic()
    build()
    print(f"build_native: compiled {len(COMPILED)} classifier modules into {NATIVE_DIR} "
          f"in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
