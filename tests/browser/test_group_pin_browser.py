"""The group form's pin map: a click or tap puts the pin where the group meets and fills the latitude and
longitude (the fields stay the keyboard way in), typing moves the pin, and the stored group is at that place."""
from __future__ import annotations

from pathlib import Path

import pytest

from geoapp.groups.submissions import sending
from tests.browser.test_map_browser import assert_clean
from tests.test_group_submissions import stored

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots10")
#: Run before the page's scripts: keep each Leaflet map made, so the test can turn a pixel into a place.
KEEP_MAPS = """document.addEventListener("DOMContentLoaded", function () {
  if (window.L) { L.Map.addInitHook(function () { window.pinMap = this; }); }
});"""


def open_pin_map(page, url):
    from playwright.sync_api import expect

    page.add_init_script(KEEP_MAPS)
    page.goto(url)
    map_box = page.get_by_role("region", name="Map to place the group's pin")
    expect(map_box).to_be_hidden()  # tucked in the closed "Place a pin instead"
    page.get_by_text("Place a pin instead").click()
    hint = "Click the map to place your group, or type the latitude and longitude below"
    expect(page.get_by_text(hint)).to_be_visible()
    expect(map_box).to_be_visible()
    expect(map_box.locator(".leaflet-overlay-pane path")).not_to_have_count(0)  # the borough's outline
    return map_box


def test_a_click_on_the_map_places_the_pin_and_the_group_is_stored_there(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with live_server(demo_app) as server:
        page = tab.page
        map_box = open_pin_map(page, server.url + "/groups/add")
        # the map opens on the borough
        borough = demo_app.test_client().get("/map/sets/lad.geojson").get_json()
        inside = page.evaluate("""(features) => {
            const b = L.geoJSON(features).getBounds();
            return window.pinMap.getBounds().contains(b.getCenter()) && window.pinMap.getBounds().pad(0.5).contains(b);
        }""", borough)
        assert inside
        map_box.scroll_into_view_if_needed()
        box = map_box.bounding_box()
        x, y = round(box["x"] + box["width"] * 0.6), round(box["y"] + box["height"] * 0.4)  # whole pixels
        place = page.evaluate("""([x, y]) => {
            const c = window.pinMap.getContainer(), r = c.getBoundingClientRect();
            return window.pinMap.containerPointToLatLng([x - r.left - c.clientLeft, y - r.top - c.clientTop]);
        }""", [x, y])
        page.mouse.click(x, y)
        lat = float(page.get_by_label("Latitude").input_value())
        lon = float(page.get_by_label("Longitude").input_value())
        assert lat == pytest.approx(place["lat"], abs=5e-5) and lon == pytest.approx(place["lng"], abs=5e-5)
        assert len(page.get_by_label("Latitude").input_value().split(".")[1]) == 6
        expect(map_box.locator(".leaflet-marker-icon")).to_have_count(1)

        # typing moves the pin; typing the clicked place back puts it back
        pin_at = ("() => { let at = null;"
                  " window.pinMap.eachLayer(l => { if (l.dragging) at = l.getLatLng(); }); return at; }")
        page.get_by_label("Latitude").fill(f"{lat + 0.001:.6f}")
        assert page.evaluate(pin_at)["lat"] == pytest.approx(lat + 0.001, abs=1e-7)
        page.get_by_label("Latitude").fill(f"{lat:.6f}")
        assert page.evaluate(pin_at)["lat"] == pytest.approx(lat, abs=1e-7)

        page.get_by_label("Name of the group").fill("Pinned Allotment Club")
        page.get_by_label("Community group").check()
        page.get_by_role("button", name="Send the group for checking").click()
        expect(page.get_by_role("heading", name="your group has been sent", exact=False)).to_be_visible()
        assert_clean(tab, server)

    [group] = stored(demo_app, name="Pinned Allotment Club")
    assert group.status == "pending"
    stored_lon, stored_lat = sending.lonlat(group.location)
    assert stored_lat == pytest.approx(place["lat"], abs=5e-5) and stored_lon == pytest.approx(place["lng"], abs=5e-5)


def test_the_pin_map_fits_a_phone(demo_app, browser, live_server):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.set_default_timeout(10_000)
    try:
        with live_server(demo_app) as server:
            map_box = open_pin_map(page, server.url + "/groups/add")
            box = map_box.bounding_box()
            assert 220 <= box["height"] <= 260 and box["width"] >= 300
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            map_box.tap(position={"x": round(box["width"] / 2), "y": round(box["height"] / 2)})
            expect(page.get_by_label("Latitude")).not_to_have_value("")
            expect(map_box.locator(".leaflet-marker-icon")).to_have_count(1)
            page.locator(".pin-map-box").evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SHOTS / "group-pin-phone.png"))
            assert errors == []
            assert [u for u in requests if not (u.startswith(server.url + "/") or u.startswith("data:"))] == []
    finally:
        context.close()


def test_without_javascript_the_map_stays_hidden_and_the_fields_work(demo_app):
    page = demo_app.test_client().get("/groups/add").get_data(as_text=True)
    assert '<div class="pin-map-box" hidden>' in page
    assert 'name="lat"' in page and 'name="lon"' in page
    assert "vendor/leaflet/leaflet.js" in page and "unpkg" not in page and "cdn" not in page.lower()
