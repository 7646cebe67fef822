"""The task list and the parties in real Chromium (issue 26): an Executive claims an approval
from the task list and decides it, by keyboard alone, while another sees who has it and is not
offered the decision; a manager moves a leaver's tasks to themselves; a party is found by id
and its page says what is in force. Every page, error states included, is checked by axe-core
against WCAG 2.2 AA and kept as a screenshot in var/test-artifacts/.
"""

from collections.abc import AsyncIterator

import pytest_asyncio

from policy.fields import Door
from policy.vocabulary import PartyKind, TaskOutcome
from records.store import RecordStore
from services.acting import Principal
from services.task_claims import claim_task
from tests.browser import (
    Browser,
    Inbox,
    Locator,
    Page,
    ZeroToleranceParty,
    assert_accessible,
    browser_marks,
    screenshot,
)
from tests.helpers import new_party, planned_task, restriction, warned_party

pytestmark = browser_marks()


@pytest_asyncio.fixture
async def pages(chromium: Browser) -> AsyncIterator[tuple[Page, Page]]:
    """Two people's browsers, side by side."""
    first = await chromium.new_context(viewport={"width": 1280, "height": 900})
    second = await chromium.new_context(viewport={"width": 1280, "height": 900})
    yield await first.new_page(), await second.new_page()
    await first.close()
    await second.close()


async def tab_to(page: Page, target: Locator, limit: int = 120) -> None:
    """Press Tab until `target` has the focus, as someone using the keyboard alone would."""
    handle = await target.element_handle()
    assert handle is not None
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await handle.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} is not reached by Tab within {limit} presses")


async def assert_reflows(page: Page, name: str) -> None:
    """At 320 CSS px wide (WCAG 1.4.10, and 1280 px at 400 %) the page needs no sideways scrolling
    (a wide table scrolls in its own box); kept as a screenshot, and checked by axe-core there too."""
    await page.set_viewport_size({"width": 320, "height": 900})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 320
    await assert_accessible(page)
    await screenshot(page, name)
    await page.set_viewport_size({"width": 1280, "height": 900})


def person(store: RecordStore, staff_id: str) -> Principal:
    row = store.staff(staff_id)
    assert row is not None
    return Principal.of(row)


async def test_an_executive_claims_and_decides_an_approval_while_another_sees_who_has_it(
    pages: tuple[Page, Page], inbox: Inbox, dev_server_env
) -> None:
    party = new_party(PartyKind.ORGANISATION)
    repeat, now = await warned_party(dev_server_env, inbox.parties, party)
    proposal = restriction(party, [repeat], now)
    await inbox.parties.apply_restriction(proposal)
    task_id = f"approve-{proposal.restriction_id}"
    await planned_task(inbox.store, task_id)
    mine, theirs = pages

    await inbox.sign_in(mine, "exec-1")
    row = mine.get_by_role("row").filter(has_text=task_id)
    assert "Nobody" in await row.inner_text()
    await tab_to(mine, row.get_by_role("button", name=f"Claim task {task_id}"))
    await mine.keyboard.press("Enter")
    await mine.get_by_role("status").filter(has_text=f"You are working on task {task_id}").wait_for()
    assert "You" in await mine.get_by_role("row").filter(has_text=task_id).inner_text()
    await assert_accessible(mine)
    await screenshot(mine, "tasks-claimed")
    await assert_reflows(mine, "tasks-claimed-320px")

    await inbox.sign_in(theirs, "exec-2", f"/inbox/tasks/{task_id}")
    holder = theirs.locator("#holder")
    assert "Edie Executive (exec-1) is working on this task" in " ".join((await holder.inner_text()).split())
    assert await theirs.get_by_role("button", name="Record my decision").count() == 0
    assert await theirs.get_by_role("button", name="Claim this task").count() == 0
    assert "only they may decide it" in await theirs.locator("main").inner_text()
    await assert_accessible(theirs)
    await screenshot(theirs, "task-held-by-another")
    # An Executive may hand tasks out too (assign_task): choosing nobody is named, nothing changes.
    await theirs.get_by_role("button", name="Assign the task").click()
    assert "Choose who is to work on the task" in await theirs.get_by_role("alert").inner_text()
    assert inbox.store.task(task_id).claimed_by == "exec-1"
    await assert_accessible(theirs)
    await screenshot(theirs, "task-assign-error")
    await theirs.goto(f"{inbox.url}/inbox")
    assert "Edie Executive" in await theirs.get_by_role("row").filter(has_text=task_id).inner_text()

    # The holder decides it, by keyboard alone.
    await mine.goto(f"{inbox.url}/inbox/tasks/{task_id}")
    await tab_to(mine, mine.get_by_label("Approve the restriction"))
    await mine.keyboard.press("Space")
    await tab_to(mine, mine.get_by_label("Reason", exact=True))
    await mine.keyboard.type("The conduct went on after the warning; the measure is proportionate.")
    await tab_to(mine, mine.get_by_role("button", name="Record my decision"))
    await mine.keyboard.press("Enter")
    await mine.get_by_role("status").filter(has_text=f"Your decision on task {task_id} is recorded").wait_for()
    [decision] = inbox.store.decisions(task_id=task_id)
    assert (decision.decided_by, decision.outcome) == ("exec-1", TaskOutcome.APPROVE.value)
    assert [(e.change, e.changed_by) for e in inbox.store.claim_log(task_id)] == [("claimed", "exec-1")]

    # A filter the list does not know is named, and the list shown without it.
    await mine.goto(f"{inbox.url}/inbox?kind=bogus&holder=me")
    summary = mine.get_by_role("alert")
    assert "Choose a kind of task from the list" in await summary.inner_text()
    await assert_accessible(mine)
    await screenshot(mine, "tasks-filter-error")


async def test_a_manager_moves_a_leavers_tasks_and_finds_their_party(
    pages: tuple[Page, Page], inbox: Inbox, zero_tolerance_party: ZeroToleranceParty
) -> None:
    party = zero_tolerance_party
    for task_id in (party.review_task_id, party.support_task_id):
        await claim_task(inbox.store, caller=person(inbox.store, "manager-2"), door=Door.INBOX, task_id=task_id)
    inbox.store.set_staff_active("manager-2", False)
    page, _ = pages

    await inbox.sign_in(page, "manager-1", "/inbox/reassign")
    await page.get_by_role("button", name="Move their tasks").click()
    summary = page.get_by_role("alert")
    await summary.wait_for()
    assert "Choose whose tasks to move" in await summary.inner_text()
    await assert_accessible(page)
    await screenshot(page, "reassign-not-moved")

    await tab_to(page, page.get_by_label("Max Manager (manager-2)"))
    await page.keyboard.press("Space")
    await tab_to(page, page.get_by_label("Who takes them?"))
    await page.keyboard.type("Morgan")
    await tab_to(page, page.get_by_label("Why do they move?"))
    await page.keyboard.type("Max left on Friday.")
    await tab_to(page, page.get_by_role("button", name="Move their tasks"))
    await page.keyboard.press("Enter")
    await page.get_by_role("status").filter(has_text="2 tasks of manager-2 moved: 2 to manager-1.").wait_for()
    await assert_accessible(page)
    await screenshot(page, "reassign-moved")
    [*_, moved] = inbox.store.claim_log(party.review_task_id)
    assert (moved.change, moved.changed_by, moved.previous_holder, moved.holder, moved.reason) == (
        "reassigned",
        "manager-1",
        "manager-2",
        "manager-1",
        "Max left on Friday.",
    )

    await page.goto(f"{inbox.url}/inbox/tasks/{party.review_task_id}")
    assert "You are working on this task" in " ".join((await page.locator("#holder").inner_text()).split())
    log = page.get_by_role("table", name="Who claimed, assigned and reassigned it")
    assert "Reassigned to manager-1 (from manager-2)" in await log.inner_text()
    await assert_accessible(page)
    await screenshot(page, "task-reassigned")

    # The party of those tasks, found by id; its page says what is in force.
    await page.goto(f"{inbox.url}/inbox/parties?stage=nowhere")
    assert "Choose a stage from the list" in await page.get_by_role("alert").inner_text()
    await assert_accessible(page)
    await screenshot(page, "parties-filter-error")

    await page.goto(f"{inbox.url}/inbox/parties")
    await page.get_by_label("Party id").fill(party.party_id)
    await page.get_by_label("Direct contact stopped (zero tolerance, R15)").check()
    await page.get_by_role("button", name="Find parties").click()
    found = page.get_by_role("row").filter(has_text=party.party_id)
    assert "Zero tolerance" in await found.inner_text()
    assert "1 party" in await page.get_by_role("status").inner_text()
    await assert_accessible(page)
    await screenshot(page, "parties-found")
    await found.get_by_role("link", name=party.party_id).click()
    await page.get_by_role("heading", name=party.party_id, level=1).wait_for()
    banner = page.get_by_role("region", name="In force now")
    assert "Direct contact is stopped (zero tolerance) (R15)" in await banner.inner_text()
    actions = page.locator("#actions")
    assert await actions.get_by_role("link", name="A contact from this party: what do I do?").count() == 1
    assert await actions.get_by_role("link", name="Report an incident").count() == 1
    await assert_accessible(page)
    await screenshot(page, "party-page")
    await assert_reflows(page, "party-page-320px")
