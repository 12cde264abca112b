"""Publishing in Debian's Chromium, through the whole pipeline: an agent composes a thread for
brand A's own account with the live count as X counts it and schedules it in Paris time; it
waits for a lead (brand A's posts need approval), who edits and approves it; the real publish
service posts it on the fake X at its minute (publish's clock runs a few minutes ahead, so the
minute comes now), once; the calendar shows it published, beside later posts and one X refused
(duplicate content, its reason shown). Then people reply to and quote it on the fake X: the
real ingest, classify, routing and publish bring them back, and the post's debate view counts
them by category, shows the engagement X reports, and each is answerable from there.
Screenshots: bench/out/screens/publishing-{compose,approval,calendar,debate}.png."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from mentionflow_tools.fakex import AddUsers, FakeUser, FakeXServer, FakeXState
from playwright.async_api import expect

from tests.browser.support import SCREENS, login, violations
from tests.helpers import eventually
from tests.publish.support import publish_env, start_publish

CONSOLE_BRAND_CONFIG = Path(__file__).with_name("publishing")  # brand A: BrandAHelp posts, with approval
PARIS = ZoneInfo("Europe/Paris")
BRAND = FakeUser(id="2100000000000000011", username="BrandAHelp", name="Brand A", followers=52_000)
OTHER = FakeUser(id="2100000000000000012", username="BrandBHelp", name="Brand B", followers=900)
# People on X who answer the post (their replies and quote come back through ingest).
CROWD = [FakeUser(id="2200000000000000001", username="marie_travels", name="Marie", followers=830),
         FakeUser(id="2200000000000000002", username="tom_on_tour", name="Tom", followers=120),
         FakeUser(id="2200000000000000003", username="ana_listens", name="Ana", followers=2_400)]
CLOCK_AHEAD_S = 600  # publish's clock: a post scheduled a few minutes from now is due at once


def _service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
async def pipeline(console, tmp_path: Path) -> AsyncIterator[FakeXServer]:  # noqa: ANN001
    """The fake X, and ingest → classify → routing → publish as real processes on the console's
    topics and database: what the console asks for is posted, and what people answer comes back."""
    state = FakeXState(accounts=[BRAND, OTHER], engagement_seed=None)
    state.add_users(AddUsers(users=CROWD, tokens={"tok-brand-a": BRAND.id}))
    async with FakeXServer(state) as fake:
        dsn = console.settings.postgres.dsn.get_secret_value()
        accounts = {BRAND.username: {"credentials": {"user_access_token": "tok-brand-a"}, "user_id": BRAND.id}}
        base = publish_env(console.kafka, dsn, group="publish-publishing", x_base_url=fake.base_url,
                           accounts=accounts, MENTIONFLOW_BRAND_CONFIG=str(CONSOLE_BRAND_CONFIG))
        base = {k: v for k, v in base.items() if k not in ("MENTIONFLOW_GROUP_ID",)}
        processes = [start_publish({**base, "MENTIONFLOW_GROUP_ID": "publish-publishing",
                                    "MENTIONFLOW_POST_CLOCK_OFFSET_S": str(CLOCK_AHEAD_S)}, tmp_path)]
        ingest = {**base, "MENTIONFLOW_X__API__BASE_URL": fake.base_url,
                  "MENTIONFLOW_X__CREDENTIALS__BEARER_TOKEN": "publishing-test-bearer",
                  "MENTIONFLOW_X__POLL_INTERVAL_S": "0.5", "MENTIONFLOW_X__POSTS__YOUNG_INTERVAL_S": "1",
                  "MENTIONFLOW_X__POSTS__CHECK_INTERVAL_S": "0.5", "MENTIONFLOW_X__SNAPSHOTS__ENABLED": "false"}
        processes.append(_service("mentionflow_ingest.main", ingest, tmp_path / "ingest.log"))
        processes.append(_service("mentionflow_classify.main", base, tmp_path / "classify.log"))
        processes.append(_service("mentionflow_routing.main", base, tmp_path / "routing.log"))
        try:
            yield fake
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    await asyncio.to_thread(process.wait, 20)
                except subprocess.TimeoutExpired:
                    process.kill()


def _posted(fake: FakeXServer) -> list[dict]:
    return [r for r in fake.state.replies if r["author_id"] == BRAND.id]


async def _api_post(console, username: str, **body) -> dict:  # noqa: ANN001, ANN003
    async with console.client(username) as client:
        response = await client.post("/api/v1/posts", json={"brand_id": "brand-a", "account_handle": "BrandAHelp",
                                                             "submit": True, **body})
    assert response.status_code == 201, response.text
    return response.json()


async def _approve(console, post_id: str) -> None:  # noqa: ANN001
    async with console.client("admin") as admin:
        response = await admin.post(f"/api/v1/posts/{post_id}/approve")
    assert response.status_code == 200, response.text


async def test_compose_schedule_approve_post_and_debate(console, pipeline, browser):  # noqa: ANN001
    SCREENS.mkdir(parents=True, exist_ok=True)
    fake = pipeline
    due = (datetime.now(PARIS) + timedelta(minutes=3)).replace(second=0, microsecond=0)

    # --- what the brand already has planned: later posts (approved), a draft ------------------
    for days, text in ((2, "Weekend tip: download your favourite playlists before you travel."),
                       (5, "Live Q&A with our product team, Thursday 18:00 CET. Bring your questions!"),
                       (9, "Thank you for 50k followers ♥")):
        later = (datetime.now(PARIS) + timedelta(days=days)).replace(hour=10 + days % 6, minute=0, second=0,
                                                                      microsecond=0, tzinfo=None)
        await _approve(console, (await _api_post(console, "lead", parts=[text],
                                                 scheduled_for=later.isoformat()))["post_id"])

    async with console.client("agent-a") as client:
        draft = await client.post("/api/v1/posts", json={
            "brand_id": "brand-a", "account_handle": "BrandAHelp",
            "parts": ["Summer playlist contest: share your road-trip song, we pick 10 winners."]})
        assert draft.status_code == 201, draft.text

    # --- the agent composes a thread and schedules it in brand A's time zone ------------------
    agent, agent_csp = await login(browser, console.base_url, "agent-a")
    await agent.get_by_role("link", name="Publishing").click()
    await expect(agent.get_by_role("heading", name="Publishing")).to_be_visible()
    await expect(agent.get_by_label("Post as")).to_have_value("BrandAHelp")
    await agent.get_by_label("Post", exact=True).fill(
        "We just shipped offline mode ✓ Your playlists now follow you on the plane, the metro and the "
        "mountain. Details: https://example.com/blog/offline-mode-is-here-for-everyone-at-last")
    counter = agent.locator(".part-counter").first
    await expect(counter).to_have_text(re.compile(r"^\d+ / 280$"))
    await expect(counter).to_have_text("136 / 280")  # the ✓ weighs 2, the long URL 23
    await agent.get_by_role("button", name="+ Add to thread").click()
    await agent.get_by_label("Post 2 of 2").fill("What should we build next? Reply and tell us ↓")
    await expect(agent.locator(".part-counter").nth(1)).to_have_text("47 / 280")
    await agent.get_by_role("radio", name="Schedule").check()
    await agent.get_by_label("Date").fill(due.date().isoformat())
    await agent.get_by_label("Time").fill(due.strftime("%H:%M"))
    await expect(agent.get_by_text("need a lead's approval")).to_be_visible()
    await agent.screenshot(path=str(SCREENS / "publishing-compose.png"), full_page=True)
    await agent.locator("#compose-form").get_by_role("button", name="Submit for approval").click()
    pending = agent.locator("#pending")
    await expect(pending).to_contain_text("awaiting approval")
    await expect(pending).to_contain_text(due.strftime("%Y-%m-%d %H:%M"))
    await asyncio.sleep(1)
    assert _posted(fake) == []  # nothing reaches X before a lead approves

    # --- the lead edits the thread's first post and approves it -------------------------------
    lead, lead_csp = await login(browser, console.base_url, "lead-a")
    await lead.get_by_role("link", name="Publishing").click()
    card = lead.locator("#pending .post-card").first
    await expect(card).to_contain_text("by agent-a")
    first = card.get_by_label("Post 1 (edit if needed)")
    edited = (await first.input_value()).replace("Details:", "All the details:")
    await first.fill(edited)
    await expect(card.locator(".part-counter").first).to_have_text("144 / 280")  # counted as the lead types
    await lead.screenshot(path=str(SCREENS / "publishing-approval.png"), full_page=True)
    await card.get_by_role("button", name="Approve post").click()
    await expect(lead.locator("#requested")).to_contain_text("approved by lead-a")

    # --- publish posts it once, as a thread, at its minute -----------------------------------
    async def thread_posted() -> bool:
        return len(_posted(fake)) >= 2

    await eventually(thread_posted, timeout_s=60, what="the thread on the fake X")
    first_tweet, second_tweet = _posted(fake)[:2]
    assert first_tweet["text"] == edited and first_tweet["in_reply_to_tweet_id"] is None
    assert second_tweet["in_reply_to_tweet_id"] == first_tweet["id"]  # a thread: a reply chain

    # the same text again: X refuses duplicate content, and the calendar says why
    duplicate = await _api_post(console, "lead", parts=[edited])
    await _approve(console, duplicate["post_id"])

    async def refused() -> bool:
        return await console.pool.fetchval("SELECT status FROM posts WHERE post_id = $1",
                                           duplicate["post_id"]) == "failed"

    await eventually(refused, timeout_s=60, what="the duplicate refused by X")

    await lead.get_by_role("link", name="Calendar").click()
    await expect(lead.get_by_role("heading", name=datetime.now(PARIS).strftime("%B %Y"))).to_be_visible()
    today = lead.locator(f'td[data-date="{due.date().isoformat()}"]')
    await expect(today.locator(".cal-published")).to_contain_text(due.strftime("%H:%M"))
    await expect(today.locator(".cal-failed")).to_contain_text("duplicate content")
    await lead.screenshot(path=str(SCREENS / "publishing-calendar.png"), full_page=True)
    await lead.get_by_role("link", name="Week", exact=True).click()
    await expect(lead.locator(f'td[data-date="{due.date().isoformat()}"] .cal-published')).to_be_visible()

    # --- people answer on X; the pipeline brings it back into the debate view -----------------
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post("/_fake/engagement", json={
            "tweet_id": first_tweet["id"], "likes": 37, "reposts": 6,
            "replies": [{"text": "How much will offline mode cost on the family plan?", "author_id": CROWD[0].id},
                        {"text": "Still crashing on my phone since the update, this is broken and useless",
                         "author_id": CROWD[1].id}],
            "quotes": [{"text": "Love this update, great job, thank you!", "author_id": CROWD[2].id}]})
        assert response.status_code == 200, response.text

    await today.locator(".cal-published").click()
    await expect(lead.get_by_role("heading", name="Post and its debate")).to_be_visible()
    debate = lead.locator("#debate")

    async def came_back() -> bool:
        await lead.reload()
        return (await lead.locator("#debate-total").inner_text()) == "3"

    await eventually(came_back, timeout_s=90, what="the replies and the quote in the debate view")
    await expect(debate).to_contain_text("How much will offline mode cost on the family plan?")
    await expect(debate.locator('[data-category="question"]')).to_contain_text("1")
    await expect(debate.locator(".kind-quote")).to_have_count(1)

    async def engagement() -> bool:
        await lead.reload()
        return (await lead.locator("#likes").inner_text()) == "37"

    await eventually(engagement, timeout_s=60, what="the engagement X reports")
    await expect(lead.locator("#reposts")).to_have_text("6")
    await lead.screenshot(path=str(SCREENS / "publishing-debate.png"), full_page=True)

    # each is answerable from there: claim, and the item's reply box is ready
    question = lead.locator(".debate-item", has_text="family plan")
    await question.get_by_role("button", name=re.compile("Claim and answer")).click()
    await expect(lead.get_by_label(re.compile("Reply as @BrandAHelp"))).to_be_visible()

    assert len([t for t in _posted(fake) if t["text"] == edited]) == 1  # posted exactly once
    for page, reports in ((agent, agent_csp), (lead, lead_csp)):
        assert await violations(page) == [] and reports == []
