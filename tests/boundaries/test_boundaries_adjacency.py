"""Neighbours and contiguity on tiny grids with known answers."""

import networkx as nx
import pytest
from shapely.geometry import box

from boundaries.adjacency import adjacency_graph, pieces
from boundaries.errors import BoundaryError, CRSError


def test_shared_edges_and_corners_join_areas(make_areas):
    # a b .
    # c . d      (100 m squares; a-b share an edge, b-c and c-a meet at a corner / edge)
    areas = make_areas({"a": (0, 1), "b": (1, 1), "c": (0, 0), "d": (2, 0)})
    graph = adjacency_graph(areas)
    assert set(graph.nodes) == {"a", "b", "c", "d"}
    assert {frozenset(edge) for edge in graph.edges} == {
        frozenset("ab"),
        frozenset("ac"),
        frozenset("bc"),
        frozenset("bd"),
    }


def test_small_gaps_count_as_touching_within_the_tolerance(make_areas):
    areas = make_areas({"a": (0, 0), "b": (1, 0)})
    areas.loc[1, "geometry"] = box(
        340100.6, 366000, 340200, 366100
    )  # 0.6 m gap, as in generalised boundaries
    assert list(adjacency_graph(areas).edges) == [("a", "b")]
    assert list(adjacency_graph(areas, tolerance=0.5).edges) == []
    assert list(adjacency_graph(areas, tolerance=0).edges) == []


def test_distances_are_measured_in_metres_whatever_the_crs(make_areas):
    areas = make_areas({"a": (0, 0), "b": (1, 0)}, crs="EPSG:4326")
    areas_gap = make_areas({"a": (0, 0), "b": (1.02, 0)}, crs="EPSG:4326")  # 2 m apart
    assert adjacency_graph(areas).number_of_edges() == 1
    assert adjacency_graph(areas_gap, tolerance=1.0).number_of_edges() == 0
    assert adjacency_graph(areas_gap, tolerance=2.5).number_of_edges() == 1
    assert areas_gap.crs.to_epsg() == 4326  # input not reprojected in place


def test_isolated_areas_are_nodes_and_key_can_be_another_column(make_areas):
    areas = make_areas({"a": (0, 0), "b": (5, 5)}, ref=["R1", "R2"])
    graph = adjacency_graph(areas, key="ref")
    assert set(graph.nodes) == {"R1", "R2"} and graph.number_of_edges() == 0


def test_bad_input_is_refused(make_areas):
    areas = make_areas({"a": (0, 0), "b": (1, 0)})
    with pytest.raises(BoundaryError, match="values are not unique: a"):
        adjacency_graph(areas.assign(code=["a", "a"]))
    with pytest.raises(BoundaryError, match="no 'ward' column"):
        adjacency_graph(areas, key="ward")
    with pytest.raises(ValueError, match="tolerance must be zero or more"):
        adjacency_graph(areas, tolerance=-1)
    with pytest.raises(CRSError):
        adjacency_graph(areas.set_crs(None, allow_override=True))


def test_pieces_largest_first_ignoring_paths_through_other_areas():
    graph = nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("e", "f")])
    graph.add_node("g")
    assert pieces(graph, ["a", "b", "c", "d"]) == [{"a", "b", "c", "d"}]
    assert pieces(graph, ["a", "c", "d", "e", "f", "g"]) == [{"c", "d"}, {"e", "f"}, {"a"}, {"g"}]
    assert pieces(graph, []) == []


def test_pieces_refuses_unknown_codes():
    with pytest.raises(BoundaryError, match="not among the areas: x, y"):
        pieces(nx.Graph([("a", "b")]), ["a", "y", "x"])
