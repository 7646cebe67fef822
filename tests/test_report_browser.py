"""The board report (R10a) in real Chromium, served by uvicorn over the Temporal dev server, a
worker and the records database: a manager, and a member of the Executive Team, choose a
period in the form and see its charts drawn and its tables; a colleague without a role in
`policy.report.REPORT_ROLES` is refused. Every page is checked by axe-core against WCAG 2.2
AA and kept as a screenshot in var/test-artifacts/.
"""

from datetime import UTC, datetime

import pytest

from policy.dates import local_date
from settings import Settings
from tests.browser import Inbox, ZeroToleranceParty, assert_accessible, browser_marks, screenshot

pytestmark = browser_marks()
VIEWPORT = {"width": 1280, "height": 900}


@pytest.mark.parametrize("staff_id", ["manager-1", "exec-1"])
async def test_r10a_the_board_report_shows_its_charts_and_tables_for_the_period_chosen(
    chromium, inbox: Inbox, zero_tolerance_party: ZeroToleranceParty, settings: Settings, staff_id: str
):
    today = local_date(datetime.now(UTC), settings.timezone)
    page = await chromium.new_page(viewport=VIEWPORT)
    try:
        await inbox.sign_in(page, staff_id)
        await page.get_by_role("link", name="The board report").click()
        await page.get_by_role("heading", name="Board report", level=1).wait_for()
        await page.get_by_label("From (first day)").fill(f"{today.year}-01-01")
        await page.get_by_label("To (last day, included)").fill(today.isoformat())
        await page.get_by_role("button", name="Show the report").click()
        await page.wait_for_url(f"{inbox.url}/inbox/report?from={today.year}-01-01&to={today.isoformat()}")
        assert f"1 January {today.year} to {today.day} {today:%B %Y}" in await page.locator("main").inner_text()

        # The stop of direct contact is a restriction by measure: its chart is drawn beside the other two.
        charts = await page.get_by_role("figure").locator("img").all()
        alts = [await chart.get_attribute("alt") or "" for chart in charts]
        assert [alt.split(".")[0] for alt in alts] == [
            "Bar chart: Incidents recorded, by category",
            "Bar chart: Restrictions put in force, by measure",
            "Line chart: Incidents, warnings and restrictions by month",
        ]
        for chart, alt in zip(charts, alts, strict=True):
            assert await chart.evaluate("img => img.complete && img.naturalWidth > 0"), f"not drawn: {alt}"
        # The threat this test's party made counts, and a count under 5 is not shown.
        stops = page.get_by_role("row", name="Zero-tolerance stops of direct contact (R15)")
        assert await stops.get_by_role("cell").inner_text() == "<5"
        assert await page.get_by_role("table").count() > 5
        await assert_accessible(page)
        await screenshot(page, f"board-report-{staff_id}")
    finally:
        await page.close()


async def test_r10a_a_colleague_without_a_reporting_role_is_refused_the_board_report(chromium, inbox: Inbox):
    page = await chromium.new_page(viewport=VIEWPORT)
    try:
        answer = await inbox.sign_in(page, "colleague-9", "/inbox/report")
        assert answer is not None and answer.status == 403
        assert await page.get_by_role("heading", level=1).inner_text() == "Board report"
        refusal = await page.get_by_role("alert").inner_text()
        assert "The board report is for staff with one of these roles:" in refusal
        assert await page.get_by_role("img").count() == 0
        assert await page.get_by_role("link", name="The board report").count() == 0
        await assert_accessible(page)
        await screenshot(page, "board-report-refused")
    finally:
        await page.close()
