"""Population of the pieces two boundary sets cut each other into: split by postcode points or by area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from boundaries.alignment import cut
from layers.alignment import covered_share, measure, piece_population

BNG = "EPSG:27700"
X0, Y0 = 340_000.0, 366_000.0  # near Chester


def sq(x, y, w, h=None):
    h = w if h is None else h
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def frame(areas: dict) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": list(areas)}, geometry=list(areas.values()), crs=BNG)


def points(*xs, y=50.0) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x in xs], crs=BNG)


@pytest.fixture
def strip():
    """Wards w1 (x 0-200) and w2 (200-400); boards p1 (0-100) and p2 (100-400); LSOAs s1 (0-150), s2 (150-400).

    The pieces are (w1, p1) x 0-100, (w1, p2) x 100-200 and (w2, p2) x 200-400, all 100 m deep.
    """
    wards = frame({"w1": sq(0, 0, 200, 100), "w2": sq(200, 0, 200, 100)})
    boards = frame({"p1": sq(0, 0, 100, 100), "p2": sq(100, 0, 300, 100)})
    lsoas = frame({"s1": sq(0, 0, 150, 100), "s2": sq(150, 0, 250, 100)})
    return wards, boards, lsoas, pd.Series({"s1": 300.0, "s2": 500.0})


def test_split_by_area_as_worked_out_by_hand(strip):
    wards, boards, lsoas, population = strip
    pieces = cut(wards, boards)
    assert pieces[["a_code", "b_code"]].values.tolist() == [["w1", "p1"], ["w1", "p2"], ["w2", "p2"]]
    found = piece_population(pieces, lsoas, population)
    # s1: 100 of its 150 m in (w1, p1), 50 in (w1, p2); s2: 50 of its 250 m in (w1, p2), 200 in (w2, p2)
    assert found.values.tolist() == pytest.approx([300 * 100 / 150, 300 * 50 / 150 + 500 * 50 / 250,
                                                   500 * 200 / 250])
    assert found.method == "LSOA population split by area of overlap"
    assert found.unplaced == pytest.approx(0.0, abs=1e-9)


def test_split_by_postcode_points_as_worked_out_by_hand(strip):
    wards, boards, lsoas, population = strip
    pieces = cut(wards, boards)
    # s1: one postcode in (w1, p1), two in (w1, p2); s2: one in (w1, p2), three in (w2, p2)
    homes = points(50, 120, 130, 170, 250, 300, 350)
    found = piece_population(pieces, lsoas, population, points=homes)
    assert found.values.tolist() == pytest.approx([300 / 3, 300 * 2 / 3 + 500 / 4, 500 * 3 / 4])
    assert found.method == "LSOA population split by the number of postcodes in each piece"
    # the same LSOAs by area put 200 people, not 100, in (w1, p1): the points matter
    assert piece_population(pieces, lsoas, population).values[0] == pytest.approx(200)


def test_small_areas_without_points_fall_back_to_area(strip):
    wards, boards, lsoas, population = strip
    pieces = cut(wards, boards)
    found = piece_population(pieces, lsoas, population, points=points(50, 120, 130))  # none in s2
    assert found.values.tolist() == pytest.approx([100, 200 + 500 * 50 / 250, 500 * 200 / 250])
    assert found.method.startswith("LSOA population split by the number of postcodes in each piece")
    assert "by area for 1 LSOA" in found.method
    # no points at all is the same as not giving any
    empty = piece_population(pieces, lsoas, population, points=points())
    assert empty.values.tolist() == pytest.approx(piece_population(pieces, lsoas, population).values.tolist())


def test_population_is_conserved_when_the_pieces_cover_the_small_areas():
    a = frame({"a1": sq(0, 0, 170, 400), "a2": sq(170, 0, 230, 400)})
    b = frame({"b1": sq(0, 0, 400, 130), "b2": sq(0, 130, 400, 270)})
    grid = {f"s{i}{j}": sq(100 * i, 100 * j, 100) for i in range(4) for j in range(4)}
    small = frame(grid)
    population = pd.Series(np.arange(1, 17) * 37.0, index=list(grid))
    pieces = cut(a, b)
    rng = np.random.default_rng(8)
    homes = gpd.GeoDataFrame(geometry=[Point(X0 + x, Y0 + y) for x, y in rng.uniform(1, 399, (60, 2))], crs=BNG)
    for given in (None, homes):
        found = piece_population(pieces, small, population, points=given)
        assert found.values.sum() == pytest.approx(population.sum(), rel=1e-12)
        assert found.unplaced == pytest.approx(0.0, abs=1e-6)
        # and so every area's population is the sum of its small areas' shares
        by_a = pd.Series(found.values).groupby(pieces["a_code"].to_numpy()).sum()
        assert by_a.sum() == pytest.approx(population.sum())


def test_population_outside_every_piece_is_unplaced():
    one = frame({"x": sq(0, 0, 100)})
    half_out = frame({"s": sq(50, 0, 100)})  # half inside the sets, half beyond both
    gone = frame({"s": sq(50, 0, 100), "t": sq(500, 0, 100)})
    pieces = cut(one, one.assign(code="y"))
    by_area = piece_population(pieces, half_out, pd.Series({"s": 100.0}))
    assert by_area.values.tolist() == pytest.approx([50.0]) and by_area.unplaced == pytest.approx(50.0)
    by_points = piece_population(pieces, half_out, pd.Series({"s": 100.0}), points=points(75, 110, 120, 130))
    assert by_points.values.tolist() == pytest.approx([25.0]) and by_points.unplaced == pytest.approx(75.0)
    # an LSOA wholly outside, and one with no population figure (counted as 0)
    found = piece_population(pieces, gone, pd.Series({"s": 100.0, "t": 40.0, "z": 9.0}))
    assert found.values.sum() + found.unplaced == pytest.approx(140.0)
    assert piece_population(pieces, gone, pd.Series({"t": 40.0})).values.tolist() == [0.0]


def test_covered_share():
    areas = frame({"w1": sq(0, 0, 200, 100), "w2": sq(200, 0, 200, 100), "w3": sq(0, 500, 100)})
    small = frame({"s1": sq(0, 0, 150, 100), "s2": sq(150, 0, 100, 50)})
    covered = covered_share(areas, small)
    # w1: 150 x 100 + 50 x 50 of 200 x 100; w2: 50 x 50 of 200 x 100; w3: nothing
    assert covered.to_dict() == pytest.approx({"w1": (15_000 + 2_500) / 20_000, "w2": 2_500 / 20_000, "w3": 0.0})


def test_measure_peoples_the_pieces_and_adds_covered(strip):
    wards, boards, lsoas, population = strip
    reach = frame({"p1": sq(0, 0, 100), "p2": sq(100, 0, 400, 100)})  # p2 reaches 100 m past the LSOAs
    pieces, fit, found = measure(wards, reach, small=lsoas, population=population, points=points(50, 120, 130))
    assert found is not None and found.values.sum() == pytest.approx(800)
    assert fit.a_fit.set_index("code")["population"].to_dict() == pytest.approx({"w1": 100 + 200 + 100,
                                                                                 "w2": 400})
    assert fit.a_fit["covered"].tolist() == pytest.approx([1.0, 1.0])
    assert fit.b_fit["covered"].tolist() == pytest.approx([1.0, 300 / 400])
    w1 = fit.a_fit.set_index("code").loc["w1"]
    assert (w1["best_fit"], w1["share"]) == ("p2", pytest.approx(300 / 400))
    # without a population the shares are by land area and there is no population to report
    _, by_land, none = measure(wards, reach)
    assert none is None and (by_land.a_fit["by"] == "area").all() and "covered" not in by_land.a_fit
