"""A group outside the borough, sent from a phone: the sender is told and sends it as it is; the editor sees
it on a small map with the borough's outline and a warning in words. Real Cheshire West and Chester data."""
from __future__ import annotations

import re

import pytest

from tests.browser import site_pages
from tests.browser.test_every_page import sign_in
from tests.browser.test_group_moderation_browser import phone_tab
from tests.conftest import add_user

pytestmark = pytest.mark.browser

BOROUGH = "Cheshire West and Chester"
DESK = {"width": 1366, "height": 900}


def test_an_outside_group_is_told_to_the_sender_and_mapped_for_the_editor(cwac_app, browser, screenshots,
                                                                         live_server):
    from playwright.sync_api import expect

    add_user(cwac_app, "third_sector_editor")
    with live_server(cwac_app) as server:
        context, page, errors = phone_tab(browser)
        page.goto(server.url + "/groups/add")
        page.get_by_label("Name of the group").fill("Congleton Carers Café")
        page.get_by_label("Community group").check()
        page.get_by_label("Postcode where the group meets or is based").fill("cw12 4ux")
        page.get_by_role("button", name="Send the group for checking").click()

        told = page.get_by_role("alert")
        expect(told).to_be_focused()
        expect(told).to_contain_text(f"The postcode CW12 4UX is outside {BOROUGH}")
        expect(told).to_contain_text("an editor will put the group on the map only if it does")
        expect(page.get_by_label("Name of the group")).to_have_value("Congleton Carers Café")
        expect(page.get_by_label("Postcode where the group meets or is based")).to_have_value("cw12 4ux")
        assert site_pages.overflow(page) is None
        assert site_pages.axe_violations(page) == []
        page.screenshot(path=str(screenshots / "group-add-outside-phone.png"), full_page=True)
        told.get_by_role("button", name="Send it as it is").click()
        expect(page.get_by_role("heading", name=re.compile("your group has been sent"))).to_be_visible()
        expect(page.get_by_text(f"The group is outside {BOROUGH}")).to_be_visible()
        assert errors == []
        context.close()

        context = browser.new_context(viewport=DESK)
        context.add_init_script(site_pages.NETWORK_WATCH)
        editor = context.new_page()
        editor_errors: list[str] = []
        editor.on("console", lambda m: editor_errors.append(m.text) if m.type == "error" else None)
        editor.on("pageerror", lambda error: editor_errors.append(f"uncaught: {error}"))
        sign_in(editor, server, "third_sector_editor")
        editor.goto(server.url + "/groups/moderation")
        item = editor.locator(".queue-item").filter(has_text="Congleton Carers Café")
        expect(item.get_by_role("list", name="Problems")).to_contain_text(f"outside {BOROUGH}")
        item.get_by_role("link", name=re.compile("Check and decide")).click()
        site_pages.settle(editor)

        where = editor.get_by_role("region", name="Map of where the group is")
        expect(where).to_be_visible()
        # the borough's outline and the group's point are drawn, the point red for outside
        drawn = where.locator(".leaflet-overlay-pane path")
        expect(drawn).to_have_count(2)
        assert sorted(drawn.nth(i).get_attribute("fill") for i in range(2)) == ["#d4351c", "none"]
        box = where.bounding_box()
        assert box["height"] >= 200 and box["width"] > 600
        expect(editor.locator(".place-outside")).to_have_text(
            f"Warning: Outside {BOROUGH}: about 10 km from its edge.")
        expect(editor.locator("#place-text")).to_contain_text(f"is outside {BOROUGH}")
        assert site_pages.axe_violations(editor) == []
        editor.screenshot(path=str(screenshots / "group-moderate-outside-desk.png"), full_page=True)

        editor.set_viewport_size({"width": 390, "height": 844})
        editor.reload()
        site_pages.settle(editor)
        expect(where.locator(".leaflet-overlay-pane path")).to_have_count(2)
        assert site_pages.overflow(editor) is None
        assert site_pages.axe_violations(editor) == []
        editor.screenshot(path=str(screenshots / "group-moderate-outside-phone.png"), full_page=True)
        assert editor_errors == []
        context.close()
