"""Drawing a forum proposal in headless Chromium: click wards into forums, check, undo, save, conflict."""
from __future__ import annotations

import re

import geopandas as gpd
import pytest

from geoapp.storage import boundary_sets
from tests.browser.test_map_browser import assert_clean
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser

SETTLED = """() => { const r = document.querySelector('[data-atlas-proposal]');
  return r.dataset.ready === 'true' && r.dataset.checked === (r.dataset.changes || r.dataset.checked); }"""


def apb_wards(app):
    """The APB with the fewest wards (at least 4) and its wards' codes and points (lon, lat), west to east."""
    with app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        apbs = boundary_sets.load_areas(session, "apb")
    points = gpd.GeoSeries(wards.geometry.representative_point().values, crs=wards.crs)
    owner = [apbs.geometry.intersection(w).area.idxmax() for w in wards.geometry]
    wards = wards.assign(apb=[apbs.loc[i, "name"] for i in owner],
                         point=list(points.to_crs(4326)))
    counts = wards["apb"].value_counts()
    apb = counts[counts >= 4].sort_values().index[0]
    chosen = wards[wards["apb"] == apb].copy()
    chosen["x"] = [p.x for p in chosen["point"]]
    chosen = chosen.sort_values("x")
    return apb, [(c, (p.x, p.y)) for c, p in zip(chosen["code"], chosen["point"])]


def settle(page):
    page.wait_for_function(SETTLED)


def click_ward(page, lon, lat):
    x, y = page.evaluate("""([lat, lon]) => {
        const p = window.AtlasProposal.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""", [lat, lon])
    page.evaluate("() => document.getElementById('proposal-map').scrollIntoView({block: 'center'})")
    box = page.locator("#proposal-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    settle(page)


def choose_forum(page, code):
    page.locator(f'input[name="current-forum"][value="{code}"]').check()


def assignment(page):
    return page.evaluate("() => window.AtlasProposal.state().assignment")


def test_officer_draws_checks_undoes_and_saves_a_proposal(demo_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    add_user(demo_app, "officer", email="officer@example.org")
    apb, wards = apb_wards(demo_app)
    half = len(wards) // 2
    west, east = wards[:half], wards[half:]
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("officer@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.get_by_role("link", name="Proposals").click()
        page.get_by_label("Name", exact=True).fill("Forums for " + apb)
        page.locator("#new-forums").fill("2")
        page.get_by_role("button", name="Create and open the proposal").click()
        page.wait_for_url(re.compile(r"/proposals/\d+$"))
        proposal = int(page.url.rsplit("/", 1)[1])
        settle(page)
        count_rule = page.locator('[data-rule="forum_count"] .rule-message')
        before = count_rule.inner_text()
        assert apb in before
        expect(page.locator("#statistics tbody")).to_contain_text("No ward is in a forum yet.")
        # zoom to the APB's wards, then click them into two forums
        lons = [p[0] for _, p in wards]
        lats = [p[1] for _, p in wards]
        page.evaluate("""([s, w, n, e]) => window.AtlasProposal.map.fitBounds([[s, w], [n, e]],
            {animate: false, padding: [60, 60]})""", [min(lats), min(lons), max(lats), max(lons)])
        page.wait_for_timeout(200)
        choose_forum(page, "F1")
        for code, (lon, lat) in west:
            click_ward(page, lon, lat)
            assert assignment(page).get(code) == "F1"
        choose_forum(page, "F2")
        for _, (lon, lat) in east:
            click_ward(page, lon, lat)
        expected = {code: "F1" for code, _ in west} | {code: "F2" for code, _ in east}
        assert assignment(page) == expected
        rows = page.locator("#statistics tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(apb)
        after = count_rule.inner_text()
        assert after != before and f"{apb} (" not in after
        # move one ward of F2 into F1, then undo: it returns to F2
        moved_code, (lon, lat) = east[0]
        choose_forum(page, "F1")
        click_ward(page, lon, lat)
        assert assignment(page)[moved_code] == "F1"
        page.locator("#proposal-map").focus()
        page.keyboard.press("Control+z")
        settle(page)
        assert assignment(page) == expected
        # the keyboard list agrees with the map
        for code, forum in expected.items():
            row = page.locator("#ward-list tbody tr").filter(has_text=code)
            expect(row.locator("select")).to_have_value(forum)
        page.fill("#save-note", "Split the board in two")
        page.get_by_role("button", name="Save this version").click()
        expect(page.locator("#proposal-status")).to_have_text("Saved as version 1.")
        page.screenshot(path=str(screenshots / "proposal-editor.png"), full_page=True)
        saved = page.request.get(f"{server.url}/proposals/{proposal}.json").json()
        assert saved["assignment"] == expected and saved["version"]["note"] == "Split the board in two"
        # another save behind the page's back: the next save is refused, and saved as a copy instead
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        other = page.request.post(f"{server.url}/proposals/{proposal}/versions",
                                  data={"assignment": {}, "expected_version": 1, "note": "elsewhere"},
                                  headers={"X-CSRFToken": token})
        assert other.status == 201
        page.get_by_role("button", name="Save this version").click()
        conflict = page.locator("#save-conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("has saved since")
        expect(conflict.get_by_role("button", name="Reload")).to_be_visible()
        conflict.get_by_role("button", name="Save as a copy").click()
        page.wait_for_url(re.compile(rf"/proposals/(?!{proposal}$)\d+$"))
        copy = int(page.url.rsplit("/", 1)[1])
        assert copy != proposal
        assert page.request.get(f"{server.url}/proposals/{copy}.json").json()["assignment"] == expected
        settle(page)
        # the refused save is the one expected error: Chromium logs every 4xx response
        refused = [e for e in tab.errors if "409 (CONFLICT)" in e]
        assert len(refused) == 1
        tab.errors = [e for e in tab.errors if e not in refused]
        assert_clean(tab, server)
