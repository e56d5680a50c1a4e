"""National navigation on a national-like store of three real districts (Cheshire West and Chester, Cheshire East
and Halton: 525 LSOAs, 115 wards) with the paging threshold lowered: the profiles index, its JSON twin, the compare
chooser and the indicator tables page and search by district, letter and name; a profile ranks each area among
its set (in England, or among the areas loaded) and within its district, on the page, the twin, the CSV and the
board pack."""
from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import parse_qs, urlsplit

import pyogrio
import pytest
from openapi_schema_validator import OAS30Validator

from geoapp import districts
from geoapp.profiles.read import read_profile_input
from geoapp.profiles.views import pack_html
from geoapp.web.db import db_session
from layers.profile import build_profile
from tests import national_store
from tests.test_profiles import assert_fits_its_schema

#: Sets above this many areas are paged (wards: 115, LSOAs: 525; districts: 3 listed whole).
LIMIT, PER_PAGE = 100, 25
HALTON, CWAC = "E06000006", "E06000050"
BLACON = "E05012209"  # a CWAC ward
SCORE, RANK, DECILE = "imd2019-score", "imd2019-imd-rank", "imd2019-imd-decile"


@pytest.fixture
def three_app(backend, request, tmp_path, tmp_path_factory):
    yield from national_store.open_app(backend, request, tmp_path, tmp_path_factory,
                                       ATLAS_LIST_LIMIT=str(LIMIT), ATLAS_PAGE_SIZE=str(PER_PAGE))


@pytest.fixture
def national_app(request, tmp_path, tmp_path_factory):
    """The same districts, with the IoD2019 catalogue saying England holds exactly these LSOAs: what a store
    holding every LSOA of England looks like to the ranks."""
    yield from national_store.open_app("sqlite", request, tmp_path, tmp_path_factory, national_areas=525,
                                       ATLAS_LIST_LIMIT=str(LIMIT), ATLAS_PAGE_SIZE=str(PER_PAGE))


def source_codes(layer: str) -> dict[str, set[str]]:
    """Each district's codes as the England files have them."""
    if layer == "lsoa":
        frame = pyogrio.read_dataframe(national_store.ENGLAND / "lsoa2011.gpkg", layer="lsoa2011",
                                       where=f"lad19cd IN {national_store.IN}", read_geometry=False)
        return {d: set(frame.loc[frame["lad19cd"] == d, "lsoa11cd"]) for d in national_store.DISTRICTS}
    frame = pyogrio.read_dataframe(national_store.ENGLAND / "wards2024.gpkg", layer="wards",
                                   where=f"lad_code IN {national_store.IN}", read_geometry=False)
    return {d: set(frame.loc[frame["lad_code"] == d, "code"]) for d in national_store.DISTRICTS}


def follow(client, url: str) -> list[dict]:
    """Every page of a paged index twin from ``url``, by its next links; checks each page's prev link."""
    pages = []
    while url:
        data = client.get(url).get_json()
        paging = data["paging"]
        assert paging["prev"] is None if paging["page"] == 1 else page_of(paging["prev"]) == paging["page"] - 1
        pages.append(data)
        url = paging["next"]
    return pages


def page_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["page"][0])


# --- districts ---------------------------------------------------------------------------------------------

def test_each_area_lies_in_the_district_the_england_files_give(three_app):
    with three_app.extensions["atlas_db"].session() as session:
        for set_id, layer in (("lsoa", "lsoa"), ("wards", "wards")):
            areas = districts.directory(session, set_id).areas
            found = {d: set(areas.loc[areas["district"] == d, "code"]) for d in national_store.DISTRICTS}
            assert found == source_codes(layer), set_id
            assert areas["district"].notna().all()


# --- the profiles index ------------------------------------------------------------------------------------

def test_large_sets_are_offered_for_browsing_not_listed(three_app):
    client = three_app.test_client()
    data = client.get("/profiles/index.json").get_json()
    sets = {s["id"]: s for s in data["boundary_sets"]}
    assert [a["name"] for a in sets["lad"]["areas"]] == ["Cheshire East", "Cheshire West and Chester", "Halton"]
    for set_id, count in (("wards", 115), ("lsoa", 525)):
        assert sets[set_id]["areas"] is None and sets[set_id]["area_count"] == count
        assert sets[set_id]["browse"] == f"/profiles/index.json?set={set_id}"
    assert data["paging"] is None and data["matches"] is None
    page = client.get("/profiles/").get_data(as_text=True)
    assert "/profiles/lsoa/" not in page and "/profiles/wards/" not in page  # no 640 links
    assert 'href="/profiles/?set=lsoa"' in page and "525 areas: too many to list here" in page


def test_a_district_is_paged_through_with_next_and_prev_links(three_app):
    client = three_app.test_client()
    pages = follow(client, f"/profiles/index.json?set=lsoa&district={HALTON}")
    assert [p["paging"]["page"] for p in pages] == [1, 2, 3, 4]
    assert {p["paging"]["total"] for p in pages} == {79} and {p["paging"]["pages"] for p in pages} == {4}
    assert [len(p["browse"]["areas"]) for p in pages] == [25, 25, 25, 4]
    codes = [a["code"] for p in pages for a in p["browse"]["areas"]]
    assert len(codes) == len(set(codes)) and set(codes) == source_codes("lsoa")[HALTON]
    names = [a["name"] for p in pages for a in p["browse"]["areas"]]
    assert names == sorted(names)
    first = pages[0]["browse"]
    assert first["district"] == {"code": HALTON, "name": "Halton"}
    assert {a["district"] for p in pages for a in p["browse"]["areas"]} == {HALTON}
    assert [(d["name"], d["areas"]) for d in first["districts"]] == [
        ("Cheshire East", 234), ("Cheshire West and Chester", 212), ("Halton", 79)]
    assert first["areas"][0]["profile"] == f"/profiles/lsoa/{first['areas'][0]['code']}"
    # past the last page: the last; a page that is not a number, or too long a page: a clear 422
    last = client.get(f"/profiles/index.json?set=lsoa&district={HALTON}&page=99").get_json()
    assert last["paging"]["page"] == 4 and last["paging"]["next"] is None and page_of(last["paging"]["prev"]) == 3
    for bad, words in (("page=0", "?page= must be a whole number from 1"), ("page=two", "it is “two”"),
                       ("per_page=5000", "?per_page= must be a whole number from 1 to 1,000")):
        response = client.get(f"/profiles/index.json?set=lsoa&{bad}")
        assert response.status_code == 422 and words in response.get_json()["description"], bad
    missing = client.get("/profiles/index.json?set=lsoa&district=E09999999")
    assert missing.status_code == 404 and "E09999999" in missing.get_json()["description"]
    assert client.get("/profiles/index.json?set=nothing").status_code == 404


def test_browsing_by_first_letter_and_by_name_or_code(three_app):
    client = three_app.test_client()
    by_letter = follow(client, "/profiles/index.json?set=wards&letter=W&per_page=10")
    names = [a["name"] for p in by_letter for a in p["browse"]["areas"]]
    assert names and all(n.upper().startswith("W") for n in names)
    assert "W" in by_letter[0]["browse"]["letters"] and by_letter[0]["browse"]["letter"] == "W"
    words = client.get("/profiles/index.json?set=lsoa&q=halton 001").get_json()
    assert {a["name"] for a in words["browse"]["areas"]} == {f"Halton 001{x}" for x in "ABCDE"} & \
        {a["name"] for a in words["browse"]["areas"]} and words["paging"]["total"] >= 3
    assert all(a["name"].startswith("Halton 001") for a in words["browse"]["areas"])
    code = client.get(f"/profiles/index.json?set=wards&q={BLACON.lower()}").get_json()
    assert [a["code"] for a in code["browse"]["areas"]] == [BLACON]
    page = client.get(f"/profiles/?set=lsoa&district={HALTON}&page=2").get_data(as_text=True)
    assert "Areas 26 to 50 of 79 in Halton" in html.unescape(page)
    assert '<nav class="pages" aria-label="Pages of Lower layer super output areas (2011)">' in page
    assert 'rel="next"' in page and 'rel="prev"' in page and '<ol class="browse-areas" start="26">' in page
    assert '<option value="E06000006" selected>Halton (79)</option>' in page


def test_search_matches_are_paged_with_their_total(three_app):
    client = three_app.test_client()
    pages = follow(client, "/profiles/index.json?q=halton")
    matches = [m for p in pages for m in p["matches"]]
    assert len(matches) == pages[0]["paging"]["total"] == 79 + 1 + 0 + sum(
        "halton" in n.lower() for n in ("Halton Castle", "Halton Lea", "Halton View"))  # LSOAs, district, wards
    assert {(m["set"], m["code"]) for m in matches} >= {("lad", HALTON)}
    assert len({(m["set"], m["code"]) for m in matches}) == len(matches)
    for p in pages:  # each set lists the page's matches only
        assert sum(len(s["areas"]) for s in p["boundary_sets"]) == len(p["matches"])
        assert {s["id"]: s["found"] for s in p["boundary_sets"]}["lsoa"] == 79


def test_the_index_twin_fits_its_openapi_schema(three_app):
    client = three_app.test_client()
    schema = next(op for path, item in client.get("/api/openapi").get_json()["paths"].items()
                  if path == "/profiles/index.json" for op in item.values())["responses"]["200"]
    schema = schema["content"]["application/json"]["schema"]
    for url in ("/profiles/index.json", "/profiles/index.json?q=halton", "/profiles/index.json?set=wards&page=2"):
        errors = [e.message for e in OAS30Validator(schema).iter_errors(client.get(url).get_json())]
        assert not errors, (url, errors[:5])


# --- ranks -------------------------------------------------------------------------------------------------

def ranks(profile: dict, indicator_id: str) -> list[dict]:
    return next(i for t in profile["themes"] for i in t["indicators"] if i["id"] == indicator_id)["ranks"]


def expected(values: dict, own: str, *, high_first: bool) -> int:
    """1 + the areas strictly before ``own`` (ties share the better place)."""
    mine = values[own]
    return 1 + sum((v > mine) if high_first else (v < mine) for v in values.values() if v is not None)


def test_a_ward_is_ranked_among_the_wards_loaded_and_in_its_district(three_app):
    client = three_app.test_client()
    profile = client.get(f"/profiles/wards/{BLACON}.json").get_json()
    cwac = source_codes("wards")[CWAC]
    for indicator_id, high_first in ((SCORE, True), (RANK, False), (DECILE, False)):
        table = client.get(f"/indicators/{indicator_id}/wards.json").get_json()["areas"]
        values = {a["code"]: a["value"] for a in table}
        loaded, district = ranks(profile, indicator_id)
        assert (loaded["scope"], loaded["of"], loaded["among"]) == ("loaded", 115, "wards loaded")
        assert loaded["position"] == expected(values, BLACON, high_first=high_first), indicator_id
        assert (district["scope"], district["of"], district["among"]) == \
            ("district", 45, "wards in Cheshire West and Chester")
        inside = {c: v for c, v in values.items() if c in cwac}
        assert district["position"] == expected(inside, BLACON, high_first=high_first), indicator_id
        assert loaded["tied"] == (list(values.values()).count(values[BLACON]) > 1)
        assert loaded["first"] == "most deprived" and loaded["text"].startswith(
            f"{'joint ' if loaded['tied'] else ''}{loaded['position']}")
    # the deciles of 115 wards tie; an indicator neither good nor bad ranks the highest first, and says so
    assert any(r["tied"] for r in ranks(profile, DECILE))
    people = ranks(profile, "iod2019-population-0-15")[0]
    assert people["first"] == "highest" and people["worse"] is None and " highest of 115 wards loaded" in \
        people["text"]
    assert_fits_its_schema(client, profile)


def test_the_district_itself_is_ranked_among_the_districts(three_app):
    profile = three_app.test_client().get(f"/profiles/lad/{CWAC}.json").get_json()
    (rank,) = ranks(profile, SCORE)
    assert (rank["scope"], rank["of"], rank["among"]) == ("loaded", 3, "districts loaded")


def test_a_national_set_is_ranked_in_england(national_app):
    client = national_app.test_client()
    lsoa = sorted(source_codes("lsoa")[HALTON])[0]
    profile = client.get(f"/profiles/lsoa/{lsoa}.json").get_json()
    england, district = ranks(profile, SCORE)
    values = {a["code"]: a["value"] for a in client.get(f"/indicators/{SCORE}/lsoa.json").get_json()["areas"]}
    assert (england["scope"], england["of"], england["among"]) == ("england", 525, "LSOAs in England")
    assert england["position"] == expected(values, lsoa, high_first=True)
    assert england["text"] == f"{england['position']:,}" + re.search(r"\d+(st|nd|rd|th)", england["text"]).group(1) \
        + " most deprived of 525 LSOAs in England"
    assert (district["of"], district["among"]) == (79, "LSOAs in Halton")
    ward = ranks(client.get(f"/profiles/wards/{BLACON}.json").get_json(), SCORE)
    assert ward[0]["among"] == "wards in England"  # every LSOA lies in the wards loaded


def test_ranks_are_on_the_page_in_the_csv_and_in_the_board_pack(three_app, sign_in):
    member = sign_in(three_app, "board_member")
    profile = member.get(f"/profiles/wards/{BLACON}.json").get_json()
    loaded, district = ranks(profile, SCORE)
    page = html.unescape(member.get(f"/profiles/wards/{BLACON}").get_data(as_text=True))
    assert '<th scope="col">Rank</th>' in page
    assert loaded["text"] in page and district["text"] in page
    table = member.get(f"/profiles/wards/{BLACON}/tables/indicators.csv").get_data(as_text=True)
    rows = {r["Indicator id"]: r for r in csv.DictReader(io.StringIO(table))}
    row = rows[SCORE]
    assert (row["Rank in the set"], row["Areas ranked in the set"], row["Ranked among"]) == \
        (str(loaded["position"]), "115", "wards loaded")
    assert (row["Rank in the district"], row["Areas ranked in the district"]) == (str(district["position"]), "45")
    assert row["Rank 1 is"] == "most deprived"
    with three_app.test_request_context():
        pack = html.unescape(pack_html(build_profile(read_profile_input(db_session(), "wards", BLACON))))
    assert loaded["text"][:1].upper() + loaded["text"][1:] in pack


# --- compare and the indicator tables ----------------------------------------------------------------------

def test_the_compare_chooser_pages_a_large_set_by_district_and_name(three_app):
    client = three_app.test_client()
    page = html.unescape(client.get(f"/compare/?choose_set=lsoa&choose_district={HALTON}").get_data(as_text=True))
    boxes = re.findall(r'name="add" value="lsoa:(E\d+)"', page)
    assert len(boxes) == PER_PAGE and set(boxes) <= source_codes("lsoa")[HALTON]
    assert "(Areas 1 to 25 of 79 in Halton)" in page and 'name="page" value="2"' in page
    assert '<label for="choose-district">District</label>' in page
    second = html.unescape(client.get(f"/compare/?choose_set=lsoa&choose_district={HALTON}&page=4")
                           .get_data(as_text=True))
    assert len(re.findall(r'name="add" value="lsoa:', second)) == 4
    named = html.unescape(client.get("/compare/?choose_set=wards&choose_q=park").get_data(as_text=True))
    assert re.findall(r'<label for="add-\d+">([^<]+)', named) == ["Handbridge Park ", "Parkgate ", "Whitby Park "]
    small = client.get("/compare/?choose_set=lad").get_data(as_text=True)
    assert len(re.findall(r'name="add"', small)) == 3 and "choose-district" not in small


def test_the_indicator_table_pages_a_large_set_and_its_csv_holds_every_area(three_app, sign_in):
    member = sign_in(three_app, "board_member")
    page = html.unescape(member.get(f"/indicators/{SCORE}/lsoa?district={HALTON}&sort=value&order=desc")
                         .get_data(as_text=True))
    rows = re.findall(r'<tr>\s*<th scope="row">[^<]*</th>\s*<td><code>(E\d+)</code>', page)
    assert len(rows) == PER_PAGE and set(rows) <= source_codes("lsoa")[HALTON]
    values = {a["code"]: a["value"] for a in member.get(f"/indicators/{SCORE}/lsoa.json").get_json()["areas"]}
    halton = sorted((values[c] for c in source_codes("lsoa")[HALTON]), reverse=True)
    assert [values[c] for c in rows] == halton[:PER_PAGE]  # the sort runs over the district, then pages
    assert "Areas 1 to 25 of 79 in Halton" in page and 'href="/indicators/imd2019-score/lsoa?' in page
    found = html.unescape(member.get(f"/indicators/{SCORE}/lsoa?q=halton 001a").get_data(as_text=True))
    assert len(re.findall(r'<td><code>(E\d+)</code>', found)) == 1 and "1 area matching “halton 001a”" in found
    download = member.get(f"/indicators/{SCORE}/lsoa.csv")
    table = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(table) == 525 and {r["District code"] for r in table} == set(national_store.DISTRICTS)
    assert {r["Code"]: float(r["value"]) for r in table} == pytest.approx(values)
    assert three_app.test_client().get(f"/indicators/{SCORE}/lsoa.csv").status_code == 302  # sign in first
    small = member.get(f"/indicators/{SCORE}/lad").get_data(as_text=True)
    assert "table-district" not in small and len(re.findall(r'<th scope="row">', small)) == 3


def test_in_a_one_borough_store_an_area_is_ranked_within_the_borough_only(cwac_app):
    client = cwac_app.test_client()
    latest = "iod2025-imd-score"  # the latest release of the IMD score's series, which the profile shows
    ward = ranks(client.get(f"/profiles/wards/{BLACON}.json").get_json(), latest)
    assert [(r["scope"], r["of"], r["among"]) for r in ward] == [
        ("district", 45, "wards in Cheshire West and Chester")]
    values = {a["code"]: a["value"] for a in client.get(f"/indicators/{latest}/wards.json").get_json()["areas"]}
    assert ward[0]["position"] == expected(values, BLACON, high_first=True)
    lsoa = ranks(client.get("/profiles/lsoa/E01018308.json").get_json(), latest)
    assert [(r["of"], r["among"]) for r in lsoa] == [(212, "LSOAs in Cheshire West and Chester")]
    borough = client.get("/profiles/lad/E06000050.json").get_json()
    assert all(not i["ranks"] for t in borough["themes"] for i in t["indicators"])  # 1st of 1 says nothing
    listed = client.get("/profiles/index.json").get_json()  # a small store: every set listed whole, unpaged
    assert listed["paging"] is None and all(s["areas"] is not None for s in listed["boundary_sets"])


def test_a_comparison_ranks_and_maps_a_large_set_around_the_districts_compared(three_app):
    client = three_app.test_client()
    halton_ward = sorted(source_codes("wards")[HALTON])[0]
    view = client.get(f"/compare/index.json?areas=wards:{BLACON},wards:{halton_ward}&indicator={SCORE}").get_json()
    ranked = view["ranked"]
    assert ranked["within"] == ["Cheshire West and Chester", "Halton"] and ranked["set_areas"] == 115
    assert {r["code"] for r in ranked["rows"]} == source_codes("wards")[CWAC] | source_codes("wards")[HALTON]
    assert [r["code"] for r in ranked["rows"] if r["compared"]] == sorted(
        [BLACON, halton_ward], key=lambda c: -next(r["value"] for r in ranked["rows"] if r["code"] == c))
    page = html.unescape(client.get(f"/compare/?areas=wards:{BLACON},wards:{halton_ward}&indicator={SCORE}")
                         .get_data(as_text=True))
    assert "all Wards (2024) in Cheshire West and Chester and Halton ranked" in page
    svg = client.get(f"/compare/maps/1.svg?areas=wards:{BLACON},wards:{halton_ward}&indicator={SCORE}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    small = client.get(f"/compare/index.json?areas=lad:{CWAC},lad:{HALTON}&indicator={SCORE}").get_json()
    assert small["ranked"]["within"] == [] and len(small["ranked"]["rows"]) == 3  # a small set: every area
