"""Consultation and engagement in headless Chromium: the activity map, the timeline table, the form on a phone."""
from __future__ import annotations

import re
from datetime import date

import pytest

from geoapp.consultations import service
from geoapp.storage import boundary_sets
from geoapp.storage.models import User
from tests.browser.test_map_browser import assert_clean
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser

PERIOD = "since=1995-01-01&until=1995-12-31"
READY = "() => ['true', 'error'].includes(document.querySelector('[data-atlas-consultations]').dataset.ready)"


def ward_with_lsoas(app):
    """A ward with at least three LSOAs (by geometry), their codes, and the ward's name."""
    with app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        lsoas = boundary_sets.load_areas(session, "lsoa")
    points = lsoas.geometry.representative_point()
    for code, name, shape in zip(wards["code"], wards["name"], wards.geometry):
        inside = set(lsoas.loc[points.within(shape).to_numpy(), "code"])
        if len(inside) >= 3:
            return code, name, inside, len(wards)
    raise AssertionError("no ward with three LSOAs")


def record(app, **fields):
    with app.extensions["atlas_db"].transaction() as session:
        member = session.get(User, add_user(app, "board_member", email=f"b{fields['title'][:3]}@example.org"))
        return service.create_consultation(session, {"organiser": "Ashvale Council", "method": "survey"} | fields,
                                           user=member).id


def test_map_shows_areas_with_and_without_activity_and_the_timeline_its_cells(demo_app, tab, screenshots,
                                                                               live_server):
    code, name, lsoas, ward_count = ward_with_lsoas(demo_app)
    record(demo_app, title="Walkabout <b>here</b>", starts_on=date(1995, 3, 20), ends_on=date(1995, 4, 2),
           areas=[{"set": "wards", "code": code}])
    record(demo_app, title="Borough budget survey", starts_on=date(1995, 6, 1))
    page = tab.page
    with live_server(demo_app) as server:
        page.goto(f"{server.url}/consultations/?set=wards&{PERIOD}")
        page.wait_for_function(READY)
        assert page.locator("[data-atlas-consultations]").get_attribute("data-ready") == "true"
        assert page.locator("path.activity-some").count() == 1
        assert page.locator("path.activity-none").count() == ward_count - 1
        assert page.locator(f'path.activity-some[data-code="{code}"]').get_attribute("fill") != "url(#consult-hatch)"
        assert page.locator("path.activity-none").first.get_attribute("fill") == "url(#consult-hatch)"
        assert page.locator("#map-status").inner_text() == \
            f"The map shows 1 ward with activity recorded and {ward_count - 1} wards with none (hatched)."
        key = page.locator("#map-key").inner_text()
        assert "1 activity" in key and f"No activity recorded ({ward_count - 1})" in key
        page.locator("#consultation-map").scroll_into_view_if_needed()
        page.locator(f'path[data-code="{code}"]').click()
        popup = page.locator(".consult-popup")
        popup.wait_for()
        assert popup.locator("h3").inner_text() == name
        link = popup.get_by_role("link", name="Walkabout <b>here</b>")  # the text as typed, not markup
        assert link.count() == 1 and popup.locator("b").count() == 0
        screenshots.mkdir(exist_ok=True)
        page.screenshot(path=str(screenshots / "consultations-map.png"), full_page=False)

        # the timeline: the ward's row counts the activity in March and April only
        row = page.locator(f'#timeline tr[data-code="{code}"]')
        assert row.locator("th").inner_text() == name
        cells = row.locator("td").all_inner_texts()
        assert cells == ["0", "0", "1", "1"] + ["0"] * 8 + ["1"]
        other = page.locator(f'#timeline tbody tr:not([data-code="{code}"])').first
        assert other.locator("td").last.inner_text() == "None recorded"
        assert page.locator("#timeline caption").inner_text().startswith(
            "Activities per ward and month, January 1995 to December 1995")
        assert page.locator("#timeline thead th").all_inner_texts()[:3] == ["Ward", "Jan 1995", "Feb 1995"]

        # by LSOA, with whole-borough activity counted: every LSOA has some, the ward's LSOAs the most
        page.goto(f"{server.url}/consultations/?set=lsoa&{PERIOD}&borough=1")
        page.wait_for_function(READY)
        assert page.locator("path.activity-none").count() == 0
        darkest = page.locator("#map-key li").nth(1).inner_text()
        assert darkest.strip() == "2 activities"
        twice = page.evaluate("""() => Object.values(window.AtlasConsultations.areas)
            .filter(a => a.count === 2).map(a => a.code).sort()""")
        assert twice == sorted(lsoas)
        assert_clean(tab, server)


def test_a_board_member_records_an_activity_from_a_phone(demo_app, browser, screenshots, live_server):
    code, name, _lsoas, _count = ward_with_lsoas(demo_app)
    add_user(demo_app, "board_member", email="phone@example.org")
    # A phone-sized window. (Not is_mobile: the site header, shared by every page, is wider than a phone, so
    # mobile emulation zooms the whole page out; this test is about the form, which must fit in 390 pixels.)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        with live_server(demo_app) as server:
            page.goto(server.url + "/sign-in")
            page.get_by_label("E-mail address").fill("phone@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r"/$"))
            page.goto(server.url + "/consultations/new")
            form_box = page.locator("#consultation-form").bounding_box()
            assert form_box["x"] >= 0 and form_box["x"] + form_box["width"] <= 390
            page.get_by_label("Title", exact=True).fill("Pavement repairs drop-in")
            page.get_by_label("Organiser", exact=True).fill("Ashvale Council")
            page.get_by_label("Method", exact=True).select_option("drop-in")
            page.get_by_label("Sustainable Communities & Transport").check()
            page.get_by_label("Start date", exact=True).fill("1995-05-06")
            assert page.locator("#area-lists").is_hidden()  # the whole borough is chosen at first
            page.get_by_label("Named areas: tick them below").check()
            wards = page.locator("details.choice-list", has=page.locator("summary", has_text="Wards"))
            wards.locator("summary").click()
            wards.get_by_label("Filter the list by name").fill(name)
            wards.get_by_label(re.compile("^" + re.escape(name))).check()
            screenshots.mkdir(exist_ok=True)
            page.screenshot(path=str(screenshots / "consultation-form-phone-filled.png"), full_page=True)
            page.get_by_role("button", name="Save the activity").click()
            page.wait_for_url(re.compile(r"/consultations/\d+$"))
            assert page.locator("h1").inner_text() == "Pavement repairs drop-in"
            assert page.get_by_role("link", name=name).count() == 1
            assert "Saved “Pavement repairs drop-in”." in page.locator(".flash-messages").inner_text()
            assert errors == []
            # a mistake on the phone: shown at the top and by the field, nothing stored (answered 422)
            page.goto(server.url + "/consultations/new")
            page.get_by_label("Title", exact=True).fill("No date")
            page.get_by_role("button", name="Save the activity").click()
            summary = page.locator(".error-summary")
            assert "Organiser: Say who ran it" in summary.inner_text()
            assert "Start date: Give the date" in summary.inner_text()
            assert page.get_by_label("Start date", exact=True).get_attribute("aria-invalid") == "true"
    finally:
        context.close()
    # the development server may reset a connection as the context closes: noise, not the page's fault
    errors = [e for e in errors if not e.endswith(("net::ERR_CONNECTION_RESET", "net::ERR_SOCKET_NOT_CONNECTED"))]
    assert errors == ["Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"]
