"""The CM's tools in Debian's Chromium (Playwright, headless): a lead creates a saved reply with
variables (an unknown one refused first); an agent types "/" and part of its name in the reply
box, fills the prompted order number and sends it, and the fake X receives exactly the expanded
text once (through the real publish service); a note @mentioning a teammate reaches them live
and in their Mentions view, in a second browser context; the customer history with the author's
earlier mentions and the brand's note on them. Screenshots go to bench/out/screens/."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.support import BRAND_ACCOUNT, SCREENS, login, violations
from tests.console.factories import insert_item, insert_saved_reply

REFUND_BODY = "Hi {author_name}, {agent_first_name} here. Order {?order_number} is refunded (ref {case_ref})."


async def test_saved_reply_with_variables_inserted_with_slash_and_sent(console, publish, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    item = await insert_item(console.pool, brand="brand-a", category="complaint", handle="marie_d",
                             author_name="Marie Dupont", text="@Brand-AHelp where is my refund for order A-1234?")
    await insert_saved_reply(console.pool, brand="brand-a", name="thanks", body="Thanks {author_name}!")
    await console.pool.execute("UPDATE users SET display_name = 'Camille Martin' WHERE username = 'agent-a'")

    # --- the lead manages saved replies: an unknown variable is refused, then one is created --
    lead, lead_csp = await login(browser, console.base_url, "lead-a")
    await lead.get_by_role("link", name="Saved replies").click()
    form = lead.locator("#new-saved-reply")
    await form.get_by_label("Brand").fill("brand-a")
    await form.get_by_label("Name").fill("refund-order")
    await form.get_by_label("Category").select_option("complaint")
    await form.get_by_label("Text").fill("Hi {first_name}!")
    await form.get_by_role("button", name="Create saved reply").click()
    await expect(lead.get_by_role("alert")).to_contain_text("{first_name}")
    await form.get_by_label("Brand").fill("brand-a")
    await form.get_by_label("Name").fill("refund-order")
    await form.get_by_label("Category").select_option("complaint")
    await form.get_by_label("Text").fill(REFUND_BODY)
    await form.get_by_role("button", name="Create saved reply").click()
    await expect(lead.get_by_role("button", name="Delete refund-order")).to_be_visible()
    await lead.screenshot(path=str(SCREENS / "saved-replies.png"), full_page=True)

    # --- the agent: "/" and part of the name, the prompted field, send -----------------------
    agent, agent_csp = await login(browser, console.base_url, "agent-a")
    await agent.goto(f"/items/{item}")
    await agent.get_by_role("button", name="Claim").click()
    box = agent.get_by_label(re.compile("Reply as"))
    await box.press_sequentially("/ref")
    options = agent.get_by_role("option")
    await expect(options).to_have_count(1)
    await expect(options.first).to_contain_text("refund-order")
    await box.press("ArrowDown")  # the list is worked with the keyboard too
    await expect(options.first).to_be_focused()
    await agent.keyboard.press("Enter")
    await agent.get_by_label("order number").fill("A-1234")
    await agent.get_by_role("button", name="Insert saved reply").click()
    expected = f"Hi Marie Dupont, Camille here. Order A-1234 is refunded (ref MF-{item.hex[:8].upper()})."
    await expect(box).to_have_value(expected)
    await expect(agent.locator("#reply-counter")).to_have_text(f"{len(expected)} / 280")
    shot = SCREENS / "saved-reply-inserted.png"
    await agent.screenshot(path=str(shot), full_page=True)
    await agent.get_by_role("button", name="Send reply").click()
    await expect(agent.locator("#replies .reply-status").first).to_have_text("sent", timeout=60_000)
    posts = publish.state.calls("create_tweet")
    assert [(p.acting_user_id, p.body["text"]) for p in posts] == [(BRAND_ACCOUNT.id, expected)]
    assert lead_csp + agent_csp == [] and [await violations(p) for p in (lead, agent)] == [[], []]
    print(f"\nscreenshots: {SCREENS / 'saved-replies.png'} {shot}")


async def test_a_note_mentioning_a_teammate_reaches_their_mentions_view(console, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    item = await insert_item(console.pool, brand="brand-a", handle="angry_bob",
                             text="@Brand-AHelp charged twice this month, again")
    teammate, teammate_csp = await login(browser, console.base_url, "agent-a2")  # a second context
    agent, agent_csp = await login(browser, console.base_url, "agent-a")
    await agent.goto(f"/items/{item}")
    await agent.get_by_label(re.compile("Add a note")).fill("@nobody-here can you look?")
    await agent.get_by_role("button", name="Add note").click()
    await expect(agent.get_by_role("alert")).to_contain_text("@nobody-here")
    await agent.get_by_label(re.compile("Add a note")).fill("@agent-a2 he was double-billed, can you check billing?")
    await agent.get_by_role("button", name="Add note").click()
    await expect(agent.locator("#notes .note-body")).to_have_text(["@agent-a2 he was double-billed, can you "
                                                                   "check billing?"])
    # the teammate, on the queue page all along: a live notification, then the Mentions view
    toast = teammate.locator("#toasts .toast")
    await expect(toast).to_contain_text("agent-a mentioned you on @angry_bob")
    await expect(teammate.locator("#mentions-badge")).to_have_text("1")
    await teammate.get_by_role("link", name=re.compile("^Mentions")).click()
    await expect(teammate.locator("#mentions-list .note-body")).to_have_text(re.compile("double-billed"))
    shot = SCREENS / "mentions.png"
    await teammate.screenshot(path=str(shot), full_page=True)
    await teammate.locator("#mentions-list a").first.click()
    await expect(teammate.locator("#notes")).to_contain_text("double-billed")
    assert teammate_csp + agent_csp == [] and [await violations(p) for p in (teammate, agent)] == [[], []]
    print(f"\nscreenshot: {shot}")


async def test_customer_history_and_author_note_on_the_item(console, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    await insert_item(console.pool, brand="brand-a", handle="press_paul", status="resolved", assignee="agent-a2",
                      category="question", text="@Brand-AHelp is the outage over?")
    await insert_item(console.pool, brand="brand-a", handle="press_paul", category="complaint",
                      text="@Brand-AHelp still waiting on an answer")
    await insert_item(console.pool, brand="brand-b", handle="press_paul", text="@brand-b another client's mention")
    item = await insert_item(console.pool, brand="brand-a", handle="press_paul", sla_in=timedelta(minutes=20),
                             text="@Brand-AHelp writing a piece on your outage, comment?")
    agent, agent_csp = await login(browser, console.base_url, "agent-a")
    await agent.goto(f"/items/{item}")
    earlier = agent.locator("#earlier-mentions li")
    await expect(earlier).to_have_count(2)
    await expect(earlier.nth(0)).to_contain_text("still waiting")
    await expect(earlier.nth(1)).to_contain_text("resolved")
    await expect(agent.locator("#customer")).not_to_contain_text("another client")
    await agent.get_by_label("Note on @press_paul").fill("journalist (tech press)")
    await agent.get_by_role("button", name="Save author note").click()
    await expect(agent.get_by_label("Note on @press_paul")).to_have_value("journalist (tech press)")
    await expect(agent.locator("#customer")).to_contain_text("by agent-a")
    shot = SCREENS / "customer-history.png"
    await agent.screenshot(path=str(shot), full_page=True)
    assert agent_csp == [] and await violations(agent) == []
    print(f"\nscreenshot: {shot}")
