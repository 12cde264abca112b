"""The browser tests drive a console served in-process (see tests/console/harness.py) in
Debian's Chromium (`apt-get install -y chromium`); Playwright never downloads one."""

import asyncio
import signal
from pathlib import Path

import pytest
from mentionflow_tools.fakex import AddUsers, FakeXServer, FakeXState
from playwright.async_api import async_playwright

from tests.browser.support import BRAND_ACCOUNT, CHROMIUM, CHROMIUM_ARGS
from tests.console.harness import console  # noqa: F401
from tests.publish.support import publish_env, start_publish


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


@pytest.fixture
async def publish(console, tmp_path: Path):  # noqa: ANN001, F811 - the harness fixture
    """The fake X API and the real publish service, posting as brand-a's account."""
    state = FakeXState(accounts=[BRAND_ACCOUNT])
    state.add_users(AddUsers(tokens={"tok-brand-a": BRAND_ACCOUNT.id}))
    async with FakeXServer(state) as fake:
        accounts = {BRAND_ACCOUNT.username: {"credentials": {"user_access_token": "tok-brand-a"},
                                             "user_id": BRAND_ACCOUNT.id}}
        env = publish_env(console.kafka, console.settings.postgres.dsn.get_secret_value(),
                          group="publish-browser", x_base_url=fake.base_url, accounts=accounts)
        process = start_publish(env, tmp_path)
        try:
            yield fake
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(process.wait, 20)
