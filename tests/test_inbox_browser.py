"""The managers' inbox in real Chromium, served by uvicorn over the Temporal dev server, a
worker and the records database: sign in by link, see the tasks, open one, decide it, see it
leave the list. Every page is checked by axe-core against WCAG 2.2 AA and kept as a
screenshot in var/test-artifacts/; the skip link is the first Tab stop and shows when focused.

A test of another page of the same party takes the `signed_in` fixture: a manager's page,
signed in, and the party with its open tasks.
"""

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.browser import (
    Browser,
    Inbox,
    Page,
    ZeroToleranceParty,
    assert_accessible,
    axe_violations,
    browser_marks,
    screenshot,
)

pytestmark = browser_marks()


@pytest_asyncio.fixture
async def signed_in(
    chromium: Browser, inbox: Inbox, zero_tolerance_party: ZeroToleranceParty
) -> AsyncIterator[tuple[Page, ZeroToleranceParty]]:
    """manager-1's page, signed in by the link they are sent, on their task list."""
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(inbox.sign_in_link("manager-1"))
    yield page, zero_tolerance_party
    await context.close()


async def test_r15_a_manager_signs_in_by_link_decides_a_task_and_sees_it_leave_the_list(signed_in, inbox):
    page, party = signed_in
    # The link signed in and came back without the token: it stays out of the history.
    assert page.url == f"{inbox.url}/inbox"
    await page.get_by_role("heading", name="Tasks you can decide", level=1).wait_for()
    review = page.get_by_role("row").filter(has_text=party.review_task_id)
    support = page.get_by_role("row").filter(has_text=party.support_task_id)
    assert await review.count() == 1 and await support.count() == 1
    await assert_accessible(page)
    await screenshot(page, "inbox-task-list")

    await review.get_by_role("link", name="Zero-tolerance review (R15)").click()
    await page.get_by_role("heading", name="Zero-tolerance review (R15)", level=1).wait_for()
    assert page.url == f"{inbox.url}/inbox/tasks/{party.review_task_id}"
    assert await page.get_by_role("heading", name=f"The party: {party.party_id}").is_visible()
    await assert_accessible(page)
    await screenshot(page, "inbox-task")

    # R15: the police-referral decision is missing. The page says so and keeps what was chosen.
    await page.get_by_label("Confirm the stop of direct contact").check()
    await page.get_by_label("Reason", exact=True).fill("The threat was explicit; the stop stays.")
    await page.get_by_role("button", name="Record my decision").click()
    problem = page.get_by_role("alert")
    await problem.wait_for()
    assert "Not recorded." in await problem.inner_text() and "police" in await problem.inner_text()
    assert await page.get_by_label("Confirm the stop of direct contact").is_checked()
    assert await page.get_by_label("Reason", exact=True).input_value() == "The threat was explicit; the stop stays."
    await assert_accessible(page)
    await screenshot(page, "inbox-task-not-recorded")

    await page.get_by_label("No police referral").check()
    await page.get_by_role("button", name="Record my decision").click()
    await page.wait_for_url(f"{inbox.url}/inbox")
    flash = await page.get_by_role("status").first.inner_text()
    assert flash == f"Your decision on task {party.review_task_id} is recorded: direct contact stays stopped."
    assert await review.count() == 0, "the decided task is still listed"
    assert await support.count() == 1
    await assert_accessible(page)
    await screenshot(page, "inbox-task-decided")


async def test_the_skip_link_is_the_first_tab_stop_and_shows_when_focused(signed_in):
    page, _ = signed_in
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert await focused.inner_text() == "Skip to main content"
    box = await focused.bounding_box()
    assert box is not None and box["y"] >= 0 and box["width"] > 0 and box["height"] > 0, f"off screen: {box}"
    assert await focused.evaluate("link => getComputedStyle(link).outlineStyle") != "none"
    await screenshot(page, "inbox-skip-link-focused")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"


async def test_the_sign_in_page_and_a_wrong_link_are_accessible(chromium, inbox):
    page = await chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        await page.goto(f"{inbox.url}/inbox")
        await page.get_by_role("heading", name="Sign in", level=1).wait_for()
        await assert_accessible(page)
        await screenshot(page, "inbox-sign-in")

        await page.goto(f"{inbox.url}/inbox?token=not-a-token")
        assert "Not signed in:" in await page.get_by_role("alert").inner_text()
        await assert_accessible(page)
        await screenshot(page, "inbox-sign-in-refused")
    finally:
        await page.close()


async def test_axe_finds_what_wcag_2_2_aa_forbids(chromium):
    """The checks above can fail: an image with no text alternative, a page with no language or title."""
    page = await chromium.new_page()
    try:
        await page.set_content('<html><body><main><img src="chart.png"></main></body></html>')
        found = {v["id"]: [n["target"] for n in v["nodes"]] for v in await axe_violations(page)}
    finally:
        await page.close()
    assert found == {"image-alt": [["img"]], "html-has-lang": [["html"]], "document-title": [["html"]]}
