"""Groups per 1,000 residents and "high need, few groups" in headless Chromium: the maps draw every area,
the keys are there, the tables sort, and nothing is fetched from elsewhere or logged as an error."""
from __future__ import annotations

import pytest

from tests.browser.test_map_browser import assert_clean
from tests.test_group_coverage import load_venues

pytestmark = pytest.mark.browser


def wait_for_map(page):
    page.wait_for_function("() => document.querySelector('[data-group-coverage]').dataset.ready === 'true'")


def test_choropleth_of_groups_per_1000_draws_every_ward_with_a_key(cwac_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    load_venues(cwac_app)
    client = cwac_app.test_client()
    wards = len(client.get("/map/sets/wards.geojson").get_json()["features"])
    found = client.get("/groups/by-area.json?set=wards&count=based").get_json()
    with live_server(cwac_app) as server:
        page = tab.page
        page.goto(server.url + "/groups/by-area?set=wards&count=based")
        wait_for_map(page)
        expect(page.locator("#coverage-map path.coverage-area")).to_have_count(wards)
        assert wards == len(found["areas"]) == 45
        keys = len(found["classes"]["legend"]) + (1 if found["classes"]["no_data"]["count"] else 0)
        expect(page.locator("#coverage-legend li")).to_have_count(keys)
        expect(page.locator("#coverage-status")).to_have_text("The map shows 45 areas.")
        # the colour of each area is its class's colour
        fills = page.locator("#coverage-map path.coverage-area").evaluate_all(
            "paths => Object.fromEntries(paths.map(p => [p.dataset.code, p.getAttribute('fill')]))")
        colours = found["classes"]["colours"]
        assert fills == {a["code"]: colours[a["class"]] for a in found["areas"]}
        # pointing at an area names it with its figures
        first = found["areas"][0]
        page.locator(f"#coverage-map path[data-code='{first['code']}']").hover()
        expect(page.locator(".leaflet-tooltip")).to_contain_text(first["name"])
        # the table sorts by groups per 1,000, highest first, from its heading's button
        page.get_by_role("button", name="Per 1,000 residents").click()
        expect(page.locator("#coverage-table thead th").nth(3)).to_have_attribute("aria-sort", "descending")
        best = max(found["areas"], key=lambda a: a["value_per_1000"])
        expect(page.locator("#coverage-table tbody tr").first.locator("th")).to_have_text(best["name"])
        page.screenshot(path=str(screenshots / "group-coverage-by-area.png"), full_page=True)
        assert_clean(tab, server)


def test_bivariate_map_outlines_high_need_few_groups_and_explains_its_key(cwac_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    load_venues(cwac_app)
    found = cwac_app.test_client().get("/groups/gaps.json?set=lsoa&count=based").get_json()
    with live_server(cwac_app) as server:
        page = tab.page
        page.goto(server.url + "/groups/gaps?set=lsoa&count=based")
        wait_for_map(page)
        expect(page.locator("#coverage-map path.coverage-area")).to_have_count(212)
        expect(page.locator("#coverage-map path.coverage-flagged")).to_have_count(found["flagged"])
        assert found["flagged"] > 0
        flagged = sorted(page.locator("#coverage-map path.coverage-flagged").evaluate_all(
            "paths => paths.map(p => p.dataset.code)"))
        assert flagged == sorted(a["code"] for a in found["areas"] if a["flagged"])
        expect(page.locator("#gap-key td.bv-cell")).to_have_count(9)
        expect(page.locator("#gap-key caption")).to_contain_text("need (across)")
        expect(page.get_by_text("red corner, bottom right")).to_be_visible()
        expect(page.locator("#gap-table tbody tr.flagged")).to_have_count(found["flagged"])
        expect(page.locator("#gap-summary")).to_contain_text(f"{found['flagged']} of 212 areas")
        page.screenshot(path=str(screenshots / "group-coverage-gaps.png"), full_page=True)
        assert_clean(tab, server)
