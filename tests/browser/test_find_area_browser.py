"""Find your area in a browser: a postcode typed in the home map's search box, by keyboard, reaches the profiles of
every area holding it; bad input keeps what was typed; the profile's tables download for a board member and are
not offered to the public. Results pages fit a phone and pass axe-core."""
from __future__ import annotations

import csv
import re

import pytest

from tests.browser import site_pages
from tests.browser.test_keyboard_browser import tab_to
from tests.conftest import PASSWORD, add_user
from tests.test_find_area import all_areas, load_postcodes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def with_postcode(demo_app, tmp_path):
    """The demo with AV1 1AA inside its first LSOA; returns the app and that LSOA's code and name."""
    lsoa = all_areas(demo_app)["lsoa"].iloc[0]
    point = lsoa.geometry.representative_point()
    load_postcodes(demo_app, tmp_path, [f"AV1 1AA,{point.x:.0f},{point.y:.0f},1,"])
    return demo_app, lsoa["code"], lsoa["name"]


def test_a_postcode_typed_on_the_home_map_reaches_the_profiles(with_postcode, tab, live_server, screenshots):
    from playwright.sync_api import expect

    app, code, name = with_postcode
    with live_server(app) as server:
        page = tab.page
        page.context.add_init_script(site_pages.NETWORK_WATCH)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(server.url + "/")
        page.wait_for_selector('[data-atlas-map][data-atlas-ready="true"]')
        page.screenshot(path=str(screenshots / "find-area-home-1366.png"))
        tab_to(page, "Find your area")
        page.keyboard.type("av1 1aa")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/profiles/\?q=av1\+1aa$"))
        heading = page.get_by_role("heading", level=2, name=re.compile(r"^\d+ areas contain AV1 1AA$"))
        expect(heading).to_be_visible()
        assert page.title().startswith(heading.inner_text())
        assert page.get_by_role("searchbox", name="Find your area").input_value() == "av1 1aa"
        results = page.locator(".found-areas > li > a")
        assert results.first.inner_text() == name  # an LSOA: the finest set first
        page.screenshot(path=str(screenshots / "find-area-results-1366.png"), full_page=True)
        site_pages.settle(page)
        assert site_pages.axe_violations(page) == []
        results.first.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(f"/profiles/lsoa/{code}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        assert not tab.errors, tab.errors


def test_results_and_bad_input_on_a_phone(with_postcode, browser, live_server, screenshots):
    app = with_postcode[0]
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(site_pages.NETWORK_WATCH)
    page = context.new_page()
    with live_server(app) as server:
        for shot, query in (("results", "av1 1aa"), ("unknown", "AV9 9ZZ"), ("names", "burby"),
                            ("hostile", "<b>bold</b>")):
            page.goto(f"{server.url}/profiles/?q={query}")
            site_pages.settle(page)
            assert site_pages.overflow(page) is None, (query, site_pages.overflow(page))
            assert site_pages.axe_violations(page) == [], query
            assert page.get_by_role("searchbox", name="Find your area").input_value() == query
            page.screenshot(path=str(screenshots / f"find-area-{shot}-390.png"), full_page=True)
        assert page.locator("#q-error").inner_text().startswith("No area's name or code matches “<b>bold</b>”")
        page.goto(server.url + "/")
        site_pages.settle(page)
        assert site_pages.overflow(page) is None
        page.screenshot(path=str(screenshots / "find-area-home-390.png"))
        page.get_by_role("searchbox", name="Find your area").fill("AV9 9ZZ")
        page.get_by_role("button", name="Find").click()
        page.wait_for_url(re.compile(r"/profiles/\?q=AV9\+9ZZ$"))
        assert "AV9 9ZZ is not known here" in page.locator("#q-error").inner_text()
    context.close()


def test_profile_tables_download_for_a_board_member_only(with_postcode, tab, live_server, screenshots):
    app = with_postcode[0]
    apb = all_areas(app)["apb"]["code"].iloc[0]
    add_user(app, "board_member", email="member@example.org")
    with live_server(app) as server:
        page = tab.page
        page.goto(f"{server.url}/profiles/apb/{apb}")
        assert page.locator('a[href*="/tables/"]').count() == 0
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("member@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto(f"{server.url}/profiles/apb/{apb}#indicators")
        links = page.locator('a[href*="/tables/"]')
        assert links.count() == 6  # indicators, ranked sub-areas and groups, each as CSV and Excel
        page.set_viewport_size({"width": 1366, "height": 900})
        page.locator("#indicators .chart-links").first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "find-area-profile-tables-1366.png"))
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV (every indicator as a table)").click()
        assert download.value.suggested_filename == f"{apb}-indicators.csv"
        with open(download.value.path(), encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header[:3] == ["Theme", "Indicator id", "Indicator"]
        with page.expect_download() as download:
            page.get_by_role("link", name="Excel (the list of groups as a table)").click()
        assert download.value.suggested_filename == f"{apb}-groups.xlsx"
        assert not tab.errors, tab.errors
