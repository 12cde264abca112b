"""Fixtures of the console tests (defined in harness.py, shared with tests/browser)."""

from tests.console.harness import console  # noqa: F401
