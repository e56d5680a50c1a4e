"""Area profiles and their JSON twins: real figures on Cheshire West and Chester and the demo borough."""
from __future__ import annotations

import ast
import csv
import dataclasses
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import openpyxl
import pytest
import shapely
from openapi_schema_validator import OAS30Validator

from geoapp.api.schema import schema_of
from geoapp.storage import boundary_sets
from geoapp.storage.groups import published_groups
from layers.profile import Profile
from tests.helpers import HOSTILE, add_set

INCOME = "iod2025-income-rate"


def indicator(profile: dict, indicator_id: str) -> dict:
    return next(i for t in profile["themes"] for i in t["indicators"] if i["id"] == indicator_id)


def areas(app, set_id):
    with app.extensions["atlas_db"].session() as session:
        return boundary_sets.load_areas(session, set_id)


def assert_fits_its_schema(client, profile: dict) -> None:
    """The twin matches the profile schema the API document serves (derived from :class:`layers.profile.Profile`)."""
    schema = client.get("/api/openapi").get_json()["components"]["schemas"]["profile"]
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OAS30Validator(schema).iter_errors(profile)]
    assert not errors, errors[:10]


# --- Cheshire West and Chester --------------------------------------------------------------------

def test_apb_profile_figures_match_the_indicator_tables(cwac_app):
    client = cwac_app.test_client()
    apbs = areas(cwac_app, "apb")
    code = apbs["code"].iloc[0]
    profile = client.get(f"/profiles/apb/{code}.json").get_json()
    assert profile["area"]["name"] == apbs["name"].iloc[0] and profile["area"]["kind"] == "apb"
    table = {a["code"]: a for a in client.get(f"/indicators/{INCOME}/apb.json").get_json()["areas"]}
    income = indicator(profile, INCOME)
    for key in ("value", "lower", "upper", "numerator", "denominator"):
        assert income[key] == pytest.approx(table[code][key], rel=1e-12)
    assert income["compared_with_borough"] == table[code]["comparison"]
    assert income["source"].startswith("English Indices of Deprivation 2025") and income["period"] == "2025"
    assert income["method"] and "Wilson" in income["interval_method"]
    borough = client.get(f"/indicators/{INCOME}/lad.json").get_json()["areas"][0]
    assert income["borough"]["value"] == pytest.approx(borough["value"])
    # the spine's comparators are the five APBs
    values = sorted(a["value"] for a in table.values())
    assert income["spine"]["areas"] == len(apbs) and income["spine"]["minimum"] == pytest.approx(values[0])
    assert income["spine"]["maximum"] == pytest.approx(values[-1])
    # key facts: the wards of the APB, found independently by their APB in the ONS lookup file
    wards = next(g for g in profile["related"] if g["kind"] == "ward")
    inside = {a["code"] for a in wards["areas"] if a["relation"] == "contains"}
    lookup = client.get("/map/sets/wards.geojson").get_json()["features"]
    expected = {f["properties"]["code"] for f in lookup
                if any(c["set"] == "apb" and c["code"] == code for c in f["properties"]["containers"])}
    assert inside == expected and profile["key_facts"]["contains"][wards["set_name"]] == len(expected)
    population = indicator(profile, "population-total")
    assert profile["key_facts"]["population"]["value"] == population["value"] > 10_000
    assert profile["key_facts"]["population"]["period"] == "mid-2020"
    bands = profile["key_facts"]["age_bands"]
    assert [b["id"] for b in bands] == ["population-0-15", "population-16-64", "population-65-plus"]
    # each band is rounded to whole people on its own, so the three add up to the total within a person or two
    assert sum(b["value"] for b in bands) == pytest.approx(profile["key_facts"]["population"]["value"], abs=2)


def test_borough_profile_reproduces_the_published_district_summary(cwac_app):
    profile = cwac_app.test_client().get("/profiles/lad/E06000050.json").get_json()
    latest = profile["deprivation"]
    imd = next(row for row in latest["summary"] if row["domain"] == "IMD")
    # IoD2025 File 10 (MHCLG, 2025), Cheshire West and Chester (sources in tests/layers/test_imd.py):
    # IMD average score 17.736, average rank 13,879.12, proportion in the most deprived 10% 0.0856,
    # extent 0.1467, local concentration 31,296.82
    assert latest["release"] == "English Indices of Deprivation 2025" and imd["lsoas"] == 222
    assert (round(imd["average_score"], 3), round(imd["average_rank"], 2)) == (17.736, 13879.12)
    assert round(imd["proportion_most_deprived_10pc"], 4) == 0.0856 and round(imd["extent"], 4) == 0.1467
    assert round(imd["local_concentration"], 2) == 31296.82
    # IoD2019 File 10 (MHCLG, 2019): average score 18.083, proportion 0.0755, extent 0.1578
    earlier = next(row for row in latest["earlier"][0]["summary"] if row["domain"] == "IMD")
    assert round(earlier["average_score"], 3) == 18.083
    assert round(earlier["proportion_most_deprived_10pc"], 4) == 0.0755
    assert round(earlier["extent"], 4) == 0.1578
    assert earlier["lsoas"] == 212
    deciles = next(row for row in latest["deciles"] if row["domain"] == "IMD")
    assert sum(deciles["shares"]) == pytest.approx(1.0)
    assert profile["parent"] is None and profile["sub_areas"]["set"] in ("apb", "wards")
    assert imd["ranks"]["districts"] == 296  # England's districts in the IoD2025 district summaries
    assert any(i["trend_caveat"] for t in profile["themes"] for i in t["indicators"] if i["trend"])
    assert_fits_its_schema(cwac_app.test_client(), profile)


def test_ward_profile_compares_with_its_apb(cwac_app):
    client = cwac_app.test_client()
    ward = areas(cwac_app, "wards").iloc[0]
    profile = client.get(f"/profiles/wards/{ward['code']}.json").get_json()
    assert profile["parent"]["set"] == "apb"
    apb = client.get(f"/profiles/apb/{profile['parent']['code']}.json").get_json()
    income, apb_income = indicator(profile, INCOME), indicator(apb, INCOME)
    assert income["parent"]["value"] == pytest.approx(apb_income["value"])
    if income["lower"] > apb_income["value"]:
        assert income["compared_with_parent"] == "worse"  # higher income deprivation is worse
    elif income["upper"] < apb_income["value"]:
        assert income["compared_with_parent"] == "better"
    else:
        assert income["compared_with_parent"] == "similar"
    assert profile["neighbours"] and all(n["code"] != ward["code"] for n in profile["neighbours"])
    ranked = profile["sub_areas"]
    assert ranked["set"] in ("lsoa", "lsoa2021") and len(ranked["rows"]) >= 2
    values = [r["value"] for r in ranked["rows"] if r["value"] is not None]
    assert values == sorted(values, reverse=True)
    assert_fits_its_schema(client, profile)


# --- the demo borough ---------------------------------------------------------------------------

def test_every_demo_profile_twin_fits_the_schema_derived_from_the_profile_type(demo_app):
    client = demo_app.test_client()
    document = client.get("/api/openapi").get_json()
    served = document["components"]["schemas"]["profile"]
    assert served == schema_of(Profile)  # derived, not written by hand
    assert set(served["properties"]) == {f.name for f in dataclasses.fields(Profile)} - {"borough_deprivation"}
    assert served["properties"]["themes"]["items"]["properties"]["indicators"]["items"]["properties"][
        "compared_with_borough"]["enum"] == ["better", "similar", "worse", "higher", "lower", "not compared"]
    # the hand-written profile schema is gone: no module of the app spells out the profile's fields
    app_code = (Path(__file__).parents[1] / "geoapp").rglob("*.py")
    assert [path for path in app_code if '"key_facts"' in path.read_text()] == []
    validator = OAS30Validator(served)
    for set_id in ("lad", "apb", "wards", "parishes", "police", "lsoa"):
        for code in areas(demo_app, set_id)["code"].iloc[:2]:
            profile = client.get(f"/profiles/{set_id}/{code}.json").get_json()
            assert not list(validator.iter_errors(profile)), (set_id, code)
    broken = client.get(f"/profiles/apb/{areas(demo_app, 'apb')['code'].iloc[0]}.json").get_json()
    broken["themes"][0]["indicators"][0]["compared_with_borough"] = "much worse"
    del broken["key_facts"]["population"]
    assert len(list(validator.iter_errors(broken))) == 2  # the schema can fail


def test_profile_services_do_not_import_flask():
    """Only the views and the commands of the profiles package (floor 5) may use Flask: the read, the charts, the
    pack and the tables are services."""
    for path in (Path(__file__).parents[1] / "geoapp" / "profiles").glob("*.py"):
        if path.name in ("views.py", "commands.py"):
            continue
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
        assert not imported & {"flask", "flask_wtf"}, path.name


def test_apb_profile_lists_the_groups_based_in_it(demo_app):
    apb = areas(demo_app, "apb").iloc[0]
    profile = demo_app.test_client().get(f"/profiles/apb/{apb['code']}.json").get_json()
    with demo_app.extensions["atlas_db"].session() as session:
        found, _ = published_groups(session)
    inside = found[found.within(apb.geometry)]
    assert profile["groups"]["count"] == len(inside) > 0
    assert sorted(g["name"] for g in profile["groups"]["items"]) == sorted(inside["name"])


def test_sub_areas_are_ranked_by_the_chosen_indicator(demo_app):
    apb = areas(demo_app, "apb").iloc[0]
    client = demo_app.test_client()
    profile = client.get(f"/profiles/apb/{apb['code']}.json?rank=share_65_plus").get_json()
    ranked = profile["sub_areas"]
    assert ranked["indicator"]["id"] == "share_65_plus" and ranked["set"] == "wards"
    wards = {a["code"]: a for a in client.get("/indicators/share_65_plus/wards.json").get_json()["areas"]}
    assert [r["value"] for r in ranked["rows"]] == sorted((wards[r["code"]]["value"] for r in ranked["rows"]),
                                                         reverse=True)


def test_freehand_area_of_two_wards_adds_up_to_their_figures(demo_app):
    client = demo_app.test_client()
    wards = areas(demo_app, "wards").iloc[:2]
    union = shapely.union_all(wards.geometry.values)
    drawn = gpd.GeoSeries([union], crs=27700).to_crs(4326).iloc[0]
    response = client.post("/profiles/freehand.json", json={"geometry": shapely.geometry.mapping(drawn),
                                                            "name": "Two wards"})
    assert response.status_code == 200, response.get_data(as_text=True)
    profile = response.get_json()
    table = {a["code"]: a for a in client.get("/indicators/population/wards.json").get_json()["areas"]}
    expected = sum(table[c]["value"] for c in wards["code"])
    assert profile["area"]["name"] == "Two wards" and profile["area"]["kind"] == "freehand"
    # whole people: the drawn area is rounded on its own, each ward with the rest of its set (within one person)
    assert profile["key_facts"]["population"]["value"] == pytest.approx(expected, abs=1)
    assert "apportioned" in profile["method"] or "area" in profile["method"]
    income = indicator(profile, "income_deprivation_rate")
    rates = {a["code"]: a for a in client.get("/indicators/income_deprivation_rate/wards.json").get_json()["areas"]}
    numerator = sum(rates[c]["numerator"] for c in wards["code"])
    denominator = sum(rates[c]["denominator"] for c in wards["code"])
    assert income["value"] == pytest.approx(numerator / denominator, rel=1e-6)
    assert_fits_its_schema(client, profile)


def test_freehand_upload_as_a_file(demo_app, tmp_path):
    ward = areas(demo_app, "wards").iloc[[3]]
    path = tmp_path / "area.gpkg"
    ward[["geometry"]].to_file(path, driver="GPKG")
    client = demo_app.test_client()
    with path.open("rb") as handle:
        response = client.post("/profiles/freehand.json", data={"file": (handle, "area.gpkg"), "name": HOSTILE},
                               content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    profile = response.get_json()
    assert profile["area"]["name"] == " ".join(HOSTILE.split())[:120]
    table = {a["code"]: a for a in client.get("/indicators/population/wards.json").get_json()["areas"]}
    assert profile["key_facts"]["population"]["value"] == pytest.approx(table[ward["code"].iloc[0]]["value"],
                                                                        abs=1)


@pytest.mark.parametrize("body, words", [
    ({"geometry": {"type": "Point", "coordinates": [-2.9, 53.2]}}, "polygon"),
    ({"geometry": {"type": "Polygon", "coordinates": "nonsense"}}, "not a GeoJSON geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0.1, 51.5], [0.11, 51.5], [0.11, 51.51], [0.1, 51.5]]]}},
     "outside the small areas"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[500, 500], [600, 500], [600, 600], [500, 500]]]}},
     "WGS 84"),
    ([1, 2], "JSON object"),
])
def test_freehand_refuses_bad_input_with_a_clear_message(demo_app, body, words):
    response = demo_app.test_client().post("/profiles/freehand.json", json=body)
    assert response.status_code == 422
    assert words.lower() in json.dumps(response.get_json()).lower()


def test_freehand_refuses_a_broken_file(demo_app):
    response = demo_app.test_client().post(
        "/profiles/freehand.json", data={"file": (io.BytesIO(b"not a geopackage"), "area.gpkg")},
        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "area.gpkg" in response.get_json()["description"]


def test_unknown_area_is_404(demo_app):
    client = demo_app.test_client()
    assert client.get("/profiles/apb/nowhere.json").status_code == 404
    assert client.get("/profiles/nothing/X.json").status_code == 404
    assert client.get("/profiles/apb/nowhere").status_code == 404


# --- the page -----------------------------------------------------------------------------------

def test_profile_page_shows_every_theme_and_the_figures(demo_app):
    client = demo_app.test_client()
    apb = areas(demo_app, "apb").iloc[0]
    profile = client.get(f"/profiles/apb/{apb['code']}.json").get_json()
    page = client.get(f"/profiles/apb/{apb['code']}").get_data(as_text=True)
    assert f"<h1>{apb['name']} <span class=\"kind\">Area Partnership Board</span></h1>" in page
    for theme in profile["themes"]:
        assert theme["theme"].replace("&", "&amp;") in page
    income = indicator(profile, "income_deprivation_rate")
    assert f"{income['value'] * 100:.1f}%" in page
    assert "Key facts" in page and "Community groups" in page and "Sources and methods" in page
    assert f"{profile['key_facts']['population']['value']:,.0f}" in page
    method = profile["key_facts"]["population"]["method"]  # "153 LSOAs combined ...": capitals kept
    assert "LSOAs" in method and f"{method[:1].upper()}{method[1:]}." in page


def test_profile_index_lists_and_finds_areas(demo_app):
    client = demo_app.test_client()
    apb = areas(demo_app, "apb").iloc[0]
    data = client.get(f"/profiles/index.json?q={apb['name'][:4]}").get_json()
    found = {a["code"] for s in data["boundary_sets"] for a in s["areas"]}
    assert apb["code"] in found
    page = client.get("/profiles/").get_data(as_text=True)
    assert f"/profiles/apb/{apb['code']}" in page


def test_hostile_area_names_are_escaped(app):
    add_set(app, "lsoa", "lsoa", "LSOAs", [("L1", HOSTILE, (400000, 300000, 401000, 301000))])
    page = app.test_client().get("/profiles/lsoa/L1").get_data(as_text=True)
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# --- charts and downloads ------------------------------------------------------------------------

def test_profile_charts_are_svg_on_the_page_and_png_to_download(demo_app, sign_in):
    client, anonymous = sign_in(demo_app, "board_member"), demo_app.test_client()
    apb = areas(demo_app, "apb").iloc[0]
    page = client.get(f"/profiles/apb/{apb['code']}").get_data(as_text=True)
    assert "PNG image" in page and "PNG image" not in anonymous.get(f"/profiles/apb/{apb['code']}").get_data(
        as_text=True)
    sources = re.findall(r'<img class="chart" src="([^"]+)" alt="([^"]+)"', page)
    assert any("/charts/map.svg" in src for src, _ in sources)
    assert any("/charts/spine-" in src for src, _ in sources)
    for src, alt in sources:
        assert alt and apb["name"] in alt
        svg = client.get(src)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        ElementTree.fromstring(svg.data)
        assert anonymous.get(src.replace(".svg", ".png")).status_code == 302  # exporting charts: board and up
        png = client.get(src.replace(".svg", ".png"))
        assert png.data[:8] == b"\x89PNG\r\n\x1a\n" and "attachment" in png.headers["Content-Disposition"]
    spine = client.get(next(src for src, _ in sources if "spine-" in src)).get_data(as_text=True)
    assert apb["name"] in spine and "Ashvale (fictional)" in spine
    assert client.get(f"/profiles/apb/{apb['code']}/charts/spine-99.svg").status_code == 404
    assert client.get(f"/profiles/apb/{apb['code']}/charts/map.gif").status_code == 404


def test_freehand_page_carries_its_charts_inline(demo_app):
    ward = areas(demo_app, "wards").iloc[0]
    drawn = gpd.GeoSeries([ward.geometry], crs=27700).to_crs(4326).iloc[0]
    page = demo_app.test_client().post("/profiles/freehand", data={
        "geometry": json.dumps(shapely.geometry.mapping(drawn)), "name": "My patch"}).get_data(as_text=True)
    assert "<h1>My patch" in page and page.count('src="data:image/svg+xml;base64,') >= 1
    assert "/charts/" not in page


def test_profile_tables_download_as_csv_and_xlsx_for_signed_in_users(demo_app, sign_in):
    apb = areas(demo_app, "apb").iloc[0]
    url = f"/profiles/apb/{apb['code']}/tables/indicators"
    assert demo_app.test_client().get(url + ".csv").status_code in (302, 401)
    client = sign_in(demo_app, "board_member")
    profile = client.get(f"/profiles/apb/{apb['code']}.json").get_json()
    rows = list(csv.DictReader(io.StringIO(client.get(url + ".csv").get_data(as_text=True))))
    income = indicator(profile, "income_deprivation_rate")
    row = next(r for r in rows if r["Indicator id"] == "income_deprivation_rate")
    assert float(row["Value"]) == pytest.approx(income["value"]) and row["Compared with the borough"]
    assert len(rows) == sum(len(t["indicators"]) for t in profile["themes"])
    book = openpyxl.load_workbook(io.BytesIO(client.get(url + ".xlsx").data))
    assert book.sheetnames == ["Data", "About"]
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert apb["name"] in about["Area"] and about["Method"]
    ranked = list(csv.DictReader(io.StringIO(
        client.get(f"/profiles/apb/{apb['code']}/tables/sub-areas.csv").get_data(as_text=True))))
    assert [r["Code"] for r in ranked] == [r["code"] for r in profile["sub_areas"]["rows"]]
    assert client.get(f"/profiles/apb/{apb['code']}/tables/nothing.csv").status_code == 404
