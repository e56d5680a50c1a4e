"""The service-alignment page, its JSON twin and downloads, on the real Cheshire West and Chester sets.

Figures are checked against the page's own JSON and, where an answer is known without the Atlas, against
the files themselves: the APB-ward list (../shared/data/cwac_apb_wards.csv) and the LSOA and ward
boundaries (../shared/data/cheshire_west_and_chester.gpkg), overlaid here with geopandas.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA
from tests.helpers import HOSTILE, add_set

APB_SUB_ICB = "/alignment/fit.json?a=apb&b=sub-icb&sliver=25"
STRADDLING = "E01018684"  # Cheshire West and Chester 015A: split between three wards


def pct(value: float) -> str:
    """A share as the page writes it."""
    if value in (0, 1):
        return f"{value * 100:.0f}%"
    if value < 0.0005:
        return "less than 0.1%"
    if value >= 0.9995:
        return "more than 99.9%"
    return f"{value * 100:.1f}%"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_apb_against_sub_icb_page_shows_the_scores_sentence_and_definitions_of_the_json(cwac_app):
    client = cwac_app.test_client()
    found = client.get(APB_SUB_ICB).get_json()
    assert (found["a"]["id"], found["b"]["id"]) == ("apb", "sub-icb")
    scores = found["scores"]
    assert scores["a_in_b"] > 0.99 > scores["b_in_a"]  # APBs nest in the sub-ICB location of Cheshire
    assert found["relationship"] == "A nests in B"
    assert {f["best_fit"] for f in found["fits"]["a"]} == {"E38000233"}
    assert len(found["fits"]["a"]) == 5 and len(found["fits"]["b"]) == 7
    assert found["population"]["indicator"] and found["definitions"][0].startswith("Alignment score of")
    pairs = {(m["a_code"], m["b_code"]) for m in found["matrix"]}
    assert ("chester", "E38000233") in pairs

    page = client.get("/alignment/?a=apb&b=sub-icb&sliver=25")
    assert page.status_code == 200
    text = text_of(page)
    assert found["sentence"] in text
    for key in ("a_in_b", "b_in_a", "a_in_b_by_area", "b_in_a_by_area"):
        assert re.search(rf'data-score="{key}">{re.escape(pct(scores[key]))}<', text), key
    for line in found["definitions"]:
        assert line in text
    assert found["population"]["title"] in text and found["population"]["method"] in text
    # the worst-fitting APBs, ranked as in the JSON, each with its best fit and shares
    misfits = [f for f in found["fits"]["a"] if f["outside"] and f["best_fit"]]
    rows = re.findall(r'<tr data-code="([^"]+)">', page.get_data(as_text=True).split('id="fits-a"')[1]
                      .split("</table>")[0])
    assert rows == [f["code"] for f in misfits] and rows
    # sub-ICB locations reaching beyond the borough get the note, those overlapping no APB are named apart
    beyond = [f for f in found["fits"]["b"] if f["best_fit"] and f["covered"] < 0.99]
    assert beyond and all(f"{f['name']} ({pct(f['covered'])} of its land inside)" in text for f in beyond)
    apart = [f["name"] for f in found["fits"]["b"] if f["best_fit"] is None]
    assert apart and f"{'; '.join(apart)}." in text
    slivers = found["slivers"]
    assert f"{slivers['count']:,} sliver" in text and "They are counted in the shares above." in text


def test_page_structure_is_labelled_for_every_control_and_table(cwac_app):
    page = cwac_app.test_client().get("/alignment/?a=lsoa&b=wards").get_data(as_text=True)
    assert page.count("<h1") == 1
    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page)
    assert headings[:2] == ["Choose the two sets", "How Lower layer super output areas (2011) and Wards (2019) fit"]
    assert {"What the figures mean", "Where the boundaries do not fit", "The worst-fitting areas",
            "Slivers along shared boundaries", "Every overlap", "Downloads", "Sources"} <= set(headings)
    for control in re.findall(r'<(?:select|input)[^>]*\bid="([^"]+)"', page):
        assert f'for="{control}"' in page, control
    tables = re.findall(r"<table.*?</table>", page, flags=re.S)
    assert len(tables) >= 4 and all("<caption>" in t and 'scope="col"' in t for t in tables)
    pairs = len(cwac_app.test_client().get("/alignment/fit.json?a=lsoa&b=wards").get_json()["matrix"])
    assert f"Show the overlap matrix: {pairs:,} pairs of areas sharing ground</summary>" in page
    config = json.loads(html.unescape(re.search(r"data-alignment='([^']+)'", page).group(1)))
    assert config["a"]["geojson"] == "/map/sets/lsoa.geojson" and config["b"]["geojson"] == "/map/sets/wards.geojson"
    assert config["parts"] is None  # the parts are drawn for those who may export them
    assert "sign in</a> to see them" in page


def test_wards_nest_wholly_in_apbs(cwac_app):
    client = cwac_app.test_client()
    found = client.get("/alignment/fit.json?a=wards&b=apb").get_json()
    assert found["scores"]["a_in_b"] == 1.0 and found["scores"]["a_in_b_by_area"] == pytest.approx(1.0)
    assert found["relationship"] == "A nests in B"
    assert all(f["outside"] == 0 for f in found["fits"]["a"])
    text = text_of(client.get("/alignment/?a=wards&b=apb"))
    assert "Every one of the 45 wards lies wholly in one area partnership board." in text
    assert 'id="fits-a"' not in text


def test_lookup_from_wards_to_apbs_is_the_partnership_list_in_ons_layout(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    response = client.get("/alignment/lookup.csv?a=wards&b=apb&sliver=25")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == "attachment; filename=lookup-wards-to-apb.csv"
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == ["WD19CD", "WD19NM", "APB19CD", "APB19NM", "ObjectId"]
    rows = read_csv(response)
    assert len(rows) == 45
    expected = pd.read_csv(SHARED_DATA / "cwac_apb_wards.csv").set_index("ward_code")
    for row in rows:
        assert row["APB19CD"] == expected.loc[row["WD19CD"], "apb_id"]
        assert row["APB19NM"] == expected.loc[row["WD19CD"], "apb_name"]
        assert row["WD19NM"] == expected.loc[row["WD19CD"], "ward_name"]
    assert [int(r["ObjectId"]) for r in rows] == list(range(1, 46))


def test_lookup_the_other_way_with_shares_matches_the_json(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    response = client.get("/alignment/lookup.csv?a=lsoa&b=wards&direction=b_to_a&shares=1")
    assert response.headers["Content-Disposition"] == "attachment; filename=lookup-wards-to-lsoa.csv"
    rows = read_csv(response)
    assert list(rows[0]) == ["WD19CD", "WD19NM", "LSOA11CD", "LSOA11NM", "SHARE", "BY", "ObjectId"]
    fits = {f["code"]: f for f in client.get("/alignment/fit.json?a=lsoa&b=wards").get_json()["fits"]["b"]}
    assert len(rows) == len(fits) == 45
    for row in rows:
        fit = fits[row["WD19CD"]]
        assert row["LSOA11CD"] == fit["best_fit"] and row["BY"] == fit["by"]
        assert float(row["SHARE"]) == pytest.approx(fit["share"], abs=1e-6)
    xlsx = client.get("/alignment/lookup.xlsx?a=lsoa&b=wards")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith("lookup-lsoa-to-wards.xlsx")


def test_matrix_csv_has_both_ways_shares_adding_up_for_each_area(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    found = client.get("/alignment/fit.json?a=lsoa&b=wards").get_json()
    response = client.get("/alignment/matrix.csv?a=lsoa&b=wards")
    assert response.headers["Content-Disposition"] == "attachment; filename=overlaps-lsoa-wards.csv"
    table = pd.read_csv(io.StringIO(response.get_data(as_text=True)))
    assert list(table.columns) == ["LSOA11CD", "LSOA11NM", "WD19CD", "WD19NM", "population", "area_km2",
                                   "share_of_LSOA11_population", "share_of_LSOA11_area", "share_of_WD19_population",
                                   "share_of_WD19_area", "sliver_km2", "sliver_population"]
    assert len(table) == len(found["matrix"])
    inside = table.dropna(subset=["LSOA11CD"])
    assert inside.groupby("LSOA11CD")["share_of_LSOA11_area"].sum().to_numpy() == pytest.approx(1, abs=1e-5)
    assert inside.groupby("LSOA11CD")["share_of_LSOA11_population"].sum().to_numpy() == pytest.approx(1, abs=1e-5)
    by_ward = table.dropna(subset=["WD19CD"]).groupby("WD19CD")["share_of_WD19_area"].sum()
    assert len(by_ward) == 45 and by_ward.to_numpy() == pytest.approx(1, abs=1e-5)


def test_misaligned_parts_of_lsoas_name_the_known_straddles(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    response = client.get("/alignment/misaligned.geojson?a=lsoa&b=wards")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=misaligned-lsoa-outside-best-fit-wards.geojson"
    parts = gpd.GeoDataFrame.from_features(response.get_json()["features"], crs=4326)
    assert (parts["in"] != parts["best_fit"]).all()
    # the straddling LSOA's parts lie in the other wards it overlaps, worked out here from the boundary file
    lsoas = gpd.read_file(SHARED_DATA / "cheshire_west_and_chester.gpkg", layer="lsoa").to_crs(27700)
    wards = gpd.read_file(SHARED_DATA / "cheshire_west_and_chester.gpkg", layer="wards").to_crs(27700)
    lsoa = lsoas[lsoas["code"] == STRADDLING]
    pieces = gpd.overlay(lsoa[["code", "geometry"]], wards[["code", "geometry"]].rename(columns={"code": "ward"}))
    big = set(pieces.loc[pieces.area > 0.01 * lsoa.area.iloc[0], "ward"])
    assert len(big) == 3
    mine = parts[(parts["code"] == STRADDLING) & ~parts["sliver"]]
    assert len(mine) >= 1 and mine["name"].iloc[0] == lsoa["name"].iloc[0]
    best = mine["best_fit"].iloc[0]
    assert best in big and set(mine["in"]) == big - {best}
    # the map's layer is the same collection, so it needs the same permission
    assert client.get("/alignment/parts.geojson?a=lsoa&b=wards").get_json() == response.get_json()
    assert cwac_app.test_client().get("/alignment/parts.geojson?a=lsoa&b=wards").status_code == 401
    page = client.get("/alignment/?a=lsoa&b=wards").get_data(as_text=True)
    config = json.loads(html.unescape(re.search(r"data-alignment='([^']+)'", page).group(1)))
    assert config["parts"]["a"].startswith("/alignment/parts.geojson?")


def test_ignoring_slivers_drops_them_from_the_parts_and_says_so(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    counted = client.get("/alignment/parts.geojson?a=apb&b=sub-icb").get_json()["features"]
    ignored = client.get("/alignment/parts.geojson?a=apb&b=sub-icb&ignore_slivers=1").get_json()["features"]
    assert any(f["properties"]["sliver"] for f in counted)
    assert not any(f["properties"]["sliver"] for f in ignored)
    assert len(ignored) == sum(not f["properties"]["sliver"] for f in counted)
    found = client.get("/alignment/fit.json?a=apb&b=sub-icb&ignore_slivers=1").get_json()
    assert found["ignore_slivers"] is True and found["slivers"]["count"] > 0
    text = text_of(client.get("/alignment/?a=apb&b=sub-icb&ignore_slivers=1"))
    assert "They are left out of every share and score above." in text
    assert "Slivers are ignored, so not drawn." in text
    assert 'id="al-ignore" name="ignore_slivers" value="1" checked' in text


def test_the_parts_are_drawn_once_per_measure(cwac_app):
    from geoapp.alignment import service, tables
    from geoapp.web.db import database

    with cwac_app.app_context(), database().session() as session:
        result = service.measure_sets(session, "apb", "sub-icb")
        again = service.measure_sets(session, "apb", "sub-icb")
    first = tables.misaligned(result, "a")
    assert again is result and tables.misaligned(again, "a") is first
    assert tables.misaligned(result, "b") is not first and tables.misaligned(result, "b")["features"]


def test_page_opens_on_apbs_against_a_health_service_set(cwac_app):
    client = cwac_app.test_client()
    found = client.get("/alignment/fit.json").get_json()
    assert (found["a"]["id"], found["b"]["id"]) == ("apb", "sub-icb")
    assert found["sliver_width_m"] == 25.0 and found["ignore_slivers"] is False
    page = client.get("/alignment/").get_data(as_text=True)
    assert '<option value="apb" selected>' in page and '<option value="sub-icb" selected>' in page
    assert re.search(r'<optgroup label="Service areas">\s*<option value="ambulance">', page)


@pytest.mark.parametrize(("query", "status", "words"), [
    ("a=nowhere&b=wards", 404, "There is no boundary set called 'nowhere'."),
    ("a=apb&b=wards&sliver=wide", 422, "The sliver width must be a number of metres from 0 to 500, not 'wide'."),
    ("a=apb&b=wards&sliver=900", 422, "The sliver width must be between 0 and 500 metres."),
    ("a=apb&b=wards&sliver=-1", 422, "The sliver width must be between 0 and 500 metres."),
    ("a=apb&b=wards&sliver=nan", 422, "The sliver width must be between 0 and 500 metres."),
    ("a=wards&b=wards", 422, "Choose two different boundary sets to compare."),
])
def test_bad_choices_explain_themselves_and_keep_the_form(cwac_app, query, status, words):
    client = cwac_app.test_client()
    page = client.get(f"/alignment/?{query}")
    assert page.status_code == status
    text = text_of(page)
    assert words in text and 'id="alignment-error"' in text
    assert '<select id="al-a" name="a"' in text and "Show how they fit" in text
    if "nowhere" in query:  # a set that is not loaded gives way to the default in the form
        assert '<option value="apb" selected>' in text and '<option value="wards" selected>' in text
    if "sliver=wide" in query:  # what was typed stays, to be corrected
        assert 'name="sliver" type="number"' in text and 'value="wide"' in text
    answer = client.get(f"/alignment/fit.json?{query}")
    assert answer.status_code == status
    assert answer.get_json() == {"code": status, "title": "Not found" if status == 404 else "Invalid input",
                                 "description": words}


def test_bad_download_arguments_are_refused_plainly(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    assert client.get("/alignment/lookup.csv?a=wards&b=apb&direction=sideways").status_code == 422
    assert client.get("/alignment/parts.geojson?a=wards&b=apb&side=c").get_json()["description"] == \
        "side: 'c' is not a or b."
    assert client.get("/alignment/matrix.pdf?a=wards&b=apb").status_code == 404
    assert client.get("/alignment/lookup.csv?a=wards&b=nowhere").status_code == 404


def test_anyone_may_read_but_only_exporters_download(cwac_app, sign_in):
    public = cwac_app.test_client()
    for url in ("/alignment/?a=wards&b=apb", "/alignment/fit.json?a=wards&b=apb"):
        assert public.get(url).status_code == 200, url
    downloads = ("/alignment/lookup.csv?a=wards&b=apb", "/alignment/matrix.csv?a=wards&b=apb",
                 "/alignment/misaligned.geojson?a=wards&b=apb", "/alignment/parts.geojson?a=wards&b=apb")
    for url in downloads:
        refused = public.get(url, headers={"Accept": "application/json"})
        assert refused.status_code == 401, url
    page = text_of(public.get("/alignment/?a=wards&b=apb"))
    assert "to download the lookups and the matrix" in page and "lookup.csv" not in page
    member = sign_in(cwac_app, "board_member")
    for url in downloads:
        assert member.get(url).status_code == 200, url
    page = member.get("/alignment/?a=wards&b=apb").get_data(as_text=True)
    assert "/alignment/lookup.csv?" in page and "/alignment/misaligned.geojson?" in page


def test_demo_borough_opens_on_apbs_against_its_police_neighbourhoods(demo_app):
    client = demo_app.test_client()
    found = client.get("/alignment/fit.json").get_json()
    assert (found["a"]["id"], found["b"]["id"]) == ("apb", "police")
    page = client.get("/alignment/")
    assert page.status_code == 200 and found["sentence"] in text_of(page)


def test_hand_built_sets_without_population_or_services(app):
    """Two wards side by side inside one forum: the forum's best fit holds half of it; each ward nests."""
    client = app.test_client()
    add_set(app, "wards", "ward", "Wards", [("W1", HOSTILE, (0, 0, 1000, 1000)), ("W2", "East", (1000, 0, 2000, 1000))])
    page = client.get("/alignment/")
    assert page.status_code == 200 and "only one set is" in page.get_data(as_text=True)
    assert client.get("/alignment/fit.json").status_code == 404
    add_set(app, "laf", "laf", "Forums", [("L1", "Forum", (0, 0, 2000, 1000))])
    found = client.get("/alignment/fit.json").get_json()
    assert (found["a"]["id"], found["b"]["id"]) == ("laf", "wards")  # no service set: a forum against wards
    assert found["population"] is None and found["relationship"] == "B nests in A"
    assert found["scores"]["a_in_b"] == pytest.approx(0.5) and found["scores"]["b_in_a"] == pytest.approx(1.0)
    assert found["fits"]["a"][0]["by"] == "area" and found["fits"]["a"][0]["partners"] == 2
    page = client.get("/alignment/").get_data(as_text=True)
    assert HOSTILE not in page and html.escape(HOSTILE) in page
    assert "(by land: no population is loaded)" in page and "No population is loaded" in page
    assert re.search(r'data-score="a_in_b">50.0%<', page) and re.search(r'data-score="b_in_a">100%<', page)


