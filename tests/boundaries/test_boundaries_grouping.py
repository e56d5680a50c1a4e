"""Building groups (APBs) from blocks (wards): every problem found, dissolved boundaries exact."""

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from boundaries.adjacency import adjacency_graph
from boundaries.errors import GroupingError, Problem
from boundaries.grouping import check_grouping, dissolve_groups


@pytest.fixture
def blocks(make_areas):
    # w1 w2 w3 w4 in a row of 100 m squares, w5 on its own far away
    return make_areas({"w1": (0, 0), "w2": (1, 0), "w3": (2, 0), "w4": (3, 0), "w5": (9, 9)})


def assign(pairs, **extra):
    return pd.DataFrame({"block_code": [b for b, _ in pairs], "group_code": [g for _, g in pairs], **extra})


def test_sound_assignment_has_no_problems(blocks):
    table = assign([("w1", "north"), ("w2", "north"), ("w3", "south"), ("w4", "south"), ("w5", "island")])
    assert check_grouping(blocks, table) == []


def test_every_kind_of_problem_is_reported(blocks):
    table = pd.DataFrame(
        {
            "ward": ["w1", "w3", "w9", "w2", " ", "w2", "w4"],
            "apb": ["north", "north", "north", "", "south", "south", "south"],
        }
    )
    problems = check_grouping(blocks, table, block_field="ward", group_field="apb")
    assert [str(p) for p in problems] == [
        "code w9: assignment row 3: w9 is not one of the blocks",
        "code w2: assignment row 4: Area w2 (w2) has no group code",
        "code south: assignment row 5: no block code",
        "feature 5 (code w5): Area w5 (w5) is in no group (every block must be in one)",
        "code north: group north is in 2 separate pieces: (w1), (w3)",
        "code south: group south is in 2 separate pieces: (w2), (w4)",
    ]


def test_block_in_two_groups(blocks):
    table = assign(
        [("w1", "a"), ("w2", "a"), ("w2", "b"), ("w3", "b"), ("w4", "b"), ("w5", "c"), ("w1", "a")]
    )
    assert check_grouping(blocks, table) == [
        Problem(None, None, None, "w2", "Area w2 (w2) is in more than one group: a, b"),
    ]


def test_missing_columns_are_a_problem_not_a_crash(blocks):
    problems = check_grouping(blocks, pd.DataFrame({"ward": ["w1"]}))
    assert [p.message for p in problems] == [
        "the assignment has no 'block_code' column (its columns: ward)",
        "the assignment has no 'group_code' column (its columns: ward)",
    ]


def test_given_graph_is_used(blocks):
    table = assign([("w1", "g"), ("w3", "g"), ("w2", "h"), ("w4", "h"), ("w5", "h")])
    linked = adjacency_graph(blocks)
    linked.add_edges_from([("w1", "w3"), ("w2", "w4"), ("w4", "w5")])
    assert check_grouping(blocks, table, graph=linked) == []


def test_tolerance_bridges_small_gaps(blocks):
    gappy = blocks.copy()
    gappy.loc[1, "geometry"] = box(340100.8, 366000, 340200, 366100)
    table = assign([("w1", "g"), ("w2", "g"), ("w3", "h"), ("w4", "h"), ("w5", "i")])
    assert check_grouping(gappy, table) == []
    assert [p.code for p in check_grouping(gappy, table, tolerance=0.5)] == ["g"]


def test_dissolve_groups(blocks):
    before = blocks.copy()
    table = assign(
        [("w3", "south"), ("w1", "north"), ("w2", "north"), ("w4", "south"), ("w5", "island")],
        group_name=["South", "North", "North", "South", None],
    )
    groups = dissolve_groups(blocks, table)
    assert list(groups.columns) == ["code", "name", "block_codes", "geometry"]
    assert list(groups["code"]) == ["south", "north", "island"]  # order of first appearance
    assert list(groups["name"]) == ["South", "North", "island"]  # no name given: the code
    assert list(groups["block_codes"]) == [["w3", "w4"], ["w1", "w2"], ["w5"]]
    assert set(groups.geom_type) == {"MultiPolygon"}
    assert groups.geometry[1].equals(box(340000, 366000, 340200, 366100))
    assert groups.geometry[0].area == pytest.approx(20_000)
    assert groups.crs == blocks.crs
    assert_geodataframe_equal(blocks, before)


def test_dissolve_keeps_the_blocks_crs(blocks):
    in_degrees = blocks.to_crs("EPSG:4326")
    table = assign([("w1", "a"), ("w2", "a"), ("w3", "a"), ("w4", "a"), ("w5", "b")])
    groups = dissolve_groups(in_degrees, table)
    assert groups.crs.to_epsg() == 4326
    assert groups.to_crs("EPSG:27700").geometry[0].area == pytest.approx(40_000, rel=1e-6)


def test_dissolve_refuses_with_all_problems(blocks):
    table = assign([("w1", "a"), ("w3", "a"), ("w2", "b"), ("w4", "b")], group_name=["A", "A", "B", "Bee"])
    with pytest.raises(GroupingError) as caught:
        dissolve_groups(blocks, table)
    err = caught.value
    assert err.message == "the blocks cannot be grouped as assigned: 4 problem(s)"
    assert [p.message for p in err.problems] == [
        "Area w5 (w5) is in no group (every block must be in one)",
        "group a is in 2 separate pieces: (w1), (w3)",
        "group b is in 2 separate pieces: (w2), (w4)",
        "group b is given more than one name: B, Bee",
    ]


def test_dissolve_with_missing_columns(blocks):
    with pytest.raises(GroupingError, match="the assignment has no 'group_code' column"):
        dissolve_groups(blocks, pd.DataFrame({"block_code": ["w1"]}))
