"""In real Chromium: `ubp dev` as a new user runs it, and the Temporal UI's page of a party.
Signed in as operations staff, the incident and the status show decoded; signed in as
nobody, the codec endpoint refuses and the UI shows the ciphertext. Screenshots of both
are kept in var/test-artifacts/.

Chromium comes from Debian (`scripts/browser-setup.sh`, which `scripts/test.sh` runs);
Playwright drives it and downloads nothing (tests/browser.py).
"""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from devstack.demo import DEMO_CASE_SYSTEM, DEMO_CASE_SYSTEM_ACTS_FOR
from devstack.identity import PASSWORD
from devstack.server import free_port
from records.db import make_engine
from records.store import RecordStore
from tests.browser import Page, browser_marks, screenshot
from tests.helpers import incident, new_party

pytestmark = browser_marks()


@dataclass
class DevStack:
    """`ubp dev --seed-demo` in a process of its own, on free ports, its files in a test folder."""

    ui: str
    api: str
    records_url: str
    process: subprocess.Popen[bytes]


def _wait_for_line(log: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text())
        if found:
            return found
        if process.poll() is not None:
            raise AssertionError(f"ubp dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"ubp dev never logged {pattern!r}:\n{log.read_text()[-3000:]}")


@pytest.fixture
def dev_stack(tmp_path) -> Iterator[DevStack]:
    grpc, ui, api, idp = free_port(), free_port(), free_port(), free_port()
    records_url = f"sqlite:///{tmp_path / 'records.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UBP_", "TEMPORAL_"))} | {
        "UBP_TEMPORAL_ADDRESS": f"127.0.0.1:{grpc}",
        "UBP_TEMPORAL_UI_PORT": str(ui),
        "UBP_API_PORT": str(api),
        "UBP_DEV_IDP_PORT": str(idp),
        "UBP_TEMPORAL_DB_FILE": str(tmp_path / "temporal.db"),
        "UBP_ENCRYPTION_KEY_FILE": str(tmp_path / "keys.json"),  # none yet: `ubp dev` makes it
        "DATABASE_URL": records_url,
    }
    log = tmp_path / "ubp-dev.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "ubp"), "dev", "--seed-demo"], env=env, stdout=out, stderr=out
        )
    try:
        _wait_for_line(log, r"sign in at the dev identity provider", process, 120)
        _wait_for_line(log, r"running; press Ctrl\+C to stop", process, 60)
        assert (tmp_path / "keys.json").exists()
        yield DevStack(f"http://127.0.0.1:{ui}", f"http://127.0.0.1:{api}", records_url, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _report_marked_incident(stack: DevStack, marker: str) -> str:
    """An incident through the HTTP API, as the demo case system sends it for a demo colleague;
    its summary holds `marker`."""
    engine = make_engine(stack.records_url)
    try:
        token = RecordStore(engine).issue_token(DEMO_CASE_SYSTEM)
    finally:
        engine.dispose()
    party = new_party()
    report = incident(party, datetime.now(UTC) - timedelta(hours=1)).model_copy(
        update={"summary": marker, "reported_by": DEMO_CASE_SYSTEM_ACTS_FOR[0], "experienced_by": None}
    )
    async with httpx.AsyncClient(base_url=stack.api, headers={"Authorization": f"Bearer {token}"}) as http:
        answer = await http.post(f"/parties/{party.party_id}/incidents", json=report.model_dump(mode="json"))
    assert answer.status_code == 200, answer.text
    return party.party_id


async def _use_the_codec_endpoint(page: Page, stack: DevStack) -> None:
    """What a member of staff does once per browser: in the UI's Codec Server settings, the
    API's codec endpoint with cross-origin credentials (the dev server's UI has no flag for it)."""
    await page.goto(f"{stack.ui}/namespaces/default/workflows")
    await page.locator("[data-testid^=data-encoder-status]").first.click()
    settings = page.locator("#data-encoder-settings")
    await settings.get_by_test_id("use-local-endpoint-input").check()
    await settings.get_by_placeholder("Paste your endpoint here").fill(f"{stack.api}/codec")
    await settings.get_by_test_id("data-encoder-include-credentials").click()
    await settings.get_by_role("button", name="Apply").click()


async def _party_page(page: Page, stack: DevStack, party_id: str) -> None:
    await page.goto(f"{stack.ui}/namespaces/default/workflows/party-{party_id}")


async def _open_the_incident(page: Page) -> None:
    """Event History, the update that reported the incident opened, its request scrolled to the end."""
    await page.get_by_test_id("history-tab").click()
    await page.get_by_test_id("pause").click()  # auto refresh off: it redraws the opened event
    await page.get_by_text("Workflow Execution Update Accepted").first.click()
    await _scroll_the_request(page)


async def _scroll_the_request(page: Page) -> None:
    """The UI's code blocks render only the lines in view, and redraw when the codec's answer
    arrives: scrolled to the end again each time the page is looked at."""
    request = page.locator(".cm-scroller").filter(has_text="report_incident_and_wait").first
    await request.evaluate(
        "scroller => { scroller.scrollIntoView({block: 'center', inline: 'nearest'});"
        " scroller.scrollTop = scroller.scrollHeight; }"
    )


async def _shown(page: Page, text: str) -> bool:
    """Whether `text` is on the page, in any frame (the UI renders markdown in frames)."""
    for frame in page.frames:
        if text in await frame.locator("body").inner_text():
            return True
    return False


async def _wait_until_shown(
    page: Page, text: str, timeout: float = 30, between: Callable[[Page], Awaitable[None]] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not await _shown(page, text):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never shown on {page.url}")
        await asyncio.sleep(0.25)
        if between is not None:
            await between(page)


async def test_ui_shows_the_party_decoded_for_operations_staff_only(dev_stack, chromium):
    marker = f"MARKER-{uuid.uuid4().hex[:12]}"
    party_id = await _report_marked_incident(dev_stack, marker)
    viewport = {"width": 1600, "height": 1200}

    staff = await chromium.new_page(viewport=viewport)
    # Signed in to the inbox, as `ubp dev` says: a session cookie the codec endpoint reads too.
    await staff.goto(f"{dev_stack.api}/inbox")
    await staff.get_by_role("button", name="Sign in").click()
    await staff.get_by_label("Subject").fill("demo-operations")
    await staff.get_by_label("Password").fill(PASSWORD)
    await staff.get_by_role("button", name="Sign in").click()
    await staff.wait_for_url(f"{dev_stack.api}/inbox")
    await _use_the_codec_endpoint(staff, dev_stack)
    await _party_page(staff, dev_stack, party_id)
    try:
        # The status: the workflow's summary and current details, decoded.
        await staff.get_by_test_id("user-metadata-tab").click()
        await _wait_until_shown(staff, f"Party {party_id} (individual)")
        await _wait_until_shown(staff, "Incidents: 1")
        await screenshot(staff, "temporal-ui-party-status-decoded")
        # The incident, decoded.
        await _open_the_incident(staff)
        await _wait_until_shown(staff, marker, between=_scroll_the_request)
    finally:
        await screenshot(staff, "temporal-ui-party-incident-decoded")

    nobody = await chromium.new_page(viewport=viewport)
    await _use_the_codec_endpoint(nobody, dev_stack)
    await _party_page(nobody, dev_stack, party_id)
    try:
        # The codec endpoint refuses (401): the UI says so and shows the ciphertext as it is.
        await _wait_until_shown(nobody, "Codec Server could not connect")
        await _open_the_incident(nobody)
        await nobody.wait_for_timeout(2000)
    finally:
        await screenshot(nobody, "temporal-ui-party-not-signed-in")
    assert not await _shown(nobody, marker)
    assert not await _shown(nobody, '"party_id"'), "the workflow's input is shown decoded"
    await nobody.get_by_test_id("user-metadata-tab").click()
    await nobody.wait_for_timeout(2000)
    assert not await _shown(nobody, f"Party {party_id} (individual)")
    assert not await _shown(nobody, "Incidents: 1")

    engine = make_engine(dev_stack.records_url)
    try:
        decodes = await asyncio.to_thread(RecordStore(engine).decodes)
    finally:
        engine.dispose()
    assert decodes and {d.staff_id for d in decodes} == {"demo-operations"}
