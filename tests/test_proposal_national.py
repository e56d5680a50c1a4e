"""The proposal editor and comparison on a block set too large to send whole (England's wards): with
ATLAS_TILES_MIN_AREAS lowered below Cheshire West and Chester's 45 wards, the maps load only the wards lying in
the proposal's containers, from the bounded display route, on both stores."""
from __future__ import annotations

import html
import json
import re

import pytest

from geoapp.storage import boundary_sets
from tests.conftest import csrf_token

CONFIG = re.compile(r"data-atlas-(proposal|compare)='([^']+)'")


@pytest.fixture
def national_app(cwac_db, tmp_path, make_app):
    """CWAC with the threshold at 40: its 45 wards count as a large set, its 7 APBs do not."""
    return make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="40")


@pytest.fixture
def officer(national_app, sign_in):
    client = sign_in(national_app, "officer")
    client.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(client)}
    return client


def page_config(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return json.loads(html.unescape(CONFIG.search(response.get_data(as_text=True)).group(2)))


def create(client, name: str, assignment: dict) -> int:
    response = client.post("/proposals/", json={"name": name, "assignment": assignment},
                           headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def main_apb(app) -> dict[str, str]:
    """Each ward's APB by the store's links: the APB holding the largest share of it."""
    with app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        links = boundary_sets.containers(session, [int(i) for i in wards["id"]])
    return {code: max((c for c in links[int(i)] if c["set"] == "apb"), key=lambda c: c["share"])["code"]
            for code, i in zip(wards["code"], wards["id"])}


def test_editor_and_comparison_load_the_wards_within_the_containers(officer, national_app, make_app, cwac_db,
                                                                     tmp_path, sign_in):
    by_apb = main_apb(national_app)  # each ward in a forum named after its APB
    first, second = create(officer, "By APB", by_apb), create(officer, "One forum", dict.fromkeys(by_apb, "All"))
    editor = page_config(officer, f"/proposals/{first}")
    assert editor["urls"]["blocks"] == "/map/sets/wards.geojson?within=apb"
    assert editor["urls"]["containers"] == "/map/sets/apb.geojson"  # 7 APBs: sent whole as today
    compare = page_config(officer, f"/proposals/compare?a={first}&b={second}")
    assert compare["blocks"] == "/map/sets/wards.geojson?within=apb"
    shown = officer.get(editor["urls"]["blocks"])
    assert shown.status_code == 200 and shown.mimetype == "application/geo+json"
    assert {f["properties"]["code"] for f in shown.get_json()["features"]} == set(main_apb(national_app))
    # below the threshold nothing changes: the whole set, as before
    small = make_app(cwac_db, tmp_path / "small", ATLAS_TILES_MIN_AREAS="2000")
    client = sign_in(small, "officer", email="small@example.org")
    assert page_config(client, f"/proposals/{first}")["urls"]["blocks"] == "/map/sets/wards.geojson"


def test_within_one_container_only_its_wards_by_links_and_by_geometry(officer, national_app):
    owner = main_apb(national_app)
    with national_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards").set_index("code")
        apbs = boundary_sets.load_areas(session, "apb").set_index("code")
    seen = set()
    for apb in apbs.index:
        features = officer.get(f"/map/sets/wards.geojson?within=apb:{apb}").get_json()["features"]
        codes = {f["properties"]["code"] for f in features}
        assert codes == {w for w, a in owner.items() if a == apb}
        for code in codes:  # the APB holding most of each ward's ground
            assert apbs.geometry.intersection(wards.loc[code, "geometry"]).area.idxmax() == apb
        assert all(f["properties"]["set"] == "wards" and f["properties"]["containers"] for f in features)
        seen |= codes
    assert seen == set(wards.index)  # every ward in exactly one APB's view: none dropped, none twice
    one = next(iter(apbs.index))
    itself = officer.get(f"/map/sets/apb.geojson?within=apb:{one}").get_json()["features"]
    assert [f["properties"]["code"] for f in itself] == [one]


def test_bounded_geojson_is_cached_and_answers_not_modified(officer, national_app):
    url = "/map/sets/wards.geojson?within=apb:" + next(iter(set(main_apb(national_app).values())))
    first = officer.get(url)
    cache = national_app.extensions["atlas_map_within"]
    builds = cache.builds
    again = officer.get(url)
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert cache.builds == builds  # served from the cache, not built again
    assert again.headers["Cache-Control"] == "no-cache"
    assert officer.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    whole = officer.get("/map/sets/wards.geojson")
    assert whole.headers["ETag"] != first.headers["ETag"]
    assert len(whole.get_json()["features"]) > len(first.get_json()["features"])


@pytest.mark.parametrize("url", ["/map/sets/nowhere.geojson?within=apb",
                                 "/map/sets/wards.geojson?within=nowhere",
                                 "/map/sets/wards.geojson?within=nowhere:E1",
                                 "/map/sets/wards.geojson?within=apb:E99999999"])
def test_unknown_sets_and_codes_are_not_found(officer, url):
    response = officer.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 404
