"""A council officer on the three-district store (wards grouped within districts, the ward set counted large)
starts a proposal for their own district from the keyboard, and the editor draws, counts and checks only that
district's wards."""
from __future__ import annotations

import re

import pytest

from tests import national_store
from tests.browser.test_map_browser import assert_clean
from tests.browser.test_proposal_browser import settle
from tests.browser.test_proposal_drawing import choose_tool, unassigned
from tests.conftest import PASSWORD, add_user
from tests.test_national_navigation import source_codes

pytestmark = pytest.mark.browser

CWAC, HALTON = "E06000050", "E06000006"


@pytest.fixture
def three_app(backend, request, tmp_path, tmp_path_factory):
    """The three districts with the threshold at 50: their 115 wards are a large set, the 3 districts not."""
    yield from national_store.open_app(backend, request, tmp_path, tmp_path_factory, ATLAS_TILES_MIN_AREAS="50")


def test_an_officer_draws_forums_for_their_own_district(three_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    wards = source_codes("ward")[CWAC]
    add_user(three_app, "officer", email="officer@example.org")
    with live_server(three_app) as server:
        page = tab.page
        page.set_default_navigation_timeout(30_000)  # the first, cold, pages of this store (10 s was met under load)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("officer@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto(server.url + "/proposals/")
        page.get_by_label("Name", exact=True).fill("Cheshire West and Chester forums")
        page.locator("#new-containers").select_option("lad")
        areas = page.get_by_role("group", name="Area the proposal covers: Districts")
        expect(areas).to_be_visible()
        expect(areas.locator("[data-area-count]")).to_have_text("None ticked: all 3")
        # find the district by typing, then tick it from the keyboard
        find = areas.get_by_label("Find an area by name or code")
        find.fill("chester")
        expect(areas.locator("li:visible")).to_have_count(1)
        find.press("Tab")
        assert page.evaluate("() => document.activeElement.value") == CWAC
        page.keyboard.press("Space")
        expect(areas.get_by_role("checkbox", name=re.compile("Cheshire West and Chester"))).to_be_checked()
        expect(areas.locator("[data-area-count]")).to_have_text("1 of 3 ticked")
        page.locator("#new-forums").fill("1")
        form = page.locator("form.new-proposal")
        form.screenshot(path=str(screenshots / "proposal-area-form-1366.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(200)
        areas.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "proposal-area-form-390.png"), full_page=False)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1366, "height": 900})
        page.get_by_role("button", name="Create and open the proposal").click()
        page.wait_for_url(re.compile(r"/proposals/\d+$"))
        settle(page)
        loaded = [u for u in tab.requests if "/map/sets/wards.geojson" in u]
        assert loaded and all(u.endswith(f"/map/sets/wards.geojson?within=lad:{CWAC}") for u in loaded)
        assert set(page.evaluate("() => Object.keys(window.AtlasProposal.blocks)")) == wards
        expect(page.locator("#proposal-area")).to_contain_text("Area: Cheshire West and Chester (1 borough)")
        assert unassigned(page) == len(wards)
        # one box over the whole map puts every ward of the district in its one forum
        choose_tool(page, "Box")
        page.evaluate("() => document.getElementById('proposal-map').scrollIntoView({block: 'start'})")
        box = page.locator("#proposal-map").bounding_box()
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=8)
        page.mouse.up()
        settle(page)
        assert set(page.evaluate("() => window.AtlasProposal.state().assignment")) == wards
        assert unassigned(page) == 0
        for rule in ("complete", "contiguous", "population", "forum_count"):
            expect(page.locator(f'[data-rule="{rule}"]')).to_have_class(re.compile(r"\brule-pass\b"))
        expect(page.locator('[data-rule="complete"] .rule-message')).to_have_text(
            "Every ward is in exactly one forum.")
        expect(page.locator("#statistics tbody tr")).to_have_count(1)
        # the districts are dissolved from generalised 2011 LSOAs, so some wards reach a per cent or so past
        # them: the nesting rule says only that, naming wards of this district alone
        nesting = page.locator('[data-rule="within_one_container"] .rule-message').inner_text()
        assert "split between boroughs" in nesting and "mostly in" not in nesting
        page.evaluate("() => document.getElementById('proposal-map').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(screenshots / "proposal-area-editor-1366.png"), full_page=False)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshots / "proposal-area-editor-390.png"), full_page=False)
        page.set_viewport_size({"width": 1366, "height": 900})

        # the drawing is not saved as a version; the officer adds Halton from the keyboard in the Area panel:
        # the page reloads with Halton's wards too, the drawing kept
        panel = page.get_by_role("group", name="Area the proposal covers: Districts")
        panel.get_by_label("Find an area by name or code").fill("halton")
        panel.get_by_label("Find an area by name or code").press("Tab")
        assert page.evaluate("() => document.activeElement.value") == HALTON
        page.keyboard.press("Space")
        expect(panel.locator("[data-area-count]")).to_have_text("2 of 3 ticked")
        page.get_by_role("button", name="Change the area").focus()
        with page.expect_navigation(url=re.compile(r"/proposals/\d+$")):  # the same address, loaded again
            page.keyboard.press("Enter")
        settle(page)
        expect(page.locator("#proposal-area")).to_contain_text("2 boroughs")
        halton = source_codes("ward")[HALTON]
        assert set(page.evaluate("() => Object.keys(window.AtlasProposal.blocks)")) == wards | halton
        assert set(page.evaluate("() => window.AtlasProposal.state().assignment")) == wards
        assert unassigned(page) == len(halton)
        assert_clean(tab, server)
