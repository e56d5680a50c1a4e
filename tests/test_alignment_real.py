"""Coterminosity on the real Cheshire West and Chester sets, on SQLite and on PostGIS.

Wards nest exactly in the APBs (which are built from them); the APBs lie in one sub-ICB location;
LSOAs (2011) straddle the 2019 wards in known places, which the postcode file shows independently:
each postcode carries both its LSOA (ONS lookup) and its ward (Code-Point Open).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoapp.alignment import service, tables
from geoapp.storage import postcodes
from geoapp.web.db import database
from layers.alignment import measure

POPULATION = "Total population: mid 2015 (excluding prisoners)"
#: A small area straddles when at least this share of it lies outside its best-fit ward.
STRADDLE = 0.10


def measured(app, a: str, b: str, **options) -> service.SetAlignment:
    with app.app_context(), database().session() as session:
        return service.measure_sets(session, a, b, **options)


def load_postcodes(app, path) -> None:
    with app.app_context(), database().transaction() as session:
        postcodes.load(session, path, actor="test")


@pytest.fixture(scope="module")
def lsoa_population(shared_data) -> float:
    """CWAC's total LSOA population, straight from the ONS mid-2020 file (the population the store shows)."""
    codes = set(gpd.read_file(shared_data / "cheshire_west_and_chester.gpkg", layer="lsoa", engine="pyogrio")["code"])
    table = pd.read_csv(shared_data / "england" / "lsoa11_population_mid2020_syoa.csv",
                        usecols=["LSOA Code", "All Ages"])
    return float(table[table["LSOA Code"].isin(codes)]["All Ages"].sum())


@pytest.fixture(scope="module")
def postcode_straddlers(shared_data) -> tuple[set, pd.Series, pd.Series]:
    """From the postcodes' own LSOA and ward codes: LSOAs with >= 10% of postcodes outside their majority ward.

    Returns the straddlers, each LSOA's majority ward and the postcode counts by (LSOA, ward).
    """
    table = pd.read_csv(shared_data / "postcodes_cheshire.csv", dtype=str, keep_default_na=False,
                        usecols=["lsoa11cd", "ward_code", "lad_code"])
    table = table[(table["lad_code"] == "E06000050") & table["lsoa11cd"].str.startswith("E01")
                  & table["ward_code"].str.startswith("E05")]
    counts = table.groupby(["lsoa11cd", "ward_code"]).size()
    total = counts.groupby(level=0).sum()
    outside = 1 - counts.groupby(level=0).max() / total
    majority = counts.groupby(level=0).idxmax().map(lambda key: key[1])
    return set(outside.index[outside >= STRADDLE]), majority, counts


def agreement(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / len(found), hits / len(truth)


def test_wards_are_wholly_aligned_with_the_apbs(cwac_app, shared_data, lsoa_population):
    result = measured(cwac_app, "wards", "apb")
    fit = result.fit
    assert fit.scores["a_in_b"] == 1.0 and fit.scores["a_in_b_by_area"] == 1.0
    assert fit.relationship() == "A nests in B"
    assert result.sentence().startswith("Wards (2019) nest within Area Partnership Boards: 100% of")
    expected = pd.read_csv(shared_data / "cwac_apb_wards.csv", dtype=str).set_index("ward_code")["apb_id"]
    assert len(fit.a_fit) == 45
    assert fit.a_fit.set_index("code")["best_fit"].sort_index().to_dict() == expected.sort_index().to_dict()
    assert (fit.a_fit["share"] == 1.0).all() and (fit.a_fit["partners"] == 1).all()
    misaligned = [f for f in tables.misaligned(result, "a")["features"] if not f["properties"]["sliver"]]
    assert misaligned == []
    lookup = tables.lookup(result)
    assert list(lookup.columns) == ["WD19CD", "WD19NM", "APB19CD", "APB19NM", "ObjectId"]
    assert dict(zip(lookup["WD19CD"], lookup["APB19CD"])) == expected.to_dict()
    # every APB's population is the sum of its wards': the reverse score is each APB's largest ward
    apb_population = fit.b_fit.set_index("code")["population"]
    assert apb_population.sum() == pytest.approx(lsoa_population - result.population["unplaced"])


def test_every_apb_lies_in_the_cheshire_west_sub_icb_location(cwac_app, lsoa_population):
    result = measured(cwac_app, "apb", "sub-icb")
    apbs = result.fit.a_fit.set_index("code")
    assert len(apbs) == 5
    assert (apbs["best_fit"] == "E38000233").all()
    assert (apbs["share"] > 0.99).all() and (apbs["by"] == "population").all()
    assert result.fit.relationship() == "A nests in B"
    assert result.fit.scores["a_in_b"] > 0.999
    # the sub-ICB location holds all five APBs, so its best fit holds only part of it
    cheshire_west = result.fit.b_fit.set_index("code").loc["E38000233"]
    assert cheshire_west["partners"] == 5 and cheshire_west["share"] < 0.5
    pieces_population = result.fit.pairs["population"].sum()
    assert pieces_population == pytest.approx(lsoa_population - result.population["unplaced"], rel=1e-9)
    assert 0 <= result.population["unplaced"] < 0.001 * lsoa_population


def test_lsoa_straddles_agree_with_the_postcodes(cwac_app, shared_data, postcode_straddlers, lsoa_population):
    truth, majority, counts = postcode_straddlers
    assert len(truth) == 46
    with cwac_app.app_context(), database().session() as session:
        loaded = postcodes.count(session)
    if not loaded:  # the example manifest loads them; a store without them gets them here
        load_postcodes(cwac_app, shared_data / "postcodes_cheshire.csv")

    # LSOA population split by where the postcodes are: the straddles found are the postcode file's
    result = measured(cwac_app, "lsoa", "wards")
    assert result.population["points"] > 10_000 and "postcodes" in result.population["method"]
    fits = result.fit.a_fit.set_index("code")
    found = set(fits.index[fits["outside"] >= STRADDLE])
    precision, recall = agreement(found, truth)
    assert precision >= 0.9 and recall >= 0.9  # 45 of the 47 found and of the 46 in the file: 0.957, 0.978
    # the best fit is the ward holding most of the LSOA's postcodes, but for near-even splits (e.g. E01018707,
    # 40 postcodes in one ward and 37 in another by the file; 50% each by the points in the pieces)
    best = fits["best_fit"].reindex(majority.index)
    assert (best == majority).mean() >= 0.99  # 207 of 209 LSOAs with postcodes
    for lsoa in majority.index[best != majority]:
        assert counts.loc[lsoa].max() / counts.loc[lsoa].sum() < 0.55 and fits.loc[lsoa, "share"] < 0.55
    assert result.fit.relationship() == "partly aligned"
    assert 0.9 < result.fit.scores["a_in_b"] < 0.95  # 92.5%

    pairs = result.fit.pairs.set_index(["a_code", "b_code"])["a_population_share"]
    for lsoa, best, other in (("E01018684", "E05012234", "E05012243"), ("E01018373", "E05012241", "E05012214"),
                              ("E01018518", "E05012223", "E05012247")):
        assert lsoa in found and fits.loc[lsoa, "best_fit"] == best
        postcode_share = counts.loc[(lsoa, other)] / counts.loc[lsoa].sum()
        assert pairs.loc[(lsoa, other)] == pytest.approx(postcode_share, abs=0.03)
        assert pairs.loc[(lsoa, other)] > 0.3
    assert result.name("b", "E05012234") == "Sandstone"

    # the pieces hold every person of the LSOAs, less any part beyond both sets (none here: A is the LSOAs)
    assert result.fit.pairs["population"].sum() == pytest.approx(lsoa_population - result.population["unplaced"],
                                                                 rel=1e-9)
    assert result.population["unplaced"] == pytest.approx(0.0, abs=1e-6)
    assert result.fit.a_fit["population"].sum() == pytest.approx(lsoa_population, rel=1e-9)


def test_lsoa_straddles_by_area_alone_are_good_not_perfect(shared_data, postcode_straddlers):
    """Without postcodes the LSOA population is split by area: fields and estuaries get people too."""
    truth, majority, _ = postcode_straddlers
    gpkg = shared_data / "cheshire_west_and_chester.gpkg"
    lsoa = gpd.read_file(gpkg, layer="lsoa", engine="pyogrio")[["code", "geometry"]]
    wards = gpd.read_file(gpkg, layer="wards", engine="pyogrio")[["code", "geometry"]]
    iod = pd.read_csv(shared_data / "cheshire_west_and_chester_imd2019.csv")
    population = iod.set_index("LSOA code (2011)")[POPULATION].astype(float)
    pieces, fit, found = measure(lsoa, wards, small=lsoa, population=population)
    assert found.method == "LSOA population split by area of overlap"
    assert found.values.sum() == pytest.approx(population.sum() - found.unplaced, rel=1e-9)
    fits = fit.a_fit.set_index("code")
    precision, recall = agreement(set(fits.index[fits["outside"] >= STRADDLE]), truth)
    assert 0.8 <= precision < 0.95 and 0.8 <= recall < 0.95  # 39 of 46 both ways (0.848)
    assert 0.95 < (fits["best_fit"].reindex(majority.index) == majority).mean() < 1  # 203 of 209 (97.1%)


@pytest.mark.parametrize("with_postcodes", [False, True])
def test_peopling_the_pieces_from_the_lsoas_own_pieces_gives_the_engine_s_figures(shared_data, with_postcodes):
    """LSOAs against wards: the short way (no second overlay) equals apportioning through the engine."""
    gpkg = shared_data / "cheshire_west_and_chester.gpkg"
    lsoa = gpd.read_file(gpkg, layer="lsoa", engine="pyogrio")[["code", "geometry"]]
    wards = gpd.read_file(gpkg, layer="wards", engine="pyogrio")[["code", "geometry"]]
    iod = pd.read_csv(shared_data / "cheshire_west_and_chester_imd2019.csv")
    population = iod.set_index("LSOA code (2011)")[POPULATION].astype(float)
    points = None
    if with_postcodes:
        table = pd.read_csv(shared_data / "postcodes_cheshire.csv", usecols=["easting", "northing"]).dropna()
        points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs=lsoa.crs)
    for a, b, side in ((lsoa, wards, "a"), (wards, lsoa, "b")):
        _, engine, engine_people = measure(a, b, small=lsoa, population=population, points=points)
        _, own, own_people = measure(a, b, small=lsoa, population=population, points=points, small_side=side)
        assert own_people.method == engine_people.method
        assert own_people.values.sum() == pytest.approx(population.sum(), rel=1e-12)
        pairs = engine.pairs.merge(own.pairs, on=["a_code", "b_code"], how="outer")
        for column in ("a_population_share", "b_population_share", "a_area_share"):
            assert (pairs[f"{column}_x"] - pairs[f"{column}_y"]).abs().max() < 1e-8
        for fit in ("a_fit", "b_fit"):
            both = getattr(engine, fit).merge(getattr(own, fit), on="code")
            assert (both["best_fit_x"].fillna("") == both["best_fit_y"].fillna("")).all()
            assert (both["covered_x"] - both["covered_y"]).abs().max() < 1e-8


def test_one_area_measured_alone_has_the_same_shares_as_in_the_whole_sets(cwac_app, shared_data):
    """Profiles measure one area against a service set; its figures must equal the alignment page's."""
    load_postcodes(cwac_app, shared_data / "postcodes_cheshire.csv")
    for a, b, side, codes in (("wards", "ambulance", "a", ["E05012212", "E05012225", "E05012232"]),
                              ("lsoa", "sub-icb", "a", ["E01018684", "E01018552"]),
                              ("apb", "sub-icb", "b", ["E38000233", "E38000194"])):
        whole = measured(cwac_app, a, b, ignore_slivers=True).fit.pairs
        for code in codes:
            alone = measured(cwac_app, a, b, ignore_slivers=True, **{f"{side}_codes": [code]}).fit.pairs
            mine = whole[whole[f"{side}_code"] == code].set_index(["a_code", "b_code"])
            theirs = alone[alone[f"{side}_code"] == code].set_index(["a_code", "b_code"])
            assert sorted(mine.index, key=str) == sorted(theirs.index, key=str), (a, b, code)
            for share in (f"{side}_population_share", f"{side}_area_share", "population"):
                np.testing.assert_allclose(theirs.loc[mine.index, share], mine[share], rtol=1e-9, atol=1e-9,
                                           equal_nan=True, err_msg=f"{a} {b} {code} {share}")
