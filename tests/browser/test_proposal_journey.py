"""An officer's whole journey with forum proposals, in headless Chromium: start from a file, complete one APB by
clicks while the statistics and rules change, undo, save, compare with a second proposal, adopt."""
from __future__ import annotations

import re

import pytest

from boundaries.adjacency import adjacency_graph
from geoapp.proposals.engine import cached_layer
from geoapp.storage import boundary_sets
from tests.browser.test_proposal_browser import apb_wards, assignment, click_ward, settle
from tests.conftest import PASSWORD, add_user
from tests.test_proposal_check import halves

pytestmark = pytest.mark.browser


def plan(app):
    """The smallest APB's wards split into two contiguous, balanced forums, every other ward in one forum
    per APB (each APB is in one piece, so that forum is valid), and the wards of the less populous half."""
    apb, wards = apb_wards(app)
    with app.extensions["atlas_db"].session() as session:
        layer, _ = cached_layer(session, "wards", "apb")
        areas = boundary_sets.load_areas(session, "wards")
    people = dict(zip(layer.codes, layer.population))
    mine = [code for code, _ in wards]
    first, second = halves(mine, adjacency_graph(areas), people)
    others = {code: f"{layer.container_codes[c]}-all" for code, c in zip(layer.codes, layer.container)
              if code not in mine}
    points = dict(wards)
    first, second = ([(c, points[c]) for c in mine if c in part] for part in (first, second))
    smaller = min((first, second), key=lambda part: sum(people[c] for c, _ in part))
    return apb, first, second, others, [c for c, _ in smaller]


def rule(page, name):
    return page.locator(f'[data-rule="{name}"]')


def test_officer_builds_checks_compares_and_adopts_forums(demo_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    add_user(demo_app, "officer", email="officer@example.org")
    apb, first, second, others, smaller = plan(demo_app)
    upload = "block_code,forum\n" + "".join(f"{code},{forum}\n" for code, forum in others.items())
    with live_server(demo_app) as server:
        page = tab.page
        page.goto(server.url + "/sign-in")
        page.get_by_label("E-mail address").fill("officer@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/$"))
        # 1. start from a block-assignment file holding every other APB's forum
        page.get_by_role("link", name="Proposals").click()
        page.set_input_files("#import-file", files=[{"name": "other-boards.csv", "mimeType": "text/csv",
                                                     "buffer": upload.encode()}])
        page.fill("#import-name", "Option A")
        page.fill("#import-forums", "")
        page.fill("#import-tolerance", "25")
        page.get_by_role("button", name="Import and open the proposal").click()
        page.wait_for_url(re.compile(r"/proposals/\d+$"))
        option_a = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("main")).to_contain_text(f"{len(others)} of {len(others)} rows matched a block")
        settle(page)
        complete = rule(page, "complete")
        expect(complete).to_have_class(re.compile("rule-fail"))
        expect(complete).to_contain_text(f"{len(first) + len(second)} wards are in no forum")
        forums_before = page.locator("#statistics tbody tr").count()
        # 2. two new forums for the APB, by clicks; the statistics and rules follow every click
        lons = [p[0] for _, p in first + second]
        lats = [p[1] for _, p in first + second]
        page.evaluate("""([s, w, n, e]) => window.AtlasProposal.map.fitBounds([[s, w], [n, e]],
            {animate: false, padding: [60, 60]})""", [min(lats), min(lons), max(lats), max(lons)])
        for part in (first, second):
            page.get_by_role("button", name="Add forum").click()
            settle(page)
            for _code, (lon, lat) in part:
                click_ward(page, lon, lat)
        codes = {assignment(page)[c] for c, _ in first} | {assignment(page)[c] for c, _ in second}
        assert len(codes) == 2 and all(assignment(page).get(c) for c, _ in first + second)
        expect(page.locator("#statistics tbody tr")).to_have_count(forums_before + 2)
        expect(page.locator("#statistics tbody")).to_contain_text(apb)
        expect(complete).to_have_class(re.compile("rule-pass"))
        for name in ("within_one_container", "contiguous", "population", "forum_count"):
            expect(rule(page, name)).to_have_class(re.compile("rule-pass"))
        # 3. undo the last click: that ward is in no forum again and the rule says so; redo puts it back
        last_code = second[-1][0]
        page.locator("#proposal-map").focus()
        page.keyboard.press("Control+z")
        settle(page)
        assert last_code not in assignment(page)
        expect(complete).to_have_class(re.compile("rule-fail"))
        expect(complete).to_contain_text(last_code)
        page.keyboard.press("Control+y")
        settle(page)
        expect(complete).to_have_class(re.compile("rule-pass"))
        # 4. save
        page.fill("#save-note", f"{apb} in two")
        page.get_by_role("button", name="Save this version").click()
        expect(page.locator("#proposal-status")).to_have_text("Saved as version 2.")
        saved = page.request.get(f"{server.url}/proposals/{option_a}.json").json()
        assert saved["check"]["passed"] and saved["version"]["note"] == f"{apb} in two"
        # 5. a second proposal (a copy with the APB in one forum) compared side by side
        page.get_by_role("button", name="Make a copy of the latest version").click()
        page.wait_for_url(re.compile(rf"/proposals/(?!{option_a}$)\d+$"))
        option_b = int(page.url.rsplit("/", 1)[1])
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        merged = dict(saved["assignment"]) | {code: "one-forum" for code, _ in first + second}
        answer = page.request.post(f"{server.url}/proposals/{option_b}/versions",
                                   data={"assignment": merged, "expected_version": 1, "note": "one forum"},
                                   headers={"X-CSRFToken": token})
        assert answer.status == 201
        page.goto(f"{server.url}/proposals/{option_a}")
        page.get_by_role("link", name="Compare with another proposal").click()
        page.select_option("#choose-b", str(option_b))
        page.get_by_role("button", name=re.compile("^Compare")).click()
        # B's one forum corresponds to A's forum with more people: the other forum's wards differ
        moved = smaller
        differing = page.locator("#differing tbody tr")
        expect(differing).to_have_count(len(moved))
        for code in moved:
            expect(page.locator("#differing")).to_contain_text(code)
        expect(page.locator("#compare-summary")).to_contain_text(f"{len(moved)} of ")
        page.screenshot(path=str(screenshots / "proposal-journey-compare.png"), full_page=True)
        # 6. adopt option A: it becomes the official forums, and the map and API list the new set
        page.goto(f"{server.url}/proposals/{option_a}")
        page.get_by_role("button", name="Adopt as the official Local Area Forums").click()
        # it asks first, naming the version and that no official forums are replaced yet
        page.wait_for_url(re.compile(rf"/proposals/{option_a}/adopt$"))
        expect(page.locator("h1")).to_contain_text("Adopt version 2 of")
        expect(page.locator("#adopt-replaces")).to_contain_text("nothing is replaced")
        page.get_by_role("button", name=re.compile("^Yes, adopt version 2")).click()
        page.wait_for_url(re.compile(r"/boundaries/laf-p\d+-v2$"))
        expect(page.locator("main")).to_contain_text("is now the official Local Area Forums set")
        collections = page.request.get(f"{server.url}/api/collections", headers={"Accept": "application/json"})
        assert f"laf-p{option_a}-v2" in {c["id"] for c in collections.json()["collections"]}
        assert not tab.errors, tab.errors
