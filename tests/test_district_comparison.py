"""In a store of several districts (tests/national_store.py: Cheshire West and Chester, Cheshire East and Halton)
every area is compared with its own district, with that district's figure exactly as the district's own profile
shows it (summed numerators and denominators by the same weights), on the profile page, its JSON twin, the board
pack, the profile's CSV, the indicator table and its CSV; the words name the district. A one-borough store is
unchanged."""
from __future__ import annotations

import csv
import html
import io
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import mapping

from geoapp import districts, figures
from geoapp.profiles import read
from geoapp.profiles.read import read_profile_input
from geoapp.profiles.views import pack_html
from geoapp.storage import boundary_sets, persisted
from geoapp.storage.indicators import load_values
from geoapp.web.db import db_session
from layers.figures import judge
from layers.profile import build_profile
from tests import national_store
from tests.test_national_navigation import BLACON, CWAC, HALTON, LIMIT, PER_PAGE, source_codes
from tests.test_profiles import assert_fits_its_schema

SHARE = "children-share"  # a proportion: summed numerators over summed denominators
INCOME = "imd2019-income-rate"
SCORE = "imd2019-score"  # a score: weighted by population


@pytest.fixture
def three_app(backend, request, tmp_path, tmp_path_factory):
    """The three districts' store (the one tests/test_national_navigation.py reads), large sets paged."""
    yield from national_store.open_app(backend, request, tmp_path, tmp_path_factory,
                                       ATLAS_LIST_LIMIT=str(LIMIT), ATLAS_PAGE_SIZE=str(PER_PAGE))


def indicator(profile: dict, indicator_id: str) -> dict:
    return next(i for t in profile["themes"] for i in t["indicators"] if i["id"] == indicator_id)


def test_every_ward_is_compared_with_the_district_holding_it(three_app):
    with three_app.extensions["atlas_db"].session() as session:
        ids = [SHARE, INCOME, SCORE]
        wards = figures.figures(session, "wards", ids)
        lad = figures.figures(session, "lad", ids)
        held = source_codes("wards")
        lsoas = source_codes("lsoa")
        for indicator_id in ids:
            fig = wards[indicator_id]
            assert fig.borough is None and set(fig.districts) == set(national_store.DISTRICTS)
            for district, codes in held.items():
                assert set(fig.table.index[fig.table["district"] == district]) == codes
                own = lad[indicator_id].row(district)
                assert fig.districts[district] == {"code": district, "name": own["name"]} | {
                    k: own[k] for k in ("value", "lower", "upper", "numerator", "denominator")}
                for code in sorted(codes)[:5]:
                    assert fig.comparator(code) == fig.districts[district]
            against = np.array([fig.districts[d]["value"] for d in fig.table["district"]])
            polarity = fig.indicator["polarity"]
            assert list(fig.table["comparison"]) == list(judge(fig.table, {"value": against}, polarity))
        # the district's proportion is its LSOAs' numerators summed over their denominators
        values = load_values(session, "lsoa", [SHARE]).set_index("code")
        for district, codes in lsoas.items():
            mine = values.loc[sorted(codes)]
            assert wards[SHARE].districts[district]["value"] == pytest.approx(
                mine["numerator"].sum() / mine["denominator"].sum(), rel=1e-12)
        assert districts.directory(session, "wards").district_of.to_dict() == figures.districts_of(
            session, "wards", list(wards[SHARE].table.index))


@pytest.mark.parametrize("district", [HALTON, CWAC])
def test_a_ward_profile_names_its_own_district_on_every_page(three_app, sign_in, district):
    member = sign_in(three_app, "board_member")
    ward = sorted(source_codes("wards")[district])[0] if district == HALTON else BLACON
    own = member.get(f"/profiles/lad/{district}.json").get_json()
    name = own["area"]["name"]
    profile = member.get(f"/profiles/wards/{ward}.json").get_json()
    assert profile["borough"] == {"set": "lad", "code": district, "name": name, "role": "district"}
    assert_fits_its_schema(member, profile)
    for indicator_id in (SHARE, INCOME, SCORE):
        assert indicator(profile, indicator_id)["borough"]["value"] == indicator(own, indicator_id)["value"]
    assert indicator(profile, INCOME)["compared_with_borough"] in ("better", "similar", "worse")

    page = html.unescape(member.get(f"/profiles/wards/{ward}").get_data(as_text=True))
    assert f"Figures compare this area with its district, {name}." in page
    assert f'<th scope="col">Compared with {name}</th>' in page
    assert "Compared with the borough" not in page and "the centre line is the borough" not in page

    rows = {r["Indicator id"]: r for r in csv.DictReader(io.StringIO(
        member.get(f"/profiles/wards/{ward}/tables/indicators.csv").get_data(as_text=True)))}
    assert float(rows[SHARE][f"{name} value"]) == pytest.approx(indicator(own, SHARE)["value"], rel=1e-12)
    assert rows[INCOME][f"Compared with {name}"] == indicator(profile, INCOME)["compared_with_borough"]

    with three_app.test_request_context():
        pack = html.unescape(pack_html(build_profile(read_profile_input(db_session(), "wards", ward))))
    assert f"Figures compare this area with its district, {name}." in pack
    assert f"Compared with its district, {name}" in pack and "Compared with the borough" not in pack


def test_the_indicator_table_and_its_csv_show_each_areas_district_figure(three_app, sign_in):
    member = sign_in(three_app, "board_member")
    own = {d: indicator(member.get(f"/profiles/lad/{d}.json").get_json(), SHARE)["value"]
           for d in national_store.DISTRICTS}
    twin = member.get(f"/indicators/{SHARE}/wards.json").get_json()
    assert twin["borough"] is None
    assert {d: v["value"] for d, v in twin["districts"].items()} == own
    assert {a["district"] for a in twin["areas"]} == set(national_store.DISTRICTS)
    table = list(csv.DictReader(io.StringIO(member.get(f"/indicators/{SHARE}/wards.csv").get_data(as_text=True))))
    assert len(table) == 115
    for row in table:
        assert float(row["district_value"]) == pytest.approx(own[row["District code"]], rel=1e-12)
        assert row["Code"] in source_codes("wards")[row["District code"]]
    page = re.sub(r"\s+", " ", html.unescape(member.get(f"/indicators/{SHARE}/wards?district={HALTON}")
                                              .get_data(as_text=True)))
    assert "Each area is compared with the district it lies in: <strong>Cheshire East</strong>" in page
    assert "Compared with its district" in page and "the borough" not in page
    assert "<th scope=\"col\" class=\"num\">District's figure</th>" in page


def test_a_drawn_area_is_compared_with_the_district_it_lies_in(three_app):
    with three_app.extensions["atlas_db"].session() as session:
        halton = boundary_sets.load_areas(session, "lad", [HALTON]).geometry.iloc[0]
        own = {i: f.row(HALTON) for i, f in figures.figures(session, "lad", [SHARE]).items()}
    drawn = gpd.GeoSeries([shapely.buffer(halton.representative_point(), 400)], crs=27700).to_crs(4326).iloc[0]
    response = three_app.test_client().post("/profiles/freehand.json", json={"geometry": mapping(drawn),
                                                                            "name": "Drawn in Halton"})
    assert response.status_code == 200, response.get_data(as_text=True)
    profile = response.get_json()
    assert profile["borough"] == {"set": "lad", "code": HALTON, "name": "Halton", "role": "district"}
    assert indicator(profile, SHARE)["borough"]["value"] == own[SHARE]["value"]


def test_a_one_borough_store_still_compares_with_the_borough(cwac_app):
    client = cwac_app.test_client()
    profile = client.get(f"/profiles/wards/{BLACON}.json").get_json()
    assert profile["borough"] == {"set": "lad", "code": CWAC, "name": "Cheshire West and Chester", "role": "borough"}
    page = html.unescape(client.get(f"/profiles/wards/{BLACON}").get_data(as_text=True))
    assert "Figures compare this area with the borough, Cheshire West and Chester" in page
    assert '<th scope="col">Compared with the borough</th>' in page
    twin = client.get(f"/indicators/{SHARE}/wards.json").get_json()
    assert twin["districts"] is None and twin["borough"]["code"] == CWAC
    assert not re.search(r'"district"', str(twin["areas"][0]))


def test_an_areas_related_areas_are_kept_in_the_store_and_read_back_equal(three_app):
    """What a restarted process reads (the process's cache emptied) equals what was measured."""
    with three_app.extensions["atlas_db"].session() as session:
        shape = boundary_sets.load_areas(session, "lad", [HALTON]).geometry.iloc[0]
        measured = read._geography(session, "lad", HALTON, shape)
        read._GEOGRAPHY.clear()
        versions = tuple((b.id, figures.set_version(b)) for b in boundary_sets.list_sets(session))
        assert persisted.read(session, "related areas", ("lad", HALTON, versions)) is not None
        assert read._geography(session, "lad", HALTON, shape) == measured
        related, _ = measured
        wards = next(r for r in related if r.set == "wards")
        inside = {a.code for a in wards.areas if a.relation == "contains"}
        assert inside and inside <= source_codes("wards")[HALTON] <= {a.code for a in wards.areas}


def test_a_comparison_of_areas_in_two_districts_compares_each_with_its_own(three_app, sign_in):
    member = sign_in(three_app, "board_member")
    halton_ward = sorted(source_codes("wards")[HALTON])[0]
    areas = f"wards:{BLACON},wards:{halton_ward}"
    view = member.get(f"/compare/index.json?areas={areas}").get_json()
    assert view["compared_with"] == "district" and view["borough"] is None
    cells = {c["code"]: c for t in view["themes"] for i in t["indicators"] if i["id"] == INCOME for c in i["areas"]}
    for code, district in ((BLACON, CWAC), (halton_ward, HALTON)):
        profile = member.get(f"/profiles/wards/{code}.json").get_json()
        assert cells[code]["compared_with_name"] == profile["borough"]["name"]
        assert cells[code]["comparison"] == indicator(profile, INCOME)["compared_with_borough"]
        assert profile["borough"]["code"] == district
    page = html.unescape(member.get(f"/compare/?areas={areas}").get_data(as_text=True))
    assert "each compared with the district it lies in" in page and "the borough's value" not in page
    assert "its district's value" in page
    table = member.get(f"/compare/table.csv?areas={areas}").get_data(as_text=True)
    assert "compared with the district" in table and "compared with the borough" not in table
