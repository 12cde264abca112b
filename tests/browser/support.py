"""What every browser test uses: Debian's Chromium, a logged-in page, and a watch on the page's
Content-Security-Policy violations (so a test sees what the CSP refused, and that nothing
the console itself needs was refused)."""

from __future__ import annotations

import re
from pathlib import Path

from mentionflow_tools.fakex import FakeUser
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.console.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000
SCREENS = Path(__file__).resolve().parents[2] / "bench" / "out" / "screens"
# brand-a's account on the fake X API (the `publish` fixture posts as it)
BRAND_ACCOUNT = FakeUser(id="2100000000000000001", username="Brand-AHelp", name="Brand A")

# Runs before any page script (Playwright injects it outside the page's CSP): records every
# `securitypolicyviolation` event the page sees.
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


async def watch_csp(context: BrowserContext) -> list[str]:
    """Chromium's console reports of CSP refusals on every page of `context`, collected as they
    come; each page's own events are read with `violations(page)`."""
    reports: list[str] = []
    await context.add_init_script(_RECORD_VIOLATIONS)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            reports.append(message.text)

    context.on("page", lambda page: page.on("console", on_console))
    return reports


async def violations(page: Page) -> list[str]:
    return await page.evaluate("window.__cspViolations || []")


async def login(browser: Browser, base_url: str, username: str) -> tuple[Page, list[str]]:
    """A new browser context logged in as `username` on the queue page, and its CSP reports."""
    context = await browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    reports = await watch_csp(context)
    page = await context.new_page()
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login"))
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    return page, reports
