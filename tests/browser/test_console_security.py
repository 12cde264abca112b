"""Hostile mentions in a real browser: script payloads in the text, the author's name and the
stored URL never run (no dialog, no side effect), links point only to https://x.com, and the
only CSP violations are the ones we provoke on purpose to prove the policy is enforced
(an inline script, and the console inside a frame)."""

from __future__ import annotations

import asyncio

from playwright.async_api import Dialog, expect

from tests.browser.support import login, violations
from tests.console.factories import insert_item
from tests.helpers import eventually

PAYLOAD = ("<script>window.__pwned='script';alert('script')</script>"
           "<img src=x onerror=\"window.__pwned='img';alert('img')\">")
NAME_PAYLOAD = "<svg onload=\"window.__pwned='svg';alert('svg')\">"
URL_PAYLOAD = "javascript:window.__pwned='url';alert('url')"


async def test_script_payloads_in_mentions_never_run(console, browser):
    item = await insert_item(console.pool, brand="brand-a", priority="P1", text=f"@Brand-AHelp {PAYLOAD}",
                             author_name=NAME_PAYLOAD, url=URL_PAYLOAD)
    no_link = await insert_item(console.pool, brand="brand-a", text=f"@Brand-AHelp again {PAYLOAD}",
                                handle="<b>not-a-handle</b>", url="data:text/html,<script>alert('data')</script>")
    page, reports = await login(browser, console.base_url, "agent-a")
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        asyncio.ensure_future(dialog.dismiss())

    page.on("dialog", on_dialog)

    # the queue: the payload is text, live updates included
    await expect(page.locator(f"#item-{item} .excerpt")).to_contain_text("<script>")
    await insert_item(console.pool, brand="brand-a", priority="P1", text=f"@Brand-AHelp live {PAYLOAD}")
    await expect(page.locator("#queue-body tr")).to_have_count(3)
    await expect(page.locator("#queue-body")).to_contain_text("live <script>")
    assert await violations(page) == []

    # the mention: text and name shown as text; the link built from handle and id, not stored
    await page.goto(f"/items/{item}")
    await expect(page.locator(".mention-text")).to_contain_text("<script>window.__pwned")
    await expect(page.locator("#mention-title")).to_contain_text("<svg onload")
    handle, external_id = await console.pool.fetchrow(
        "SELECT author_handle, external_id FROM queue_items WHERE id = $1", item)
    await expect(page.get_by_role("link", name="open on X")).to_have_attribute(
        "href", f"https://x.com/{handle}/status/{external_id}")
    assert await page.locator("a[href^='javascript'], a[href^='data'], img, svg:not(.chart-svg)").count() == 0
    await page.goto(f"/items/{no_link}")
    await expect(page.locator(".mention-text")).to_contain_text("again <script>")
    await expect(page.get_by_role("link", name="open on X")).to_have_count(0)
    assert await violations(page) == []

    assert await page.evaluate("window.__pwned === undefined")
    assert dialogs == [] and reports == []

    # proof that the policy is enforced, not merely sent: an inline script is refused ...
    await page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = "window.__pwned = 'inline'"; document.body.appendChild(s); }""")

    async def inline_refused() -> bool:
        return await violations(page) == ["script-src-elem blocked inline"]

    await eventually(inline_refused, timeout_s=10, what="the CSP to refuse an inline script")
    assert await page.evaluate("window.__pwned === undefined")
    # ... and no page may frame the console (frame-ancestors 'none', X-Frame-Options DENY)
    framer = await page.context.new_page()
    await framer.set_content(f'<iframe id="console" src="{console.base_url}/login"></iframe>')

    async def framing_refused() -> bool:
        return any("frame-ancestors" in report for report in reports)

    await eventually(framing_refused, timeout_s=10, what="the browser to refuse framing the console")
    # Chromium's console says exactly those two refusals, nothing else
    expected = ("Executing inline script violates", "frame-ancestors 'none'")
    assert all(report.startswith(expected[0]) or expected[1] in report for report in reports), reports
    assert dialogs == []
