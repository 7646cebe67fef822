"""What every browser test shares: Debian's Chromium driven by Playwright (which downloads
nothing), the skip when either is missing, saying how to get it, and screenshots kept in
var/test-artifacts/.

A test module marks itself with `pytestmark = browser_marks()` and takes the `chromium`
fixture (tests/conftest.py registers it from here).
"""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from settings import PROJECT_ROOT

try:
    from playwright.async_api import Browser, Page, async_playwright
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
