"""Headless Chromium for the browser tests: Debian's chromium driven by Playwright's sync API.

Browser tests run on the SQLite backend only (what they check does not depend on the store).
Without /usr/bin/chromium (or Playwright) they are skipped, unless ATLAS_REQUIRE_BROWSER=1.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VENDOR = ROOT / "geoapp" / "static" / "vendor"
SCREENSHOTS = ROOT / "screenshots"


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    """Browser tests need one backend only."""
    return request.param


@pytest.fixture(scope="session")
def browser():
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            problem = "the playwright Python package is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("ATLAS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ATLAS_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(f"browser tests need headless Chromium: {problem}")
    if not (VENDOR / "leaflet" / "leaflet.js").exists():
        pytest.fail(f"{VENDOR} has no Leaflet: run `npm ci --no-audit --no-fund` then "
                    "`.venv/bin/python tools/vendor_assets.py` (both are part of `make setup`)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page that records console errors, uncaught errors, dialogs (a "leave the page?" is accepted and
    counted) and every URL it requests."""

    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    leave_warnings: int = 0  # "leave the page?" (beforeunload) dialogs, accepted

    def foreign_requests(self, origin: str) -> list[str]:
        return [url for url in self.requests if not (url.startswith(origin + "/") or url.startswith("data:"))]


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    tab = Tab(page)
    page.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: tab.requests.append(request.url))

    def on_dialog(dialog):
        if dialog.type == "beforeunload":  # "leave the page?": leave, as the test navigates on purpose
            tab.leave_warnings += 1
            dialog.accept()
            return
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.set_default_timeout(10_000)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
