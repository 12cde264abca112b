"""The browser tests drive a console served in-process (see tests/console/harness.py) in
Debian's Chromium (`apt-get install -y chromium`); Playwright never downloads one."""

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS
from tests.console.harness import console  # noqa: F401


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path):  # noqa: ANN201
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
