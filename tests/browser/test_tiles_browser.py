"""A large set drawn from vector tiles in headless Chromium: tiles draw, a click opens the area's popup with its
profile link, the indicator colours reach the tiled areas, and the keyboard list opens the areas of the view."""
from __future__ import annotations

import re

import pytest

from tests.browser import site_pages
from tests.browser.test_map_browser import click_at, layer_checkbox

pytestmark = pytest.mark.browser

TILED = ".leaflet-atlasTiles-pane svg path.atlas-set-lsoa"
CHESTER = (-2.8920, 53.1905)


@pytest.fixture
def tiled_app(cwac_db, tmp_path, make_app):
    """Cheshire West and Chester with its 212 LSOAs (not its 45 wards) drawn from tiles."""
    return make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="100")


def open_tiled(page, server, query: str = ""):
    page.goto(server.url + "/" + query)
    page.wait_for_selector('[data-atlas-map][data-atlas-ready="true"]')
    if not page.evaluate("() => !!document.querySelector('[data-loaded-lsoa]')"):
        layer_checkbox_on(page)
    page.wait_for_selector(TILED)


def layer_checkbox_on(page):
    class Tab:  # click_at and layer_checkbox take the tests' Tab; only its page is used
        pass
    tab = Tab()
    tab.page = page
    layer_checkbox(tab, "Lower layer super output areas (2011)").check()


def test_tiles_draw_and_a_click_opens_the_popup_with_the_profile_link(tiled_app, tab, live_server, screenshots):
    from playwright.sync_api import expect

    with live_server(tiled_app) as server:
        page = tab.page
        open_tiled(page, server)
        assert any(url.endswith(".mvt?v=" + url.rsplit("?v=", 1)[1]) for url in tab.requests if ".mvt" in url)
        assert not any("/map/sets/lsoa.geojson" in url for url in tab.requests)  # the set is never sent whole
        assert page.locator(TILED).count() > 50
        click_at(tab, *CHESTER, zoom=14, set_id="lsoa")
        link = page.get_by_role("link", name="Open the profile of")
        expect(link).to_be_visible()
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "Lower layer super output areas (2011) · E01" in popup and "In: " in popup and "(ward" in popup
        href = link.get_attribute("href")
        assert href.startswith("/profiles/lsoa/E01")
        code = href.rsplit("/", 1)[1]
        assert code in popup
        for width, height in [(1366, 768), (390, 844)]:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)
            page.screenshot(path=str(screenshots / f"tiles-home-{width}.png"), full_page=width == 390)
        assert not tab.errors, tab.errors


def test_the_choropleth_colours_the_tiled_areas(tiled_app, tab, live_server, screenshots):
    with live_server(tiled_app) as server:
        page = tab.page
        open_tiled(page, server, "?indicator=imd2019-income-rate&set=lsoa")
        page.wait_for_selector('[data-atlas-map][data-choropleth="imd2019-income-rate/lsoa"]', state="attached",
                               timeout=20_000)
        classes = page.evaluate("""() => fetch('/indicators/imd2019-income-rate/lsoa/classes.json?scheme=quantiles',
            {headers: {Accept: 'application/json'}}).then((r) => r.json())""")
        page.wait_for_function(f"""() => [...document.querySelectorAll('{TILED}')]
            .some((p) => (p.getAttribute('fill') || '') !== '' && p.getAttribute('fill-opacity') === '0.8')""")
        fills = page.evaluate(f"""() => [...document.querySelectorAll('{TILED}')]
            .map((p) => [p.getAttribute('fill'), p.getAttribute('fill-opacity')])""")
        painted = {fill for fill, opacity in fills if opacity in ("0.8", "0.55")}
        allowed = {c.lower() for c in classes["colours"]} | {classes["no_data"]["colour"].lower()}
        assert {f.lower() for f in painted} <= allowed
        assert len(painted) >= 4  # quantiles over the view: most classes appear
        assert all(opacity in ("0.8", "0.55") for _, opacity in fills)  # every tiled area painted
        for width, height in [(1366, 768), (390, 844)]:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(500)
            page.screenshot(path=str(screenshots / f"tiles-choropleth-{width}.png"))
        page.select_option("#choropleth-indicator", "")
        page.wait_for_function(f"""() => [...document.querySelectorAll('{TILED}')]
            .every((p) => p.getAttribute('fill-opacity') === '0')""")
        assert not tab.errors, tab.errors


def test_the_keyboard_list_opens_a_tiled_area_of_the_view(tiled_app, tab, live_server, screenshots):
    from playwright.sync_api import expect

    with live_server(tiled_app) as server:
        page = tab.page
        open_tiled(page, server)
        page.wait_for_selector("[data-listed-lsoa]", state="attached")
        picker = page.get_by_label("Open an area's details on the map (choose from the layers shown)")
        picker.focus()
        options = picker.locator("optgroup[label='Lower layer super output areas (2011)'] option").all_inner_texts()
        listed = int(page.get_attribute("[data-atlas-map]", "data-listed-lsoa"))
        assert listed == len(options) > 10
        choice = options[len(options) // 2]
        picker.select_option(label=choice)
        held = []  # the lists of the view the map moves to are held back until the popup is closed
        page.route("**/areas.json?bbox=*", lambda route: held.append(route))
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # "Show on the map"
        popup = page.locator(".leaflet-popup")
        expect(popup.get_by_role("link", name="Open the profile of")).to_be_visible()
        name, code = choice.rsplit(" (", 1)
        expect(popup).to_contain_text(name)
        expect(popup).to_contain_text(code.rstrip(")"))
        assert page.evaluate("() => document.activeElement.classList.contains('leaflet-popup-content')")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent").startswith("Open the profile of ")
        assert site_pages.axe_violations(page, [[".leaflet-popup-pane"]]) == []
        page.keyboard.press("Escape")
        expect(popup).to_have_count(0)
        assert page.evaluate("() => document.activeElement.id") == "home-map-choice"
        # focused while the new view's list is still on its way, the list keeps the area chosen
        assert held and picker.evaluate("(s) => s.options[s.selectedIndex].textContent") == choice
        for route in held:
            route.continue_()
        page.unroute("**/areas.json?bbox=*")
        # the list follows the view as the map moves to the area, and keeps the area chosen
        page.wait_for_timeout(500)
        assert picker.evaluate("(s) => s.options[s.selectedIndex].textContent") == choice
        page.screenshot(path=str(screenshots / "tiles-keyboard-1200.png"))
        assert not tab.errors, tab.errors


def test_a_profile_link_to_a_tiled_area_focuses_it(tiled_app, tab, live_server):
    with live_server(tiled_app) as server:
        page = tab.page
        with tiled_app.extensions["atlas_db"].session() as session:
            from geoapp.storage import boundary_sets
            code = boundary_sets.load_areas(session, "lsoa")["code"].iloc[5]
        page.goto(server.url + f"/?focus=lsoa:{code}")
        page.wait_for_selector(f'[data-atlas-map][data-focused="lsoa:{code}"]')
        page.wait_for_selector(".leaflet-popup .atlas-popup-profile")
        assert code in page.locator(".leaflet-popup-content").inner_text()
        assert not tab.errors, tab.errors


def test_the_profile_drawing_map_draws_large_sets_from_tiles(cwac_db, tmp_path, make_app, tab, live_server,
                                                             screenshots):
    app = make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="40")  # the 45 wards too
    with live_server(app) as server:
        page = tab.page
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(server.url + "/profiles/")
        page.wait_for_selector('[data-atlas-draw][data-ready="true"]')
        page.wait_for_selector("[data-atlas-draw] .leaflet-tile-loaded svg path, "
                               "[data-atlas-draw] svg.leaflet-tile-loaded path")
        assert any("/map/tiles/wards/" in url for url in tab.requests)
        assert not any("/map/sets/wards.geojson" in url for url in tab.requests)
        assert any("/map/sets/lad.geojson" in url for url in tab.requests)  # the borough is small: GeoJSON
        page.locator("[data-atlas-draw]").screenshot(path=str(screenshots / "tiles-profile-draw-1366.png"))
        assert not tab.errors, tab.errors


def test_zoomed_out_beyond_the_tiles_the_map_says_to_zoom_in(tiled_app, tab, live_server):
    from playwright.sync_api import expect

    with live_server(tiled_app) as server:
        page = tab.page
        open_tiled(page, server)
        page.evaluate("""() => { const c = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
            window[c.map].setZoom(7, {animate: false}); }""")
        status = page.locator(".map-status")
        expect(status).to_have_text(re.compile(r"^Zoom in to see Lower layer super output areas \(2011\)"))
        page.evaluate("""() => { const c = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
            window[c.map].setZoom(11, {animate: false}); }""")
        expect(status).to_have_text("")
        assert not tab.errors, tab.errors
