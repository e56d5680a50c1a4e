"""Two forum proposals compared in headless Chromium: the wards in different forums highlighted on the map."""
from __future__ import annotations

import re

import pytest

from geoapp.proposals.engine import cached_layer
from geoapp.storage import boundary_sets
from tests.browser.test_map_browser import assert_clean
from tests.conftest import PASSWORD, add_user, csrf_token, signed_in_client

pytestmark = pytest.mark.browser


def ward_point(app, code):
    """A point inside the ward, in longitude and latitude."""
    with app.extensions["atlas_db"].session() as session:
        ward = boundary_sets.load_areas(session, "wards", [code])
    return ward.geometry.representative_point().to_crs(4326).iloc[0]


def test_compare_page_highlights_the_wards_in_different_forums(demo_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    with demo_app.extensions["atlas_db"].session() as session:
        layer, _ = cached_layer(session, "wards", "apb")
    by_apb = {code: layer.container_codes[c] for code, c in zip(layer.codes, layer.container)}
    first = by_apb[layer.codes[0]]
    moved = [c for c, f in by_apb.items() if f == first][:3]
    other = {c: ("North" if f == first else f) for c, f in by_apb.items()} | dict.fromkeys(moved, "F9")
    client = signed_in_client(demo_app, "officer", "maker@example.org")
    headers = {"X-CSRFToken": csrf_token(client), "Accept": "application/json"}
    a = client.post("/proposals/", json={"name": "One forum per board", "assignment": by_apb},
                    headers=headers).get_json()["id"]
    b = client.post("/proposals/", json={"name": "Three wards moved", "assignment": other,
                                         "forums": {"North": {"name": "North", "colour": "#4c2c92"}}},
                    headers=headers).get_json()["id"]
    add_user(demo_app, "officer", email="officer@example.org")
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("officer@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        # choose A and B with the form, as an officer would
        page.goto(server.url + "/proposals/compare")
        page.locator("#choose-a").select_option(str(a))
        page.locator("#choose-b").select_option(str(b))
        page.get_by_role("button", name="Compare").click()
        page.wait_for_url(re.compile(rf"/proposals/compare\?a={a}&va=&b={b}&vb=$"))
        page.wait_for_function("() => document.querySelector('[data-atlas-compare]').dataset.ready === 'true'")
        expect(page.locator("#compare-summary")).to_contain_text(f"3 of {len(by_apb)} wards are in different forums")
        differs = page.locator("#compare-map path.differs")
        expect(differs).to_have_count(3)
        expect(page.locator("#compare-map path.same")).to_have_count(len(by_apb) - 3)
        on_map = sorted(differs.evaluate_all("paths => paths.map(p => p.getAttribute('data-block'))"))
        in_table = sorted(page.locator("#differing tbody tr").evaluate_all(
            "rows => rows.map(r => r.getAttribute('data-block'))"))
        assert on_map == in_table == sorted(moved)
        expect(page.locator("#compare-status")).to_have_text("3 wards are in different forums, highlighted on the map.")
        # the tooltip names both forums
        point = ward_point(demo_app, moved[0])
        page.evaluate("() => document.getElementById('compare-map').scrollIntoView({block: 'center'})")
        x, y = page.evaluate("""([lat, lon]) => {
            const p = window.AtlasProposalCompare.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""",
                             [point.y, point.x])
        box = page.locator("#compare-map").bounding_box()
        page.mouse.move(box["x"] + x, box["y"] + y)
        tooltip = page.locator(".leaflet-tooltip")
        expect(tooltip).to_contain_text("in A, F9 in B (different forums)")
        expect(tooltip).to_contain_text(f"Ward {layer.names[layer.codes.index(moved[0])]} ({moved[0]}): {first} in A")
        page.mouse.move(0, 0)
        page.screenshot(path=str(screenshots / "proposal-compare.png"), full_page=True)
        # colour by B's forums: the differing wards keep their class and a thick outline
        page.get_by_label("B's forums").check()
        expect(differs).to_have_count(3)
        assert differs.first.get_attribute("stroke-width") == "3"
        expect(page.locator("#compare-status")).to_contain_text("The map shows B's forums")
        assert_clean(tab, server)
