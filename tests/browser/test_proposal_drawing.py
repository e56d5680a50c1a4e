"""The proposal editor's drawing tools in headless Chromium: paint, erase, box, shape, locks, the count of wards
in no forum, and the tool bar by keyboard."""
from __future__ import annotations

import re

import geopandas as gpd
import pytest
from shapely.geometry import box as make_box

from geoapp.storage import boundary_sets
from tests.browser.test_map_browser import assert_clean
from tests.browser.test_proposal_browser import apb_wards, assignment, choose_forum, click_ward, settle
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser

#: Settled, and no stroke, box or shape under way.
IDLE = """() => { const r = document.querySelector('[data-atlas-proposal]');
  return r.dataset.ready === 'true' && r.dataset.checked === (r.dataset.changes || r.dataset.checked)
    && !r.dataset.dragging && !r.dataset.fitting; }"""


def idle(page):
    page.wait_for_function(IDLE)


def open_new_proposal(app, page, server, name: str) -> int:
    """Sign in as a new officer, create a proposal with two forums per APB, and wait for its editor."""
    add_user(app, "officer", email="officer@example.org")
    page.goto(server.url + "/sign-in")
    page.get_by_label("E-mail address").fill("officer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    # through the JSON API, so that these tests do not hang on the wording of the "New proposal" form
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    made = page.request.post(f"{server.url}/proposals/", headers={"X-CSRFToken": token},
                             data={"name": name, "block_set": "wards", "container_set": "apb",
                                   "settings": {"forums_per_container": 2}})
    assert made.status == 201, made.text()
    page.goto(f"{server.url}/proposals/{made.json()['id']}")
    settle(page)
    return int(page.url.rsplit("/", 1)[1])


def zoom_to(page, wards, padding=60):
    lons = [p[0] for _, p in wards]
    lats = [p[1] for _, p in wards]
    page.evaluate("""([s, w, n, e, pad]) => window.AtlasProposal.map.fitBounds([[s, w], [n, e]],
        {animate: false, padding: [pad, pad]})""", [min(lats), min(lons), max(lats), max(lons), padding])
    page.evaluate("() => document.getElementById('proposal-map').scrollIntoView({block: 'center'})")
    page.wait_for_timeout(200)


def on_screen(page, lon, lat):
    """Page coordinates of a longitude/latitude on the map (the map must not move between this and the use)."""
    x, y = page.evaluate("""([lat, lon]) => {
        const p = window.AtlasProposal.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""", [lat, lon])
    box = page.locator("#proposal-map").bounding_box()
    return box["x"] + x, box["y"] + y


def stroke(page, points, steps=6):
    """Press at the first point, move through the others, release: one paint, erase or box drag."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


def choose_tool(page, name):
    page.get_by_role("radio", name=name, exact=True).check()
    assert page.evaluate("() => window.AtlasProposal.tool()") == name.lower()


def checks(tab) -> int:
    return sum(1 for url in tab.requests if url.endswith("/check.json"))


def centre(page):
    return page.evaluate("() => { const c = window.AtlasProposal.map.getCenter(); "
                         "return [c.lat, c.lng, window.AtlasProposal.map.getZoom()]; }")


def ward_shapes(app):
    with app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
    return gpd.GeoSeries(wards.geometry.values, index=wards["code"].values, crs=wards.crs).to_crs(4326)


def unassigned(page) -> int:
    return int(page.locator("#unassigned-count").get_attribute("data-count"))


def test_paint_one_stroke_is_one_step_and_one_check_and_erase_takes_wards_out(demo_app, tab, live_server, screenshots):
    from playwright.sync_api import expect

    apb, wards = apb_wards(demo_app)
    total = len(ward_shapes(demo_app))
    with live_server(demo_app) as server:
        page = tab.page
        open_new_proposal(demo_app, page, server, "Painted forums")
        counter = page.locator("#unassigned-count")
        expect(counter).to_have_text(f"{total} wards in no forum (hatched grey)")
        zoom_to(page, wards)
        choose_forum(page, "F1")
        choose_tool(page, "Paint")
        expect(page.locator("#tool-help")).to_contain_text("every ward you pass over goes in the current forum")
        points = [on_screen(page, *p) for _, p in wards]
        before_checks, before_view = checks(tab), centre(page)
        stroke(page, points)
        idle(page)
        painted = assignment(page)
        codes = {code for code, _ in wards}
        assert codes <= set(painted) and set(painted.values()) == {"F1"}
        assert checks(tab) == before_checks + 1
        assert centre(page) == before_view  # the map did not pan under the stroke
        assert page.evaluate("() => window.AtlasProposal.undoDepth()") == 1
        expect(page.locator("#proposal-status")).to_have_text(f"{len(painted)} wards put in F1.")
        expect(counter).to_have_text(f"{total - len(painted)} wards in no forum (hatched grey)")
        expect(page.locator('input[name="current-forum"][value="F1"] ~ .forum-count')).to_have_text(
            f"{len(painted)} wards")
        # one undo takes the whole stroke back
        page.get_by_role("button", name="Undo").click()
        idle(page)
        assert assignment(page) == {}
        assert unassigned(page) == total
        page.get_by_role("button", name="Redo").click()
        idle(page)
        assert assignment(page) == painted
        # Escape part way through a stroke changes nothing
        choose_forum(page, "F2")
        page.mouse.move(*points[0])
        page.mouse.down()
        page.mouse.move(*points[-1], steps=6)
        page.keyboard.press("Escape")
        page.mouse.up()
        idle(page)
        assert assignment(page) == painted
        expect(page.locator("#proposal-status")).to_have_text("Stopped: nothing changed.")
        # erase: a click takes one ward out, a drag several
        choose_tool(page, "Erase")
        page.mouse.click(*points[0])
        idle(page)
        first = wards[0][0]
        assert first not in assignment(page)
        expect(page.locator("#proposal-status")).to_have_text("1 ward taken out of its forum.")
        assert unassigned(page) == total - len(painted) + 1
        stroke(page, points[1:])
        idle(page)
        assert not codes & set(assignment(page))
        assert page.evaluate("() => window.AtlasProposal.undoDepth()") == 3
        # clicking in Click mode still toggles one ward
        choose_tool(page, "Click")
        click_ward(page, *wards[0][1])
        assert assignment(page)[first] == "F2"
        page.screenshot(path=str(screenshots / "proposal-paint.png"))
        assert_clean(tab, server)


def test_box_takes_every_ward_whose_centre_is_inside_without_zooming(demo_app, tab, live_server):
    from playwright.sync_api import expect

    apb, wards = apb_wards(demo_app)
    shapes = ward_shapes(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        open_new_proposal(demo_app, page, server, "Boxed forums")
        zoom_to(page, wards, padding=120)
        choose_forum(page, "F2")
        choose_tool(page, "Box")
        lons = [p[0] for _, p in wards]
        lats = [p[1] for _, p in wards]
        west, south = on_screen(page, min(lons), min(lats))
        east, north = on_screen(page, max(lons), max(lats))
        corners = [(west - 8, south + 8), (east + 8, north - 8)]
        before_checks, before_view = checks(tab), centre(page)
        stroke(page, corners, steps=12)
        idle(page)
        boxed = assignment(page)
        assert {code for code, _ in wards} <= set(boxed) and set(boxed.values()) == {"F2"}
        # every ward taken reaches into the box (its centre is inside it)
        top_left = page.evaluate("""([x, y]) => {
            const b = document.getElementById('proposal-map').getBoundingClientRect();
            const p = window.AtlasProposal.map.containerPointToLatLng([x - b.left, y - b.top]); return [p.lng, p.lat];
        }""",
                                 [corners[0][0], corners[1][1]])
        bottom_right = page.evaluate("""([x, y]) => {
            const b = document.getElementById('proposal-map').getBoundingClientRect();
            const p = window.AtlasProposal.map.containerPointToLatLng([x - b.left, y - b.top]); return [p.lng, p.lat];
        }""",
                                     [corners[1][0], corners[0][1]])
        area = make_box(top_left[0], bottom_right[1], bottom_right[0], top_left[1])
        assert all(shapes[code].intersects(area) for code in boxed)
        assert centre(page) == before_view  # neither panned nor box-zoomed
        assert checks(tab) == before_checks + 1
        assert page.evaluate("() => window.AtlasProposal.undoDepth()") == 1
        expect(page.locator("#proposal-status")).to_contain_text(f"{len(boxed)} wards put in F2")
        assert not page.locator(".leaflet-zoom-box").is_visible()
        # a shift-drag (Leaflet's box zoom) does not zoom either while the Box tool is on
        page.keyboard.down("Shift")
        stroke(page, corners, steps=12)
        page.keyboard.up("Shift")
        idle(page)
        assert centre(page) == before_view
        assert assignment(page) == boxed
        expect(page.locator("#proposal-status")).to_have_text(
            "Every ward inside the box was in F2 already.")
        assert_clean(tab, server)


def test_a_locked_forum_keeps_its_wards_until_unlocked(demo_app, tab, live_server, screenshots):
    from playwright.sync_api import expect

    apb, wards = apb_wards(demo_app)
    (a, pa), (b, pb), (c, pc) = wards[:3]
    with live_server(demo_app) as server:
        page = tab.page
        proposal = open_new_proposal(demo_app, page, server, "Locked forums")
        zoom_to(page, wards)
        choose_forum(page, "F1")
        click_ward(page, *pa)
        click_ward(page, *pb)
        lock = page.get_by_role("button", name="Lock F1", exact=True)
        expect(lock).to_have_attribute("aria-pressed", "false")
        lock.click()
        idle(page)
        expect(lock).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#proposal-status")).to_contain_text("F1 is locked")
        status = page.locator("#proposal-status")
        # the list of wards cannot move a ward of a locked forum, nor put one in it
        row = page.locator("#ward-list tbody tr").filter(has_text=a)
        expect(row.locator("select")).to_be_disabled()
        expect(row.locator(".lock-note")).to_be_visible()
        free = page.locator("#ward-list tbody tr").filter(has_text=c).locator("select")
        expect(free).to_be_enabled()
        expect(free.locator('option[value="F1"]')).to_be_disabled()
        # click, paint and erase leave its wards alone, and the status line says why
        choose_forum(page, "F2")
        click_ward(page, *pa)
        assert assignment(page) == {a: "F1", b: "F1"}
        expect(status).to_contain_text("which is locked. Unlock F1 to change it.")
        choose_tool(page, "Paint")
        stroke(page, [on_screen(page, *pa), on_screen(page, *pb), on_screen(page, *pc)])
        idle(page)
        now = assignment(page)
        assert now[a] == "F1" and now[b] == "F1" and now[c] == "F2"
        expect(status).to_contain_text("were left as they were because their forum is locked.")
        choose_tool(page, "Erase")
        page.mouse.click(*on_screen(page, *pa))
        idle(page)
        assert assignment(page)[a] == "F1"
        expect(status).to_have_text("1 ward was left as it was because its forum is locked.")
        # nothing can be put in a locked forum either
        choose_forum(page, "F1")
        choose_tool(page, "Click")
        click_ward(page, *pc)
        assert assignment(page)[c] == "F2"
        expect(status).to_have_text("F1 is locked, so no ward can be added to it or taken out. "
                                    "Unlock it first, or choose another forum.")
        # unlocked, its wards change again; undo brings the lock back
        lock.click()
        idle(page)
        expect(lock).to_have_attribute("aria-pressed", "false")
        choose_forum(page, "F2")
        click_ward(page, *pa)
        assert assignment(page)[a] == "F2"
        page.get_by_role("button", name="Undo").click()
        idle(page)
        page.get_by_role("button", name="Undo").click()
        idle(page)
        expect(lock).to_have_attribute("aria-pressed", "true")
        assert assignment(page)[a] == "F1"
        # the lock is saved with the forum, and comes back with the page
        page.get_by_role("button", name="Save this version").click()
        expect(status).to_have_text("Saved as version 1.")
        saved = page.request.get(f"{server.url}/proposals/{proposal}.json").json()
        assert saved["forums"]["F1"].get("locked") is True
        assert not saved["forums"]["F2"].get("locked")
        page.reload()
        settle(page)
        expect(page.get_by_role("button", name="Lock F1", exact=True)).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_role("button", name="Lock F2", exact=True)).to_have_attribute("aria-pressed", "false")
        page.locator(".proposal-layout").screenshot(path=str(screenshots / "proposal-locked.png"))
        assert_clean(tab, server)
        # published, a visitor sees which forums are locked, and has no tools
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        assert page.request.post(f"{server.url}/proposals/{proposal}/update", data={"published": True},
                                 headers={"X-CSRFToken": token}).ok
        visitor = page.context.browser.new_context().new_page()
        errors = []
        visitor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        visitor.on("pageerror", lambda e: errors.append(str(e)))
        visitor.goto(f"{server.url}/proposals/{proposal}")
        settle(visitor)
        expect(visitor.locator("#draw-tools")).to_have_count(0)
        expect(visitor.locator(".forum-lock")).to_have_count(0)
        expect(visitor.locator(".forum-row").filter(has_text="F1").locator(".forum-locked")).to_have_text("Locked")
        expect(visitor.locator("#unassigned-count")).to_contain_text("wards in no forum")
        assert errors == []
        visitor.context.close()


def test_the_tool_bar_and_locks_work_by_keyboard(demo_app, tab, live_server):
    from playwright.sync_api import expect

    with live_server(demo_app) as server:
        page = tab.page
        open_new_proposal(demo_app, page, server, "Keyboard forums")
        page.get_by_role("link", name="All proposals").focus()
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.name") == "tool":
                break
        assert page.evaluate("() => document.activeElement.id") == "tool-click"
        tools = page.get_by_role("group", name="Tool")
        expect(tools.get_by_role("radio")).to_have_count(5)
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("radio", name="Paint")).to_be_checked()
        assert page.evaluate("() => window.AtlasProposal.tool()") == "paint"
        expect(page.locator("#tool-help")).to_contain_text("Press and drag across the map")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("radio", name="Box")).to_be_checked()
        expect(page.locator("#proposal-map")).to_have_class(re.compile(r"\btool-box\b"))
        # focus stays on a forum's controls while the list redraws around it
        page.locator('input[name="current-forum"][value="F1"]').focus()
        page.keyboard.press("ArrowDown")
        assert page.evaluate("() => document.activeElement.value") == "F2"
        expect(page.locator('input[name="current-forum"][value="F2"]')).to_be_checked()
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Lock F2"
        page.keyboard.press("Space")
        idle(page)
        expect(page.get_by_role("button", name="Lock F2", exact=True)).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Lock F2"
        page.keyboard.press("Control+z")
        idle(page)
        expect(page.get_by_role("button", name="Lock F2", exact=True)).to_have_attribute("aria-pressed", "false")
        assert_clean(tab, server)


def test_a_drawn_shape_takes_the_wards_it_covers(demo_app, tab, live_server, screenshots):
    from playwright.sync_api import expect

    apb, wards = apb_wards(demo_app)
    with live_server(demo_app) as server:
        page = tab.page
        open_new_proposal(demo_app, page, server, "Shaped forums")
        zoom_to(page, wards, padding=100)
        choose_forum(page, "F1")
        choose_tool(page, "Shape")
        expect(page.locator("#tool-help")).to_contain_text("Click the corners of a shape")
        lons = [p[0] for _, p in wards]
        lats = [p[1] for _, p in wards]
        west, south = on_screen(page, min(lons), min(lats))
        east, north = on_screen(page, max(lons), max(lats))
        corners = [(west - 20, south + 20), (east + 20, south + 20), (east + 20, north - 20), (west - 20, north - 20)]
        with page.expect_response(lambda r: r.url.endswith("/fit.json")) as answer:
            for x, y in corners:
                page.mouse.click(x, y)
                page.wait_for_timeout(100)
            page.mouse.click(*corners[0])  # the first corner again closes the shape
        fitted = answer.value.json()
        assert answer.value.status == 200
        idle(page)
        taken = set(fitted["blocks"])
        assert {code for code, _ in wards} <= taken
        assert assignment(page) == dict.fromkeys(taken, "F1")
        assert page.evaluate("() => window.AtlasProposal.undoDepth()") == 1
        result = page.locator("#shape-result")
        expect(result).to_be_visible()
        expect(result.locator("#shape-rule")).to_have_text(
            "A ward is taken when at least half of its area lies inside the shape.")
        expect(result.locator("#shape-taken")).to_contain_text(f"{len(taken)} wards taken by the shape")
        expect(result.locator(".shape-partial-list li")).to_have_count(len(fitted["partial"]))
        expect(page.locator("#proposal-status")).to_have_text(f"{len(taken)} wards put in F1 from the shape.")
        layout = page.locator(".proposal-layout").bounding_box()
        page.screenshot(path=str(screenshots / "proposal-tools.png"), full_page=True,
                        clip={"x": 0, "y": page.evaluate("window.scrollY") + layout["y"] - 20,
                              "width": 1200, "height": layout["height"] + 40})
        # one undo takes the whole shape back
        page.get_by_role("button", name="Undo").click()
        idle(page)
        assert assignment(page) == {}
        # a shape over no ward is refused with the server's reason (the same path as a drawn one)
        page.evaluate("""() => { const map = window.AtlasProposal.map;
            map.fire('pm:create', {shape: 'Polygon', layer: L.polygon([[0, 0], [0, 0.01], [0.01, 0.01]])}); }""")
        expect(page.locator("#proposal-status")).to_contain_text(
            "That shape could not be used: The shape covers no ward")
        idle(page)
        assert assignment(page) == {}
        refused = [e for e in tab.errors if "422" in e]
        assert len(refused) == 1
        tab.errors = [e for e in tab.errors if e not in refused]
        assert_clean(tab, server)
