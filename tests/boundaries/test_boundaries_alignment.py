"""Coterminosity between two boundary sets, on hand-built boxes whose answers are worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from boundaries import alignment as geometry
from boundaries.alignment import align, cut
from boundaries.errors import CRSError

BNG = "EPSG:27700"
X0, Y0 = 340_000.0, 366_000.0  # near Chester


def sq(x, y, w, h=None):
    """A box ``w`` x ``h`` metres whose lower-left corner is (x, y) metres from (X0, Y0)."""
    h = w if h is None else h
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def frame(areas: dict, crs=BNG) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": list(areas)}, geometry=list(areas.values()), crs=crs)


def people(pieces: pd.DataFrame, by_pair: dict) -> np.ndarray:
    """Population of each piece from {(a_code, b_code): population}; None stands for "outside the other set"."""
    keys = [(None if pd.isna(a) else a, None if pd.isna(b) else b) for a, b in zip(pieces["a_code"], pieces["b_code"])]
    assert len(set(keys)) == len(keys), "one piece per pair in these tests"
    return np.array([float(by_pair[key]) for key in keys])


def fit_of(fit: pd.DataFrame, code: str) -> dict:
    return fit.set_index("code").loc[code].to_dict()


# ------------------------------------------------------------------------------------ nesting, identity


@pytest.fixture
def wards():
    """Four 100 m wards in a 2 x 2 grid."""
    return frame({"w1": sq(0, 0, 100), "w2": sq(100, 0, 100), "w3": sq(0, 100, 100), "w4": sq(100, 100, 100)})


def test_exact_nesting_scores_one_and_a_nests_in_b(wards):
    boards = frame({"p1": sq(0, 0, 100, 200), "p2": sq(100, 0, 100, 200)})  # w1, w3 in p1; w2, w4 in p2
    pieces = cut(wards, boards)
    assert len(pieces) == 4 and not pieces["sliver"].any()
    assert pieces["a_code"].notna().all() and pieces["b_code"].notna().all()
    population = people(pieces, {("w1", "p1"): 100, ("w3", "p1"): 300, ("w2", "p2"): 200, ("w4", "p2"): 200})
    result = align(pieces, wards["code"], boards["code"], population=population)
    assert result.scores["a_in_b"] == 1.0 and result.scores["a_in_b_by_area"] == 1.0
    assert result.relationship() == "A nests in B"
    assert dict(zip(result.a_fit["code"], result.a_fit["best_fit"])) == {"w1": "p1", "w2": "p2", "w3": "p1",
                                                                         "w4": "p2"}
    assert (result.a_fit["outside"] == 0).all() and (result.a_fit["partners"] == 1).all()
    # p1: 300 of its 400 people in w3, p2: 200 of 400 in its best fit (a tie, broken by area then code: w2)
    assert fit_of(result.b_fit, "p1")["best_fit"] == "w3" and fit_of(result.b_fit, "p1")["share"] == 0.75
    assert fit_of(result.b_fit, "p2")["best_fit"] == "w2" and fit_of(result.b_fit, "p2")["share"] == 0.5
    assert result.scores["b_in_a"] == pytest.approx((400 * 0.75 + 400 * 0.5) / 800)
    assert result.scores["b_in_a_by_area"] == pytest.approx(0.5)
    assert fit_of(result.b_fit, "p1")["partners"] == 2


def test_identical_sets_are_coterminous(wards):
    same = frame(dict(zip(["x1", "x2", "x3", "x4"], wards.geometry)))
    pieces = cut(wards, same)
    assert len(pieces) == 4 and not pieces["sliver"].any()
    result = align(pieces, wards["code"], same["code"])
    assert result.scores == {"a_in_b": 1.0, "b_in_a": 1.0, "a_in_b_by_area": 1.0, "b_in_a_by_area": 1.0}
    assert result.relationship() == "coterminous"
    assert result.lookup("a_to_b")[["from_code", "to_code"]].values.tolist() == [
        ["w1", "x1"], ["w2", "x2"], ["w3", "x3"], ["w4", "x4"]]
    assert result.lookup("b_to_a")["to_code"].tolist() == ["w1", "w2", "w3", "w4"]


# ------------------------------------------------------------------------------------ a known split


@pytest.fixture
def split():
    """a1 is 400 m x 100 m: its first 100 m lie in b1 and the other 300 m in b2; a2 lies wholly in b2."""
    a = frame({"a1": sq(0, 0, 400, 100), "a2": sq(0, 100, 400, 100)})
    b = frame({"b1": sq(0, 0, 100, 100), "b2": sq(100, 0, 300, 200) | sq(0, 100, 100, 100)})
    return a, b


def test_known_split_by_population_given_per_piece(split):
    a, b = split
    pieces = cut(a, b)
    assert pieces[["a_code", "b_code", "area_m2"]].values.tolist() == [
        ["a1", "b1", 10_000.0], ["a1", "b2", 30_000.0], ["a2", "b2", 40_000.0]]
    # 300 of a1's 400 people live in its small corner in b1; a2's 200 people all live in b2
    population = people(pieces, {("a1", "b1"): 300, ("a1", "b2"): 100, ("a2", "b2"): 200})
    result = align(pieces, a["code"], b["code"], population=population)
    a1 = fit_of(result.a_fit, "a1")
    assert (a1["best_fit"], a1["share"], a1["outside"], a1["by"]) == ("b1", 0.75, 0.25, "population")
    assert a1["area_share"] == 0.25 and a1["partners"] == 2 and a1["population"] == 400
    # score A in B: (400 x 0.75 + 200 x 1) / 600
    assert result.scores["a_in_b"] == pytest.approx(500 / 600)
    # b1 holds 300 people, all in a1; b2 holds 300 people, 200 in a2 (best) and 100 in a1
    b2 = fit_of(result.b_fit, "b2")
    assert (b2["best_fit"], b2["share"], b2["population"]) == ("a2", pytest.approx(2 / 3), 300)
    assert result.scores["b_in_a"] == pytest.approx((300 * 1.0 + 300 * 2 / 3) / 600)
    assert result.relationship() == "partly aligned"
    pairs = result.pairs.set_index(["a_code", "b_code"])
    assert pairs.loc[("a1", "b1"), "a_population_share"] == 0.75
    assert pairs.loc[("a1", "b1"), "a_area_share"] == 0.25
    assert pairs.loc[("a1", "b2"), "b_population_share"] == pytest.approx(1 / 3)
    assert pairs.loc[("a1", "b2"), "b_area_share"] == pytest.approx(30_000 / 70_000)


def test_nesting_tolerates_one_percent_outside(split):
    a, b = split
    pieces = cut(a, b)
    # 99.5% of a1's people in b1: a1 is split by land, yet both directions reach NESTS_AT
    close = align(pieces, a["code"], b["code"], population=people(
        pieces, {("a1", "b1"): 995, ("a1", "b2"): 5, ("a2", "b2"): 0}))
    assert close.scores["a_in_b"] == pytest.approx(0.995) and close.scores["b_in_a"] == 1.0
    assert close.relationship() == "coterminous"
    # 98.5%: below the threshold, so only B nests in A
    below = align(pieces, a["code"], b["code"], population=people(
        pieces, {("a1", "b1"): 985, ("a1", "b2"): 15, ("a2", "b2"): 0}))
    assert below.scores["a_in_b"] == pytest.approx(0.985)
    assert below.scores["a_in_b"] < geometry.NESTS_AT
    assert below.relationship() == "B nests in A"


def test_areas_without_population_fall_back_to_area(split):
    a, b = split
    pieces = cut(a, b)
    result = align(pieces, a["code"], b["code"])  # no population at all
    a1 = fit_of(result.a_fit, "a1")
    assert (a1["best_fit"], a1["by"], a1["share"]) == ("b2", "area", 0.75)
    assert result.scores["a_in_b"] == pytest.approx((40_000 * 0.75 + 40_000 * 1.0) / 80_000)
    assert result.scores["a_in_b"] == result.scores["a_in_b_by_area"]
    # a2 has no people while a1 has: a2 alone is fitted by area, and weighs nothing in the population score
    population = people(pieces, {("a1", "b1"): 300, ("a1", "b2"): 100, ("a2", "b2"): 0})
    result = align(pieces, a["code"], b["code"], population=population)
    assert fit_of(result.a_fit, "a1")["by"] == "population"
    a2 = fit_of(result.a_fit, "a2")
    assert (a2["best_fit"], a2["by"], a2["share"]) == ("b2", "area", 1.0)
    assert result.scores["a_in_b"] == 0.75
    assert result.lookup()["by"].tolist() == ["population", "area"]


# ------------------------------------------------------------------------------------ outside the other set


def test_parts_outside_the_other_set_count_in_the_denominators():
    a = frame({"a1": sq(0, 0, 200, 100)})
    b = frame({"b1": sq(0, 0, 100, 100), "b2": sq(0, 500, 100, 100)})  # b2 touches nothing of A
    pieces = cut(a, b)
    assert pieces[["a_code", "b_code", "area_m2"]].astype(object).where(pieces.notna(), None).values.tolist() == [
        ["a1", "b1", 10_000.0], ["a1", None, 10_000.0], [None, "b2", 10_000.0]]
    population = people(pieces, {("a1", "b1"): 60, ("a1", None): 40, (None, "b2"): 80})
    result = align(pieces, a["code"], b["code"], population=population)
    a1 = fit_of(result.a_fit, "a1")
    assert (a1["best_fit"], a1["share"], a1["outside"], a1["population"]) == ("b1", 0.6, 0.4, 100)
    assert a1["area_share"] == 0.5
    b2 = fit_of(result.b_fit, "b2")
    assert pd.isna(b2["best_fit"]) and b2["share"] == 0 and b2["outside"] == 1 and b2["partners"] == 0
    assert result.scores["a_in_b"] == 0.6 and result.scores["a_in_b_by_area"] == 0.5
    # b1 wholly in a1 (60 people), b2 wholly outside A (80 people): 60 / 140
    assert result.scores["b_in_a"] == pytest.approx(60 / 140)
    assert result.lookup("b_to_a")["to_code"].isna().tolist() == [False, True]
    # each area's population shares, including its part outside the other set, sum to one
    for side in ("a", "b"):
        shares = result.pairs.groupby(f"{side}_code")[f"{side}_population_share"].sum()
        assert np.allclose(shares, 1.0)


# ------------------------------------------------------------------------------------ slivers


def strips(width: float):
    """a1 is 1 km square; b1 covers all but a strip ``width`` m wide on its east, which b2 (1 km further) holds."""
    a = frame({"a1": sq(0, 0, 1000)})
    b = frame({"b1": sq(0, 0, 1000 - width, 1000), "b2": sq(1000 - width, 0, 1000 + width, 1000)})
    return a, b


def test_a_thin_strip_below_the_width_is_a_sliver_and_above_it_is_not():
    pieces = cut(*strips(10))
    strip = pieces[(pieces["a_code"] == "a1") & (pieces["b_code"] == "b2")].iloc[0]
    assert strip["area_m2"] == 10_000 and strip["width_m"] == pytest.approx(2 * 10_000 / 2_020)  # 9.9 m
    assert bool(strip["sliver"])
    assert pieces["sliver"].sum() == 1
    wide = cut(*strips(30))
    strip = wide[(wide["a_code"] == "a1") & (wide["b_code"] == "b2")].iloc[0]
    assert strip["width_m"] == pytest.approx(2 * 30_000 / 2_060)  # 29.1 m
    assert not wide["sliver"].any()
    assert cut(*strips(30), sliver_width=30)["sliver"].sum() == 1


def test_a_thin_area_holding_half_an_area_is_not_a_sliver():
    a = frame({"a1": sq(0, 0, 1000), "a2": sq(0, 1000, 1000, 10)})  # a2: a 10 m strip along a1's north edge
    b = frame({"b1": sq(0, 0, 1000, 1010)})
    pieces = cut(a, b)
    thin = pieces[pieces["a_code"] == "a2"].iloc[0]
    assert thin["width_m"] < geometry.SLIVER_WIDTH_M
    assert not pieces["sliver"].any()
    result = align(pieces, a["code"], b["code"])
    assert fit_of(result.a_fit, "a2")["best_fit"] == "b1" and result.scores["a_in_b"] == 1.0


def test_ignoring_slivers_changes_the_shares_as_worked_out_by_hand():
    a, b = strips(10)
    pieces = cut(a, b)
    assert pieces[["a_code", "b_code"]].astype(object).where(pieces[["a_code", "b_code"]].notna(), None)\
        .values.tolist() == [["a1", "b1"], ["a1", "b2"], [None, "b2"]]
    population = people(pieces, {("a1", "b1"): 990, ("a1", "b2"): 10, (None, "b2"): 500})
    counted = align(pieces, a["code"], b["code"], population=population)
    assert fit_of(counted.a_fit, "a1")["share"] == 0.99 and fit_of(counted.a_fit, "a1")["partners"] == 1
    assert fit_of(counted.a_fit, "a1")["sliver_area_m2"] == 10_000
    b2 = fit_of(counted.b_fit, "b2")
    assert (b2["best_fit"], b2["share"], b2["partners"]) == ("a1", pytest.approx(10 / 510), 0)
    assert counted.scores["b_in_a"] == pytest.approx((990 + 10) / 1500)
    assert counted.pairs["sliver_population"].sum() == 10

    ignored = align(pieces, a["code"], b["code"], population=population, ignore_slivers=True)
    a1 = fit_of(ignored.a_fit, "a1")
    assert (a1["share"], a1["outside"], a1["population"], a1["area_m2"]) == (1.0, 0.0, 990, 990_000)
    b2 = fit_of(ignored.b_fit, "b2")
    assert pd.isna(b2["best_fit"]) and b2["share"] == 0 and b2["population"] == 500
    assert ignored.scores["a_in_b"] == 1.0
    assert ignored.scores["b_in_a"] == pytest.approx(990 / 1490)
    assert ignored.ignore_slivers and ignored.relationship() == "A nests in B"


def test_ignored_slivers_are_still_counted_in_the_sliver_columns():
    a, b = strips(10)
    pieces = cut(a, b)
    population = people(pieces, {("a1", "b1"): 990, ("a1", "b2"): 10, (None, "b2"): 500})
    ignored = align(pieces, a["code"], b["code"], population=population, ignore_slivers=True)
    assert fit_of(ignored.a_fit, "a1")["sliver_area_m2"] == 10_000
    assert ignored.pairs["sliver_population"].sum() == 10


# ------------------------------------------------------------------------------------ CRS and inputs


def test_a_crs_mismatch_raises(split):
    a, b = split
    with pytest.raises(CRSError, match="different coordinate reference systems"):
        cut(a, b.to_crs("EPSG:4326"))


@pytest.mark.parametrize("which", ["a", "b"])
def test_a_missing_crs_raises(split, which):
    a, b = split
    bare = {"a": a, "b": b}[which].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        cut(bare, b) if which == "a" else cut(a, bare)


def test_sets_in_another_shared_crs_are_measured_in_british_national_grid(split):
    a, b = split
    pieces = cut(a.to_crs("EPSG:4326"), b.to_crs("EPSG:4326"))
    assert pieces.crs.to_epsg() == 27700
    real = pieces[~pieces["sliver"]]
    assert real[["a_code", "b_code"]].values.tolist() == [["a1", "b1"], ["a1", "b2"], ["a2", "b2"]]
    assert real["area_m2"].tolist() == pytest.approx([10_000, 30_000, 40_000], rel=1e-6)
    # the round trip through degrees leaves crumbs along the shared edges: slivers, not misalignment
    assert pieces.loc[pieces["sliver"], "area_m2"].sum() < 1e-3


def test_inputs_are_not_modified(split):
    a, b = split
    a["extra"] = [1, 2]
    before_a, before_b = a.copy(), b.copy()
    pieces = cut(a, b)
    align(pieces, a["code"], b["code"], population=np.ones(len(pieces)), ignore_slivers=True)
    assert_geodataframe_equal(a, before_a)
    assert_geodataframe_equal(b, before_b)
