"""Reply approval in Debian's Chromium (Playwright, headless), with the real publish service
posting to the fake X: a junior whose replies need approval submits a reply, which waits
("awaiting approval" on the item and in the queue) and reaches nobody; a lead edits it in the
Approvals view and approves it; the fake X receives exactly the edited text, once.
Screenshots go to bench/out/screens/."""

from __future__ import annotations

import re
import uuid

from mentionflow.accounts import store
from playwright.async_api import expect

from tests.browser.support import BRAND_ACCOUNT, SCREENS, login, violations
from tests.console.factories import insert_item

DRAFTED = "hi, ur refund is coming soon"
EDITED = "Hi Marie, sorry for the wait: your refund for order A-1234 was sent today. Thanks for your patience!"


async def _requested(console, item: uuid.UUID) -> list[str]:  # noqa: ANN001
    """The texts of the replies the console asked publish to post for the item (replies.requested)."""
    rows = await console.pool.fetch("SELECT payload->>'text' AS text FROM console_requests "
                                    "WHERE item_id = $1 AND topic = 'replies.requested'", item)
    return [r["text"] for r in rows]


async def test_a_junior_reply_edited_and_approved_by_a_lead_reaches_x_once(console, publish, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    await store.set_replies_need_approval(console.pool, username="agent-a", required=True, actor="tests")
    item = await insert_item(console.pool, brand="brand-a", category="complaint", handle="marie_d",
                             author_name="Marie Dupont", text="@Brand-AHelp where is my refund for order A-1234?")

    # --- the junior: the reply becomes a draft awaiting approval ------------------------------
    junior, junior_csp = await login(browser, console.base_url, "agent-a")
    await junior.goto(f"/items/{item}")
    await junior.get_by_role("button", name="Claim").click()
    await junior.get_by_label(re.compile("Reply as")).fill(DRAFTED)
    await junior.get_by_role("button", name="Submit for approval").click()
    await expect(junior.locator("#item-status .status")).to_have_text("awaiting approval")
    draft = junior.locator("#drafts .draft")
    await expect(draft).to_have_count(1)
    await expect(draft.locator(".draft-text")).to_have_text(DRAFTED)
    await expect(junior.get_by_role("button", name="Approve and send")).to_have_count(0)  # not theirs to approve
    await expect(junior.get_by_label(re.compile("Reply as"))).to_have_count(0)  # one draft waits at a time
    await junior.screenshot(path=str(SCREENS / "approval-draft-awaiting.png"), full_page=True)
    await junior.goto("/")
    row = junior.locator(f"#item-{item}")
    await expect(row.locator(".status")).to_have_text("awaiting approval")
    await junior.screenshot(path=str(SCREENS / "approval-queue-awaiting.png"), full_page=True)
    assert await _requested(console, item) == []  # nothing was asked of publish
    assert publish.state.calls("create_tweet") == []

    # --- the lead: edits and approves it in the Approvals view --------------------------------
    lead, lead_csp = await login(browser, console.base_url, "lead-a")
    await lead.get_by_role("link", name="Approvals").click()
    await expect(lead.get_by_role("heading", name="Approvals")).to_be_visible()
    card = lead.locator("#approvals-list li.card")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("where is my refund")
    await expect(card).to_contain_text("agent-a")
    text = card.get_by_label("Reply to send (edit if needed)")
    await expect(text).to_have_value(DRAFTED)
    await text.fill(EDITED)
    await lead.screenshot(path=str(SCREENS / "approval-lead-editing.png"), full_page=True)
    await card.get_by_role("button", name="Approve and send").click()
    await expect(lead.locator("#approvals-list")).to_contain_text("No draft awaits approval")

    # --- the reply reaches X: exactly the edited text, once -----------------------------------
    await lead.goto(f"/items/{item}")
    await expect(lead.locator("#replies .reply-status").first).to_have_text("sent", timeout=60_000)
    await expect(lead.locator("#replies .reply-text")).to_have_text([EDITED])
    await expect(lead.locator("#drafts .draft .status")).to_have_text("approved")
    await lead.screenshot(path=str(SCREENS / "approval-approved-sent.png"), full_page=True)
    # one request was made (on approval, with the edited text), and publish sent it once
    assert await _requested(console, item) == [EDITED]
    outbox = await console.pool.fetch("SELECT text, status FROM reply_outbox WHERE queue_item_id = $1", item)
    assert [(r["text"], r["status"]) for r in outbox] == [(EDITED, "sent")]
    posts = publish.state.calls("create_tweet")
    assert [(p.acting_user_id, p.body["text"]) for p in posts] == [(BRAND_ACCOUNT.id, EDITED)]
    assert junior_csp + lead_csp == [] and [await violations(p) for p in (junior, lead)] == [[], []]
    shots = ("approval-draft-awaiting.png", "approval-queue-awaiting.png", "approval-lead-editing.png",
             "approval-approved-sent.png")
    print("\nscreenshots:", " ".join(str(SCREENS / name) for name in shots))


async def test_a_rejected_draft_shows_the_lead_comment_to_the_junior(console, browser):
    SCREENS.mkdir(parents=True, exist_ok=True)
    await store.set_replies_need_approval(console.pool, username="agent-a", required=True, actor="tests")
    item = await insert_item(console.pool, brand="brand-a", handle="angry_bob", text="@Brand-AHelp charged twice!!")
    junior, junior_csp = await login(browser, console.base_url, "agent-a")
    await junior.goto(f"/items/{item}")
    await junior.get_by_role("button", name="Claim").click()
    await junior.get_by_label(re.compile("Reply as")).fill("not our fault lol")
    await junior.get_by_role("button", name="Submit for approval").click()
    await expect(junior.locator("#item-status .status")).to_have_text("awaiting approval")

    # the lead rejects it from the item page, saying why
    lead, lead_csp = await login(browser, console.base_url, "lead-a")
    await lead.goto(f"/items/{item}")
    await lead.get_by_label("Reason to reject").fill("Never blame the customer: apologise and offer a DM.")
    await lead.get_by_role("button", name="Reject draft").click()
    await expect(lead.locator("#drafts .draft .status")).to_have_text("rejected")

    # the junior sees the comment and the reply box again, the item back in their hands
    await junior.reload()
    await expect(junior.locator("#drafts .draft-comment")).to_have_text(
        "Why: Never blame the customer: apologise and offer a DM.")
    await expect(junior.locator("#item-status .status")).to_have_text("claimed")
    await expect(junior.get_by_role("button", name="Submit for approval")).to_be_visible()
    shot = SCREENS / "approval-rejected-comment.png"
    await junior.screenshot(path=str(shot), full_page=True)
    assert await _requested(console, item) == []
    assert junior_csp + lead_csp == [] and [await violations(p) for p in (junior, lead)] == [[], []]
    print(f"\nscreenshot: {shot}")
