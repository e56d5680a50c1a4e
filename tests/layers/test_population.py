"""Each LSOA's population spread over its postcodes: one split for every set, sums that add up."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from layers.population import PointPopulation, carry_through_lookup
from layers.weights import lookup_weights

CRS = "EPSG:27700"


def frame(shapes: dict) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": list(shapes)}, geometry=list(shapes.values()), crs=CRS)


def homes(*xy) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[Point(x, y) for x, y in xy], crs=CRS)


@pytest.fixture
def strip():
    """Two LSOAs side by side; three wards cutting across them; two APBs made of the wards."""
    lsoas = frame({"L1": box(0, 0, 100, 100), "L2": box(100, 0, 200, 100)})
    wards = frame({"W1": box(0, 0, 60, 100), "W2": box(60, 0, 150, 100), "W3": box(150, 0, 200, 100)})
    points = homes((10, 50), (20, 50), (30, 50), (70, 50), (110, 50), (120, 50), (160, 50), (190, 50))
    return lsoas, wards, PointPopulation.build(lsoas, points)


def test_each_lsoa_is_split_by_its_postcodes_and_nothing_is_lost(strip):
    lsoas, wards, points = strip
    weights = points.weights(points.members(wards), wards["code"])
    assert weights.matrix.toarray() == pytest.approx(np.array([[0.75, 0.25, 0.0], [0.0, 0.5, 0.5]]))
    assert weights.source_shares() == pytest.approx([1.0, 1.0])  # every row sums to 1
    people = weights.apply([400.0, 1000.0])
    assert people.tolist() == pytest.approx([300.0, 600.0, 500.0]) and people.sum() == pytest.approx(1400.0)


def test_areas_made_of_wards_are_exactly_the_sum_of_their_wards(strip):
    lsoas, wards, points = strip
    down = points.weights(points.members(wards), wards["code"])
    up = lookup_weights({"W1": "A", "W2": "A", "W3": "B"}, source_unit="ward")
    apbs = down.then(up)
    pop = np.array([400.0, 1000.0])
    by_ward = down.apply(pop)
    assert apbs.apply(pop).tolist() == pytest.approx([by_ward[0] + by_ward[1], by_ward[2]], abs=1e-12)


def test_pairs_of_two_sets_add_up_to_each_sets_own_figures(strip):
    lsoas, wards, points = strip
    other = frame({"S1": box(0, 0, 120, 100), "S2": box(120, 0, 200, 100)})  # a service set
    a, b = points.members(wards), points.members(other)
    pairs = points.pair_totals(pd.Series({"L1": 400.0, "L2": 1000.0}), a, b)
    by_a = pairs.groupby("a")["population"].sum()
    by_b = pairs.groupby("b")["population"].sum()
    pop = np.array([400.0, 1000.0])
    assert by_a.tolist() == pytest.approx(points.weights(a, wards["code"]).apply(pop).tolist())
    assert by_b.tolist() == pytest.approx(points.weights(b, other["code"]).apply(pop).tolist())


def test_a_postcode_in_a_gap_between_generalised_edges_counts_in_the_nearest_area():
    lsoas = frame({"L1": box(0, 0, 100, 100)})
    wards = frame({"W1": box(0, 0, 48, 100), "W2": box(52, 0, 100, 100)})  # a 4 m gap the ward edges left
    points = PointPopulation.build(lsoas, homes((10, 10), (50.5, 10), (90, 10), (90, 20)))
    members = points.members(wards)
    assert members.tolist() == [0, 1, 1, 1]
    assert points.weights(members, wards["code"]).source_shares() == pytest.approx([1.0])
    far = frame({"W1": box(0, 0, 48, 100)})  # the postcodes 40 m beyond the only ward stay out of it
    assert points.members(far, gap=10.0).tolist() == [0, 0, -1, -1]


def test_an_lsoa_without_postcodes_counts_where_a_point_inside_it_lies():
    lsoas = frame({"L1": box(0, 0, 100, 100), "L2": box(100, 0, 200, 100)})
    points = PointPopulation.build(lsoas, homes((10, 10)))
    assert points.without_points == ("L2",)
    wards = frame({"W1": box(0, 0, 200, 100)})
    assert points.weights(points.members(wards), ["W1"]).matrix.toarray().ravel().tolist() == [1.0, 1.0]
    assert "1 LSOA with no postcode" in points.phrase


def test_carrying_counts_through_a_lookup_keeps_the_total():
    lookup = pd.DataFrame({"old": ["a", "b", "c", "c", "c", "d"], "new": ["x", "x", "y", "z", "w", "v"]})
    counts = pd.Series({"a": 100.0, "b": 50.0, "c": 300.0, "d": 7.0})
    carried = carry_through_lookup(counts, lookup, from_column="old", to_column="new")
    assert carried.sum() == pytest.approx(counts.sum())
    assert carried["x"] == 150.0 and carried["y"] == carried["z"] == carried["w"] == pytest.approx(100.0)
