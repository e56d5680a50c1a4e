"""A small group puts itself on the map from a phone, without signing in; an editor checks, edits and approves
it; the group is on the public map and the sender has the outcome by e-mail."""
from __future__ import annotations

import re

import pytest

from geoapp.auth.mail import outbox
from tests.browser.test_map_browser import assert_clean
from tests.conftest import PASSWORD, add_user
from tests.test_group_submissions import CH1_1AB, load_places

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def phone_tab(browser):
    """A page in a phone-sized context, recording console errors like the shared ``tab``."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.set_default_timeout(10_000)
    return context, page, errors


def fits_the_phone(page) -> None:
    """Nothing wider than the screen; every text input and choice at least 44 px tall to tap."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate("""() => [...document.querySelectorAll(
        '.group-form input:not([type=hidden]):not([tabindex="-1"]), .group-form textarea, .group-form button')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.name || e.textContent, (e.type === 'radio' || e.type === 'checkbox')
                   ? e.closest('.choice').getBoundingClientRect().height : e.getBoundingClientRect().height])
        .filter(([, h]) => h < 44)""")
    assert small == []


def test_a_small_group_on_a_phone_is_moderated_and_published(app, shared_data, tmp_path, browser, tab,
                                                             screenshots, live_server):
    from playwright.sync_api import expect

    load_places(app, shared_data, tmp_path)
    add_user(app, "third_sector_editor", email="editor@example.org", name="Erin Editor")
    with live_server(app) as server:
        context, page, errors = phone_tab(browser)
        page.goto(server.url + "/groups/add")
        expect(page.get_by_role("heading", name="Put your group on the map")).to_be_visible()
        fits_the_phone(page)
        page.get_by_label("Name of the group").fill("Blacon Knit and Natter")
        page.get_by_label("What does the group do?").fill("We knit and chat, Thursdays 2pm, all welcome.")
        page.get_by_role("group", name="Who is the group for?").get_by_label("Older people").check()
        page.get_by_label("Postcode where the group meets or is based").fill("ch1 1ab")
        page.get_by_label("About how many volunteers?").fill("4")
        page.get_by_label("Paid staff?").fill("0")
        page.get_by_role("group", name="Yearly income").get_by_label("Under £10,000 a year (micro)").check()
        page.get_by_label("Contact e-mail").fill("knit@example")  # a slip of the thumb
        page.get_by_label("Your e-mail address").fill("knitter@example.org")
        page.screenshot(path=str(screenshots / "group-add-phone.png"), full_page=True)
        page.get_by_role("button", name="Send the group for checking").click()

        summary = page.get_by_role("alert")
        expect(summary).to_contain_text("There are 2 problems")
        expect(summary).to_be_focused()
        expect(page.get_by_label("Name of the group")).to_have_value("Blacon Knit and Natter")
        expect(page.get_by_label("About how many volunteers?")).to_have_value("4")
        page.screenshot(path=str(screenshots / "group-add-phone-errors.png"))
        summary.get_by_role("link", name=re.compile("Kind of group")).click()
        expect(page.locator("#f-group_type")).to_be_focused()
        page.get_by_label("Community group").check()
        page.get_by_label("Contact e-mail").fill("knit@example.org")
        page.get_by_role("button", name="Send the group for checking").click()
        expect(page.get_by_role("heading", name=re.compile("your group has been sent"))).to_be_visible()
        expect(page.get_by_text("We will e-mail you")).to_be_visible()
        fits_the_phone(page)
        page.screenshot(path=str(screenshots / "group-thanks-phone.png"), full_page=True)
        assert [e for e in errors if "status of 422" not in e] == []  # the refused form answers 422
        context.close()

        editor = tab.page
        editor.goto(server.url + "/groups/moderation")
        editor.get_by_label("E-mail address").fill("editor@example.org")
        editor.get_by_label("Password").fill(PASSWORD)
        editor.get_by_role("button", name="Sign in").click()
        editor.wait_for_url(re.compile(r"/groups/moderation$"))
        item = editor.locator(".queue-item").filter(has_text="Blacon Knit and Natter")
        expect(item).to_contain_text("New group")
        editor.screenshot(path=str(screenshots / "group-moderation-queue.png"), full_page=True)
        item.get_by_role("link", name=re.compile("Check and decide")).click()
        expect(editor.get_by_role("heading", level=1)).to_have_text("Blacon Knit and Natter")
        assert editor.get_by_label("Contact e-mail").input_value() == "knit@example.org"
        editor.get_by_label("What does the group do?").fill("Knitting and a natter, Thursdays 2pm at the library.")
        editor.screenshot(path=str(screenshots / "group-moderate.png"), full_page=True)
        editor.get_by_role("button", name="Save and approve").click()
        editor.wait_for_url(re.compile(r"/groups/moderation$"))
        expect(editor.get_by_role("status")).to_contain_text("approved and now on the map")
        expect(editor.locator(".queue-item")).to_have_count(0)
        assert_clean(tab, server)

    features = app.test_client().get("/map/groups.geojson").get_json()["features"]
    (group,) = [f for f in features if f["properties"]["name"] == "Blacon Knit and Natter"]
    assert group["properties"]["description"] == "Knitting and a natter, Thursdays 2pm at the library."
    assert group["properties"]["postcode"] == CH1_1AB[0]
    assert group["geometry"]["coordinates"] == [-2.883588, 53.190776]
    (mail,) = outbox(app)
    assert mail.to == "knitter@example.org" and "now on the map" in mail.body
