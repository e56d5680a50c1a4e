"""A proposal's area: the containers it covers. On the three-district store (wards grouped within districts, the
ward set counted large) a proposal for Halton loads, counts and checks only Halton's wards: its editor's maps,
check.json, balance.json, the exports and a comparison; an unknown code is refused with nothing stored; a copy
keeps the area. On the one-borough store nothing changes when no area is chosen. Both stores, both backends."""
from __future__ import annotations

import csv
import html
import io
import json
import re

import numpy as np
import pytest

from geoapp.proposals.engine import prepare_layer
from tests import national_store
from tests.conftest import csrf_token, require_shared_data
from tests.test_national_navigation import source_codes

HALTON, CWAC, EAST = "E06000006", "E06000050", "E06000049"
CONFIG = re.compile(r"data-atlas-proposal='([^']+)'")


@pytest.fixture
def three_app(backend, request, tmp_path, tmp_path_factory):
    """The three districts with the threshold at 50: their 115 wards count as a large set, the 3 districts not."""
    yield from national_store.open_app(backend, request, tmp_path, tmp_path_factory, ATLAS_TILES_MIN_AREAS="50")


@pytest.fixture
def officer(three_app, sign_in):
    client = sign_in(three_app, "officer")
    client.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(client)}
    return client


@pytest.fixture(scope="module")
def wards() -> dict[str, set[str]]:
    """Each district's May 2024 wards, as the England file has them."""
    require_shared_data()
    return source_codes("ward")


def create(client, **fields):
    return client.post("/proposals/", json={"name": "Halton forums"} | fields, headers={"Accept": "application/json"})


def page_config(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    return json.loads(html.unescape(CONFIG.search(response.get_data(as_text=True)).group(1)))


def codes_of(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    return {f["properties"]["code"] for f in response.get_json()["features"]}


def proposal_count(client) -> int:
    return len(client.get("/proposals/", headers={"Accept": "application/json"}).get_json()["proposals"])


def test_the_editor_loads_only_the_area_and_every_check_counts_only_it(officer, wards):
    halton = sorted(wards[HALTON])
    made = create(officer, container_set="lad", settings={"area": [HALTON], "forums_per_container": 2})
    assert made.status_code == 201, made.get_json()
    proposal = made.get_json()
    assert proposal["settings"]["area"] == [HALTON]
    config = page_config(officer, f"/proposals/{proposal['id']}")
    assert config["urls"]["blocks"] == f"/map/sets/wards.geojson?within=lad:{HALTON}"
    assert config["urls"]["containers"] == f"/map/sets/lad.geojson?within=lad:{HALTON}"
    assert config["container_count"] == 1
    assert codes_of(officer, config["urls"]["blocks"]) == set(halton)
    assert codes_of(officer, config["urls"]["containers"]) == {HALTON}

    url = f"/proposals/{proposal['id']}/check.json"
    empty = officer.post(url, json={"assignment": {}}).get_json()
    complete = next(r for r in empty["rules"] if r["rule"] == "complete")
    assert complete["message"].startswith(f"{len(halton)} wards are in no forum")  # not the 115 of all three
    assert set(complete["blocks"]) == set(halton)
    count = next(r for r in empty["rules"] if r["rule"] == "forum_count")
    assert [p["message"].split(" should")[0] for p in count["problems"]] == [f"borough Halton ({HALTON})"]

    # a ward of Cheshire West and Chester in the assignment is neither unassigned nor an unknown code
    outside = sorted(wards[CWAC])[0]
    half = len(halton) // 2
    assignment = dict.fromkeys(halton[:half], "H1") | dict.fromkeys(halton[half:], "H2") | {outside: "X"}
    found = officer.post(url, json={"assignment": assignment}).get_json()
    assert [f["code"] for f in found["forums"]] == ["H1", "H2"]
    assert sum(f["block_count"] for f in found["forums"]) == len(halton)
    rules = {r["rule"]: r for r in found["rules"]}
    assert rules["complete"]["passed"], rules["complete"]["message"]
    assert rules["forum_count"]["passed"], rules["forum_count"]["message"]
    # (the districts are dissolved from generalised 2011 LSOAs, so Halton's wards reach a few per cent past
    # them: only that is reported, never a forum lying in another district)
    assert all("split between boroughs" in p["message"] for p in rules["within_one_container"]["problems"])
    assert set(rules["within_one_container"]["blocks"]) <= set(halton)
    assert {f["container"] for f in found["forums"]} == {HALTON}

    # a shape drawn over all three districts takes only the area's wards
    england = {"type": "Polygon", "coordinates": [[[-4, 52.5], [-1, 52.5], [-1, 54], [-4, 54], [-4, 52.5]]]}
    fitted = officer.post(f"/proposals/{proposal['id']}/fit.json", json={"geometry": england}).get_json()
    assert set(fitted["blocks"]) == set(halton) and fitted["partial"] == []

    balance = officer.get(f"/proposals/{proposal['id']}/balance.json").get_json()
    assert [c["code"] for c in balance["containers"]] == [HALTON]
    assert balance["containers"][0]["blocks"] == len(halton)

    saved = officer.post(f"/proposals/{proposal['id']}/versions",
                         json={"assignment": assignment, "forums": {}, "expected_version": 0})
    assert saved.status_code == 201
    rows = list(csv.DictReader(io.StringIO(officer.get(f"/proposals/{proposal['id']}/export.csv").get_data(
        as_text=True))))
    assert {r["block_code"] for r in rows} == set(halton)
    forums = officer.get(f"/proposals/{proposal['id']}/export.geojson").get_json()["features"]
    assert sorted(f["properties"]["block_count"] for f in forums) == sorted([half, len(halton) - half])
    shown = officer.get(f"/proposals/{proposal['id']}", headers={"Accept": "application/json"}).get_json()
    assert shown["check"]["forums"] == found["forums"]

    # a copy keeps the area; a comparison with it counts only Halton's wards
    copy = officer.post(f"/proposals/{proposal['id']}/duplicate", json={},
                        headers={"Accept": "application/json"})
    assert copy.status_code == 201, copy.get_json()
    copied = copy.get_json()
    copied = copied.get("proposal", copied)
    assert copied["settings"]["area"] == [HALTON]
    one = dict.fromkeys(halton, "H1") | {outside: "Y"}
    saved = officer.post(f"/proposals/{copied['id']}/versions",
                         json={"assignment": one, "forums": {}, "expected_version": copied["version"]})
    assert saved.status_code == 201
    compared = officer.get(f"/proposals/compare.json?a={proposal['id']}&b={copied['id']}").get_json()
    assert {m["code"] for m in compared["differences"]["moved"]} == set(halton[half:])


def test_an_area_is_prepared_alone_as_the_whole_layer_within_it(three_app):
    with three_app.app_context(), three_app.extensions["atlas_db"].session() as session:
        whole, _ = prepare_layer(session, "wards", "lad")
        alone, _ = prepare_layer(session, "wards", "lad", area=(HALTON, EAST))
    expected = whole.within([HALTON, EAST])
    assert alone.codes == expected.codes and alone.container_codes == (HALTON, EAST) == expected.container_codes
    assert alone.outside == expected.outside and len(alone.outside) == len(whole.codes) - len(alone.codes) > 0
    np.testing.assert_array_equal(alone.edges, expected.edges)
    np.testing.assert_array_equal(alone.container, expected.container)
    np.testing.assert_allclose(alone.container_share, expected.container_share)
    np.testing.assert_allclose(alone.shared_m, expected.shared_m)
    np.testing.assert_allclose(alone.table, expected.table, equal_nan=True)
    np.testing.assert_allclose(alone.container_population, expected.container_population)


def test_several_districts_and_the_within_route(officer, wards):
    made = create(officer, container_set="lad", settings={"area": [HALTON, CWAC]}).get_json()
    config = page_config(officer, f"/proposals/{made['id']}")
    assert config["urls"]["blocks"] == f"/map/sets/wards.geojson?within=lad:{HALTON},{CWAC}"
    assert codes_of(officer, config["urls"]["blocks"]) == wards[HALTON] | wards[CWAC]
    assert codes_of(officer, config["urls"]["containers"]) == {HALTON, CWAC}
    first = officer.get(config["urls"]["blocks"])
    again = officer.get(config["urls"]["blocks"], headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # the order of the codes does not matter; an unknown one is a 404
    assert officer.get(f"/map/sets/wards.geojson?within=lad:{CWAC},{HALTON}").headers["ETag"] == first.headers["ETag"]
    assert officer.get(f"/map/sets/wards.geojson?within=lad:{HALTON},E06999999").status_code == 404
    # every district chosen is the whole set: no area is stored
    every = create(officer, container_set="lad", settings={"area": [HALTON, CWAC, EAST]}).get_json()
    assert "area" not in every["settings"]


def test_unknown_codes_are_refused_and_nothing_is_stored(officer):
    before = proposal_count(officer)
    refused = create(officer, container_set="lad", settings={"area": [HALTON, "E09000001", "nonsense"]})
    assert refused.status_code == 422
    message = refused.get_json()["description"]
    assert "2 of the codes chosen for the proposal's area are not areas of the set 'lad'" in message
    assert "E09000001, nonsense" in message and "Nothing was stored" in message
    assert proposal_count(officer) == before
    assert create(officer, container_set="lad", settings={"area": "E06000006"}).status_code == 422
    made = create(officer, container_set="lad", settings={"area": [HALTON]}).get_json()
    changed = officer.post(f"/proposals/{made['id']}/update", json={"settings": {"area": ["E07000001"]}},
                           headers={"Accept": "application/json"})
    assert changed.status_code == 422 and "E07000001" in changed.get_json()["description"]
    shown = officer.get(f"/proposals/{made['id']}", headers={"Accept": "application/json"}).get_json()
    assert shown["proposal"]["settings"]["area"] == [HALTON]


def test_the_new_proposal_form_offers_the_districts(officer, wards):
    page = officer.get("/proposals/").get_data(as_text=True)
    for code in (HALTON, CWAC, EAST):
        assert f'name="area" value="{code}"' in page
    response = officer.post("/proposals/new", data={"name": "Two districts", "block_set": "wards",
                                                    "container_set": "lad", "tolerance": "5",
                                                    "area": [EAST, HALTON]})
    assert response.status_code == 302
    config = page_config(officer, response.headers["Location"])
    assert config["container_count"] == 2
    assert codes_of(officer, config["urls"]["blocks"]) == wards[HALTON] | wards[EAST]
    refused = officer.post("/proposals/new", data={"name": "Wrong", "block_set": "wards", "container_set": "lad",
                                                   "tolerance": "5", "area": [HALTON, "E00000000"]})
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert "E00000000" in text and f'value="{HALTON}" checked' in text


def test_one_borough_store_unchanged_without_an_area(cwac_app, sign_in):
    client = sign_in(cwac_app, "officer")
    client.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(client)}
    assert 'name="area"' not in client.get("/proposals/").get_data(as_text=True)
    made = create(client).get_json()
    assert "area" not in made["settings"]
    config = page_config(client, f"/proposals/{made['id']}")
    assert config["urls"]["blocks"] == "/map/sets/wards.geojson"
    assert config["urls"]["containers"] == "/map/sets/apb.geojson"
    assert config["container_count"] == len(codes_of(client, "/map/sets/apb.geojson"))
    empty = client.post(f"/proposals/{made['id']}/check.json", json={"assignment": {}}).get_json()
    complete = next(r for r in empty["rules"] if r["rule"] == "complete")
    assert complete["message"].startswith("45 wards are in no forum")


def test_an_import_in_a_national_store_covers_the_districts_of_its_blocks(officer, wards):
    """A block-assignment file of one district's wards makes a proposal of that district: the other districts'
    wards are not reported missing (the CSV form has no area to tick), and the editor loads only Halton."""
    halton = sorted(wards[HALTON])
    text = "block_code,forum\n" + "".join(f"{code},H{i % 2 + 1}\n" for i, code in enumerate(halton[2:]))
    imported = officer.post("/proposals/import", data={"file": (io.BytesIO(text.encode()), "halton.csv"),
                                                       "container_set": "lad"},
                            headers={"Accept": "application/json"})
    assert imported.status_code == 201, imported.get_json()
    found = imported.get_json()
    assert found["report"]["area"] == [HALTON]
    assert found["report"]["missing"] == halton[:2]  # not the other districts' wards
    assert found["proposal"]["settings"]["area"] == [HALTON]
    config = page_config(officer, f"/proposals/{found['proposal']['id']}")
    assert codes_of(officer, config["urls"]["blocks"]) == set(halton)

    # as a form post, the officer is told which districts the proposal covers
    page = officer.post("/proposals/import", data={"file": (io.BytesIO(text.encode()), "halton.csv"),
                                                   "container_set": "lad"}, follow_redirects=True)
    assert page.status_code == 200
    assert "The proposal covers the 1 area(s) holding the file&#39;s blocks: Halton." in page.get_data(as_text=True)


def test_the_editor_changes_the_area_keeping_the_proposal(officer, wards):
    """The editor's Area panel: the ticks show the area; a form post changes it (none ticked: every district)
    and the officer is told what it covers; the map then loads the new area's wards."""
    made = create(officer, container_set="lad", settings={"area": [HALTON]}).get_json()
    editor = officer.get(f"/proposals/{made['id']}").get_data(as_text=True)
    assert 'class="area-form"' in editor and "data-keeps-drawing" in editor
    ticked = re.findall(r'name="area" value="(E\d+)" checked', editor)
    assert ticked == [HALTON]

    changed = officer.post(f"/proposals/{made['id']}/update", data={"area_form": "1", "area": [HALTON, CWAC]},
                           follow_redirects=True)
    assert changed.status_code == 200
    assert "The proposal now covers 2 area(s)" in changed.get_data(as_text=True)
    config = page_config(officer, f"/proposals/{made['id']}")
    assert codes_of(officer, config["urls"]["blocks"]) == wards[HALTON] | wards[CWAC]

    officer.post(f"/proposals/{made['id']}/update", data={"area_form": "1"})
    shown = officer.get(f"/proposals/{made['id']}", headers={"Accept": "application/json"}).get_json()
    assert "area" not in shown["proposal"]["settings"]
    config = page_config(officer, f"/proposals/{made['id']}")
    assert config["container_count"] == 3

    refused = officer.post(f"/proposals/{made['id']}/update", data={"area_form": "1", "area": ["E09999999"]},
                           headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "E09999999" in refused.get_json()["description"]
