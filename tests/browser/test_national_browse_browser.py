"""Browsing a large set in a browser, by keyboard alone: from the profiles index to a district's LSOAs, page by
page, to a profile; the compare chooser's district; every page passes axe-core and fits a phone."""
from __future__ import annotations

import re

import pytest

from tests.browser import site_pages
from tests.browser.test_keyboard_browser import tab_to
from tests.test_national_navigation import three_app  # noqa: F401 - the three-district store, paged at 100

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_district_is_browsed_page_by_page_by_keyboard(three_app, tab, live_server, screenshots):  # noqa: F811
    from playwright.sync_api import expect

    with live_server(three_app) as server:
        page = tab.page
        page.context.add_init_script(site_pages.NETWORK_WATCH)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(server.url + "/profiles/")
        page.screenshot(path=str(screenshots / "national-profiles-index-1366.png"), full_page=True)
        tab_to(page, "Browse lower layer super output areas (2011)")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/profiles/\?set=lsoa$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Lower layer super output areas (2011)")
        expect(page.get_by_role("heading", level=2, name="Areas 1 to 25 of 525")).to_be_visible()
        tab_to(page, "District")
        page.keyboard.type("Halton")  # a focused select takes the option typed
        assert page.get_by_label("District", exact=True).input_value() == "E06000006"
        tab_to(page, "Show areas")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"district=E06000006"))
        expect(page.get_by_role("heading", level=2, name="Areas 1 to 25 of 79 in Halton")).to_be_visible()
        pages = page.get_by_role("navigation", name="Pages of Lower layer super output areas (2011)")
        expect(pages).to_contain_text("Page 1 of 4")
        site_pages.settle(page)
        assert site_pages.axe_violations(page) == []
        page.screenshot(path=str(screenshots / "national-browse-district-1366.png"), full_page=True)
        tab_to(page, "Next page")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"page=2"))
        expect(page.get_by_role("heading", level=2, name="Areas 26 to 50 of 79 in Halton")).to_be_visible()
        assert page.title().startswith("Lower layer super output areas (2011) in Halton, page 2 of 4")
        expect(page.locator("nav.pages [aria-current=page]")).to_have_text("Page 2 of 4")
        first = page.locator("ol.browse-areas > li > a").first
        name = first.inner_text()
        first.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/profiles/lsoa/E01\d+$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        expect(page.get_by_role("columnheader", name="Rank").first).to_be_visible()
        expect(page.locator("td.rank").first).to_contain_text("LSOAs in Halton")
        page.screenshot(path=str(screenshots / "national-profile-ranks-1366.png"))
        page.set_viewport_size(PHONE)
        for url, shot in (("/profiles/?set=lsoa&district=E06000006&page=2", "national-browse-district-390.png"),
                          ("/compare/?choose_set=lsoa&choose_district=E06000006", "national-compare-390.png"),
                          ("/indicators/imd2019-score/lsoa?district=E06000006", "national-indicator-390.png")):
            page.goto(server.url + url)
            site_pages.settle(page)
            assert site_pages.overflow(page) is None or url.startswith("/indicators"), url  # tables scroll
            assert site_pages.axe_violations(page) == [], url
            page.screenshot(path=str(screenshots / shot), full_page=True)
        assert not tab.errors, tab.errors


def test_compare_chooser_ticks_go_with_the_reader_to_the_next_page(three_app, tab, live_server,  # noqa: F811
                                                                    screenshots):
    from playwright.sync_api import expect

    with live_server(three_app) as server:
        page = tab.page
        page.context.add_init_script(site_pages.NETWORK_WATCH)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(server.url + "/compare/?choose_set=lsoa&choose_district=E06000006")
        boxes = page.locator(".pick-form input[name=add]")
        names = [boxes.nth(n).evaluate("b => b.labels[0].textContent.trim()") for n in range(2)]
        for n in range(2):  # ticked from the keyboard
            boxes.nth(n).focus()
            page.keyboard.press("Space")
        tab_to(page, "Next page (adds the areas ticked)")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"page=2.*#add-areas$"), wait_until="domcontentloaded", timeout=60_000)
        chosen = page.get_by_role("region", name="The areas compared")
        for name in names:
            expect(chosen).to_contain_text(name)
        expect(page.locator("details#add-areas")).to_have_attribute("open", "")
        expect(page.locator(".pick-form legend")).to_contain_text("Areas 26 to 50 of 79 in Halton")
        site_pages.settle(page, timeout=60_000)  # the first comparison of LSOAs draws its charts cold
        assert site_pages.axe_violations(page) == []
        page.screenshot(path=str(screenshots / "national-compare-moved-1366.png"), full_page=True)
        page.set_viewport_size(PHONE)
        assert site_pages.overflow(page) is None
        page.screenshot(path=str(screenshots / "national-compare-moved-390.png"), full_page=True)
        assert not tab.errors, tab.errors
