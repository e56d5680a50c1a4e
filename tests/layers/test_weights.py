"""Weights between boundary sets: exact nesting, best fit, apportionment by area and by population."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, Polygon, box

from boundaries.errors import BoundaryError, CRSError
from layers import weights as weights_module
from layers.weights import (
    NestingError,
    Weights,
    WeightsCache,
    area_weights,
    build_weights,
    centroid_weights,
    lookup_weights,
    nested_weights,
    population_weighted_centroids,
    population_weights,
    weights_key,
)

BNG = "EPSG:27700"
X0, Y0 = 340_000.0, 366_000.0  # near Chester


def frame(codes, geoms, crs=BNG, **columns):
    return gpd.GeoDataFrame({"code": list(codes), **columns}, geometry=list(geoms), crs=crs)


def sq(x, y, w, h=None):
    h = w if h is None else h
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def dense(w: Weights) -> pd.DataFrame:
    return pd.DataFrame(w.matrix.toarray(), index=w.source_codes, columns=w.target_codes)


# ------------------------------------------------------------------------------------ lookup (exact)


def test_lookup_weights_assign_each_source_wholly_to_its_target():
    w = lookup_weights({"w1": "a", "w2": "a", "w3": "b"}, source_codes=["w1", "w2", "w3", "w4"], source_unit="ward")
    table = dense(w)
    assert table.loc["w1", "a"] == 1.0 and table.loc["w3", "b"] == 1.0
    assert table.loc["w4"].sum() == 0.0  # in no target: an empty row, not a guess
    assert w.method == "nested" and w.exact and w.phrase == "exact nesting"
    assert w.sources_per_target().tolist() == [2, 1]


def test_lookup_weights_refuse_a_source_in_two_targets_and_unknown_codes():
    table = pd.DataFrame({"source_code": ["w1", "w1"], "target_code": ["a", "b"]})
    with pytest.raises(NestingError, match="1 problem") as err:
        lookup_weights(table)
    assert "assigned to both a and b" in str(err.value)
    with pytest.raises(NestingError, match="not among the source codes"):
        lookup_weights({"w9": "a"}, source_codes=["w1"])


def test_weights_refuse_inconsistent_shapes_and_unknown_methods():
    with pytest.raises(ValueError, match="2 x 1 but there are 3 source"):
        Weights(np.ones((2, 1)), ("a", "b", "c"), ("x",), "area")
    with pytest.raises(ValueError, match="unknown weighting method"):
        Weights(np.ones((1, 1)), ("a",), ("x",), "guess")


# ------------------------------------------------------------------------------------ area


def test_area_weights_divide_by_the_source_area_so_edge_sources_keep_only_their_inside_share():
    # s1 inside t1; s2 half in t1 and half outside every target; s3 split 1:3 between t1 and t2
    src = frame(["s1", "s2", "s3"], [sq(10, 10, 10), sq(90, 0, 20, 10), sq(95, 50, 20, 10)])
    tgt = frame(["t1", "t2"], [sq(0, 0, 100, 100), sq(100, 0, 100, 100)])
    w = dense(area_weights(src, tgt))
    assert w.loc["s1"].tolist() == [1.0, 0.0]
    assert w.loc["s2", "t1"] == pytest.approx(0.5, abs=1e-15) and w.loc["s2", "t2"] == pytest.approx(0.5)
    assert w.loc["s3", "t1"] == pytest.approx(0.25, abs=1e-15) and w.loc["s3", "t2"] == pytest.approx(0.75)
    src2 = frame(["edge"], [sq(-50, 0, 100, 10)])  # half outside the targets altogether
    edge = area_weights(src2, tgt)
    assert edge.source_shares()[0] == pytest.approx(0.5)  # tobler's allocate_total=True would give 1.0


def test_area_weights_handle_containment_both_ways_without_changing_the_result():
    # a target properly inside a source: weight = target area / source area
    src = frame(["big"], [sq(0, 0, 100, 100)])
    tgt = frame(["small", "rest"], [sq(40, 40, 10, 10), sq(200, 200, 10)])
    w = dense(area_weights(src, tgt))
    assert w.loc["big", "small"] == pytest.approx(0.01, rel=1e-15)
    assert "rest" in w.columns and w.loc["big", "rest"] == 0.0
    assert area_weights(src, tgt).target_area_covered.tolist()[0] == pytest.approx(1.0)


def test_area_weights_match_a_float64_overlay_reference_on_irregular_shapes():
    rng = np.random.default_rng(7)
    sources = [shapely.Point(X0 + x, Y0 + y).buffer(r, quad_segs=6)
               for x, y, r in rng.uniform([0, 0, 30], [900, 900, 120], (60, 3))]
    sources = [geom.difference(shapely.union_all(sources[:i])) if i else geom for i, geom in enumerate(sources)]
    keep = [i for i, geom in enumerate(sources) if geom.area > 1]
    src = frame([f"s{i}" for i in keep], [sources[i] for i in keep])
    tgt = frame([f"t{i}" for i in range(16)], [sq(x * 250 - 50, y * 250 - 50, 250) for x in range(4) for y in range(4)])
    w = area_weights(src, tgt, workers=2)
    pieces = gpd.overlay(src, tgt.rename(columns={"code": "tcode"}), how="intersection", keep_geom_type=True)
    pieces["share"] = pieces.area / pieces["code"].map(src.set_index("code").area)
    reference = pieces.pivot_table(index="code", columns="tcode", values="share", aggfunc="sum").fillna(0.0)
    ours = dense(w).loc[reference.index, reference.columns]
    np.testing.assert_allclose(ours.to_numpy(), reference.to_numpy(), rtol=0, atol=1e-12)


def test_area_weights_are_the_same_with_and_without_threads():
    src = frame([f"s{i}" for i in range(40)], [sq(i * 13.0, (i % 7) * 11.0, 17) for i in range(40)])
    tgt = frame([f"t{i}" for i in range(9)], [sq(i * 60.0 - 5, -10, 60, 100) for i in range(9)])
    one = area_weights(src, tgt, workers=1).matrix
    old = weights_module._CHUNK
    weights_module._CHUNK = 5  # force the threaded path on a small input
    try:
        many = area_weights(src, tgt, workers=4).matrix
    finally:
        weights_module._CHUNK = old
    assert (one != many).nnz == 0


def test_area_weights_check_crs_and_codes_and_leave_inputs_alone():
    src = frame(["s1"], [sq(0, 0, 10)])
    tgt = frame(["t1"], [sq(0, 0, 20)]).to_crs("EPSG:4326")
    with pytest.raises(CRSError, match="different coordinate reference systems"):
        area_weights(src, tgt)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        area_weights(src.set_crs(None, allow_override=True), frame(["t1"], [sq(0, 0, 20)]))
    with pytest.raises(BoundaryError, match="appear more than once"):
        area_weights(frame(["s1", "s1"], [sq(0, 0, 10), sq(10, 0, 10)]), frame(["t1"], [sq(0, 0, 20)]))
    with pytest.raises(ValueError, match="no 'lsoa11cd' column"):
        area_weights(src, frame(["t1"], [sq(0, 0, 20)]), source_code="lsoa11cd")
    # both in longitude/latitude: measured in British National Grid, same answer
    before = src.to_crs("EPSG:4326")
    copy = before.copy()
    w = area_weights(before, tgt)
    assert dense(w).loc["s1", "t1"] == pytest.approx(1.0, abs=1e-9)
    assert_geodataframe_equal(before, copy)


# ------------------------------------------------------------------------------------ nested (geometry)


def test_nested_weights_accept_slivers_within_tolerance_and_refuse_straddlers():
    tgt = frame(["t1", "t2"], [sq(0, 0, 100), sq(100, 0, 100)])
    sliver = frame(["s1", "s2"], [sq(0, 0, 100.2, 50), sq(100.2, 0, 99.8, 50)])  # 0.2% over the line
    w = nested_weights(sliver, tgt, source_unit="LSOA")
    assert dense(w).to_numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]] and w.exact
    straddle = frame(["s1", "s2"], [sq(0, 0, 60), sq(60, 0, 80, 60)])
    with pytest.raises(NestingError, match="1 of 2 LSOAs do not nest") as err:
        nested_weights(straddle, tgt, source_unit="LSOA")
    assert "s2" in str(err.value) and "t1 50.0%" in str(err.value) and "t2 50.0%" in str(err.value)
    # the overlap it found is handed over, so a caller falling back to area weights does not redo it
    fallback = err.value.area_weights
    assert fallback.method == "area" and dense(fallback).to_numpy().tolist() == \
        dense(area_weights(straddle, tgt, source_unit="LSOA")).to_numpy().tolist()


def test_nested_weights_place_a_source_in_a_gap_in_the_nearest_target_and_say_so():
    tgt = frame(["t1", "t2"], [sq(0, 0, 100), sq(100.5, 0, 100)])  # a 0.5 m gap between the two
    src = frame(["s1", "s2", "s3"], [sq(10, 10, 50), sq(100, 0, 0.5, 100), sq(500, 500, 10)])
    w = nested_weights(src, tgt, source_unit="LSOA")
    assert dense(w).to_numpy().tolist() == [[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]  # s3 is 300 m away: left out
    assert w.nearest == ("s2",) and w.placement()["outside"] == ["s3"]
    assert "exact nesting" not in w.describe() and "1 LSOA in a gap between the areas placed in the nearest" in w.phrase


def test_nested_weights_leave_out_a_source_almost_wholly_outside_and_refuse_one_half_outside():
    tgt = frame(["t1"], [sq(0, 0, 100)])
    src = frame(["in", "coast", "mostly-out"], [sq(0, 0, 50), sq(50, 50, 51, 50), sq(97, 0, 100, 50)])
    w = nested_weights(src, tgt, source_unit="LSOA")  # the coast: 2% beyond the target, still inside it
    assert w.placement()["whole"] == ["in", "coast"] and w.placement()["outside"] == ["mostly-out"]
    assert "1 LSOA almost wholly outside every area left out" in w.phrase
    half = frame(["half"], [sq(50, 0, 100, 50)])
    with pytest.raises(NestingError, match="lies partly outside every target: 50.0% outside"):
        nested_weights(half, tgt, source_unit="LSOA")


def test_a_district_dissolved_from_its_lsoas_holds_every_one_of_them(england_lsoas):
    """GEOS's overlay finds no overlap between Barking and Dagenham dissolved and one of its own LSOAs
    (E01000108); the intersection is redone on a millimetre grid, so all 110 nest."""
    lsoas = england_lsoas[england_lsoas["lad19cd"] == "E09000002"][["code", "geometry"]]
    district = lsoas.dissolve().assign(code="E09000002")[["code", "geometry"]]
    w = nested_weights(lsoas, district, source_unit="LSOA")
    assert w.shape == (110, 1) and len(w.placement()["whole"]) == 110
    assert w.source_shares().tolist() == [1.0] * 110 and w.describe().endswith("exact nesting")


@pytest.mark.slow
def test_englands_lsoas_all_nest_in_the_317_districts_dissolved_from_them(england_lsoas):
    lsoas = england_lsoas[["code", "lad19cd", "geometry"]]
    districts = lsoas.dissolve("lad19cd").reset_index()[["lad19cd", "geometry"]].rename(columns={"lad19cd": "code"})
    w = nested_weights(lsoas[["code", "geometry"]], districts, source_unit="LSOA")
    assert w.shape == (32_844, 317)
    assert w.source_shares().min() == 1.0  # every LSOA wholly in one district: none left out
    assigned = pd.Series(np.asarray(w.target_codes)[w.matrix.indices], index=list(w.source_codes))
    assert (assigned == lsoas.set_index("code")["lad19cd"].reindex(assigned.index)).all()


# ------------------------------------------------------------------------------------ centroid


def test_centroid_weights_use_the_representative_point_or_a_population_weighted_centroid():
    tgt = frame(["west", "east"], [sq(0, 0, 50, 100), sq(50, 0, 50, 100)])
    src = frame(["s1", "s2"], [sq(10, 0, 60, 10), sq(0, 50, 10)])
    plain = centroid_weights(src, tgt, source_unit="LSOA")
    assert dense(plain).loc["s1"].tolist() == [1.0, 0.0]  # representative point x=40: west
    assert plain.phrase == "best fit by representative point"
    # most people live at the east end of s1
    fine = frame(["oa1", "oa2"], [Point(X0 + 65, Y0 + 5), Point(X0 + 15, Y0 + 5)], pop=[900, 100])
    points = population_weighted_centroids(src, fine, "pop")
    assert points.loc["s1"].x == pytest.approx(X0 + 60.0)
    weighted = centroid_weights(src, tgt, points=points)
    assert dense(weighted).loc["s1"].tolist() == [0.0, 1.0]
    assert weighted.phrase == "best fit by population-weighted centroid"
    assert dense(weighted).loc["s2"].tolist() == [1.0, 0.0]  # no fine units: its own point


def test_centroid_weights_leave_a_source_outside_every_target_unassigned():
    src = frame(["in", "out"], [sq(0, 0, 10), sq(500, 500, 10)])
    tgt = frame(["t"], [sq(0, 0, 100)])
    w = centroid_weights(src, tgt)
    assert w.source_shares().tolist() == [1.0, 0.0]


def test_population_weighted_centroid_falls_back_to_a_populated_point_inside_a_crescent():
    ring = Polygon([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100)]).difference(sq(0, 10, 90, 80))
    src = frame(["c"], [ring])
    fine = frame(["a", "b"], [Point(X0 + 5, Y0 + 50), Point(X0 + 95, Y0 + 50)], pop=[100, 300])
    point = population_weighted_centroids(src, fine, "pop").loc["c"]
    assert ring.contains(point)  # the plain mean (X0+72.5, Y0+50) lies in the hole
    assert (point.x, point.y) == (X0 + 95, Y0 + 50)


# ------------------------------------------------------------------------------------ population


def test_population_weights_split_by_fine_population_and_fall_back_to_area_for_empty_sources():
    tgt = frame(["west", "east"], [sq(0, 0, 50, 100), sq(50, 0, 50, 100)])
    src = frame(["s1", "empty"], [sq(0, 0, 100, 50), sq(0, 50, 100, 50)])
    fine = frame(
        ["oa1", "oa2", "oa3"],
        [sq(5, 5, 10), sq(60, 5, 10), sq(80, 5, 10)],
        pop=[100, 250, 150],
    )
    w = population_weights(src, tgt, fine, "pop", source_unit="LSOA", fine_unit="output area")
    table = dense(w)
    assert table.loc["s1"].tolist() == pytest.approx([0.2, 0.8])
    assert table.loc["empty"].tolist() == pytest.approx([0.5, 0.5])  # by area: no output areas in it
    assert w.phrase == "apportioned by population of output areas (by area for 1 LSOAs with no output areas)"


# ------------------------------------------------------------------------------------ cache


def test_weights_are_built_once_per_pair_of_versions_and_rebuilt_when_a_set_changes(monkeypatch):
    src = frame(["s1"], [sq(0, 0, 10)])
    tgt = frame(["t1"], [sq(0, 0, 20)])
    calls = []
    real = weights_module.area_weights

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(weights_module, "area_weights", counting)
    cache = WeightsCache(maxsize=2)
    ids = {"source_id": "lsoa", "source_version": 1, "target_id": "wards", "target_version": 4}
    first = build_weights(src, tgt, "area", cache=cache, **ids)
    second = build_weights(src, tgt, "area", cache=cache, **ids)
    assert first is second and len(calls) == 1 and first.key == "lsoa@1>wards@4:area"
    third = build_weights(src, tgt, "area", cache=cache, **{**ids, "target_version": 5})
    assert third is not first and len(calls) == 2 and third.key == "lsoa@1>wards@5:area"
    build_weights(src, tgt, "area", cache=cache, **{**ids, "target_version": 6})
    assert first.key not in cache and len(cache) == 2  # least recently used went first
    unkeyed = build_weights(src, tgt, "area", cache=cache)
    assert unkeyed.key == "" and len(calls) == 4


def test_weights_key_names_both_sets_versions_method_and_population_layer():
    assert weights_key("lsoa", 3, "apb", 9, "population", "oa@2:pop") == "lsoa@3>apb@9:population:oa@2:pop"
    with pytest.raises(ValueError, match="needs a finer layer"):
        build_weights(frame(["s"], [sq(0, 0, 1)]), frame(["t"], [sq(0, 0, 1)]), "population")


# ------------------------------------------------------------------------------------ real data


def test_cwac_lsoas_to_wards_conserve_totals_of_fully_covered_lsoas(cwac):
    w = area_weights(cwac["lsoa"], cwac["wards"], source_unit="LSOA")
    shares = w.source_shares()
    assert w.shape == (212, 45)
    assert shares.min() > 0.98 and shares.max() < 1 + 1e-9  # the two generalisations differ by slivers
    assert not w.exact and w.split_sources_per_target().sum() > 100  # 2011 LSOAs do not nest in 2019 wards
    with pytest.raises(NestingError, match="do not nest"):
        nested_weights(cwac["lsoa"], cwac["wards"], source_unit="LSOA")


def test_cwac_lsoas_to_apbs_equal_lsoas_to_wards_then_wards_to_apbs(cwac):
    """APBs are dissolved wards, so apportioning by area straight to APBs or via wards agrees."""
    to_wards = area_weights(cwac["lsoa"], cwac["wards"], source_unit="LSOA")
    ward_apb = lookup_weights(
        cwac["apb_wards"], source_field="ward_code", target_field="apb_id", source_codes=to_wards.target_codes
    )
    to_apbs = area_weights(cwac["lsoa"], cwac["apbs"], source_unit="LSOA")
    via = dense(Weights(to_wards.matrix @ ward_apb.matrix, to_wards.source_codes, ward_apb.target_codes, "area"))
    direct = dense(to_apbs)[via.columns]
    np.testing.assert_allclose(direct.to_numpy(), via.to_numpy(), atol=1e-6)
