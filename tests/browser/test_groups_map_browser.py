"""The groups map in headless Chromium: clustered markers by type, filters narrowing list and map, hostile
text shown as text, "near me" on a phone, nothing loaded from another host."""
from __future__ import annotations

import pytest

from geoapp.storage import postcodes
from geoapp.storage.models import CommunityGroup
from tests.helpers import demo_groups
from tests.test_group_directory import add_known_groups, small_postcode_file

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
PHONE = {"width": 390, "height": 844}


def open_groups(tab, server, query: str = ""):
    tab.page.goto(server.url + "/groups/" + query)
    tab.page.wait_for_selector('[data-groups-map][data-groups-ready="true"]')


def shown_on_map(tab) -> int:
    return int(tab.page.get_attribute("[data-groups-map]", "data-groups-shown"))


def marker_types(tab) -> set[str]:
    """The type class of every marker in the cluster layer (clustered or not)."""
    return set(tab.page.evaluate("""() => window.AtlasGroupsMap.cluster.getLayers()
        .map(m => m.options.icon.options.className.split(' ').find(c => /^gm-(t[0-9]|other)$/.test(c)))"""))


def assert_clean(tab, server):
    assert tab.errors == []
    assert tab.foreign_requests(server.url) == []
    assert tab.dialogs == []


def test_demo_groups_render_clustered_and_coloured_by_type(demo_app, tab, live_server, screenshots):
    count = demo_groups(demo_app)
    with live_server(demo_app) as server:
        open_groups(tab, server)
        page = tab.page
        assert shown_on_map(tab) == count
        assert page.locator(".gm-map .marker-cluster").count() > 0
        assert len(marker_types(tab)) >= 3  # several types, several colours
        assert page.locator("#gm-count").inner_text() == f"{count} groups match"
        assert page.locator(".gm-legend li").count() >= 4
        # the borough's outline gives the markers a place
        assert page.locator(".gm-map .leaflet-overlay-pane path").count() >= 1
        page.screenshot(path=str(screenshots / "groups-map.png"), full_page=False)
        assert_clean(tab, server)


def test_a_filter_narrows_the_list_and_the_map(demo_app, tab, live_server, screenshots):
    with demo_app.extensions["atlas_db"].session() as session:
        faith = session.query(CommunityGroup).filter_by(group_type="faith group", status="published").count()
    assert faith > 0
    with live_server(demo_app) as server:
        open_groups(tab, server)
        page = tab.page
        page.locator(".gm-more summary").click()
        page.get_by_label("faith group", exact=True).check()
        page.get_by_role("button", name="Show groups").click()
        page.wait_for_selector('[data-groups-map][data-groups-ready="true"]')
        assert "type=faith+group" in page.url
        assert page.locator("#gm-count").inner_text() == (f"{faith} groups match" if faith != 1 else "1 group matches")
        assert page.locator(".gm-group").count() == min(faith, 50) and shown_on_map(tab) == faith
        assert marker_types(tab) == {"gm-t3"}
        assert page.get_by_label("faith group", exact=True).is_checked()  # the form keeps the choice
        page.screenshot(path=str(screenshots / "groups-map-filtered.png"), full_page=True)
        assert_clean(tab, server)


def test_a_hostile_name_in_a_popup_is_text_and_runs_nothing(app, tab, live_server):
    with app.extensions["atlas_db"].transaction() as session:
        from shapely.geometry import Point
        session.add(CommunityGroup(name=HOSTILE, group_type=HOSTILE, description=HOSTILE, website="javascript:alert(1)",
                                   themes=[HOSTILE], status="published", location=Point(341000, 366300)))
    with live_server(app) as server:
        open_groups(tab, server)
        page = tab.page
        page.get_by_role("button", name="Show on the map – " + HOSTILE).click()
        popup = page.wait_for_selector(".leaflet-popup-content .gm-popup")
        assert popup.query_selector(".gm-popup-title").inner_text() == HOSTILE
        assert popup.inner_text().count(HOSTILE) >= 3  # name, type, description, themes: all as text
        assert popup.query_selector("a") is None  # a javascript: website is not a link
        page.wait_for_timeout(200)
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[src='x']").count() == 0
        assert page.locator(".gm-group-name").inner_text() == HOSTILE
        assert_clean(tab, server)


@pytest.fixture
def chester(app, shared_data, tmp_path):
    """The known groups near Chester and the postcodes round them."""
    add_known_groups(app)
    with app.extensions["atlas_db"].transaction() as session:
        postcodes.load(session, small_postcode_file(shared_data, tmp_path), actor="test")
    return app


@pytest.fixture
def phone(browser):
    """A phone-sized page that may know where it is (CH1 1AB)."""
    from tests.browser.conftest import Tab
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                  geolocation={"latitude": 53.190776, "longitude": -2.883588},
                                  permissions=["geolocation"])
    page = context.new_page()
    tab = Tab(page)
    page.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
    page.on("request", lambda request: tab.requests.append(request.url))
    page.set_default_timeout(10_000)
    yield tab
    context.close()


def fits_the_screen(tab) -> bool:
    return tab.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_near_a_postcode_on_a_phone(chester, phone, live_server, screenshots):
    with live_server(chester) as server:
        open_groups(phone, server)
        page = phone.page
        assert fits_the_screen(phone)
        page.screenshot(path=str(screenshots / "groups-map-phone.png"), full_page=False)
        page.get_by_label("Near a postcode").fill("ch1 1ab")
        page.get_by_label("Within").select_option("2")
        page.get_by_role("button", name="Show groups").tap()
        page.wait_for_selector('[data-groups-map][data-groups-ready="true"]')
        assert page.locator("#gm-count").inner_text() == "3 groups match"
        assert page.locator(".gm-summary").inner_text().startswith("Within 2 km of CH1 1AB, nearest first.")
        assert page.locator(".gm-group-name").all_inner_texts() == ["Oak Lunch Club", "St Werburgh's Food Bank",
                                                                    "Hoole Youth Football"]
        assert "0.5 km away" in page.locator(".gm-group").first.inner_text()
        assert page.locator(".gm-map path.gm-near-circle").count() == 1
        assert fits_the_screen(phone)
        page.screenshot(path=str(screenshots / "groups-map-phone-near.png"), full_page=True)
        assert_clean(phone, server)


def test_use_my_location_on_a_phone(chester, phone, live_server):
    with live_server(chester) as server:
        open_groups(phone, server, "?radius=1")
        page = phone.page
        button = page.get_by_role("button", name="Use my location")
        assert button.is_visible()
        button.tap()
        page.wait_for_url("**lon=*")
        page.wait_for_selector('[data-groups-map][data-groups-ready="true"]')
        assert page.locator(".gm-group-name").all_inner_texts() == ["Oak Lunch Club", "St Werburgh's Food Bank"]
        assert "Searching near your location" in page.locator(".gm-filters").inner_text()
        assert_clean(phone, server)


def test_an_unknown_postcode_is_explained_beside_the_field(chester, tab, live_server, screenshots):
    with live_server(chester) as server:
        tab.page.goto(server.url + "/groups/")
        page = tab.page
        page.get_by_label("Near a postcode").fill("CH1 9ZZ")
        page.get_by_role("button", name="Show groups").click()
        page.wait_for_selector(".error-summary")
        assert "CH1 9ZZ is not in the postcode list" in page.locator(".error-summary").inner_text()
        assert page.get_by_label("Near a postcode").get_attribute("aria-invalid") == "true"
        assert page.locator(".gm-group").count() == 0 and page.locator(".gm-map").count() == 0  # no empty map
        assert page.get_by_role("button", name="Use my location").is_visible()  # another way to say where
        page.screenshot(path=str(screenshots / "groups-map-unknown-postcode.png"), full_page=False)
        assert [e for e in tab.errors if "422" not in e] == []  # the page itself answers 422
        assert tab.foreign_requests(server.url) == []
