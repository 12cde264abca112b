"""`mentionflow config check` and `mentionflow rules test`, run as the operator runs them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.routing.builders import DEMO_CONFIG, REPO_ROOT

CLI = str(REPO_ROOT / ".venv" / "bin" / "mentionflow")


def run(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_config_check_passes_on_the_shipped_config() -> None:
    done = run("config", "check")
    assert done.returncode == 0, done.stderr
    assert "ok: " in done.stdout and "3 brands" in done.stdout
    assert "synthesised" in done.stdout  # bouffego's default is made, and said so


def test_rules_test_passes_on_the_shipped_fixtures() -> None:
    done = run("rules", "test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout and "4 fixture file(s)" in done.stdout


def test_config_check_refuses_a_broken_config_with_file_line_and_key(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    shutil.copytree(DEMO_CONFIG, folder)
    brand = folder / "brands" / "skylark.yaml"
    lines = brand.read_text(encoding="utf-8").splitlines()
    target = next(i for i, line in enumerate(lines) if "queue: skylark-baggage" in line)
    lines[target] = lines[target].replace("skylark-baggage", "skylark-bagage")
    brand.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run("config", "check", "cfg", cwd=tmp_path)
    assert done.returncode == 1
    assert f"cfg/brands/skylark.yaml:{target + 1}: brands.skylark.rules[4].queue: unknown queue 'skylark-bagage'" \
        in done.stderr


def test_rules_test_fails_with_a_readable_diff(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    shutil.copytree(DEMO_CONFIG, folder)
    fixture = folder / "fixtures" / "skylark.yaml"
    fixture.write_text(fixture.read_text(encoding="utf-8").replace(
        "expect: {queue: skylark-care, priority: P3, rule: question,",
        "expect: {queue: skylark-urgent, priority: P3, rule: question,",
    ), encoding="utf-8")
    done = run("rules", "test", "--config", str(folder), cwd=tmp_path)
    assert done.returncode == 1
    out = done.stdout
    assert "FAIL cfg/fixtures/skylark.yaml:" in out and "a question gets the brand's four business hours" in out
    assert "queue  expected skylark-urgent" in out and "got      skylark-care" in out
    assert "rule question (rules[6]) of brand skylark matched" in out
    assert "1 failed" in out


def test_rules_test_refuses_a_malformed_fixture_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    shutil.copytree(DEMO_CONFIG, folder)
    (folder / "fixtures" / "extra.yaml").write_text(
        "brand: skylark\nnow: 2025-07-15T14:00:00-04:00\ncases:\n  - name: x\n    text: hi\n"
        "    classification: {category: question}\n    expect: {queue: skylark-care, priority: P9}\n",
        encoding="utf-8",
    )
    done = run("rules", "test", "--config", str(folder), cwd=tmp_path)
    assert done.returncode == 1
    assert "cfg/fixtures/extra.yaml:7: cases[0].expect.priority: Input should be" in done.stderr
