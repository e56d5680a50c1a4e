"""Map popups by keyboard alone: the home map's and the consultation map's areas are listed beside the map;
showing one opens its popup with the focus inside, its links are next in the tab order, and Escape goes back."""
from __future__ import annotations

import pytest

from tests.browser import site_pages

pytestmark = pytest.mark.browser


def tab_to(page, name: str, limit: int = 80):
    """Press Tab until the focused element's accessible name (or label) starts with ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate("""() => { const e = document.activeElement;
            const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';
            return (e.getAttribute('aria-label') || label || e.textContent || '').trim(); }""")
        if found.startswith(name):
            return
    raise AssertionError(f"Tab never reached '{name}'")


def test_home_map_popups_by_keyboard(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/")
        page.wait_for_selector('[data-atlas-map][data-atlas-ready="true"]')
        tab_to(page, "Open an area's details on the map")
        picker = page.get_by_label("Open an area's details on the map (choose from the layers shown)")
        options = picker.locator("option").all_inner_texts()
        ward = next(text for text in options if text.endswith(")") and "(X05" in text)
        picker.select_option(label=ward)
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # "Show on the map"
        popup = page.locator(".leaflet-popup")
        expect(popup).to_contain_text(ward.split(" (")[0])
        assert page.evaluate("() => document.activeElement.classList.contains('leaflet-popup-content')")
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent")
        assert focused.startswith("Open the profile of "), focused
        assert site_pages.axe_violations(page, [[".leaflet-popup-pane"]]) == []
        page.keyboard.press("Escape")
        expect(popup).to_have_count(0)
        assert page.evaluate("() => document.activeElement.id") == "home-map-choice"
        assert not tab.errors, tab.errors


def test_consultation_map_popups_by_keyboard(demo_app, tab, live_server):
    from playwright.sync_api import expect

    from geoapp.consultations.demo import add_demo_consultations

    with demo_app.extensions["atlas_db"].transaction() as session:
        add_demo_consultations(session)
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/consultations/")
        page.wait_for_selector('[data-atlas-consultations][data-ready="true"]', state="attached")
        picker = page.get_by_label("Open an area's activities (for the keyboard)")
        picker.focus()
        first = picker.locator("option").first.inner_text()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup")
        expect(popup).to_contain_text(first.split(" (")[0])
        assert page.evaluate("() => document.activeElement.classList.contains('leaflet-popup-content')")
        page.keyboard.press("Escape")
        expect(popup).to_have_count(0)
        assert not tab.errors, tab.errors
