"""Service alignment in headless Chromium: an officer picks APBs and sub-ICB locations with the form, sees the
scores and the worst-fitting areas, the map draws both sets and hatches the misaligned parts, and the lookup
downloads; nothing is fetched from elsewhere or logged as an error."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.browser.test_map_browser import assert_clean
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser

MAP = "#alignment-map"


def wait_for_map(page, side="a"):
    page.wait_for_function(f"() => {{ const m = document.querySelector('{MAP}'); "
                           f"return m.dataset.ready === 'true' && m.dataset.side === '{side}'; }}")


def sign_in(page, server, email):
    page.goto(server.url + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def parts(page, server, query, side):
    found = page.request.get(f"{server.url}/alignment/parts.geojson?{query}&side={side}").json()["features"]
    return [f for f in found if not f["properties"]["sliver"]], [f for f in found if f["properties"]["sliver"]]


def test_officer_compares_apbs_with_sub_icb_locations_and_downloads_the_lookup(cwac_app, tab, screenshots,
                                                                                 live_server):
    from playwright.sync_api import expect

    add_user(cwac_app, "officer", email="officer@example.org")
    with live_server(cwac_app) as server:
        page = tab.page
        sign_in(page, server, "officer@example.org")
        # the first view measures both whole sets (cold store): seconds, more on a busy machine
        page.goto(server.url + "/alignment/?a=lsoa&b=wards", timeout=30_000)
        wait_for_map(page)
        # choose the two sets: A with the mouse, B by typing its name on the focused list, then the keyboard
        page.get_by_label("First set (A)").select_option(label="Area Partnership Boards")
        page.get_by_label("Second set (B)").focus()
        page.keyboard.type("NHS sub")
        expect(page.get_by_label("Second set (B)")).to_have_value("sub-icb")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Sliver width, in metres")).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type("25")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/alignment/\?a=apb&b=sub-icb&sliver=25$"))
        wait_for_map(page)

        query = "a=apb&b=sub-icb&sliver=25"
        found = page.request.get(f"{server.url}/alignment/fit.json?{query}").json()
        expect(page.locator("#alignment-sentence")).to_have_text(found["sentence"])
        expect(page.locator('[data-score="b_in_a"]')).to_have_text(f"{found['scores']['b_in_a'] * 100:.1f}%")
        expect(page.locator('[data-score="a_in_b"]')).to_have_text("more than 99.9%")
        expect(page.locator("#alignment-definitions li")).to_have_count(len(found["definitions"]))
        misfits = [f for f in found["fits"]["a"] if f["outside"] and f["best_fit"]]
        expect(page.locator("#fits-a tbody tr")).to_have_count(len(misfits))
        expect(page.locator("#fits-a tbody tr").first.locator("th")).to_contain_text(misfits[0]["name"])

        # the map: A solid, B dashed, the misaligned parts hatched and edged, slivers apart
        solid, slivers = parts(page, server, query, "a")
        expect(page.locator(f"{MAP} path.set-a")).to_have_count(5)
        expect(page.locator(f"{MAP} path.set-b")).to_have_count(7)
        expect(page.locator(f"{MAP} path.misaligned-part")).to_have_count(len(solid))
        expect(page.locator(f"{MAP} path.sliver-part")).to_have_count(len(slivers))
        assert solid and slivers
        expect(page.locator(f"{MAP} path.set-b").first).to_have_attribute("stroke-dasharray", "8 6")
        expect(page.locator(f"{MAP} path.misaligned-part").first).to_have_attribute("fill", "url(#alignment-hatch)")
        expect(page.locator(f"{MAP} pattern#alignment-hatch")).to_have_count(1)
        expect(page.locator("#alignment-status")).to_contain_text(f"{len(solid)} parts of Area Partnership Boards")

        # "Show" on the worst APB zooms to its parts; pointing at one names it, where it lies and its best fit
        page.get_by_role("button", name=f"Show {misfits[0]['name']} on the map").click()
        expect(page.locator(MAP)).to_have_attribute("data-zoomed", misfits[0]["code"])
        shown = next(f for f in solid if f["properties"]["code"] == misfits[0]["code"])
        page.locator(f"{MAP} path.misaligned-part[data-code='{misfits[0]['code']}']").first.dispatch_event("mouseover")
        expect(page.locator(".leaflet-tooltip")).to_contain_text(f"of {misfits[0]['name']} (area partnership board)")
        assert shown["properties"]["best_fit_name"] == misfits[0]["best_fit_name"]

        # hatch the sub-ICB locations' parts instead; hide the slivers
        page.get_by_label(re.compile(r"^each .+ outside its best-fit area partnership board$")).check()
        wait_for_map(page, "b")
        solid_b, _ = parts(page, server, query, "b")
        expect(page.locator(f"{MAP} path.misaligned-part")).to_have_count(len(solid_b))
        page.get_by_label(re.compile("Slivers thinner than 25 m")).uncheck()
        expect(page.locator(f"{MAP} path.sliver-part")).to_have_count(0)
        page.screenshot(path=str(screenshots / "alignment-apb-sub-icb.png"), full_page=True)

        # the lookup, from the page's download link
        with page.expect_download() as download:
            page.locator("#alignment-downloads li").first.get_by_role("link", name="CSV", exact=True).click()
        assert download.value.suggested_filename == "lookup-apb-to-sub-icb.csv"
        with open(download.value.path(), encoding="utf-8") as handle:
            rows = list(csv.DictReader(io.StringIO(handle.read())))
        assert sorted(r["APB19CD"] for r in rows) == sorted(f["code"] for f in found["fits"]["a"])
        to_code = list(rows[0])[2]  # SICBL22CD (SRV22CD where the set's service type is not stated)
        assert re.fullmatch(r"(SICBL|SRV)22CD", to_code) and {r[to_code] for r in rows} == {"E38000233"}
        assert_clean(tab, server)


def test_lsoas_against_wards_hatch_the_known_straddles(cwac_app, tab, screenshots, live_server):
    from playwright.sync_api import expect

    add_user(cwac_app, "board_member", email="board@example.org")
    with live_server(cwac_app) as server:
        page = tab.page
        sign_in(page, server, "board@example.org")  # the misaligned parts are drawn for those who may export
        page.goto(server.url + "/alignment/?a=lsoa&b=wards&sliver=25", timeout=30_000)
        wait_for_map(page)
        solid, slivers = parts(page, server, "a=lsoa&b=wards&sliver=25", "a")
        expect(page.locator(f"{MAP} path.misaligned-part")).to_have_count(len(solid))
        expect(page.locator(f"{MAP} path.set-a")).to_have_count(212)
        expect(page.locator(f"{MAP} path.set-b")).to_have_count(45)
        page.screenshot(path=str(screenshots / "alignment-lsoa-wards.png"), full_page=True)
        # 015A (E01018684) lies in three wards: the table ranks it, and "Show" zooms to its hatched parts
        row = page.locator("#fits-a tr[data-code='E01018684'], #fits-a-more tr[data-code='E01018684']")
        expect(row).to_have_count(1)
        page.locator("details.more-rows").first.evaluate("d => d.open = true")
        row.get_by_role("button").click()
        expect(page.locator(MAP)).to_have_attribute("data-zoomed", "E01018684")
        expect(page.locator(MAP)).to_be_focused()
        chosen = page.locator(f"{MAP} path.misaligned-part[data-code='E01018684']")
        expect(chosen.first).to_have_attribute("stroke-width", "4")
        expect(page.locator(".leaflet-tooltip")).to_contain_text("Part of Cheshire West and Chester 015A (LSOA)")
        expect(page.locator(".leaflet-tooltip")).to_contain_text("not in its best-fit ward, Sandstone")
        page.locator(MAP).screenshot(path=str(screenshots / "alignment-lsoa-wards-zoomed.png"))
        assert_clean(tab, server)
