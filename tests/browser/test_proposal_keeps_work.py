"""The forum editor never loses work, in headless Chromium: settings saved without leaving the drawing, drafts
kept on the server and offered back after a reload or a crash, a warning on leaving, panels redrawn after a
save, imported forums in colour, forums started in their APBs, adoption that asks first, and the closest
split where a forum count cannot be met."""
from __future__ import annotations

import re

import pytest

from geoapp.storage import boundary_sets
from tests.browser import site_pages
from tests.browser.test_proposal_browser import apb_wards, assignment, click_ward, settle
from tests.browser.test_proposal_drawing import idle, open_new_proposal, zoom_to
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser

DRAFT_KEPT = "() => !!document.querySelector('[data-atlas-proposal]').dataset.draftSaved"


def draw_some(page, wards, forum="F1"):
    """Click the first wards of an APB into a forum; returns what the editor holds."""
    zoom_to(page, wards)
    page.locator(f'input[name="current-forum"][value="{forum}"]').check()
    for _, (lon, lat) in wards[:3]:
        click_ward(page, lon, lat)
    idle(page)
    return assignment(page)


def wait_for_draft(page, server, proposal: int, expected: dict) -> dict:
    """Poll the server until the kept draft holds ``expected`` (it is sent a moment after each change)."""
    for _ in range(60):
        draft = page.request.get(f"{server.url}/proposals/{proposal}/draft.json").json()["draft"]
        if draft and draft["assignment"] == expected:
            return draft
        page.wait_for_timeout(100)
    raise AssertionError(f"the draft on the server never held {expected}: {draft}")


def sign_in(page, server, email="officer@example.org"):
    page.goto(server.url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_settings_change_keeps_the_drawing(demo_app, tab, live_server):
    from playwright.sync_api import expect

    _, wards = apb_wards(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        proposal = open_new_proposal(demo_app, page, server, "Settings while drawing")
        drawn = draw_some(page, wards)
        assert drawn and page.evaluate("() => window.AtlasProposal.dirty()")
        page.evaluate("() => { window.__samePage = true; }")  # gone if the page reloads
        page.locator("#settings-forums").fill("3")
        page.locator("#settings-tolerance").fill("12.5")
        page.get_by_role("button", name="Save the settings").click()
        expect(page.locator("#settings-status")).to_contain_text("Settings saved. Your drawing is unchanged")
        idle(page)
        assert page.evaluate("() => window.__samePage === true")
        assert assignment(page) == drawn
        saved = page.request.get(f"{server.url}/proposals/{proposal}.json").json()["proposal"]["settings"]
        assert saved["forums_per_container"] == 3 and saved["tolerance"] == pytest.approx(0.125)
        # the rules were checked again under the new settings
        expect(page.locator('[data-rule="population"] .rule-message')).to_contain_text("12.5%")
        # a wrong value is refused by the field itself, saying what to change; what was typed stays
        page.locator("#settings-forums").fill("2.5")
        page.get_by_role("button", name="Save the settings").click()
        assert page.locator("#settings-forums").evaluate("(field) => field.validationMessage")
        expect(page.locator("#settings-forums")).to_have_value("2.5")
        assert assignment(page) == drawn
        again = page.request.get(f"{server.url}/proposals/{proposal}.json").json()["proposal"]["settings"]
        assert again["forums_per_container"] == 3
        assert not tab.errors, tab.errors


def test_a_reload_or_a_crash_offers_the_draft_back_and_leaving_warns(demo_app, browser, tab, live_server):
    from playwright.sync_api import expect

    _, wards = apb_wards(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        proposal = open_new_proposal(demo_app, page, server, "Kept as I go")
        drawn = draw_some(page, wards)
        page.wait_for_function(DRAFT_KEPT)
        expect(page.locator("#draft-status")).to_contain_text("kept as a draft")
        assert wait_for_draft(page, server, proposal, drawn)["base_version"] == 0
        # leaving with unsaved changes asks first (the test's browser says "leave")
        page.reload()
        assert tab.leave_warnings == 1
        settle(page)
        offer = page.locator("#draft-offer")
        expect(offer).to_be_visible()
        expect(offer).to_contain_text(re.compile(r"You have unsaved changes from \d\d:\d\d today: 3 wards in forums"))
        assert assignment(page) == {}  # nothing is applied until asked
        assert site_pages.axe_violations(page) == []
        page.get_by_role("button", name="Restore").click()
        idle(page)
        assert assignment(page) == drawn
        expect(offer).to_be_hidden()
        page.get_by_role("button", name="Save this version").click()
        expect(page.locator("#proposal-status")).to_have_text("Saved as version 1.")
        assert page.request.get(f"{server.url}/proposals/{proposal}/draft.json").json()["draft"] is None
        # a crash: changes kept a moment after they are made, then the browser is gone without a word
        more = draw_some(page, wards[3:], forum="F2")
        wait_for_draft(page, server, proposal, more)
        other = browser.new_context(viewport={"width": 1200, "height": 800})
        again = other.new_page()
        again.on("dialog", lambda dialog: dialog.accept())
        sign_in(again, server)
        tab.page.context.close()
        again.goto(f"{server.url}/proposals/{proposal}")
        settle(again)
        expect(again.locator("#draft-offer")).to_contain_text("You have unsaved changes from")
        again.get_by_role("button", name="Restore").click()
        again.wait_for_function("() => window.AtlasProposal.dirty()")
        assert again.evaluate("() => window.AtlasProposal.state().assignment") == more
        # discarding drops it on the server too
        again.reload()
        settle(again)
        again.get_by_role("button", name="Discard").click()
        expect(again.locator("#draft-offer")).to_be_hidden()
        again.wait_for_function("() => !document.querySelector('[data-atlas-proposal]').dataset.draftSaving")
        assert again.request.get(f"{server.url}/proposals/{proposal}/draft.json").json()["draft"] is None
        other.close()


def test_publishing_carries_the_drawing_through_the_reload(demo_app, tab, live_server):
    from playwright.sync_api import expect

    _, wards = apb_wards(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        open_new_proposal(demo_app, page, server, "Published while drawing")
        drawn = draw_some(page, wards)
        with page.expect_navigation():
            page.get_by_role("button", name="Publish").click()
        settle(page)
        expect(page.locator(".flash-messages")).to_contain_text("Published")
        assert assignment(page) == drawn
        expect(page.locator("#proposal-status")).to_contain_text("Your unsaved changes are still here")
        expect(page.locator("#draft-offer")).to_be_hidden()
        assert tab.leave_warnings == 0


def test_panels_show_the_new_version_at_once_after_a_save(demo_app, tab, live_server):
    from playwright.sync_api import expect

    _, wards = apb_wards(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        proposal = open_new_proposal(demo_app, page, server, "Panels")
        expect(page.locator("#versions-panel")).to_contain_text("No version is saved yet.")
        draw_some(page, wards)
        page.get_by_role("button", name="Save this version").click()
        expect(page.locator("#proposal-status")).to_have_text("Saved as version 1.")
        page.wait_for_function("() => document.querySelector('[data-atlas-proposal]').dataset.panelsVersion === '1'")
        expect(page.locator("#versions tbody tr")).to_have_count(1)
        expect(page.locator("#downloads-panel")).to_contain_text("The latest saved version (version 1)")
        click_ward(page, *wards[3][1])
        page.fill("#save-note", "second")
        page.get_by_role("button", name="Save this version").click()
        expect(page.locator("#proposal-status")).to_have_text("Saved as version 2.")
        page.wait_for_function("() => document.querySelector('[data-atlas-proposal]').dataset.panelsVersion === '2'")
        rows = page.locator("#versions tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("second")
        expect(page.locator("#adopt-panel")).to_contain_text("(version 2)")
        assert page.locator("#adopt-panel button").get_attribute("data-version") == "2"
        compare = page.get_by_role("link", name="version 1 with version 2")
        assert compare.get_attribute("href").endswith(f"a={proposal}&va=1&b={proposal}")
        expect(page.get_by_role("button", name="Restore this version: version 1")).to_be_visible()
        # the restore form starts from the version just saved, without a reload
        assert page.locator('.restore-form input[name="expected_version"]').first.input_value() == "2"
        assert not tab.errors, tab.errors


def test_imported_forums_are_drawn_in_colour(demo_app, tab, live_server, tmp_path, screenshots):
    from playwright.sync_api import expect

    with demo_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        apbs = boundary_sets.load_areas(session, "apb")
    owner = [apbs.geometry.intersection(w).area.idxmax() for w in wards.geometry]
    rows = ["block_code,forum,forum_name"] + [f"{code},{apbs['code'].iloc[i]},{apbs['name'].iloc[i]} forum"
                                                for code, i in zip(wards["code"], owner)]
    upload = tmp_path / "forums.csv"
    upload.write_text("\n".join(rows) + "\n", encoding="utf-8")
    add_user(demo_app, "officer", email="officer@example.org")
    with live_server(demo_app) as server:
        page = tab.page
        sign_in(page, server)
        page.goto(server.url + "/proposals/")
        page.locator("#import-file").set_input_files(str(upload))
        page.get_by_role("button", name="Import and open the proposal").click()
        page.wait_for_url(re.compile(r"/proposals/\d+$"))
        settle(page)
        expect(page.locator("#unassigned-count")).to_have_text("Every ward is in a forum")
        fills = page.evaluate("""() => Array.from(document.querySelectorAll('#proposal-map path[data-block]'))
            .map((p) => p.getAttribute('fill'))""")
        assert len(fills) == len(wards) and not any("hatch" in (f or "") for f in fills)
        forums = page.evaluate("() => window.AtlasProposal.state().forums")
        assert (all(f.get("colour") for f in forums.values())
                and len({f["colour"] for f in forums.values()}) == len(forums))
        stored = page.request.get(page.url + ".json").json()["forums"]
        assert all(f.get("colour") for f in stored.values())  # coloured by the import itself
        page.screenshot(path=str(screenshots / "proposal-imported.png"))


def test_a_new_proposal_starts_with_forums_in_their_apbs(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with demo_app.extensions["atlas_db"].session() as session:
        apbs = boundary_sets.load_areas(session, "apb")
    names = sorted(apbs["name"])
    add_user(demo_app, "officer", email="officer@example.org")
    with live_server(demo_app) as server:
        page = tab.page
        sign_in(page, server)
        page.goto(server.url + "/proposals/")
        page.get_by_label("Name", exact=True).fill("Forums in their boards")
        page.locator("#new-forums").fill("2")
        expect(page.locator("#seed-container")).to_be_checked()
        page.get_by_role("button", name="Create and open the proposal").click()
        page.wait_for_url(re.compile(r"/proposals/\d+$"))
        settle(page)
        forums = page.evaluate("() => window.AtlasProposal.state().forums")
        assert sorted(f["name"] for f in forums.values()) == sorted(f"{n} {i}" for n in names for i in (1, 2))
        codes = dict(zip(apbs["name"], apbs["code"]))
        assert all(f["container"] == codes[f["name"].rsplit(" ", 1)[0]] for f in forums.values())
        expect(page.locator(".forum-group")).to_have_text(names)
        # a forum added while one of an APB is chosen is placed in that APB and named after it
        first = min(forums, key=lambda c: forums[c]["name"])
        page.locator(f'input[name="current-forum"][value="{first}"]').check()
        page.get_by_role("button", name="Add forum").click()
        idle(page)
        forums = page.evaluate("() => window.AtlasProposal.state().forums")
        added = [f for f in forums.values() if f["name"] == f"{names[0]} 3"]
        assert added and added[0]["container"] == codes[names[0]]
        # and saved, the forums keep their APB
        page.get_by_role("button", name="Save this version").click()
        expect(page.locator("#proposal-status")).to_have_text("Saved as version 1.")
        stored = page.request.get(page.url + ".json").json()["forums"]
        assert {f["container"] for f in stored.values()} == set(codes.values())


def test_when_the_count_cannot_be_met_the_editor_says_so_and_offers_the_closest_split(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with live_server(demo_app) as server:
        page = tab.page
        proposal = open_new_proposal(demo_app, page, server, "Too tight")
        page.locator("#settings-tolerance").fill("0")
        page.get_by_role("button", name="Save the settings").click()
        page.wait_for_function("() => document.querySelector('[data-atlas-proposal]').dataset.balance === 'ready'")
        found = page.request.get(f"{server.url}/proposals/{proposal}/balance.json").json()
        tight = [c for c in found["containers"] if not c["within"]]
        assert tight, "two forums of exactly equal population should be impossible somewhere"
        worst = tight[0]
        item = page.locator(f'#balance li[data-container="{worst["code"]}"]')
        expect(item).to_contain_text(f"{worst['name']}: 2 forums within ±0.0% cannot be made from whole wards.")
        expect(item).to_contain_text("The closest possible is")
        expect(item).to_contain_text("every split of its")
        item.get_by_role("button", name=f"Use this closest split for {worst['name']}").click()
        idle(page)
        drawn = assignment(page)
        groups = {}
        for code in (c for part in worst["split"] for c in part):
            groups.setdefault(drawn[code], set()).add(code)
        assert sorted(map(sorted, groups.values())) == sorted(map(sorted, worst["split"]))
        row = page.locator("#statistics tbody tr").filter(has_text=worst["name"]).first
        expect(row).to_contain_text(f"{worst['best_deviation'] * 100:.1f}%")
        assert page.evaluate("() => window.AtlasProposal.undoDepth()") == 1


def test_adoption_asks_first_naming_what_it_replaces(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with demo_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        apbs = boundary_sets.load_areas(session, "apb")
    owner = [apbs.geometry.intersection(w).area.idxmax() for w in wards.geometry]
    forums = {code: str(apbs["code"].iloc[i]) for code, i in zip(wards["code"], owner)}
    add_user(demo_app, "officer", email="officer@example.org")
    with live_server(demo_app) as server:
        page = tab.page
        sign_in(page, server)
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        made = [page.request.post(f"{server.url}/proposals/", headers={"X-CSRFToken": token},
                                  data={"name": name, "assignment": forums, "settings": {"forums_per_container": 1}})
                .json()["id"] for name in ("First forums", "Second forums")]
        first = page.request.post(f"{server.url}/proposals/{made[0]}/adopt", headers={"X-CSRFToken": token,
                                                                                   "Accept": "application/json"})
        adopted = first.json()["set"]
        page.goto(f"{server.url}/proposals/{made[1]}")
        settle(page)
        page.get_by_role("button", name="Adopt as the official Local Area Forums").click()
        page.wait_for_url(re.compile(rf"/proposals/{made[1]}/adopt$"))
        expect(page.locator("h1")).to_have_text("Adopt version 1 of “Second forums”?")
        replaces = page.locator("#adopt-replaces")
        expect(replaces).to_contain_text("Local Area Forums (First forums)")
        expect(replaces).to_contain_text(adopted)
        assert site_pages.axe_violations(page) == []
        # "no" changes nothing
        page.get_by_role("link", name="No, go back").click()
        page.wait_for_url(re.compile(rf"/proposals/{made[1]}$"))
        with demo_app.extensions["atlas_db"].session() as session:
            current = [s.id for s in boundary_sets.list_sets(session) if s.kind == "laf" and s.superseded_by is None]
        assert current == [adopted]
        # "yes" adopts it, naming what it replaced
        page.goto(f"{server.url}/proposals/{made[1]}/adopt")
        page.get_by_role("button", name="Yes, adopt version 1 and replace Local Area Forums (First forums)").click()
        page.wait_for_url(re.compile(r"/boundaries/laf-p\d+-v1$"))
        assert f"laf-p{made[1]}-v1" in page.url


def test_on_a_tablet_the_side_panel_opens_over_the_map_and_the_wards_list_works_by_keyboard(demo_app, browser,
                                                                                          live_server):
    from playwright.sync_api import expect

    with live_server(demo_app) as server:
        context = browser.new_context(viewport={"width": 900, "height": 1000})
        page = context.new_page()
        open_new_proposal(demo_app, page, server, "On a tablet")
        side = page.locator("#proposal-side")
        toggle = page.get_by_role("button", name="Forums, statistics and rules")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(side).not_to_be_in_viewport()
        toggle.click()
        expect(side).to_be_in_viewport()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        assert page.evaluate("() => document.activeElement.id") == "proposal-side"
        assert site_pages.axe_violations(page) == []
        page.keyboard.press("Escape")
        expect(side).not_to_be_in_viewport()
        # the list of wards: reached from the map's help by keyboard, and changed with the keys alone
        page.locator("#map-help").get_by_role("link", name="list of wards").focus()
        page.keyboard.press("Enter")
        page.wait_for_function("() => location.hash === '#wards-heading'")
        first = page.locator("#ward-list tbody select").first
        first.focus()
        page.keyboard.press("ArrowDown")
        page.wait_for_function("() => Object.keys(window.AtlasProposal.state().assignment).length === 1")
        code = page.locator("#ward-list tbody tr").first.locator("td").first.inner_text()
        assert page.evaluate("() => window.AtlasProposal.state().assignment")[code] == first.input_value()
        context.close()
