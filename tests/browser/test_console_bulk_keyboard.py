"""Bulk actions and the keyboard in Debian's Chromium (Playwright, headless): twenty items checked
in the queue and resolved at once, then every item of a filter marked as spam; three items
worked with the keyboard only (log in, j/k, c claim, r reply or / saved reply, n note,
Ctrl+Enter, e resolve, u back; ? help), then two more selected with x and resolved through the
bulk form reached with Shift+Tab, with no pointer event at all, the focus visible, every
control labelled and no CSP violation. Screenshots go to bench/out/screens/."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Browser, Page, expect

from tests.browser.support import SCREENS, TIMEOUT_MS, login, violations, watch_csp
from tests.console.factories import PASSWORD, insert_item, insert_saved_reply
from tests.helpers import read_all

# Counts every pointer press on every page of the context (kept across navigations).
_COUNT_POINTER = """
document.addEventListener("pointerdown", () => {
  sessionStorage.setItem("pointerdowns", String(Number(sessionStorage.getItem("pointerdowns") || 0) + 1));
}, true);
"""

# Controls without an accessible name: aria-label, aria-labelledby, a <label>, or a button's text.
_UNLABELLED = """
() => Array.from(document.querySelectorAll("button, input:not([type=hidden]), select, textarea"))
  .filter((el) => {
    const byIds = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "").join("");
    const labels = Array.from(el.labels || []).map((l) => l.textContent).join("");
    const own = el.tagName === "BUTTON" ? el.textContent : "";
    return !((el.getAttribute("aria-label") || "") + byIds + labels + own).trim();
  })
  .map((el) => el.outerHTML.slice(0, 160))
"""

# The focused element shows it: it matches :focus-visible and draws an outline.
_FOCUS_SHOWN = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}
"""


async def test_twenty_items_resolved_in_bulk_then_a_filter_marked_as_spam(console, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    batch = [await insert_item(console.pool, brand="brand-a", sla_in=timedelta(minutes=30 + i),
                               text=f"@Brand-AHelp is the outage over? (report {i})") for i in range(20)]
    keep = await insert_item(console.pool, brand="brand-a", priority="P1", text="@Brand-AHelp a real question")
    promo = [await insert_item(console.pool, brand="brand-a", queue_name="brand-a-promo", priority="P4",
                               text=f"@Brand-AHelp win free followers at spam.example/{i}") for i in range(3)]
    agent, reports = await login(browser, console.base_url, "agent-a")
    rows = agent.locator("#queue-body tr")
    await expect(rows).to_have_count(24)
    for item in batch:
        await agent.locator(f"#item-{item} .select-item").check()
    await expect(agent.locator("#selected-count")).to_have_text("20 selected")
    await agent.get_by_label("Bulk action", exact=True).select_option("resolve")
    await agent.get_by_label("Note", exact=True).fill("outage over, answered publicly")
    await agent.screenshot(path=str(SCREENS / "bulk-selected.png"), full_page=True)
    await agent.get_by_role("button", name="Apply to selected").click()
    await expect(agent.locator("#bulk-result")).to_contain_text("20 item(s) done (resolve)")
    await expect(rows).to_have_count(4)
    await expect(agent.locator(f"#item-{keep}")).to_be_visible()
    shot = SCREENS / "bulk-resolved.png"
    await agent.screenshot(path=str(shot), full_page=True)
    resolved = await console.pool.fetch(
        "SELECT item_id, actor, detail FROM audit_log WHERE action = 'item.resolve' ORDER BY id")
    assert [(r["item_id"], r["actor"], r["detail"]) for r in resolved] == [
        (i, "agent-a", "outage over, answered publicly") for i in batch]
    states = await console.pool.fetch("SELECT item_id, status, assignee FROM queue_work WHERE item_id = ANY($1)", batch)
    assert sorted((r["item_id"], r["status"], r["assignee"]) for r in states) == sorted(
        (i, "resolved", "agent-a") for i in batch)
    async with console.client("lead") as api:  # as a script would see them
        seen = [(await api.get(f"/api/v1/items/{i}")).json() for i in batch]
    assert {(s["status"], s["assignee"]) for s in seen} == {("resolved", "agent-a")}

    # --- every item of a filter: the promo queue, marked as spam ---------------------------
    await agent.get_by_label("Queue", exact=True).select_option("brand-a-promo")
    await agent.get_by_role("button", name="Apply", exact=True).click()
    await expect(rows).to_have_count(3)
    await agent.get_by_label("Bulk action", exact=True).select_option("spam")
    await agent.get_by_role("button", name="Apply to every item matching the filter").click()
    await expect(agent.locator("#bulk-result")).to_contain_text("3 item(s) done (spam)")
    await expect(rows).to_have_count(0)
    spam = await console.pool.fetch("SELECT item_id FROM queue_work WHERE status = 'resolved' AND 'spam' = ANY(tags)")
    assert {r["item_id"] for r in spam} == set(promo)
    assert reports == [] and await violations(agent) == []
    print(f"\nscreenshots: {SCREENS / 'bulk-selected.png'} {shot}")


async def _keyboard_login(browser: Browser, base_url: str, username: str) -> tuple[Page, list[str]]:
    context = await browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    reports = await watch_csp(context)
    await context.add_init_script(_COUNT_POINTER)
    page = await context.new_page()
    await page.goto("/")
    await expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    return page, reports


async def _claim_current(page: Page, item: str) -> None:
    """The row moved to with j/k is `item`, its focus shows; c claims it and opens it."""
    current = page.locator('#queue-body tr[aria-current="true"]')  # told to assistive technology too
    await expect(current).to_have_count(1)
    await expect(current).to_have_class(re.compile(r"\bkb-current\b"))
    await expect(current).to_have_attribute("data-item-id", item)
    await expect(current.locator(".mention-link")).to_be_focused()
    assert await page.evaluate(_FOCUS_SHOWN), "the focused row's link shows no focus outline"
    await page.keyboard.press("c")
    await expect(page).to_have_url(re.compile(f"/items/{item}$"))
    await expect(page.locator("#item-status")).to_contain_text("claimed by agent-a")


async def _resolve_and_back(page: Page) -> None:
    await page.keyboard.press("e")
    await expect(page.locator("#item-status")).to_contain_text("resolved")
    await page.keyboard.press("u")
    await expect(page.get_by_role("heading", name="Queue")).to_be_visible()


async def test_three_items_worked_with_the_keyboard_only(console, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    items = [str(await insert_item(console.pool, brand="brand-a", priority="P2", sla_in=timedelta(minutes=10 * n),
                                   handle=f"kb_user{n}", author_name=f"Kim {n}",
                                   text=f"@Brand-AHelp keyboard question {n}?")) for n in (1, 2, 3)]
    # below the three (P4): selected with x and resolved by the bulk form, still from the keyboard
    noise = [str(await insert_item(console.pool, brand="brand-a", priority="P4", handle=f"kb_noise{n}",
                                   text=f"@Brand-AHelp follow for follow {n}")) for n in (1, 2)]
    await insert_saved_reply(console.pool, brand="brand-a", name="thanks", body="Thanks {author_name}, on it!")
    page, reports = await _keyboard_login(browser, console.base_url, "agent-a")
    await expect(page.locator("#queue-body tr")).to_have_count(5)
    assert await page.evaluate(_UNLABELLED) == []

    # ? shows the help; Escape closes it
    await page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(help_dialog).to_be_visible()
    await expect(help_dialog).to_contain_text("claim the item")
    await page.screenshot(path=str(SCREENS / "keyboard-help.png"))
    await expect(help_dialog.get_by_role("button", name="Close")).to_be_focused()  # focus moved into the dialog
    await page.keyboard.press("Escape")
    await expect(help_dialog).to_be_hidden()

    # 1: j j k, c, r + text, Ctrl+Enter, e, u
    for key in ("j", "j", "k", "k"):  # k at the top stays on the first item
        await page.keyboard.press(key)
    await page.screenshot(path=str(SCREENS / "keyboard-queue.png"))
    await _claim_current(page, items[0])
    await page.keyboard.press("r")
    await expect(page.locator("#reply-text")).to_be_focused()
    await page.keyboard.type("Hi Kim, the fix ships tonight.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#replies")).to_contain_text("Hi Kim, the fix ships tonight.")
    assert await page.evaluate(_UNLABELLED) == []
    await page.screenshot(path=str(SCREENS / "keyboard-item.png"), full_page=True)
    await _resolve_and_back(page)

    # 2: j, c, / + part of a saved reply's name, arrow + Enter to insert, Ctrl+Enter, e, u
    await page.keyboard.press("j")
    await _claim_current(page, items[1])
    await page.keyboard.press("/")
    box = page.locator("#reply-text")
    await expect(box).to_be_focused()
    await page.keyboard.type("tha")
    await expect(page.get_by_role("option")).to_have_count(1)
    await page.keyboard.press("Escape")  # closes the list, and only the list: the box keeps the focus
    await expect(page.get_by_role("option")).to_have_count(0)
    await expect(box).to_be_focused()
    await page.keyboard.press("Backspace")  # "/th": the list is back
    await expect(page.get_by_role("option")).to_have_count(1)
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await expect(box).to_have_value("Thanks Kim 2, on it!")
    await expect(box).to_be_focused()
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#replies")).to_contain_text("Thanks Kim 2, on it!")
    await _resolve_and_back(page)

    # 3: j, c, n + note, Ctrl+Enter, r + reply, Ctrl+Enter, e, u
    await page.keyboard.press("j")
    await _claim_current(page, items[2])
    await page.keyboard.press("n")
    await expect(page.locator("#note-text")).to_be_focused()
    await page.keyboard.type("regular customer, be quick")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#notes .note-body")).to_have_text(["regular customer, be quick"])
    await page.keyboard.press("r")
    await page.keyboard.type("Hi Kim, done on our side.")
    await page.keyboard.press("Control+Enter")
    await expect(page.locator("#replies")).to_contain_text("Hi Kim, done on our side.")
    await _resolve_and_back(page)

    # 4 and 5: j x j x selects both, k back to the first row; Shift+Tab through its checkbox to the
    # bulk form's buttons (just above the table), Enter applies the default action, resolve
    await expect(page.locator("#queue-body tr")).to_have_count(2)
    for key in ("j", "x", "j", "x", "k"):
        await page.keyboard.press(key)
    await expect(page.locator("#selected-count")).to_have_text("2 selected")
    for _ in range(3):
        await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Apply to selected")).to_be_focused()
    assert await page.evaluate(_FOCUS_SHOWN), "the focused button shows no focus outline"
    await page.keyboard.press("Enter")
    await expect(page.locator("#bulk-result")).to_contain_text("2 item(s) done (resolve)")
    await expect(page.locator("#bulk-result")).to_be_focused()  # the outcome is read out first
    await expect(page.locator("#queue-body tr")).to_have_count(0)
    await page.screenshot(path=str(SCREENS / "keyboard-bulk.png"))
    states = await console.pool.fetch("SELECT item_id::text, status, assignee FROM queue_work ORDER BY item_id")
    assert sorted((r["item_id"], r["status"], r["assignee"]) for r in states) == sorted(
        (i, "resolved", "agent-a") for i in [*items, *noise])
    requested = await read_all(console.kafka, console.kafka.physical("replies.requested"), expect=3)
    assert len(requested) == 3
    assert await page.evaluate("sessionStorage.getItem('pointerdowns')") is None  # not one pointer press
    assert reports == [] and await violations(page) == []
    print(f"\nscreenshots: {SCREENS / 'keyboard-queue.png'} {SCREENS / 'keyboard-item.png'} "
          f"{SCREENS / 'keyboard-help.png'} {SCREENS / 'keyboard-bulk.png'}")
