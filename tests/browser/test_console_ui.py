"""The console in Debian's Chromium (Playwright for Python, headless): log in, see the queue,
watch a new mention arrive live, claim, reply, see the reply turn 'sent', a second agent sees
"claimed by" and cannot reply, a lead acknowledges a crisis. Saves screenshots of the queue and
the crisis board to bench/out/screens/.

The reply goes the real way: the console produces replies.requested, the publish service (a
real process on the same Kafka topics and database) posts it to the fake X API, and the page
shows it turn 'sent'.
Chromium comes from Debian (`apt-get install -y chromium`); Playwright never downloads one.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import expect

from tests.browser.support import BRAND_ACCOUNT, SCREENS, login, violations
from tests.console.factories import insert_incident, insert_item
from tests.helpers import eventually


async def _seed(pool) -> tuple[str, str]:
    incident = await insert_incident(pool, brand="brand-a", volume=[1.2, 1.8, 4.5, 9.0, 16.0, 21.0, 18.5, 12.0])
    await insert_item(pool, brand="brand-a", priority="P1", sla_in=timedelta(minutes=9), category="crisis",
                      incident_id=incident, followers=48_200, verified=True,
                      text="@Brand-AHelp the app has been down for an hour and I can't access my account. Outage?")
    await insert_item(pool, brand="brand-a", priority="P1", sla_in=timedelta(minutes=-3), category="complaint",
                      incident_id=incident, text="@Brand-AHelp third time this week the service is down. Fix it.")
    target = await insert_item(pool, brand="brand-a", priority="P2", sla_in=timedelta(minutes=42),
                               conversation_id="thread-1",
                               text="@Brand-AHelp how do I get a refund for last month's outage?")
    await insert_item(pool, brand="brand-a", priority="P3", sla_in=timedelta(hours=3), category="praise",
                      language="fr", text="@Brand-AHelp merci pour la réponse rapide hier soir !")
    await insert_item(pool, brand="brand-a", priority="P4", sla_in=timedelta(hours=20), category="other",
                      conversation_id="thread-1", text="@Brand-AHelp same question as above, any news?")
    await insert_item(pool, brand="brand-b", priority="P1", text="@brand-b secret of another client")
    return str(target), incident


async def test_agent_claims_replies_and_lead_acknowledges(console, publish, browser):
    target, incident = await _seed(console.pool)
    SCREENS.mkdir(parents=True, exist_ok=True)

    # --- agent A: the queue, with a mention arriving live -----------------------------------
    agent, agent_csp = await login(browser, console.base_url, "agent-a")
    rows = agent.locator("#queue-body tr")
    await expect(rows).to_have_count(5)
    await expect(agent.get_by_text("secret of another client")).to_have_count(0)
    await expect(agent.locator("#live-state")).to_have_text("live")
    await expect(rows.first.locator(".sla")).to_have_text(re.compile(r"^overdue \d+m \d\ds$"))  # P1, SLA passed
    await expect(rows.nth(1).locator(".sla")).to_have_text(re.compile(r"^in \d+m \d\ds$"))
    await insert_item(console.pool, brand="brand-a", priority="P2", sla_in=timedelta(minutes=20),
                      text="@Brand-AHelp just arrived: is the outage fixed?")
    await expect(rows).to_have_count(6)
    await expect(rows.nth(2)).to_contain_text("just arrived")  # P1, P1, then the new P2 (earlier SLA)
    queue_shot = SCREENS / "queue.png"
    await agent.screenshot(path=str(queue_shot), full_page=True)

    # --- claim and reply ---------------------------------------------------------------------
    await agent.get_by_text("how do I get a refund").click()
    await expect(agent.get_by_role("heading", name=re.compile("@user"))).to_be_visible()
    await agent.get_by_role("button", name="Claim").click()
    await expect(agent.locator("#item-status")).to_contain_text("claimed by agent-a")
    await agent.get_by_label(re.compile("Reply as")).fill("Hi! Refunds for the outage are automatic; DM us if not.")
    await agent.get_by_role("button", name="Send reply").click()
    reply_status = agent.locator("#replies .reply-status").first
    await expect(reply_status).to_have_text(re.compile("requested|pending|sent"))
    await expect(reply_status).to_have_text("sent", timeout=60_000)  # publish posted it to X
    posts = publish.state.calls("create_tweet")
    assert len(posts) == 1 and posts[0].acting_user_id == BRAND_ACCOUNT.id
    assert posts[0].body["text"].startswith("Hi! Refunds for the outage")
    await agent.screenshot(path=str(SCREENS / "mention.png"), full_page=True)

    # --- a second agent sees who holds it and cannot reply -----------------------------------
    second, second_csp = await login(browser, console.base_url, "agent-a2")
    await second.goto(f"/items/{target}")
    await expect(second.locator("#item-status")).to_contain_text("claimed by agent-a")
    await expect(second.get_by_role("button", name="Claim")).to_have_count(0)
    await second.get_by_label(re.compile("Reply as")).fill("Me too!")
    await second.get_by_role("button", name="Send reply").click()
    await expect(second.get_by_role("alert")).to_contain_text("claimed by agent-a")
    assert await console.pool.fetchval("SELECT count(*) FROM reply_outbox") == 1

    # --- the lead acknowledges the crisis ----------------------------------------------------
    lead, lead_csp = await login(browser, console.base_url, "lead")
    await lead.get_by_role("link", name="Crisis board").click()
    card = lead.locator(f"#incident-{incident}")
    await expect(card.locator("svg polyline")).to_have_count(1)
    await expect(card.locator(".linked li")).to_have_count(2)
    crisis_shot = SCREENS / "crisis.png"
    await lead.screenshot(path=str(crisis_shot), full_page=True)
    await card.get_by_role("button", name=f"Acknowledge incident {incident}").click()
    await expect(lead.locator(f"#incident-{incident}")).to_contain_text("acknowledged by lead")  # at once

    async def applied_by_publish() -> bool:  # the console asked by event; publish owns escalations
        status = await console.pool.fetchval("SELECT status FROM escalations WHERE dedup_key = $1", incident)
        return status == "acknowledged"

    await eventually(applied_by_publish, timeout_s=30, what="publish acknowledging the escalation")
    await lead.reload()
    await expect(lead.locator(f"#incident-{incident}")).not_to_contain_text("pending")
    await lead.screenshot(path=str(SCREENS / "crisis-acknowledged.png"), full_page=True)
    # the console works under its CSP: it never needed anything the policy refuses
    assert agent_csp + second_csp + lead_csp == []
    assert [await violations(p) for p in (agent, second, lead)] == [[], [], []]
    print(f"\nscreenshots: {queue_shot} {crisis_shot}")
