"""Auto-assignment in Debian's Chromium (Playwright, headless): three agents of brand A set
themselves available with the switch in the top bar; 30 new items of the least-loaded queue
(tests/console/assignment_config.yaml) are spread 10/10/10 by the console's assigner; each agent's
queue shows their ten, and an item's history says why it went to whom. One goes away and gets
their unclaimed items handed back, to the other two up to their capacity (12), the history saying
why. Screenshots go to bench/out/screens/."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.support import SCREENS, login, violations
from tests.console.factories import insert_item
from tests.helpers import eventually

CONSOLE_BRAND_CONFIG = Path(__file__).resolve().parents[1] / "console" / "assignment_config.yaml"
AGENTS = ("agent-a", "agent-a2", "lead-a")  # brand-a-team: agent-a, agent-a2, camille (lead-a)


async def set_availability(page: Page, mode: str, shown: str) -> None:
    choice = page.get_by_role("group", name="Availability").get_by_role("radio", name=mode, exact=True)
    await choice.check()
    await page.get_by_role("button", name="Set availability").click()
    await expect(page.locator("#availability-state")).to_have_text(shown)
    await expect(choice).to_be_checked()


async def test_thirty_new_items_are_spread_over_three_available_agents(console, browser) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    pages, reports = {}, []
    for username in AGENTS:
        page, csp = await login(browser, console.base_url, username)
        await set_availability(page, "Available", "taking items · 0 open")
        pages[username], reports = page, reports + csp

    items = [await insert_item(console.pool, brand="brand-a", queue_name="brand-a-care", handle=f"customer{n}",
                               text=f"@BrandAHelp my order {n} has not arrived") for n in range(30)]

    async def all_assigned() -> bool:
        count = await console.pool.fetchval(
            "SELECT count(*) FROM queue_work WHERE item_id = ANY($1::uuid[]) AND assignee IS NOT NULL", items)
        return count == 30

    await eventually(all_assigned, timeout_s=30, what="the assigner to assign the 30 items")
    rows = await console.pool.fetch("SELECT assignee FROM queue_work WHERE item_id = ANY($1::uuid[])", items)
    assert Counter(r["assignee"] for r in rows) == dict.fromkeys(AGENTS, 10)

    for username, page in pages.items():
        await page.goto("/?queue=brand-a-care")
        await expect(page.locator(".assigned-to", has_text=re.compile(f"^assigned to {username}$"))).to_have_count(10)
        await expect(page.locator(".assigned-to")).to_have_count(30)
        await expect(page.locator("#availability-state")).to_have_text("taking items · 10 open")
    queue_shot = SCREENS / "auto-assignment-queue.png"
    await pages["agent-a"].screenshot(path=str(queue_shot), full_page=True)

    mine = await console.pool.fetchval(
        "SELECT item_id FROM queue_work WHERE item_id = ANY($1::uuid[]) AND assignee = 'agent-a2' LIMIT 1", items)
    page = pages["agent-a2"]
    await page.goto(f"/items/{mine}")
    history = page.locator(".history")
    await expect(history).to_contain_text("auto-assign")
    await expect(history).to_contain_text("assigned to agent-a2 by least-loaded:")
    history_shot = SCREENS / "auto-assignment-history.png"
    await page.screenshot(path=str(history_shot), full_page=True)

    # going away hands back the ten unclaimed items; the other two take them up to their capacity (12)
    await page.goto("/")
    await set_availability(page, "Away", "not taking items · 0 open")

    async def handed_on() -> bool:
        got = Counter(r["assignee"] for r in await console.pool.fetch(
            "SELECT assignee FROM queue_work WHERE item_id = ANY($1::uuid[])", items))
        return got == {"agent-a": 12, "lead-a": 12, None: 6}

    await eventually(handed_on, timeout_s=30, what="agent-a2's items to go back and on, up to capacity")
    lead = pages["lead-a"]
    await lead.goto("/?queue=brand-a-care")
    await expect(lead.locator(".assigned-to", has_text=re.compile("^assigned to agent-a2$"))).to_have_count(0)
    await expect(lead.locator(".assigned-to")).to_have_count(24)
    await expect(lead.locator("#availability-state")).to_have_text("taking items · 12 open")
    await lead.goto(f"/items/{mine}")
    await expect(lead.locator(".history")).to_contain_text("handed back: agent-a2 is unavailable (away)")
    handed_shot = SCREENS / "auto-assignment-handed-back.png"
    await lead.screenshot(path=str(handed_shot), full_page=True)
    assert reports == [] and [await violations(p) for p in pages.values()] == [[], [], []]
    print(f"\nscreenshots: {queue_shot} {history_shot} {handed_shot}")
