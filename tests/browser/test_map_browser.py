"""The home map in headless Chromium: renders offline, layers toggle, popups name the right areas."""
from __future__ import annotations

import re

import pytest
from shapely.geometry import shape

from tests.helpers import HOSTILE, add_set, demo_groups

pytestmark = pytest.mark.browser

OVERLAY = ".leaflet-overlay-pane svg path"


def open_map(tab, server):
    tab.page.goto(server.url + "/")
    tab.page.wait_for_selector('[data-atlas-map][data-atlas-ready="true"]')


def paths(tab, set_id: str) -> int:
    return tab.page.locator(f"{OVERLAY}.atlas-set-{set_id}").count()


def layer_checkbox(tab, name: str):
    label = tab.page.locator(".leaflet-control-layers label").filter(
        has=tab.page.locator(".atlas-layer-name", has_text=re.compile(f"^{re.escape(name)}$")))
    return label.locator("input")


def click_at(tab, lon: float, lat: float, zoom: float = 13, set_id: str | None = None):
    """Centre the map on a point and click there, as a user would (on an area of ``set_id`` when given)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = tab.page
    # Group markers are clustered as they load, so one may or may not sit over the point: hide them
    # for the click, which then reaches the areas, and show them again.
    page.evaluate("""([lat, lon, zoom]) => new Promise((done) => {
        const cfg = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
        window[cfg.map].setView([lat, lon], zoom, {animate: false});
        document.querySelectorAll('.leaflet-marker-pane, .leaflet-shadow-pane')
            .forEach((pane) => { pane.style.visibility = 'hidden'; });
        requestAnimationFrame(() => requestAnimationFrame(done));  // the layers redrawn at the new view
    })""", [lat, lon, zoom])
    box = page.locator(".folium-map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    wanted = f".atlas-set-{set_id}" if set_id else ".atlas-area"
    try:  # an area must be what a click there reaches: layers load and reorder as their files arrive
        page.wait_for_function("([x, y, wanted]) => !!document.elementFromPoint(x, y)?.closest(wanted)",
                               arg=[x, y, wanted])
    except PlaywrightTimeout as error:
        found = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.outerHTML.slice(0, 300)", [x, y])
        raise AssertionError(f"no area under the map's centre; the click would reach: {found}") from error
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content .atlas-popup")
    page.evaluate("""() => document.querySelectorAll('.leaflet-marker-pane, .leaflet-shadow-pane')
        .forEach((pane) => { pane.style.visibility = ''; })""")
    page.wait_for_timeout(400)  # the map pans to show the whole popup (0.25 s): let it settle before reading
    return popup


def open_area_link(tab, lon: float, lat: float, link_name: str, zoom: float = 14, set_id: str = "wards"):
    """Click an area of ``set_id`` on the map until its popup offers ``link_name`` (a busy machine draws late)."""
    from playwright.sync_api import expect

    link = tab.page.get_by_role("link", name=link_name)
    for _ in range(2):
        click_at(tab, lon, lat, zoom=zoom, set_id=set_id)
        try:
            expect(link).to_be_visible(timeout=4000)
            return link
        except AssertionError:
            tab.page.keyboard.press("Escape")
    click_at(tab, lon, lat, zoom=zoom, set_id=set_id)
    expect(link).to_be_visible()
    return link


def assert_clean(tab, server):
    assert tab.errors == []
    assert tab.foreign_requests(server.url) == []
    assert tab.dialogs == []


def test_demo_map_renders_offline_with_default_layers_and_groups(demo_app, tab, screenshots, live_server):
    groups = demo_groups(demo_app)
    client = demo_app.test_client()
    expected = {set_id: len(client.get(f"/map/sets/{set_id}.geojson").get_json()["features"])
                for set_id in ("lad", "apb", "wards")}
    with live_server(demo_app) as server:
        open_map(tab, server)
        page = tab.page
        for set_id, count in expected.items():
            assert paths(tab, set_id) == count, set_id
        assert paths(tab, "lsoa") == 0 and paths(tab, "parishes") == 0 and paths(tab, "police") == 0
        assert page.locator(".leaflet-marker-pane .marker-cluster").count() > 0
        assert int(page.get_attribute("[data-atlas-map]", "data-loaded-groups")) == groups
        labels = page.locator(".leaflet-tooltip-pane .atlas-label").all_inner_texts()
        assert len(labels) == expected["apb"] and all(labels)
        # the layer list sits beside the map (not over it), each entry with its style in words
        assert page.locator("#map-layers .leaflet-control-layers").is_visible()
        assert page.locator(".folium-map .leaflet-control-layers").count() == 0
        assert "medium blue line" in page.locator("#map-layers").inner_text()
        page.screenshot(path=str(screenshots / "demo.png"), full_page=True)
        page.screenshot(path=str(screenshots / "demo-viewport.png"))
        assert_clean(tab, server)


def test_layers_toggle_and_finer_areas_stack_on_top(demo_app, tab, live_server):
    from playwright.sync_api import expect  # imported here: without Playwright the tests skip, not error

    with live_server(demo_app) as server:
        open_map(tab, server)
        page = tab.page
        wards = paths(tab, "wards")
        assert wards > 0
        layer_checkbox(tab, "Wards").uncheck()
        assert paths(tab, "wards") == 0
        layer_checkbox(tab, "LSOAs").check()  # off at first: fetched on demand
        page.wait_for_selector(f"{OVERLAY}.atlas-set-lsoa")
        page.wait_for_function("document.querySelector('[data-atlas-map]').dataset.loadedLsoa > 0")
        assert paths(tab, "lsoa") == int(page.get_attribute("[data-atlas-map]", "data-loaded-lsoa"))
        layer_checkbox(tab, "Wards").check()
        assert paths(tab, "wards") == wards
        last = page.locator(OVERLAY).last.get_attribute("class")
        assert "atlas-set-lsoa" in last  # the finest set shown stays on top, so clicks pick an LSOA
        layer_checkbox(tab, "Area Partnership Boards").uncheck()
        assert paths(tab, "apb") == 0
        expect(page.locator(".atlas-label")).to_have_count(0)  # the APB names go with their layer (after a fade)
        assert_clean(tab, server)


def test_clicking_a_ward_names_it_and_its_apb(cwac_app, tab, screenshots, live_server):
    client = cwac_app.test_client()
    ward = next(f for f in client.get("/map/sets/wards.geojson").get_json()["features"]
                if f["properties"]["name"] == "Upton")
    apb = next(c for c in ward["properties"]["containers"] if c["kind"] == "apb")
    point = shape(ward["geometry"]).representative_point()
    with live_server(cwac_app) as server:
        open_map(tab, server)
        page = tab.page
        assert paths(tab, "wards") == 45 and paths(tab, "apb") == 5 and paths(tab, "lad") == 1
        page.screenshot(path=str(screenshots / "cwac.png"), full_page=True)
        popup = click_at(tab, point.x, point.y).inner_text()
        assert "Upton" in popup and ward["properties"]["code"] in popup
        assert f"{apb['name']} (APB)" in popup
        assert "Cheshire West and Chester (borough)" in popup
        assert popup.index("(APB)") < popup.index("(borough)")
        assert "Service areas:" in popup and "NHS sub-ICB locations (2022): " in popup
        page.wait_for_timeout(300)  # let the popup finish fading in
        page.screenshot(path=str(screenshots / "cwac-popup.png"))
        assert_clean(tab, server)


def test_group_clusters_zoom_in_and_group_popups_show_details(demo_app, tab, live_server):
    demo_groups(demo_app)
    with live_server(demo_app) as server:
        open_map(tab, server)
        page = tab.page
        zoom = page.evaluate("() => { const c = JSON.parse(document.querySelector('[data-atlas-map]')"
                             ".dataset.atlasMap); return window[c.map].getZoom(); }")
        page.locator(".leaflet-marker-pane .marker-cluster").first.click()
        page.wait_for_function(f"() => {{ const c = JSON.parse(document.querySelector('[data-atlas-map]')"
                               f".dataset.atlasMap); return window[c.map].getZoom() > {zoom}; }}")
        name = page.evaluate("""() => new Promise((resolve) => {
            const cfg = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
            const cluster = window[cfg.groups.var];
            const marker = cluster.getLayers()[0];
            cluster.zoomToShowLayer(marker, () => { marker.openPopup(); resolve(marker.options.title); });
        })""")
        popup = page.wait_for_selector(".leaflet-popup-content .atlas-popup").inner_text()
        assert name in popup and "Themes:" in popup
        assert_clean(tab, server)


def test_hostile_names_are_shown_as_text(app, tab, live_server):
    import geopandas as gpd
    from shapely.geometry import Point

    from geoapp.storage.groups import add_groups

    add_set(app, "evil", "apb", HOSTILE, [("E99", HOSTILE, (340000, 366000, 342000, 368000))])
    frame = gpd.GeoDataFrame({"name": [HOSTILE], "group_type": [HOSTILE], "website": ["javascript:alert(1)"]},
                             geometry=[Point(340500, 366500)], crs="EPSG:27700")
    with app.extensions["atlas_db"].transaction() as session:
        add_groups(session, frame, actor="test", source="test")
    centre = shape(app.test_client().get("/map/sets/evil.geojson").get_json()["features"][0]["geometry"]).centroid
    with live_server(app) as server:
        open_map(tab, server)
        page = tab.page
        assert page.locator(".atlas-layer-name").first.inner_text() == HOSTILE
        assert page.locator(".atlas-label").first.inner_text() == HOSTILE
        popup = click_at(tab, centre.x, centre.y, zoom=14).inner_text()
        assert HOSTILE in popup and "E99" in popup
        page.evaluate("""() => {
            const cfg = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
            const cluster = window[cfg.groups.var];
            const marker = cluster.getLayers()[0];
            cluster.zoomToShowLayer(marker, () => marker.openPopup());
        }""")
        page.wait_for_function("() => { const p = document.querySelectorAll('.leaflet-popup-pane .atlas-popup');"
                               " return p.length === 1 && !p[0].textContent.includes('E99'); }")
        group_popup = page.locator(".leaflet-popup-pane .atlas-popup").inner_text()
        assert group_popup.count(HOSTILE) == 2  # name and group type, both as text
        assert page.locator(".leaflet-popup-pane .atlas-popup a").count() == 0  # javascript: website: no link
        page.wait_for_timeout(200)
        assert page.locator("img[src='x']").count() == 0
        assert_clean(tab, server)


def test_boundaries_render_when_the_basemap_cannot_be_reached(demo_db, tmp_path, tab, live_server, make_app):
    app = make_app(demo_db, tmp_path, ATLAS_BASEMAP_URL="https://tiles.example.invalid/{z}/{x}/{y}.png",
                   ATLAS_BASEMAP_ATTRIBUTION="© Example tiles <b>")
    tab.page.route("https://tiles.example.invalid/**", lambda route: route.abort())  # no network here
    with live_server(app) as server:
        open_map(tab, server)
        assert paths(tab, "wards") > 0 and paths(tab, "apb") > 0
        assert tab.page.locator(".leaflet-tile-pane img").count() > 0  # Leaflet asked for tiles
        assert "© Example tiles <b>" in tab.page.locator(".leaflet-control-attribution").inner_text()
        assert all(url.startswith(server.url) or "tiles.example.invalid" in url for url in tab.requests)
        assert not [e for e in tab.errors if "ERR_FAILED" not in e]  # only the failed tiles


def fills(tab, set_id: str) -> dict[str, str]:
    """Each painted area's fill colour, by the name in its tooltip."""
    return tab.page.evaluate("""(setId) => {
        const cfg = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
        const conf = cfg.layers.find(c => c.id === setId);
        const out = {};
        window[conf.var].eachLayer(g => g.eachLayer && g.eachLayer(l => {
            if (l.feature) { out[l.feature.properties.code] = l.options.fillColor || null; }
        }));
        return out;
    }""", set_id)


def test_choosing_an_indicator_recolours_the_map_without_reloading(demo_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    client = demo_app.test_client()
    wards = client.get("/indicators/income_deprivation_rate/wards/classes.json?scheme=quantiles").get_json()
    apbs = client.get("/indicators/income_deprivation_rate/apb/classes.json?scheme=fisher_jenks").get_json()
    with live_server(demo_app) as server:
        open_map(tab, server)
        page = tab.page
        page.evaluate("window.__sameDocument = true")
        page.select_option("#choropleth-set", "wards")
        page.select_option("#choropleth-indicator", "income_deprivation_rate")
        page.wait_for_selector('[data-atlas-map][data-choropleth="income_deprivation_rate/wards"]')
        painted = fills(tab, "wards")
        expected = {code: wards["colours"][a["class"]] if a["class"] is not None else wards["no_data"]["colour"]
                    for code, a in wards["areas"].items()}
        assert painted == expected and len(set(painted.values())) == wards["k"]
        legend = page.locator("#choropleth-legend")
        items = legend.locator(".choropleth-classes li").all_inner_texts()
        assert len(items) == wards["k"]
        assert sum(int(re.search(r"\((\d+) areas?\)", t).group(1)) for t in items) == len(wards["areas"])
        assert "Income deprivation rate (%)" in legend.inner_text()
        # hover shows the area's value as text
        code, area = next((c, a) for c, a in wards["areas"].items() if a["value"] is not None)
        page.evaluate("""(code) => {
            const cfg = JSON.parse(document.querySelector('[data-atlas-map]').dataset.atlasMap);
            const conf = cfg.layers.find(c => c.id === 'wards');
            window[conf.var].eachLayer(g => g.eachLayer && g.eachLayer(l => {
                if (l.feature && l.feature.properties.code === code) { l.openTooltip(l.getCenter()); }
            }));
        }""", code)
        tip = page.locator(".atlas-value-tooltip").inner_text()
        assert tip.startswith(area["name"]) and f"{area['value'] * 100:.1f}"[:3] in tip.replace(",", "")
        # the table beside the map sorts by value, highest first, then by name on request
        page.locator(".choropleth-table summary").click()
        values = [float(v.rstrip("%")) for v in page.locator(".choropleth-table td.num").all_inner_texts()
                  if v != "no data"]
        assert values == sorted(values, reverse=True) and len(values) == len(wards["areas"])
        page.get_by_role("button", name="Area").click()
        names = page.locator(".choropleth-table tbody th").all_inner_texts()
        assert names == sorted(names, key=str.casefold)
        expect(page.locator(".choropleth-table th[aria-sort='ascending']")).to_have_text(re.compile("Area"))
        page.screenshot(path=str(screenshots / "choropleth-wards.png"), full_page=True)
        # another geography and scheme: APBs painted, wards back to plain lines, same document
        page.select_option("#choropleth-scheme", "fisher_jenks")
        page.select_option("#choropleth-set", "apb")
        page.wait_for_selector('[data-atlas-map][data-choropleth="income_deprivation_rate/apb"]')
        assert set(fills(tab, "wards").values()) == {None}
        assert set(fills(tab, "apb").values()) <= set(apbs["colours"])
        assert page.evaluate("window.__sameDocument") is True
        assert "scheme=fisher_jenks" in page.url and "set=apb" in page.url
        # the address reproduces the view when shared
        shared = page.url
        page.goto(shared)
        page.wait_for_selector('[data-atlas-map][data-choropleth="income_deprivation_rate/apb"]')
        assert page.input_value("#choropleth-scheme") == "fisher_jenks"
        # choosing no indicator clears the colours and the legend
        page.select_option("#choropleth-indicator", "")
        expect(legend).to_have_text("")
        assert set(fills(tab, "apb").values()) == {None}
        assert "indicator=" not in page.url
        assert_clean(tab, server)


def test_own_breaks_are_typed_in_the_units_shown(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with live_server(demo_app) as server:
        tab.page.goto(server.url + "/?indicator=income_deprivation_rate&set=wards")
        page = tab.page
        page.wait_for_selector('[data-atlas-map][data-choropleth="income_deprivation_rate/wards"]')
        assert page.locator("#choropleth-breaks-field").is_hidden()
        page.select_option("#choropleth-scheme", "user")
        assert page.locator("#choropleth-breaks-field").is_visible()
        page.fill("#choropleth-breaks", "5, 10")
        page.press("#choropleth-breaks", "Enter")
        expect(page.locator(".choropleth-classes li")).to_have_count(3)
        items = page.locator(".choropleth-classes li").all_inner_texts()
        assert items[0].split(" to ")[1].startswith("5.00%") and items[1].split(" to ")[1].startswith("10.0%")
        data = demo_app.test_client().get(
            "/indicators/income_deprivation_rate/wards/classes.json?scheme=user&breaks=0.05,0.1").get_json()
        assert [int(t.rsplit("(", 1)[1].split()[0]) for t in items] == [c["count"] for c in data["legend"]]
        assert "breaks=5" in page.url and "scheme=user" in page.url
        assert_clean(tab, server)
