"""Which areas hold which points: inside, on a shared edge, in a gap between generalised boundaries."""


import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, box

from boundaries.points import areas_holding


def areas():
    """Two neighbours with a 40 m sliver between them (as generalised boundaries leave), and a ring with a hole."""
    ring = MultiPolygon([box(0, 2000, 1000, 3000).difference(box(400, 2400, 600, 2600))])
    return gpd.GeoDataFrame({"code": ["west", "east", "ring"]},
                            geometry=[box(0, 0, 1000, 1000), box(1040, 0, 2000, 1000), ring], crs="EPSG:27700")


def pairs(points, gap=0.0):
    found = areas_holding(areas(), [Point(*p) for p in points], gap=gap)
    codes = areas()["code"].to_numpy()
    return [(int(p), str(codes[a])) for p, a in zip(found["point"], found["area"])]


def test_inside_points_pair_with_their_area_only():
    assert pairs([(500, 500), (1500, 500), (100, 2100)]) == [(0, "west"), (1, "east"), (2, "ring")]


def test_a_point_on_an_edge_pairs_with_each_area_sharing_it():
    touching = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    found = areas_holding(touching, [Point(1, 0.5)])
    assert found.to_dict("list") == {"point": [0, 0], "area": [0, 1]}


def test_a_point_in_a_sliver_counts_in_the_nearest_area_within_the_gap():
    assert pairs([(1030, 500)]) == []
    assert pairs([(1030, 500)], gap=100) == [(0, "east")]  # 10 m from east, 30 m from west
    assert pairs([(1010, 500), (5000, 5000)], gap=100) == [(0, "west")]  # far away: in nothing


def test_a_hole_is_not_the_area():
    assert pairs([(500, 2500)]) == []
    assert pairs([(500, 2500)], gap=50) == []  # 100 m from the ring's inner edge
    assert pairs([(500, 2500)], gap=150) == [(0, "ring")]


def test_nothing_in_nothing_out_and_the_input_is_kept():
    given = areas()
    before = given.copy()
    assert areas_holding(given, []).empty and areas_holding(given.iloc[:0], [Point(1, 1)]).empty
    many = shapely.points(np.column_stack([np.linspace(10, 1990, 100), np.full(100, 500.0)]))
    found = areas_holding(given, many, gap=100)
    assert len(found) == 100 and set(found["area"]) == {0, 1}  # the sliver's points go to the nearer side
    assert given.equals(before)
