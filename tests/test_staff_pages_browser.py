"""The colleagues' pages in real Chromium, on the GOV.UK Design System (issue 26): a colleague
reports incidents, asks, warns and proposes a restriction with its parameters; checks a
restricted party's phone call on the contact screen and reports it as a possible breach;
records an adjustment and asks for advice, is refused deciding it (R16 in plain words), and a
manager decides it; closes a case (R17).

Every form is filled in and sent by keyboard alone (Tab, Space, arrows, typing, Enter: no
clicks), every page and error state is checked by axe-core against WCAG 2.2 AA and kept as a
screenshot in var/test-artifacts/, the pages reflow at 320 px and at 200 % zoom, and nothing
a page loads comes from another origin.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest_asyncio

from policy.measures import ChannelTerms
from policy.vocabulary import ContactChannel, Measure, Role
from services.signing_in import SignInRules
from settings import Settings
from tests.browser import Browser, Inbox, Page, assert_accessible, browser_marks, screenshot

if TYPE_CHECKING:
    from playwright.async_api import Request
from policy.messages import PartyRef
from tests.helpers import ask, incident, new_party, restriction, warning
from web.deps import SESSION_COOKIE

pytestmark = browser_marks()


class Origins:
    """Every sub-resource a page of the inbox asked for: all from the inbox's own origin; and
    nothing the pages' Content-Security-Policy refused (no script, no inline style)."""

    def __init__(self, page: Page, own: str) -> None:
        self.own = own
        self.foreign: list[str] = []
        self.refused: list[str] = []
        page.on("request", self._seen)
        page.on("console", lambda message: self._said(message.text, page.url))

    def _said(self, text: str, url: str) -> None:
        if "Content Security Policy" in text and url.startswith(self.own):
            self.refused.append(f"{url}: {text}")

    def _seen(self, request: "Request") -> None:
        frame_url = request.frame.url if request.frame else ""
        # The identity provider's own pages (signing in) are its business; ours load only from us.
        ours = request.resource_type != "document" and frame_url.startswith(self.own)
        if ours and not request.url.startswith((self.own, "data:")):
            self.foreign.append(request.url)

    def check(self) -> None:
        assert not self.foreign, f"loaded from another origin: {self.foreign}"
        assert not self.refused, f"refused by the pages' CSP: {self.refused}"


@pytest_asyncio.fixture
async def colleague(chromium: Browser, inbox: Inbox) -> AsyncIterator[tuple[Page, Origins]]:
    """colleague-9's page, signed in, and what its pages load."""
    context = await chromium.new_context(viewport={"width": 1024, "height": 900}, locale="en-GB")
    page = await context.new_page()
    origins = Origins(page, inbox.url)
    await inbox.sign_in(page, "colleague-9")
    yield page, origins
    origins.check()
    await context.close()


# --- The keyboard: reach a field by Tab alone, then type, tick or choose.


async def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until `selector` has the focus (never a click); fails if Tab never reaches it."""
    target = page.locator(selector)
    for _ in range(limit):
        if await target.evaluate("element => element === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


async def type_into(page: Page, selector: str, text: str) -> None:
    await tab_to(page, selector)
    await page.keyboard.press("Control+A")
    await page.keyboard.type(text)


async def tick(page: Page, selector: str) -> None:
    await tab_to(page, selector)
    await page.keyboard.press("Space")
    assert await page.locator(selector).is_checked(), selector


async def choose(page: Page, name: str, value: str) -> None:
    """A radio button of group `name`: Tab into the group, then arrows to `value` (arrows check it)."""
    for _ in range(120):
        if await page.evaluate("name => document.activeElement.name === name", name):
            break
        await page.keyboard.press("Tab")
    for _ in range(12):
        if await page.evaluate("() => document.activeElement.value") == value:
            break
        await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Space")
    assert await page.locator(f'input[name="{name}"][value="{value}"]').is_checked(), f"{name}={value}"


async def select(page: Page, selector: str, value: str) -> None:
    """An option of a <select>, by arrows on the closed list."""
    await tab_to(page, selector)
    for _ in range(80):
        if await page.locator(selector).input_value() == value:
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} has no option {value}")


async def send(page: Page, button: str) -> None:
    """Tab to the form's button and press Enter; wait for the page it leads to."""
    await tab_to(page, f'button:has-text("{button}")')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def flash(page: Page) -> str:
    return await page.get_by_role("status").first.inner_text()


async def checked(page: Page, name: str) -> None:
    """Axe-core finds nothing, and a screenshot is kept."""
    await assert_accessible(page)
    await screenshot(page, name)


# --- The colleague's forms.


async def _report_incident(page: Page, inbox: Inbox, party_id: str, *, code: str = "verbal_abuse") -> str:
    await page.goto(f"{inbox.url}/inbox/parties/{party_id}/incident")
    await choose(page, "category", "aggressive_or_abusive")
    await select(page, "#behaviour_code", code)
    await send(page, "Report the incident")
    assert page.url == f"{inbox.url}/inbox/parties/{party_id}", page.url
    said = await flash(page)
    assert "is on the party's file" in said, said
    return said.split("Incident ", 1)[1].split(" ", 1)[0]


async def _repeat(inbox: Inbox, party_id: str) -> str:
    """Another incident on the party's file, as a case system would report it."""
    again = incident(PartyRef(party_id=party_id), datetime.now(UTC) - timedelta(milliseconds=200))
    await inbox.parties.report_incident(again)
    return again.incident_id


async def test_a_colleague_reports_asks_warns_and_proposes_a_restriction_with_parameters(colleague, inbox):
    page, _ = colleague
    party_id = new_party().party_id

    # Act on a party: the party, then what the colleague's roles let them do (no manager's forms).
    await tab_to(page, 'a:has-text("Act on a party")')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await type_into(page, "#party_id", party_id)
    await send(page, "Choose the party")
    actions = page.get_by_role("list").filter(has=page.get_by_role("link", name="Report an incident"))
    assert [a.strip() for a in await actions.get_by_role("link").all_inner_texts()] == [
        "Report an incident",
        "Record an ask to stop",
        "Give a warning",
        "Propose a restriction",
        "Close a case with no further reply (R17)",
        "Request an adjustment",
        "The party's timeline",
    ]
    assert await page.get_by_role("link", name="Board report").count() == 0  # not a colleague's page
    await checked(page, "staff-act-on-a-party")

    # An incident sent empty: the API's validation, as a GOV.UK error summary linked to each field.
    await page.goto(f"{inbox.url}/inbox/parties/{party_id}/incident")
    await checked(page, "staff-incident-form")
    await send(page, "Report the incident")
    summary = page.locator(".govuk-error-summary")
    assert await page.title() == f"Error: Report an incident: party {party_id} · Unacceptable behaviour · The Ombudsman"
    assert await summary.evaluate("element => element === document.activeElement"), "the summary is not focused"
    links = await summary.get_by_role("link").all()
    assert [await link.inner_text() for link in links][:2] == [
        "Choose the kind of behaviour",
        "Choose what happened",
    ]
    assert [await link.get_attribute("href") for link in links][:2] == ["#category", "#behaviour_code"]
    await checked(page, "staff-incident-errors")

    first = await _report_incident(page, inbox, party_id)
    assert "The policy's advice: ask the person to stop (R4)" in await flash(page)
    await checked(page, "staff-incident-reported")

    await page.goto(f"{inbox.url}/inbox/parties/{party_id}/ask")
    await tick(page, "#incident_ids")
    await type_into(page, "#notes", "Asked them to stop shouting; offered a written route instead.")
    await checked(page, "staff-ask-form")
    await send(page, "Record the ask")
    assert "is on the party's file" in await flash(page)

    # The behaviour goes on (reported through the same service, to keep the test short).
    second = await _repeat(inbox, party_id)
    await page.goto(f"{inbox.url}/inbox/parties/{party_id}/warning")
    assert await page.locator(f'input[name="incident_ids"][value="{second}"]').count() == 1
    await tick(page, f'input[name="incident_ids"][value="{second}"]')
    await type_into(page, "#reasons", "The abuse went on after we asked you to stop.")
    await checked(page, "staff-warning-form")
    await send(page, "Give the warning")
    assert "The warning" in await flash(page) and "letter is being written" in await flash(page)

    third = await _repeat(inbox, party_id)
    await page.goto(f"{inbox.url}/inbox/parties/{party_id}/restriction")
    await tick(page, f'input[name="incident_ids"][value="{third}"]')
    # Contact by email only, at most 2 a week, through the named contact manager-1.
    await tick(page, "#measures")  # the first measure: a single named contact
    await type_into(page, "#single_named_contact-named_contact", "manager-1")
    await tick(page, "#measures-single_contact_channel")
    await tick(page, "#single_contact_channel-channels")  # email
    await tick(page, "#measures-restrict_time_or_volume")
    await type_into(page, "#restrict_time_or_volume-max_contacts", "2")  # but no period: refused
    await type_into(page, "#reasons", "The abuse went on while a warning was in place.")
    await type_into(page, "#contact_arrangements", "Email your named contact, Morgan Manager, at most twice a week.")
    await send(page, "Propose the restriction")
    problem = page.locator(".govuk-error-summary")
    assert "Restrict time or volume: per: give the period" in await problem.inner_text()
    assert await problem.get_by_role("link").first.get_attribute("href") == "#restrict_time_or_volume-per"
    assert await page.locator("#single_named_contact-named_contact").input_value() == "manager-1"  # kept
    await checked(page, "staff-restriction-errors")
    await select(page, "#restrict_time_or_volume-per", "week")
    await send(page, "Propose the restriction")
    said = await flash(page)
    assert said.startswith("Success") or "The restriction" in said, said
    assert "The restriction" in said and ("in force" in said or "awaiting approval" in said), said
    await checked(page, "staff-restriction-proposed")
    timeline = await page.locator("main").inner_text()
    assert first in timeline and third in timeline


async def _restricted_party(inbox: Inbox) -> str:
    """A party warned, whose behaviour went on, restricted to email only (R8): in force at once."""
    party = new_party()
    now = datetime.now(UTC)
    first = incident(party, now - timedelta(days=3))
    await inbox.parties.report_incident(first)
    await inbox.parties.record_ask(ask(party, [first.incident_id], now - timedelta(days=3)))
    second = incident(party, now - timedelta(days=2))
    await inbox.parties.report_incident(second)
    await inbox.parties.issue_warning(warning(party, [second.incident_id], now - timedelta(days=2)))
    third = incident(party, now - timedelta(days=1))
    await inbox.parties.report_incident(third)
    email_only = ChannelTerms(measure=Measure.SINGLE_CONTACT_CHANNEL, channels=[ContactChannel.EMAIL])
    request = restriction(party, [third.incident_id], now - timedelta(hours=1)).model_copy(
        update={"measures": [email_only], "proposed_by": "colleague-9"}
    )
    outcome = await inbox.parties.apply_restriction(request)
    assert outcome.restriction is not None and outcome.restriction.status.value == "in_force", outcome
    return party.party_id


async def test_a_restricted_partys_call_is_reported_as_a_possible_breach_and_a_colleague_is_refused_a_decision(
    colleague, chromium, inbox
):
    """The contact screen, then R16: a colleague records an adjustment and asks a specialist, is
    refused deciding it (the rule in plain words), and a manager decides it; a case closed (R17)."""
    page, _ = colleague
    party_id = await _restricted_party(inbox)
    await page.goto(f"{inbox.url}/inbox/contact")
    await checked(page, "staff-contact-form")
    await send(page, "Check the contact")  # nothing chosen
    assert "Choose how the contact reached us" in await page.locator(".govuk-error-summary").inner_text()
    await checked(page, "staff-contact-errors")

    await type_into(page, "#party_id", party_id)
    await choose(page, "channel", "phone")
    await send(page, "Check the contact")
    answer = await page.locator("#answer").inner_text()
    assert "Reply only to say how the party may contact us" in answer, answer
    main = await page.locator("main").inner_text()
    assert "This may be a breach of a restriction in force: R12: contact against single contact channel" in main
    assert "Contact only with your named caseworker, by email." in main  # the arrangements in force
    await checked(page, "staff-contact-answer")

    await tab_to(page, 'a:has-text("Report it as an incident")')
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.locator("#channel").input_value() == "phone"
    # Aggressive or abusive: the behaviour the restriction manages.
    assert await page.locator("#category-aggressive_or_abusive").is_checked(), page.url
    await select(page, "#behaviour_code", "verbal_abuse")
    await send(page, "Report the incident")
    said = await flash(page)
    assert "is on the party's file" in said and "restriction in force was extended (R12)" in said, said
    await checked(page, "staff-contact-reported-as-incident")

    # The party asks for an adjustment: recorded and asked about; deciding it is refused to a colleague.
    party = PartyRef(party_id=party_id)
    adjustments = f"{inbox.url}/inbox/parties/{party.party_id}/adjustments"
    await page.goto(adjustments)
    await type_into(page, "#description", "Letters in large print, and calls before noon.")
    await choose(page, "letter_format", "large_print")
    await send(page, "Record the request")
    said = await flash(page)
    assert "is recorded" in said, said
    adjustment_id = said.split("The adjustment ", 1)[1].split(" ", 1)[0]
    assert await page.get_by_role("link", name=f"Decide it: adjustment {adjustment_id}").count() == 0
    assert "your role may ask for advice, not decide" in await page.locator("main").inner_text()
    await send(page, "Ask a specialist adviser")
    assert "A specialist adviser is asked" in await flash(page)
    await checked(page, "staff-adjustments")

    # Deciding is not a colleague's: the page says which rule refuses it, in plain words.
    answer = await page.goto(f"{adjustments}/{adjustment_id}/decision")
    assert answer is not None and answer.status == 403
    refusal = await page.get_by_role("alert").inner_text()
    assert "Your role may not do this" in refusal
    assert "Rule R16: colleague-9 may not decide adjustment (a manager or a senior role, after advice)" in refusal
    await checked(page, "staff-refused-deciding-an-adjustment")

    # A case closed with notice of no further reply (R17).
    await page.goto(f"{inbox.url}/inbox/parties/{party.party_id}/close-case")
    await type_into(page, "#case_reference", "CASE-77")
    await send(page, "Close the case")
    assert "Case CASE-77 is closed" in await flash(page)

    context = await chromium.new_context(viewport={"width": 1024, "height": 900}, locale="en-GB")
    manager = await context.new_page()
    origins = Origins(manager, inbox.url)
    try:
        await inbox.sign_in(manager, "manager-1", f"/inbox/parties/{party.party_id}/adjustments")
        await tab_to(manager, 'a:has-text("Decide it")')
        async with manager.expect_navigation():
            await manager.keyboard.press("Enter")
        await send(manager, "Record the decision")
        assert "Choose whether to agree the adjustment" in await manager.locator(".govuk-error-summary").inner_text()
        await checked(manager, "staff-adjustment-decision-errors")
        await choose(manager, "agree", "yes")
        await type_into(manager, "#reason", "Large print costs nothing; calls before noon suit the team.")
        await send(manager, "Record the decision")
        assert f"Adjustment {adjustment_id} is agreed." in await flash(manager)
        await checked(manager, "staff-adjustment-agreed")
        origins.check()
    finally:
        await context.close()


async def test_every_page_reflows_at_320_px_and_200_percent_zoom(chromium, inbox, zero_tolerance_party):
    """WCAG 1.4.10: at 320 CSS px wide (400 % zoom of 1280) nothing scrolls sideways but a wide
    table in its own box; 200 % zoom of 1280 is 640 CSS px. Axe-core at both, error states too."""
    context = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = await context.new_page()
    origins = Origins(page, inbox.url)
    party_id = zero_tolerance_party.party_id
    try:
        await inbox.sign_in(page, "manager-1")
        pages = [
            "/inbox",
            f"/inbox/tasks/{zero_tolerance_party.review_task_id}",
            f"/inbox/parties/{party_id}",
            "/inbox/act?party_id=" + party_id,
            f"/inbox/parties/{party_id}/incident",
            f"/inbox/parties/{party_id}/restriction",
            f"/inbox/parties/{party_id}/adjustments",
            "/inbox/contact",
            "/inbox/report",
            "/inbox/accessibility",
        ]
        for width in (320, 640):
            await page.set_viewport_size({"width": width, "height": 800})
            for path in pages:
                await page.goto(f"{inbox.url}{path}")
                wide = await page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, f"{path} at {width} px is {wide} px wide"
                if width == 320:  # at the widths of the other tests too
                    await assert_accessible(page)
            await screenshot(page, f"staff-accessibility-statement-{width}px")
            # An error state, at this width too.
            await page.goto(f"{inbox.url}/inbox/parties/{party_id}/ask")
            await send(page, "Record the ask")
            assert await page.locator(".govuk-error-summary").count() == 1
            assert await page.evaluate("document.documentElement.scrollWidth") <= width
            await assert_accessible(page)
            await screenshot(page, f"staff-ask-errors-{width}px")
        # The security log is operations staff's: a session of theirs, as signing in would open it.
        inbox.store.add_staff("ops-1", "Oakley Operations", [Role.OPERATIONS])
        session_id, _ = inbox.store.open_session("ops-1", [Role.OPERATIONS.value], SignInRules.of(Settings()).timeouts)
        await context.add_cookies(
            [{"name": SESSION_COOKIE, "value": session_id, "domain": "127.0.0.1", "path": "/", "secure": True}]
        )
        await page.set_viewport_size({"width": 320, "height": 800})
        await page.goto(f"{inbox.url}/inbox/security-log")
        await page.get_by_role("heading", name="Security log", level=1).wait_for()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320
        await checked(page, "staff-security-log-320px")
        # The styles are the app's own, without the GOV.UK brand's typeface.
        font = await page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert "arial" in font.lower() and "GDS Transport" not in font, font
        stylesheets = await page.evaluate("[...document.styleSheets].map(s => s.href)")
        assert stylesheets == [f"{inbox.url}/inbox/assets/pages.css"], stylesheets
        assert urlsplit(stylesheets[0]).netloc == urlsplit(inbox.url).netloc
        origins.check()
    finally:
        await context.close()
