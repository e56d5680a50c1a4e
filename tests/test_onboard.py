"""`geoapp onboard`: a manifest written for any English council from the shared England files, and loaded.

Counts are checked against the files themselves (read with pyogrio here), the district's deprivation against
MHCLG's published district averages, and the population against the ONS estimates' sum. All of England
(`--all`) is too slow for CI: bench/onboard.py times it.
"""
from __future__ import annotations

import tomllib

import pandas as pd
import pyogrio
import pytest
from sqlalchemy import func, select

from boundaries.io import read_boundaries
from geoapp import figures
from geoapp.loading.england import UnknownArea, england
from geoapp.loading.load import load_manifest
from geoapp.loading.manifest import read_manifest
from geoapp.loading.onboard import onboard, plan
from geoapp.storage import boundary_sets
from geoapp.storage.models import AreaLink, BoundarySet, DistrictSummary

from .conftest import build_app, require_shared_data


@pytest.fixture(scope="module")
def data():
    return require_shared_data() / "england"


def file_count(path, layer=None, where=None) -> int:
    return len(pyogrio.read_dataframe(path, layer=layer, where=where, read_geometry=False))


def value(session, set_id, indicator):
    return figures.figures(session, set_id, [indicator])[indicator]


def test_a_unitary_authority_is_onboarded_with_mhclg_s_figures(db, data, tmp_path):
    """Cheshire West and Chester, onboarded by its code, gives the figures MHCLG and ONS publish for it."""
    done = onboard(db, data, "E06000050", tmp_path / "cwac.toml")
    manifest = tomllib.loads(done.manifest.read_text())
    assert manifest["area"] == {**manifest["area"], "name": "Cheshire West and Chester", "code": "E06000050"}
    assert {b["id"] for b in manifest["boundaries"]} == {"lad", "wards", "lsoa", "lsoa2021"}
    assert "What to add next" in done.manifest.read_text() and "parish" in done.manifest.read_text()
    assert done.report.sets == {
        "lad": 1,
        "wards": file_count(data / "wards2024.gpkg", "wards", "lad_code = 'E06000050'"),
        "lsoa": file_count(data / "lsoa2011.gpkg", where="lad19cd = 'E06000050'"),
        "lsoa2021": file_count(data / "lsoa2021.gpkg", where="lad24cd = 'E06000050'"),
    } == {"lad": 1, "wards": 45, "lsoa": 212, "lsoa2021": 222}
    with db.session() as session:
        imd2025 = value(session, "lad", "iod2025-imd-score")
        imd2019 = value(session, "lad", "imd2019-score")
        people = value(session, "lad", "population-total")
        assert round(imd2025.table.loc["E06000050", "value"], 3) == 17.736  # MHCLG's IoD2025 average score
        assert round(imd2019.table.loc["E06000050", "value"], 3) == 18.083  # and IoD2019's
        assert "exact nesting" in imd2025.table.loc["E06000050", "method"]
        estimates = pd.read_csv(data / "lsoa11_population_mid2020_syoa.csv", usecols=["LSOA Code", "All Ages"])
        codes = boundary_sets.area_codes(session, "lsoa")
        assert people.table.loc["E06000050", "value"] == estimates.set_index("LSOA Code").loc[codes].sum().item() \
            == 343823
        assert imd2025.england is not None and imd2025.england["name"] == "England"
        summary = session.scalar(select(DistrictSummary).where(DistrictSummary.catalogue_id == "iod2025",
                                                               DistrictSummary.code == "E06000050",
                                                               DistrictSummary.domain == "IMD"))
        assert round(summary.measures["average_score"], 3) == 17.736
        linked = session.scalar(select(func.count()).select_from(AreaLink))
        assert linked >= 212 + 222 + 45
    # the manifest stays editable: loading it again replaces the sets
    again = load_manifest(db, read_manifest(done.manifest), replace=True)
    assert again.sets == done.report.sets


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the backends' parity: the test above
def test_a_small_district_outside_cheshire_gets_stand_in_populations(db, data, tmp_path):
    """Rutland: IoD2025's own denominators are blank there, so the ONS mid-2020 estimates stand in, and say so."""
    done = onboard(db, data, "E06000017", tmp_path / "rutland.toml")
    assert done.report.sets["lsoa2021"] == file_count(data / "lsoa2021.gpkg", where="lad24cd = 'E06000017'")
    assert done.report.sets["wards"] == file_count(data / "wards2024.gpkg", "wards", "lad_code = 'E06000017'")
    with db.session() as session:
        income = value(session, "lad", "iod2025-income-rate")
        row = income.table.loc["E06000017"]
        assert 0 < row["value"] < 1 and "exact nesting" in row["method"]
        assert f"for {done.report.sets['lsoa2021']} of the {done.report.sets['lsoa2021']} areas" in \
            income.indicator["source"] and "mid-2020" in income.indicator["source"]
        # the district's own average score, weighted by the stand-in, is the one ranked among all districts
        summary = session.scalar(select(DistrictSummary).where(DistrictSummary.catalogue_id == "iod2025",
                                                               DistrictSummary.code == "E06000017",
                                                               DistrictSummary.domain == "IMD"))
        score = value(session, "lad", "iod2025-imd-score").table.loc["E06000017", "value"]
        assert score == pytest.approx(summary.measures["average_score"], abs=1e-9)


def test_a_county_onboards_its_districts_with_the_county_above(tmp_path, data):
    """A county code writes its districts and the county above them (Warwickshire: five districts)."""
    done = plan(data, "E10000031", tmp_path / "warwickshire.toml")
    districts = england(data).members("E10000031")
    assert done.districts == districts and len(districts) == 5
    manifest = read_manifest(done.manifest)
    lad = next(b for b in manifest.boundaries if b.id == "lad")
    county = next(b for b in manifest.boundaries if b.id == "county")
    assert (lad.kind, county.kind) == ("lad", "county")
    assert set(map(tuple, county.recode.values())) == {("E10000031", "Warwickshire")}
    areas = read_boundaries(lad.file, layer=lad.layer, where=lad.where, code_field=lad.code_field, dissolve=True,
                            recode={k: tuple(v) for k, v in (lad.recode or {}).items()}).areas
    whole = read_boundaries(county.file, layer=county.layer, where=county.where, code_field=county.code_field,
                            dissolve=True, recode={k: tuple(v) for k, v in county.recode.items()}).areas
    assert sorted(areas["code"]) == districts and whole["code"].tolist() == ["E10000031"]
    assert whole.geometry.area.sum() == pytest.approx(areas.geometry.area.sum(), rel=1e-6)


def test_the_county_set_holds_its_districts_when_loaded(east_sussex_db, data, tmp_path):
    """Loaded, the districts are linked wholly into the county."""
    db = east_sussex_db
    with db.session() as session:
        counts = boundary_sets.area_counts(session)
        assert counts["county"] == 1 and counts["lad"] == 5
        assert session.get(BoundarySet, "county").kind == "county"
        held = boundary_sets.containers(session, boundary_sets.load_areas(session, "lad")["id"].astype(int).tolist())
        for links in held.values():
            assert [(link["set"], link["code"], link["share"]) for link in links if link["set"] == "county"] == \
                [("county", "E10000011", 1.0)]
        # several districts: no one borough to compare with (not the first district), each ward's own district
        assert figures.borough_set(session) is None
        wards = pyogrio.read_dataframe(data / "wards2024.gpkg", layer="wards", read_geometry=False,
                                       where="county_code = 'E10000011'")
        placed = figures.districts_of(session, "wards", wards["code"].tolist())
        agree = sum(placed.get(code) == lad for code, lad in zip(wards["code"], wards["lad_code"]))
        assert agree == len(wards)
        income = value(session, "wards", "iod2025-income-rate")
        assert income.borough is None and income.england["name"] == "England"
    # a ward's profile is served, compared with England
    ward = wards["code"].iloc[0]
    response = build_app(db, tmp_path).test_client().get(f"/profiles/wards/{ward}.json")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert ward in response.get_data(as_text=True) and "England" in response.get_data(as_text=True)


def test_a_merged_council_reads_its_former_districts(tmp_path, data):
    """Somerset (E06000066, from four districts in 2023): its 2011 LSOAs are read by their 2019 districts and
    recoded into it; the lookup places every one."""
    done = plan(data, "E06000066", tmp_path / "somerset.toml")
    lad = next(b for b in read_manifest(done.manifest).boundaries if b.id == "lad")
    former = sorted(lad.recode)
    assert len(former) == 4 and all(v == ["E06000066", "Somerset"] for v in lad.recode.values())
    assert done.placement.read == file_count(data / "lsoa2011.gpkg", where=lad.where)
    assert done.placement.outside == done.placement.missing == done.placement.unlinked == ()
    areas = read_boundaries(lad.file, layer=lad.layer, where=lad.where, code_field=lad.code_field, dissolve=True,
                            recode={k: tuple(v) for k, v in lad.recode.items()}).areas
    assert areas["code"].tolist() == ["E06000066"] and areas["name"].tolist() == ["Somerset"]


def test_an_unknown_code_is_refused_with_nothing_stored(db, runner, data, tmp_path):
    """An unknown or former code is refused with what to do instead, and nothing is written or stored."""
    result = runner.invoke(args=["onboard", "E07000163", "--manifest", str(tmp_path / "x.toml")])
    assert result.exit_code == 2
    assert "Craven" in result.output and "E06000065 North Yorkshire" in result.output
    assert "Nothing was stored" in result.output
    result = runner.invoke(args=["onboard", "Rutlnd"])
    assert result.exit_code == 2 and "E06000017 Rutland" in result.output
    assert not (tmp_path / "x.toml").exists()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(BoundarySet)) == 0
    with pytest.raises(UnknownArea, match="E06000099"):
        plan(data, "E06000099", tmp_path / "y.toml")


def test_onboard_lists_codes_by_name(runner, data):
    result = runner.invoke(args=["onboard", "--list", "rutland"])
    assert result.exit_code == 0 and result.output.strip() == "E06000017  Rutland"
