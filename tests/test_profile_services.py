"""The "Service areas" section of area profiles, on the real Cheshire West and Chester sets: which service
areas serve a partnership area and, on a service area's profile, which APBs it serves."""
from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import pytest
import shapely
from pypdf import PdfReader

from geoapp.alignment import service
from geoapp.storage import boundary_sets
from tests.helpers import HOSTILE, add_set

ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
SUB_ICB_27D = "E38000233"  # NHS Cheshire and Merseyside ICB - 27D: the whole borough and beyond
APBS = {"chester", "ellesmere-port", "northwich-rural-north", "rural-west", "winsford-rural-east"}


def stored_areas(app, set_id):
    with app.extensions["atlas_db"].session() as session:
        return boundary_sets.load_areas(session, set_id)


def line_for(profile: dict, other_set: str) -> dict:
    return next(line for line in profile["services"]["lines"] if line["other"]["id"] == other_set)


def test_chester_apb_is_served_by_27d_page_json_and_alignment_agree(cwac_app):
    client = cwac_app.test_client()
    profile = client.get("/profiles/apb/chester.json").get_json()
    section = profile["services"]
    assert section["direction"] == "served by" and section["ignore_slivers"] is True
    assert [line["other"]["id"] for line in section["lines"]] == ["sub-icb", "icb", "ambulance"]
    sub_icb = line_for(profile, "sub-icb")
    first = sub_icb["areas"][0]
    assert first["code"] == SUB_ICB_27D and first["name"].endswith("27D") and first["population_share"] > 0.99
    assert sum(a["population_share"] for a in sub_icb["areas"]) == pytest.approx(1.0)
    assert sub_icb["lead"] == "This area partnership board is served by one sub-ICB location"
    assert sub_icb["sentence"].startswith(f"{sub_icb['lead']}: {first['name']}, {first['share_text']}")
    assert re.fullmatch(r"(100|\d\d\.\d)% of its population \((\d\d\.\d|100)% of its land\)", first["share_text"])
    assert any("Slivers are left out" in m for m in section["method"])
    assert any(m.startswith("Population: ") and "postcodes" in m for m in section["method"])

    page = client.get("/profiles/apb/chester").get_data(as_text=True)
    assert '<a href="#services">Service areas</a>' in page and '<h2 id="services-h">Service areas</h2>' in page
    assert (f'{sub_icb["lead"]}: <a href="/profiles/sub-icb/{SUB_ICB_27D}">{first["name"]}</a>, '
            f'{first["share_text"]}.') in page
    link = "/alignment/?a=apb&amp;b=sub-icb&amp;ignore_slivers=1"
    assert f'<a href="{link}">How' in page

    # the link opens the alignment of the same two sets, and its figures are the profile's
    assert client.get(link.replace("&amp;", "&")).status_code == 200
    fit = client.get("/alignment/fit.json?a=apb&b=sub-icb&ignore_slivers=1").get_json()
    chester = next(row for row in fit["fits"]["a"] if row["code"] == "chester")
    assert chester["best_fit"] == SUB_ICB_27D and chester["share"] == pytest.approx(first["population_share"])


def test_a_ward_lists_its_service_areas(cwac_app):
    client = cwac_app.test_client()
    profile = client.get("/profiles/wards/E05012209.json").get_json()  # Blacon, in Chester
    lines = profile["services"]["lines"]
    assert [line["lead"] for line in lines] == [
        "This ward is served by one sub-ICB location", "This ward is served by one integrated care board",
        "This ward is served by one ambulance service"]
    assert [line["areas"][0]["code"] for line in lines] == [SUB_ICB_27D, "E54000008", "NWAS"]
    for line in lines:
        assert line["areas"][0]["population_share"] == pytest.approx(1.0)
        assert 0.9 < line["areas"][0]["area_share"] <= 1.0
    page = client.get("/profiles/wards/E05012209").get_data(as_text=True)
    assert "This ward is served by one ambulance service: " in page
    assert '<a href="/alignment/?a=wards&amp;b=ambulance&amp;ignore_slivers=1">' in page


def test_27d_serves_the_five_apbs_and_reaches_beyond_the_borough(cwac_app):
    client = cwac_app.test_client()
    profile = client.get(f"/profiles/sub-icb/{SUB_ICB_27D}.json").get_json()
    assert profile["area"]["kind_name"] == "Sub-ICB location"
    section = profile["services"]
    assert section["direction"] == "serves" and len(section["lines"]) == 1  # APBs; no LAF set in this store
    line = section["lines"][0]
    assert line["set"]["id"] == "apb" and line["lead"] == "This sub-ICB location serves these area partnership boards"
    assert {a["code"] for a in line["areas"]} == APBS
    shares = [a["population_share"] for a in line["areas"]]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0, abs=1e-4)
    assert 0.3 < line["covered"] < 0.6
    assert line["note"].startswith(f"{service.percent(line['covered'])} of its land lies within the "
                                   "area partnership boards;")
    page = client.get(f"/profiles/sub-icb/{SUB_ICB_27D}").get_data(as_text=True)
    chester = next(a for a in line["areas"] if a["code"] == "chester")
    assert f'{line["lead"]}:</p>' in page  # more than two areas: one list item each
    assert f'<li><a href="/profiles/apb/chester">Chester</a>, {chester["share_text"]}</li>' in page
    assert '<a href="/alignment/?a=apb&amp;b=sub-icb&amp;ignore_slivers=1">' in page


def test_hostile_service_names_are_escaped_and_freehand_areas_have_no_section(cwac_app):
    client = cwac_app.test_client()
    chester = stored_areas(cwac_app, "apb").set_index("code").loc["chester", "geometry"]
    add_set(cwac_app, "hostile", "service", HOSTILE, [("H1", HOSTILE, chester.bounds)])
    profile = client.get("/profiles/apb/chester.json").get_json()
    line = line_for(profile, "hostile")
    assert line["lead"] == "This area partnership board is served by one service area"
    assert line["areas"][0]["name"] == HOSTILE and line["areas"][0]["population_share"] == pytest.approx(1.0)
    page = client.get("/profiles/apb/chester").get_data(as_text=True)
    assert HOSTILE not in page and f'<a href="/profiles/hostile/H1">{ESCAPED}</a>' in page
    assert f"How\n      Area Partnership Boards and {ESCAPED} fit" in page

    drawn = gpd.GeoSeries([shapely.box(*chester.centroid.buffer(500).bounds)], crs=27700).to_crs(4326).iloc[0]
    freehand = client.post("/profiles/freehand.json", json={"geometry": shapely.geometry.mapping(drawn)})
    assert freehand.status_code == 200 and freehand.get_json()["services"] is None
    page = client.post("/profiles/freehand", data={"geometry": json.dumps(shapely.geometry.mapping(drawn)),
                                                    "name": "My patch"})
    assert page.status_code == 200 and "<h1>My patch" in page.get_data(as_text=True)
    assert 'id="services"' not in page.get_data(as_text=True)


def test_the_board_pack_prints_the_section(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    profile = client.get("/profiles/apb/rural-west.json").get_json()
    response = client.get("/profiles/apb/rural-west.pdf")
    assert response.status_code == 200
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    assert "Service areas" in text
    sub_icb = line_for(profile, "sub-icb")
    assert len(sub_icb["areas"]) == 2  # Rural West reaches a corner of Shropshire's sub-ICB location
    assert sub_icb["lead"] + ":" in text
    for area in sub_icb["areas"]:
        assert f"{area['name']}, {area['share_text']}" in text
