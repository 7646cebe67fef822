"""The managers' inbox in real Chromium, served by uvicorn over the Temporal dev server, a
worker and the records database: sign in by link, see the tasks, open one, decide it, see it
leave the list. Every page is checked by axe-core against WCAG 2.2 AA and kept as a
screenshot in var/test-artifacts/; the skip link is the first Tab stop and shows when focused.

A test of another page of the same party takes the `signed_in` fixture: a manager's page,
signed in, and the party with its open tasks; so does the party's timeline and its letter.
"""

import asyncio
import io
import re
from collections.abc import AsyncIterator
from typing import cast

import pytest
import pytest_asyncio
from pypdf import PdfReader
from starlette.routing import Match

from client.parties import PartyClient
from records.store import RecordStore
from records.tables import LetterRow
from settings import Settings
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
from tests.party_file import write_long_file
from web.app import create_app

pytestmark = browser_marks()


@pytest_asyncio.fixture
async def signed_in(
    chromium: Browser, inbox: Inbox, zero_tolerance_party: ZeroToleranceParty
) -> AsyncIterator[tuple[Page, ZeroToleranceParty]]:
    """manager-1's page, signed in through the identity provider, on their task list."""
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await inbox.sign_in(page, "manager-1")
    yield page, zero_tolerance_party
    await context.close()


async def test_r15_a_manager_signs_in_decides_a_task_and_sees_it_leave_the_list(signed_in, inbox):
    page, party = signed_in
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
    assert "Not recorded" in await problem.inner_text() and "Refer to the police?" in await problem.inner_text()
    assert await page.get_by_label("Confirm the stop of direct contact").is_checked()
    assert await page.get_by_label("Reason", exact=True).input_value() == "The threat was explicit; the stop stays."
    await assert_accessible(page)
    await screenshot(page, "inbox-task-not-recorded")

    await page.get_by_label("No police referral").check()
    await page.get_by_role("button", name="Record my decision").click()
    await page.wait_for_url(f"{inbox.url}/inbox")
    flash = await page.get_by_role("status").first.inner_text()
    assert f"Your decision on task {party.review_task_id} is recorded: direct contact stays stopped." in flash
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
    assert await page.evaluate("document.activeElement.id") == "main-content"


async def test_axe_finds_what_wcag_2_2_aa_forbids(chromium):
    """The checks above can fail: an image with no text alternative, a page with no language or title."""
    page = await chromium.new_page()
    try:
        await page.set_content('<html><body><main><img src="chart.png"></main></body></html>')
        found = {v["id"]: [n["target"] for n in v["nodes"]] for v in await axe_violations(page)}
    finally:
        await page.close()
    assert found == {"image-alt": [["img"]], "html-has-lang": [["html"]], "document-title": [["html"]]}


def _served(path: str) -> bool:
    """Whether the app has a page at `path`: the party's timeline comes with another part of issue 11."""
    app = create_app(cast(PartyClient, None), cast(RecordStore, None), Settings())
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in app.routes)


async def _letters_made(store: RecordStore, party_id: str, timeout: float = 20.0) -> list[LetterRow]:
    """The party's letters once an activity has made the first (after the decision that calls for it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (made := await asyncio.to_thread(store.letters, party_id)):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no letter was made for party {party_id}")
        await asyncio.sleep(0.1)
    return made


@pytest.mark.skipif(
    not _served("/inbox/parties/p-any"), reason="the inbox has no party timeline yet (/inbox/parties/{party_id})"
)
async def test_r10_timeline_and_letter_download(signed_in, inbox, chromium):
    page, party = signed_in
    [letter] = await _letters_made(inbox.store, party.party_id)  # R15's stop of direct contact, written up
    timeline = f"{inbox.url}/inbox/parties/{party.party_id}"
    await page.get_by_role("row").filter(has_text=party.review_task_id).get_by_role("link").first.click()
    await page.get_by_role("link", name=re.compile("timeline", re.IGNORECASE)).click()
    await page.get_by_role("heading", name=f"Timeline for party {party.party_id}", level=1).wait_for()
    assert page.url == timeline
    await assert_accessible(page)
    await screenshot(page, "inbox-party-timeline")

    download = page.get_by_role("link", name="Download letter (PDF)")
    assert await download.count() == 1
    href = await download.get_attribute("href")
    assert href
    answer = await page.request.get(f"{inbox.url}{href}" if href.startswith("/") else href)
    assert answer.ok and answer.headers["content-type"].startswith("application/pdf"), answer.headers
    pdf = PdfReader(io.BytesIO(await answer.body()))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "We have stopped direct contact with you" in text, f"letter {letter.letter_id}: {text[:500]}"

    # A long file a page at a time: its page links in a labelled navigation, as accessible as the rest.
    write_long_file(inbox.store, f"{party.party_id}-long", 450)
    await page.goto(f"{timeline}-long?page=2")
    pages = page.get_by_role("navigation", name="Timeline pages (top)")
    assert await pages.get_by_text("Page 2 of 3").count() == 1
    await assert_accessible(page)
    await screenshot(page, "inbox-party-timeline-paged")
    await pages.get_by_role("link", name="Next page").click()
    await page.get_by_role("navigation", name="Timeline pages (top)").get_by_text("Page 3 of 3").wait_for()
    assert page.url == f"{timeline}-long?page=3"

    # Staff signed in only: a browser without the session is sent to sign in, and sees nothing of the party.
    stranger = await chromium.new_page()
    try:
        await stranger.goto(timeline)
        assert stranger.url.startswith(f"{inbox.url}/inbox/sign-in")
        assert party.party_id not in await stranger.locator("body").inner_text()
    finally:
        await stranger.close()
