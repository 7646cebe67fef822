"""Data protection's pages in real Chromium, served by uvicorn over the Temporal dev server, a worker
and the records database: a manager checks what a party's subject access export holds and
downloads its PDF, then reads the register of markers, where the party's stop of direct contact
(R15) is in force. Both pages are checked by axe-core against WCAG 2.2 AA and kept as screenshots
in var/test-artifacts/."""

from tests.browser import Inbox, ZeroToleranceParty, assert_accessible, browser_marks, screenshot

pytestmark = browser_marks()
VIEWPORT = {"width": 1280, "height": 900}


async def test_art15_the_subject_access_page_and_the_register_of_markers(
    chromium, inbox: Inbox, zero_tolerance_party: ZeroToleranceParty
):
    party_id = zero_tolerance_party.party_id
    page = await chromium.new_page(viewport=VIEWPORT)
    try:
        answer = await inbox.sign_in(page, "manager-1", f"/inbox/parties/{party_id}/subject-access")
        assert answer is not None and answer.status == 200
        await page.get_by_role("heading", name=f"Subject access: party {party_id}", level=1).wait_for()
        incidents = page.get_by_role("row", name="Incidents")
        assert await incidents.get_by_role("cell").inner_text() == "1"
        assert "Support offered to our staff after an incident" in await page.locator("main").inner_text()
        await assert_accessible(page)
        await screenshot(page, "subject-access")
        async with page.expect_download() as download:
            await page.get_by_role("link", name=f"The export as a tagged PDF for party {party_id}").click()
        path = await (await download.value).path()
        assert path.read_bytes().startswith(b"%PDF-")

        await page.goto(f"{inbox.url}/inbox")
        await page.get_by_role("link", name="The register of markers").click()
        await page.get_by_role("heading", name="Register of markers", level=1).wait_for()
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=party_id))
        assert "Zero tolerance stop" in await row.inner_text()
        assert "zero tolerance (R15)" in await row.inner_text()
        await assert_accessible(page)
        await screenshot(page, "register-of-markers")
    finally:
        await page.close()
