"""The browser tests drive a console served in-process (see tests/console/harness.py)."""

from tests.console.harness import console  # noqa: F401
