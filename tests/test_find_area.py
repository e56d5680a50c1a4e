"""Find your area: postcodes, outward codes, names and codes to profiles, on the demo borough and on Cheshire West
and Chester; what cannot be found says what to type instead; the profile's tables offered to those who may
download them."""
from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest
import shapely

from geoapp.profiles import search
from geoapp.storage import boundary_sets, postcodes
from tests.helpers import HOSTILE, add_set

# --- the demo borough, with a few fictional postcodes ------------------------------------------------------

ONSPD_HEADER = "pcds,oseast1m,osnrth1m,osgrdind,doterm\n"


def all_areas(app) -> dict:
    """Every current set's areas, read straight from the store: {set id: GeoDataFrame}."""
    with app.extensions["atlas_db"].session() as session:
        return {s.id: boundary_sets.load_areas(session, s.id) for s in boundary_sets.list_sets(session)}


def load_postcodes(app, tmp_path, rows: list[str]) -> None:
    path = tmp_path / "onspd.csv"
    path.write_text(ONSPD_HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    with app.extensions["atlas_db"].transaction() as session:
        postcodes.load(session, path, actor="test")


@pytest.fixture
def demo_postcodes(demo_app, tmp_path):
    """The demo store with AV1 1AA and AV1 2AA live inside two LSOAs, AV1 9ZZ terminated and AV1 8ZZ without a
    grid reference; returns the app and the two live points."""
    lsoa = all_areas(demo_app)["lsoa"]
    first, last = (shapely.point_on_surface(lsoa.geometry.iloc[i]) for i in (0, -1))
    load_postcodes(demo_app, tmp_path, [f"AV1 1AA,{first.x:.0f},{first.y:.0f},1,",
                                        f"AV1 2AA,{last.x:.0f},{last.y:.0f},1,",
                                        f"AV1 9ZZ,{first.x:.0f},{first.y:.0f},1,201905",
                                        "AV1 8ZZ,,,9,"])
    return demo_app, {"AV1 1AA": first, "AV1 2AA": last}


def holding(sets: dict, point) -> set[tuple[str, str]]:
    return {(set_id, code) for set_id, areas in sets.items()
            for code, geom in zip(areas["code"], areas.geometry) if geom.covers(point)}


def typed_back(page: str) -> str:
    """What the search box holds on the page."""
    return html.unescape(re.search(r'<input id="q" name="q" type="search" value="([^"]*)"', page).group(1))


def test_a_postcode_lists_every_area_holding_it_finest_first(demo_postcodes):
    app, points = demo_postcodes
    client = app.test_client()
    sets = all_areas(app)
    found = client.get("/profiles/index.json?q=av11aa").get_json()
    assert found["found_by"] == "postcode" and found["postcode"] == "AV1 1AA" and found["message"] is None
    listed = [(m["set"], m["code"]) for m in found["matches"]]
    assert set(listed) == holding(sets, points["AV1 1AA"]) and len(listed) == len(set(listed))
    kinds = [m["kind"] for m in found["matches"]]
    assert {"lsoa", "ward", "apb", "lad", "service"} <= set(kinds)
    assert kinds.index("lsoa") < kinds.index("ward") < kinds.index("apb") < kinds.index("lad")
    for match in found["matches"]:
        assert client.get(match["profile"]).status_code == 200
    # the same on the page, in the same order, with what was typed kept in the box
    page = client.get("/profiles/?q=av1 1aa").get_data(as_text=True)
    assert f'<h2 id="found-h">{len(listed)} areas contain AV1 1AA</h2>' in page
    assert f"<title>{len(listed)} areas contain AV1 1AA – Area profiles" in page
    links = re.findall(r'<li><a href="/profiles/([^/"]+)/([^"]+)">', page.split('class="found-areas"')[1])
    assert links == listed and typed_back(page) == "av1 1aa"


def test_an_outward_code_lists_the_areas_holding_its_postcodes(demo_postcodes):
    app, points = demo_postcodes
    sets = all_areas(app)
    found = app.test_client().get("/profiles/index.json?q=AV1").get_json()
    assert found["found_by"] == "outcode" and found["postcode"] == "AV1"
    counts = {(m["set"], m["code"]): m["postcodes"] for m in found["matches"]}
    expected: dict = {}
    for point in points.values():  # the terminated and unplaced postcodes are not counted
        for pair in holding(sets, point):
            expected[pair] = expected.get(pair, 0) + 1
    assert counts == expected
    assert counts[("lad", sets["lad"]["code"].iloc[0])] == 2


def test_a_postcode_that_cannot_be_placed_says_why_and_keeps_what_was_typed(demo_postcodes):
    client = demo_postcodes[0].test_client()
    for typed, words in (("av1 9zz", "AV1 9ZZ is no longer in use (it ended in May 2019)"),
                         ("AV1 8ZZ", "AV1 8ZZ has no map position"),
                         ("AV7 7QQ", "AV7 7QQ is not known here")):
        found = client.get(f"/profiles/index.json?q={typed}").get_json()
        assert found["matches"] == [] and words in found["message"], typed
        page = client.get(f"/profiles/?q={typed}").get_data(as_text=True)
        assert typed_back(page) == typed and words in html.unescape(page)
        assert 'aria-invalid="true"' in page and 'aria-describedby="q-hint q-error"' in page
        assert f"No areas found for {words.split()[0]} {words.split()[1]}" in page


def test_without_a_postcode_list_a_postcode_says_so(demo_app):
    found = demo_app.test_client().get("/profiles/index.json?q=AV1 1AA").get_json()
    assert found["matches"] == [] and "No postcode list is loaded" in found["message"]


def test_names_match_whatever_the_case_accents_and_punctuation(demo_app):
    client = demo_app.test_client()
    burby = client.get("/profiles/index.json?q=BURBY").get_json()
    assert burby["found_by"] == "name" and burby["message"] is None
    named = [(m["set"], m["name"]) for m in burby["matches"]]
    assert ("wards", "Burby") in named and ("parishes", "Burby Town Council") in named
    assert all("burby" in name.lower() for _, name in named)
    kinds = [m["kind"] for m in burby["matches"]]
    assert kinds == sorted(kinds, key=["lad", "apb", "laf", "ward", "parish", "msoa", "lsoa", "service"].index)
    # '&' and 'and', hyphens and accents
    for typed in ("aylebury and lockmarsh", "Áylebury-&-Lóckmarsh"):
        found = client.get("/profiles/index.json", query_string={"q": typed}).get_json()
        assert ("wards", "Aylebury & Lockmarsh") in [(m["set"], m["name"]) for m in found["matches"]], typed
    page = client.get("/profiles/?q=burby").get_data(as_text=True)
    assert f"{len(named)} areas match “burby”" in page and typed_back(page) == "burby"


def test_one_match_goes_straight_to_its_profile(demo_app):
    client = demo_app.test_client()
    ward = all_areas(demo_app)["wards"].iloc[3]
    response = client.get(f"/profiles/?q={ward['code'].lower()}")
    assert response.status_code == 302 and response.headers["Location"] == f"/profiles/wards/{ward['code']}"
    found = client.get(f"/profiles/index.json?q={ward['code']}").get_json()  # the twin lists it
    assert [(m["set"], m["code"]) for m in found["matches"]] == [("wards", ward["code"])]


def test_the_profiles_index_still_lists_every_area(demo_app):
    client = demo_app.test_client()
    found = client.get("/profiles/index.json").get_json()
    assert found["found_by"] == "everything" and found["matches"] is None and found["query"] is None
    sets = all_areas(demo_app)
    assert {s["id"]: len(s["areas"]) for s in found["boundary_sets"]} == {k: len(v) for k, v in sets.items()}
    assert [s["kind"] for s in found["boundary_sets"]][:2] == ["lad", "apb"]


def test_nothing_found_says_what_to_type(demo_app):
    client = demo_app.test_client()
    for typed, words in (("Zzyzx", "No area's name or code matches “Zzyzx”"),
                         ("!!!", "has no letters or numbers"),
                         ("x" * 101, f"That is 101 characters; type at most {search.MAX_LENGTH}")):
        found = client.get("/profiles/index.json", query_string={"q": typed}).get_json()
        assert found["matches"] == [] and words in found["message"], typed
        page = client.get("/profiles/", query_string={"q": typed}).get_data(as_text=True)
        assert typed_back(page) == typed and words in html.unescape(page)


def test_hostile_queries_are_shown_as_text_and_never_fail(app):
    add_set(app, "wards", "ward", "Wards", [("W1", "St. John's Wood", (400000, 300000, 401000, 301000)),
                                            ("W2", "Ynys Môn", (401000, 300000, 402000, 301000)),
                                            ("W3", HOSTILE, (402000, 300000, 403000, 301000))])
    client = app.test_client()
    for typed in (HOSTILE, '"><script>alert(1)</script>', "%' OR 1=1 --", "a\x00b", "CH1 %", "*"):
        for path in ("/profiles/", "/profiles/index.json"):
            response = client.get(path, query_string={"q": typed})
            assert response.status_code in (200, 302), (typed, path, response.status_code)
        assert "<script>alert(1)" not in client.get("/profiles/", query_string={"q": typed}).get_data(as_text=True)
    assert client.get("/profiles/?q=%ED%A0%80%FF%00").status_code == 200  # not UTF-8 at all
    page = client.get("/profiles/", query_string={"q": "o"}).get_data(as_text=True)
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert client.get("/profiles/?q=st johns").headers["Location"] == "/profiles/wards/W1"
    assert client.get("/profiles/?q=YNYS MON").headers["Location"] == "/profiles/wards/W2"


def test_the_home_map_has_the_search_box(demo_app):
    page = demo_app.test_client().get("/").get_data(as_text=True)
    form = re.search(r'<form method="get" action="/profiles/" class="find-area" role="search" '
                     r'aria-label="Find your area">(.*?)</form>', page, re.S).group(1)
    assert '<label for="find-area">Find your area</label>' in form
    assert '<input id="find-area" name="q" type="search" value=""' in form


# --- Cheshire West and Chester ------------------------------------------------------------------------------

def test_a_real_postcode_finds_its_ward_lsoa_board_and_borough(cwac_app, shared_data):
    """CH1 5AD's ward and LSOA, as the ONS assigns them in the postcode file itself."""
    with open(shared_data / "postcodes_cheshire.csv", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["postcode"] == "CH1 5AD")
    client = cwac_app.test_client()
    issue = client.get("/profiles/?q=CH1 5AD").get_data(as_text=True)
    assert "No area's name or code matches" not in issue
    found = client.get("/profiles/index.json?q=ch15ad").get_json()
    matches = {(m["set"], m["code"]) for m in found["matches"]}
    assert {("wards", row["ward_code"]), ("lsoa", row["lsoa11cd"]), ("lad", row["lad_code"])} <= matches
    apbs = {m["code"] for m in found["matches"] if m["kind"] == "apb"}
    with cwac_app.extensions["atlas_db"].session() as session:
        ward = boundary_sets.get_area(session, "wards", row["ward_code"])
        holders = boundary_sets.containers(session, [ward.id])[ward.id]
    assert apbs == {c["code"] for c in holders if c["kind"] == "apb" and c["share"] > 0.98}
    kinds = [m["kind"] for m in found["matches"]]
    assert kinds[0] == "lsoa" and kinds.index("ward") < kinds.index("apb") < kinds.index("lad")
    assert all(m["profile"] == f"/profiles/{m['set']}/{m['code']}" for m in found["matches"])


def test_a_real_outward_code_lists_its_wards(cwac_app, shared_data):
    """The ward holding most CH1 postcodes by the ONS's assignment holds about as many here."""
    with open(shared_data / "postcodes_cheshire.csv", encoding="utf-8") as handle:
        wards = [r["ward_code"] for r in csv.DictReader(handle) if r["postcode"].startswith("CH1 ")]
    top = max(set(wards), key=wards.count)
    found = cwac_app.test_client().get("/profiles/index.json?q=ch1").get_json()
    counts = {m["code"]: m["postcodes"] for m in found["matches"] if m["set"] == "wards"}
    assert counts[top] == pytest.approx(wards.count(top), rel=0.1)
    assert set(counts) >= {w for w in set(wards) if wards.count(w) > 50}


# --- the profile's tables -----------------------------------------------------------------------------------

def test_profiles_link_their_tables_for_those_who_may_download_them(demo_app, sign_in):
    apb = all_areas(demo_app)["apb"]["code"].iloc[0]
    member, anonymous = sign_in(demo_app, "board_member"), demo_app.test_client()
    profile = member.get(f"/profiles/apb/{apb}.json").get_json()
    rank = next(i for t in profile["themes"] for i in t["indicators"]
                if i["id"] != profile["sub_areas"]["indicator"]["id"])  # not the ranking shown by default
    page = member.get(f"/profiles/apb/{apb}?rank={rank['id']}").get_data(as_text=True)
    links = re.findall(r'href="(/profiles/apb/[^/]+/tables/([a-z-]+)\.(csv|xlsx)[^"]*)" download', page)
    assert {(name, fmt) for _, name, fmt in links} == {(n, f) for n in ("indicators", "sub-areas", "groups")
                                                       for f in ("csv", "xlsx")}
    for url, name, fmt in links:
        response = member.get(html.unescape(url))
        assert response.status_code == 200, url
        if fmt == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(response.data))
            assert book.sheetnames[-1] == "About" and book.worksheets[0].max_row > 1
        else:
            header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
            if name == "sub-areas":  # the ranking chosen on the page
                assert header[:4] == ["Rank", "Code", "Area", rank["title"]]
    shown = anonymous.get(f"/profiles/apb/{apb}").get_data(as_text=True)
    assert "/tables/" not in shown and "Download" not in shown
    refused = anonymous.get(html.unescape(links[0][0]))
    assert refused.status_code == 302 and "/sign-in" in refused.headers["Location"]
