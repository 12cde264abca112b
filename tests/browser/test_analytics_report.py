"""A lead opens brand A's analytics and its March 2026 client report in Debian's Chromium, over
the known items of tests/console/analytics_data.py; the charts are drawn (server-side SVG), the
CSP refuses nothing, and the PDF is produced and its first page rendered to PNG. Screenshots and
the PNG go to bench/out/screens/."""

from __future__ import annotations

import pypdfium2
from playwright.async_api import expect

from tests.browser.support import SCREENS, login, violations
from tests.console.analytics_data import insert_known_items, insert_known_snapshots


async def test_analytics_page_and_client_report(console, browser):  # noqa: ANN001
    SCREENS.mkdir(parents=True, exist_ok=True)
    await insert_known_items(console.pool)
    await insert_known_snapshots(console.pool)
    lead, reports = await login(browser, console.base_url, "lead")
    await lead.get_by_role("link", name="Analytics").click()
    await lead.get_by_role("link", name="brand-a").first.click()
    await lead.get_by_label("From", exact=True).fill("2026-03-23")
    await lead.get_by_label("To", exact=True).fill("2026-03-31")
    await lead.get_by_role("button", name="Show").click()
    await expect(lead.get_by_role("heading", name="Analytics · Brand A")).to_be_visible()
    await expect(lead.get_by_role("img", name="Volume by category, per day")).to_be_visible()
    await expect(lead.locator("#response-times")).to_contain_text("First response, business hours")
    await expect(lead.locator("#terms")).to_contain_text("refund")
    assert await lead.locator("svg.chart-svg polyline").count() == 6 + 4  # 3 categories, 3 sentiments, and
    # the followers of the 23rd, 25th, 29th and 31st, apart: the missing and unseen days are gaps
    followers = lead.locator("#followers")
    await expect(followers.get_by_role("img", name="Followers of @BrandAHelp, per day")).to_be_visible()
    await expect(followers.locator("#follower-table")).to_contain_text("+80")
    assert await followers.locator("circle").count() == 4
    await expect(lead.locator("#definitions")).to_contain_text("Mon–Fri 09:00-18:00; Sun 00:00-06:00")
    await lead.screenshot(path=str(SCREENS / "analytics.png"), full_page=True)

    await lead.get_by_role("link", name="Monthly client report").click()
    await lead.get_by_label("Month", exact=True).fill("2026-03")
    await lead.get_by_role("button", name="Show").click()
    await expect(lead.get_by_role("heading", name="Brand A · monthly report")).to_be_visible()
    await expect(lead.locator(".agency")).to_have_text("Test Agency Social")
    await expect(lead.locator("#summary")).to_contain_text("Complaints 7 (none the period before)")
    await expect(lead.locator("#summary")).to_contain_text("Followers +120 (to 1,120) on @BrandAHelp.")
    await lead.screenshot(path=str(SCREENS / "client-report.png"), full_page=True)

    async with lead.expect_download() as download_info:
        await lead.get_by_role("link", name="Download PDF").click()
    download = await download_info.value
    pdf_path = SCREENS / "client-report.pdf"
    await download.save_as(str(pdf_path))
    assert await violations(lead) == [] and reports == []

    document = pypdfium2.PdfDocument(str(pdf_path))
    first = document[0]
    text = first.get_textpage().get_text_range()  # the agency's name as laid out: in capitals
    assert "TEST AGENCY SOCIAL" in text and "Brand A · monthly report" in text and "March 2026" in text
    assert "Complaints 7 (none the period before)" in text.replace("\r\n", " ").replace("\n", " ")
    first.render(scale=1.5).to_pil().save(SCREENS / "client-report-page1.png")
    for path in ("analytics.png", "client-report.png", "client-report.pdf", "client-report-page1.png"):
        print(SCREENS / path)
