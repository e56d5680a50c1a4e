"""One area, one population: every area of every Cheshire West and Chester set has the same population on
every page and twin that shows one (profile page and JSON, indicator table, compare, groups per 1,000,
service alignment, the forum editor and `geoapp proposal-check`, the board pack), and sets made of whole
wards are exactly the sum of their wards."""
from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from geoapp import figures
from geoapp.storage import boundary_sets
from tests.conftest import csrf_token

POPULATION = "population-total"
SETS = ("lad", "apb", "wards", "msoa", "lsoa", "lsoa2021", "sub-icb", "icb", "ambulance")
#: On PostGIS the same walk over fewer sets (the SQLite walk covers every area of every set).
POSTGIS_SETS = ("lad", "apb", "wards", "sub-icb")
DD = re.compile(r"<dt>Population</dt><dd>([0-9,]+) <small>\(([^)]+)\)</small>")


@pytest.fixture
def walk(cwac_app, backend):
    with cwac_app.extensions["atlas_db"].session() as session:
        sets = SETS if backend == "sqlite" else POSTGIS_SETS
        expected = {}
        for set_id in sets:
            people = figures.population(session, set_id)
            expected[set_id] = people.values.dropna()
        blocks = {code: props["blocks"] for code, props in
                  zip(*boundary_sets.load_areas(session, "apb")[["code", "properties"]].T.to_numpy())}
    return expected, blocks


def test_populations_are_whole_people_that_add_up(walk):
    expected, blocks = walk
    for set_id, values in expected.items():
        assert (values == values.round()).all(), set_id
    borough = expected["lad"].iloc[0]
    assert borough == 343_823  # ONS mid-2020, the borough's 212 LSOAs
    assert expected["wards"].sum() == borough and expected["apb"].sum() == borough
    for apb, wards in blocks.items():  # sets made of whole wards: exactly the sum of their wards
        assert expected["apb"][apb] == expected["wards"].reindex(wards).sum(), apb
    if "lsoa" in expected:
        assert expected["lsoa"].sum() == borough and expected["msoa"].sum() == borough
        assert expected["lsoa2021"].sum() == borough  # carried through the ONS lookup, nothing lost


def test_every_page_and_twin_shows_the_same_population(cwac_app, walk, sign_in):
    expected, _ = walk
    client = cwac_app.test_client()
    for set_id, values in expected.items():
        table = client.get(f"/indicators/{POPULATION}/{set_id}.json").get_json()
        from_table = {a["code"]: a["value"] for a in table["areas"] if a["value"] is not None}
        by_area = client.get(f"/groups/by-area.json?set={set_id}").get_json()
        from_groups = {a["code"]: a["population"] for a in by_area["areas"]}
        for code, value in values.items():
            profile = client.get(f"/profiles/{set_id}/{code}.json").get_json()
            assert profile["key_facts"]["population"]["value"] == value, (set_id, code)
            assert profile["key_facts"]["population"]["period"] == "mid-2020"
            assert from_table[code] == value and from_groups[code] == value, (set_id, code)
            assert profile["groups"]["population"] == value
            for line in (profile["services"] or {}).get("lines", []):
                if "population" in line:  # a service area's profile: the areas it serves
                    assert line["population"] == value, (set_id, code)
        page = client.get(f"/profiles/{set_id}/{values.index[0]}").get_data(as_text=True)
        shown, period = DD.search(page).groups()
        assert int(shown.replace(",", "")) == values.iloc[0] and period == "mid-2020"
        for start in range(0, len(values), 9):  # up to 10 areas at a time, with the borough beside them
            beside = "apb:chester" if set_id == "lad" else "lad:E06000050"
            chunk = [f"{set_id}:{c}" for c in values.index[start:start + 9]] + [beside]
            found = client.get("/compare/index.json?areas=" + ",".join(dict.fromkeys(chunk))).get_json()
            cells = next(i for t in found["themes"] for i in t["indicators"] if i["id"] == POPULATION)["areas"]
            shown = {(c["set"], c["code"]): c["value"] for c in cells}
            for code in values.index[start:start + 9]:
                assert shown[(set_id, code)] == values[code], (set_id, code)


def test_service_alignment_counts_each_area_as_its_profile_does(cwac_app, walk):
    expected, _ = walk
    runner = cwac_app.test_cli_runner()
    for a, b in (("apb", "sub-icb"), ("wards", "apb"), ("lsoa", "wards")):
        if a not in expected or b not in expected:
            continue
        result = runner.invoke(args=["alignment", a, b, "--json"])
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        for side, set_id in (("a", a), ("b", b)):
            rows = found["fits"][side]
            listed = {r["code"]: r["population"] for r in rows if r["population"] is not None}
            assert listed == expected[set_id].to_dict(), (a, b, side)
        page = cwac_app.test_client().get(f"/alignment/fit.json?a={a}&b={b}").get_json()
        for side, set_id in (("a", a), ("b", b)):
            assert {r["code"]: r["population"] for r in page["fits"][side] if r["population"] is not None} \
                == expected[set_id].to_dict()


def test_the_forum_editor_and_proposal_check_count_wards_and_apbs_alike(cwac_app, walk, sign_in, tmp_path):
    expected, blocks = walk
    officer = sign_in(cwac_app, "officer")
    officer.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(officer), "HTTP_ACCEPT": "application/json"}
    by_apb = {ward: apb for apb, wards in blocks.items() for ward in wards}
    one_each = {ward: f"f-{ward}" for ward in by_apb}
    made = officer.post("/proposals/", json={"name": "Check", "settings": {"tolerance": 0.05},
                                             "assignment": by_apb})
    assert made.status_code == 201, made.get_json()
    proposal = made.get_json()["id"]
    for assignment, set_id in ((by_apb, "apb"), (one_each, "wards")):
        found = officer.post(f"/proposals/{proposal}/check.json", json={"assignment": assignment}).get_json()
        forums = {f["code"]: f["population"] for f in found["forums"]}
        for forum, population in forums.items():
            code = forum[2:] if set_id == "wards" else forum
            assert population == expected[set_id][code], (set_id, forum)
    path = tmp_path / "forums.csv"
    pd.DataFrame({"block_code": list(by_apb), "forum": list(by_apb.values())}).to_csv(path, index=False)
    result = cwac_app.test_cli_runner().invoke(args=["proposal-check", str(path), "--blocks", "wards",
                                                     "--within", "apb", "--json"])
    assert result.exit_code in (0, 1), result.output
    checked = json.loads(result.output)
    assert {f["code"]: f["population"] for f in checked["forums"]} == expected["apb"].to_dict()


def test_the_board_pack_prints_the_population_of_the_profile(cwac_app, walk, sign_in):
    expected, _ = walk
    member = sign_in(cwac_app, "board_member")  # a pack takes seconds to typeset: one area of each kind
    for set_id in ("apb", "wards"):
        for code, value in expected[set_id].head(1).items():
            response = member.get(f"/profiles/{set_id}/{code}.pdf")
            assert response.status_code == 200
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages[:2])
            assert f"{value:,.0f}" in text and "mid-2020" in text, (set_id, code)


def test_official_ward_estimates_win_for_wards_and_the_sets_built_from_them(cwac_db, tmp_path, make_app):
    """A council loads its own ward population estimates (CSV by ward code): wards and APBs show them;
    LSOAs and service areas keep the LSOA estimates."""
    from geoapp.loading.load import LoadReport, Reporter, import_indicators
    with cwac_db.session() as session:
        wards = boundary_sets.load_areas(session, "wards")[["code", "name"]]
    wards["people"] = 7000 + np.arange(len(wards)) * 10
    wards.to_csv(tmp_path / "wards.csv", index=False)
    (tmp_path / "wards.toml").write_text('''
[catalogue]
id = "ward-estimates"
title = "Council ward estimates"
file = "wards.csv"
code_column = "code"
period = "mid-2023"
source = "Cheshire West and Chester Council ward population estimates (test)"
licence = "Test"
population_estimates = true

[[indicators]]
id = "ward-population"
title = "Ward population (council estimate)"
theme = "Population"
type = "count"
polarity = "neither"
unit = "people"
column = "people"
role = "population"
''')
    with cwac_db.transaction() as session:
        import_indicators(session, tmp_path / "wards.toml", "wards", actor="test", reporter=Reporter(),
                          report=LoadReport())
    app = make_app(cwac_db, tmp_path)
    client = app.test_client()
    ward = wards.iloc[3]
    profile = client.get(f"/profiles/wards/{ward['code']}.json").get_json()
    assert profile["key_facts"]["population"]["value"] == ward["people"]
    assert profile["key_facts"]["population"]["period"] == "mid-2023"
    with cwac_db.session() as session:
        apb = boundary_sets.load_areas(session, "apb")
    code, members = apb["code"].iloc[0], apb["properties"].iloc[0]["blocks"]
    apb_profile = client.get(f"/profiles/apb/{code}.json").get_json()
    assert apb_profile["key_facts"]["population"]["value"] == wards.set_index("code").loc[members, "people"].sum()
    lsoa = client.get("/profiles/lsoa/E01018308.json").get_json()["key_facts"]["population"]
    assert lsoa["period"] == "mid-2020" and lsoa["value"] == 2024  # ONS mid-2020 for E01018308
