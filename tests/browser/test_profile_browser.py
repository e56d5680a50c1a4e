"""Area profiles in headless Chromium: from the map to a ward's profile and back, charts drawn."""
from __future__ import annotations

import re

import geopandas as gpd
import pytest

from geoapp.storage import boundary_sets
from tests.browser.test_map_browser import assert_clean, open_area_link, open_map

pytestmark = pytest.mark.browser


def ward_point(app, code=None):
    with app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
    ward = wards.iloc[0] if code is None else wards.set_index("code").loc[code]
    point = gpd.GeoSeries([ward.geometry.representative_point()], crs=27700).to_crs(4326).iloc[0]
    return (ward["code"] if code is None else code), ward["name"], point


#: A profile's first request builds its figures, charts and service areas: allow for a busy machine.
PROFILE_COLD_MS = 30_000


def test_from_the_map_to_a_ward_profile_and_back(demo_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    code, name, point = ward_point(demo_app)
    with live_server(demo_app) as server:
        open_map(tab, server)
        page = tab.page
        link = open_area_link(tab, point.x, point.y, f"Open the profile of {name}")
        link.click()
        page.wait_for_url(re.compile(f"/profiles/wards/{code}$"), timeout=PROFILE_COLD_MS)
        expect(page.locator("h1")).to_contain_text(name)
        profile = page.request.get(server.url + f"/profiles/wards/{code}.json").json()
        income = next(i for t in profile["themes"] for i in t["indicators"] if i["id"] == "income_deprivation_rate")
        expect(page.locator("table.indicators").filter(has_text="Income deprivation rate")).to_contain_text(
            f"{income['value'] * 100:.1f}%")
        # every chart image is drawn (loaded and decoded), each with its words
        images = page.locator("img.chart")
        assert images.count() >= 2
        for i in range(images.count()):
            image = images.nth(i)
            image.scroll_into_view_if_needed()
            expect(image).to_have_js_property("complete", True)
            assert image.evaluate("img => img.naturalWidth") > 100 and image.get_attribute("alt")
        page.screenshot(path=str(screenshots / "profile-ward.png"), full_page=True)
        # the contents list works from the keyboard
        page.get_by_role("link", name="Indicators by theme").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile("#indicators$"))
        # and back to the map, focused on the ward with its popup open
        page.get_by_role("link", name="See it on the map").click()
        page.wait_for_selector(f'[data-atlas-map][data-focused="wards:{code}"]')
        expect(page.locator(".leaflet-popup-content .atlas-popup-title")).to_have_text(name)
        assert_clean(tab, server)


def test_draw_a_freehand_area_and_see_its_profile(demo_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    with demo_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
    ward = wards.iloc[5]
    corners = gpd.GeoSeries([ward.geometry.envelope], crs=27700).to_crs(4326).iloc[0]
    minx, miny, maxx, maxy = corners.bounds
    ring = [(minx + (maxx - minx) * fx, miny + (maxy - miny) * fy)
            for fx, fy in ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7))]
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/profiles/")
        page.wait_for_selector('[data-atlas-draw][data-ready="true"]')
        submit = page.get_by_role("button", name="Show the profile of the drawn area")
        expect(submit).to_be_disabled()
        page.locator(".leaflet-pm-icon-polygon").click()
        box = page.locator("[data-atlas-draw]").bounding_box()
        # convert each corner to a screen point with Leaflet itself, then click there
        points = page.evaluate("""(ring) => {
            const map = window.AtlasDraw.map;
            return ring.map(([lon, lat]) => { const p = map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; });
        }""", ring)
        for x, y in points + points[:1]:
            page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_selector('[data-atlas-draw][data-drawn="1"]')
        expect(submit).to_be_enabled()
        page.fill("#draw-name", "Our patch")
        page.screenshot(path=str(screenshots / "profile-draw.png"), full_page=True)
        submit.click()
        expect(page.locator("h1")).to_contain_text("Our patch")
        expect(page.locator(".lede")).to_contain_text("nothing is stored")
        charts = page.locator("img.chart")
        assert charts.count() >= 1 and charts.first.evaluate("img => img.naturalWidth") > 100
        assert_clean(tab, server)


def test_board_member_goes_from_map_to_ward_profile_compares_and_downloads_the_pack(
        demo_app, tab, screenshots, live_server):
    """The issue's journey: a ward profile from the map, compare it with two more areas, download the PDF."""
    from pypdf import PdfReader

    from tests.conftest import PASSWORD, add_user

    add_user(demo_app, "board_member", email="member@example.org")
    code, name, point = ward_point(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("member@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.wait_for_selector('[data-atlas-map][data-atlas-ready="true"]')
        open_area_link(tab, point.x, point.y, f"Open the profile of {name}").click()
        page.wait_for_url(re.compile(f"/profiles/wards/{code}$"), timeout=PROFILE_COLD_MS)
        # compare with two more wards, chosen on the comparison page
        page.get_by_role("link", name="Compare with other areas").click()
        page.get_by_label("Kind of area").select_option("wards")
        page.get_by_role("button", name="Show these areas").click()
        boxes = page.locator(".pick-list input[type=checkbox]")
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.get_by_role("button", name="Add to the comparison").click()
        page.wait_for_url(re.compile(r"/compare/\?areas="))
        headings = page.locator("table.side-by-side").first.locator("thead th").all_inner_texts()
        assert name in headings[2] and len(headings) >= 6  # the ward, two more, the borough
        # back to the ward and its board pack
        page.goto(f"{server.url}/profiles/wards/{code}")
        with page.expect_download() as download:
            page.get_by_role("link", name="Board pack (PDF)").click()
        path = download.value.path()
        text = " ".join(p.extract_text() for p in PdfReader(path).pages)
        profile = page.request.get(f"{server.url}/profiles/wards/{code}.json").json()
        income = next(i for t in profile["themes"] for i in t["indicators"] if i["id"] == "income_deprivation_rate")
        assert name in text and f"{income['value'] * 100:.1f}%" in text
        assert_clean(tab, server)
