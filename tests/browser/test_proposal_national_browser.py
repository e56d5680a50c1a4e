"""The proposal editor on a block set too large to send whole: an officer still clicks wards into a forum and
picks one from the keyboard list, the page having loaded only the wards within the proposal's containers."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_map_browser import assert_clean
from tests.browser.test_proposal_browser import apb_wards, assignment, choose_forum, click_ward, settle
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture
def national_app(cwac_db, tmp_path, make_app):
    """CWAC with the threshold at 40: its 45 wards count as a large set, its 7 APBs do not."""
    return make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="40")


def test_officer_picks_wards_into_a_forum_on_a_large_ward_set(national_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    add_user(national_app, "officer", email="officer@example.org")
    apb, wards = apb_wards(national_app)
    with live_server(national_app) as server:
        page = tab.page
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("officer@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto(server.url + "/proposals/", timeout=30_000)  # the first page of a new store builds its lists cold
        page.get_by_label("Name", exact=True).fill("Forums for " + apb)
        page.locator("#new-forums").fill("2")
        page.get_by_role("button", name="Create and open the proposal").click()
        page.wait_for_url(re.compile(r"/proposals/\d+$"))
        settle(page)
        loaded = [u for u in tab.requests if "/map/sets/wards.geojson" in u]
        assert loaded and all(u.endswith("/map/sets/wards.geojson?within=apb") for u in loaded)
        lons, lats = [p[0] for _, p in wards], [p[1] for _, p in wards]
        page.evaluate("""([s, w, n, e]) => window.AtlasProposal.map.fitBounds([[s, w], [n, e]],
            {animate: false, padding: [60, 60]})""", [min(lats), min(lons), max(lats), max(lons)])
        page.wait_for_timeout(200)
        choose_forum(page, "F1")
        for code, (lon, lat) in wards[:-1]:
            click_ward(page, lon, lat)
            assert assignment(page).get(code) == "F1"
        # the last ward from the keyboard list, without the map
        last, _ = wards[-1]
        select = page.locator("#ward-list tbody tr").filter(has_text=last).locator("select")
        select.focus()
        select.select_option("F2")
        settle(page)
        assert assignment(page) == {code: "F1" for code, _ in wards[:-1]} | {last: "F2"}
        expect(page.locator("#statistics tbody tr")).to_have_count(2)
        page.set_viewport_size({"width": 1366, "height": 900})
        page.wait_for_timeout(200)
        page.evaluate("() => document.getElementById('proposal-map').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(screenshots / "proposal-editor-large-set-1366.png"), full_page=False)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(200)
        page.evaluate("() => document.getElementById('proposal-map').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(screenshots / "proposal-editor-large-set-390.png"), full_page=False)
        assert_clean(tab, server)
