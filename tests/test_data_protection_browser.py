"""Data protection's pages in real Chromium, served by uvicorn over the Temporal dev server, a worker
and the records database: a manager checks what a party's subject access export holds and
downloads its PDF, reads the register of markers, where the party's stop of direct contact (R15)
is in force, and from the party's timeline adds the person's statement disputing the incident.
Each page is checked by axe-core against WCAG 2.2 AA and kept as a screenshot in
var/test-artifacts/."""

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

        # Art. 16: from the party's timeline, the person's statement disputing the incident, on a letter.
        await row.get_by_role("link", name=party_id).click()
        await page.get_by_role("link", name="Correct or dispute a record").click()
        await page.get_by_role("heading", name=f"Correct or dispute a record: party {party_id}").wait_for()
        await assert_accessible(page)
        await screenshot(page, "correct-or-dispute")
        incident_id = zero_tolerance_party.review_task_id.removeprefix("zt-review-")
        await page.get_by_label("The person's statement that the record is wrong, in their words").check()
        await page.get_by_label("The kind of record").select_option("incident")
        await page.get_by_label("The record's reference").fill(incident_id)
        await page.get_by_label("The correction, or the person's statement").fill("I never threatened anyone.")
        await page.get_by_label("Put it on a letter to the person, to send with their letters").check()
        await page.get_by_role("button", name="Add it to the file").click()
        await page.wait_for_url(f"{inbox.url}/inbox/parties/{party_id}")
        assert (
            "is on the party's file, and on letter letter:dispute_noted:"
            in await page.get_by_role("status").inner_text()
        )
        entry = page.get_by_role("row").filter(has_text="The person disputes the record (Art. 16)")
        assert "I never threatened anyone." in await entry.inner_text()
    finally:
        await page.close()
