"""What every browser test shares: Debian's Chromium driven by Playwright (which downloads
nothing), the skip when either is missing, saying how to get it, screenshots kept in
var/test-artifacts/, accessibility checks by axe-core, and the inbox served for real.

A test module marks itself with `pytestmark = browser_marks()` and takes the `chromium`
fixture; for the inbox, the `inbox` fixture (the API on a port of its own) and
`zero_tolerance_party` (a party with a manager's tasks). tests/conftest.py registers them
from here.
"""

import asyncio
import os
import runpy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from client.parties import PartyClient
from devstack.identity import PASSWORD, Account, DevIdentityProvider
from devstack.identity import unavailable as provider_unavailable
from devstack.server import free_port
from policy.vocabulary import Category, Role
from records.store import RecordStore
from settings import PROJECT_ROOT, Settings
from tests.helpers import incident, new_party, planned_task
from web.app import api_server

try:
    from playwright.async_api import Browser, Page, Response, async_playwright
    from playwright.async_api import Locator as Locator  # for the browser tests' own helpers
except ImportError:  # the test extra is not installed
    async_playwright = None  # type: ignore[assignment]  # None marks the tests to skip, saying why

CHROMIUM = Path(os.environ.get("UBP_CHROMIUM", "/usr/bin/chromium"))
# No sandbox: CI runs the tests as root. The rest keeps Chromium off the network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
UNAVAILABLE = os.environ.get("UBP_BROWSER_UNAVAILABLE") or (
    f"Chromium is not at {CHROMIUM}: `bash scripts/browser-setup.sh` installs it (Debian's chromium)"
    if not CHROMIUM.exists()
    else "Playwright is not installed: `bash scripts/setup.sh`"
    if async_playwright is None
    else ""
)


def browser_marks(*also_unavailable: str) -> list[pytest.MarkDecorator]:
    """The `browser` marker, and a skip saying how to get what is missing (Chromium, Playwright,
    or any of `also_unavailable`: the first non-empty reason wins)."""
    reason = next((why for why in (UNAVAILABLE, *also_unavailable) if why), "")
    return [pytest.mark.browser, pytest.mark.skipif(bool(reason), reason=reason)]


@pytest_asyncio.fixture
async def chromium() -> AsyncIterator[Browser]:
    assert async_playwright is not None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    """Keep what the page shows, whole, as var/test-artifacts/{name}.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path


# Where scripts/browser-setup.sh puts axe-core: read from the script, which fetches nothing on import.
AXE = Path(runpy.run_path(str(PROJECT_ROOT / "scripts" / "fetch_axe.py"))["TARGET"])
AXE_MISSING = f"axe-core is not at {AXE}: `bash scripts/browser-setup.sh` fetches it (once, online)"
# WCAG 2.2 at level AA, the rules of each version and level it builds on.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds against WCAG 2.2 AA on the page as it stands (skips without axe-core)."""
    if not AXE.exists():
        pytest.skip(AXE_MISSING)
    # Evaluated, not added as a <script>: the inbox's CSP refuses every script a page would run.
    await page.evaluate(AXE.read_text() + "\n;undefined")
    violations: list[dict[str, Any]] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(results => results.violations)",
        WCAG_22_AA,
    )
    return violations


async def assert_accessible(page: Page) -> None:
    """No axe-core violation on the page; else each one's rule, what it asks and where, to fix it."""
    violations = await axe_violations(page)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']}: {node.get('failureSummary', '')}" for node in v["nodes"])
        for v in violations
    ]
    assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)


# Who uses the inbox in the browser tests: a role in policy.report.REPORT_ROLES beside the manager.
INBOX_STAFF = {
    "manager-1": ("Morgan Manager", [Role.MANAGER]),
    "exec-1": ("Edie Executive", [Role.EXECUTIVE_TEAM]),
    "colleague-9": ("Casey Colleague", [Role.COLLEAGUE]),
    # A second Executive and a second manager: one works a task, the other sees who has it.
    "exec-2": ("Eli Executive", [Role.EXECUTIVE_TEAM]),
    "manager-2": ("Max Manager", [Role.MANAGER]),
}


def subject_of(staff_id: str) -> str:
    """The identity provider's subject the tests link to a member of staff."""
    return f"idp-{staff_id}"


@dataclass
class Inbox:
    """The API (and so the inbox) served by uvicorn on a free port, over a real worker and
    records, signing in through a real OpenID provider (devstack/identity.py)."""

    url: str
    parties: PartyClient
    store: RecordStore
    provider: DevIdentityProvider

    async def sign_in(self, page: Page, staff_id: str, path: str = "/inbox") -> Response | None:
        """Sign in as a member of staff does: open `path`, be sent to the sign-in page, sign in
        at the identity provider, and come back to `path`; the last answer."""
        await page.goto(f"{self.url}{path}")
        await page.get_by_role("button", name="Sign in").click()
        return await self.at_the_provider(page, subject_of(staff_id), path)

    async def at_the_provider(self, page: Page, subject: str, path: str = "/inbox") -> Response | None:
        """Sign in at the provider's own page as `subject`; the answer of the page it comes back to."""
        await page.get_by_label("Subject").fill(subject)
        await page.get_by_label("Password").fill(PASSWORD)
        async with page.expect_navigation(url=f"{self.url}{path}*") as back:
            await page.get_by_role("button", name="Sign in").click()
        return await back.value


@pytest_asyncio.fixture
async def inbox(dev_parties: PartyClient, store: RecordStore, settings: Settings) -> AsyncIterator[Inbox]:
    why_not = provider_unavailable()
    if why_not:
        pytest.skip(why_not)
    accounts = []
    for staff_id, (name, roles) in INBOX_STAFF.items():
        store.add_staff(staff_id, name, roles)
        store.link_subject(staff_id, subject_of(staff_id))
        accounts.append(Account(subject_of(staff_id), name))
    # Someone the provider knows whom the staff list does not: refused.
    accounts.append(Account(subject_of("stranger"), "Sam Stranger"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = DevIdentityProvider(f"{url}/inbox/signed-in", accounts)
    await asyncio.to_thread(provider.start)
    served = settings.model_copy(update={"api_port": port, **provider.settings()})
    server = api_server(served, dev_parties, store, embedded=True)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises why it did not start, if it says
                raise AssertionError("the API stopped before it started")
            await asyncio.sleep(0.05)
        yield Inbox(url, dev_parties, store, provider)
    finally:
        server.should_exit = True
        await serving
        provider.stop()


@dataclass
class ZeroToleranceParty:
    """A party whose threat stopped direct contact (R15): a manager reviews the stop, and
    follows up with the colleague who experienced it (R18)."""

    party_id: str
    review_task_id: str
    support_task_id: str


@pytest_asyncio.fixture
async def zero_tolerance_party(inbox: Inbox) -> ZeroToleranceParty:
    party = new_party()
    threat = incident(party, datetime.now(UTC) - timedelta(hours=1), Category.ZERO_TOLERANCE)
    await inbox.parties.report_incident(threat)
    found = ZeroToleranceParty(party.party_id, f"zt-review-{threat.incident_id}", f"support-{threat.incident_id}")
    # Listed once planned: an activity gives each task its working-day dates after the incident.
    for task_id in (found.review_task_id, found.support_task_id):
        await planned_task(inbox.store, task_id)
    return found
