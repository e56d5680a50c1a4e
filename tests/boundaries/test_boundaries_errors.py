"""Problems and errors say what is wrong and where."""

import pytest

from boundaries.errors import BoundaryError, CRSError, GroupingError, Problem, location


def test_problem_names_file_layer_feature_and_code():
    problem = Problem("wards.shp", "wards", 12, "E05012209", "ring self-intersection")
    assert str(problem) == "wards.shp, layer 'wards', feature 12 (code E05012209): ring self-intersection"


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem(None, None, None, None, "no layers"), "no layers"),
        (Problem("a.gpkg", None, None, None, "empty"), "a.gpkg: empty"),
        (Problem(None, "wards", 3, None, "no code"), "layer 'wards', feature 3: no code"),
        (Problem(None, None, None, "chester", "in 2 pieces"), "code chester: in 2 pieces"),
        (Problem("a.gpkg", None, 1, "E1", "bad"), "a.gpkg, feature 1 (code E1): bad"),
    ],
)
def test_problem_leaves_out_what_is_unknown(problem, text):
    assert str(problem) == text


def test_problem_is_frozen():
    with pytest.raises(AttributeError):
        Problem(None, None, None, None, "x").message = "y"


def test_boundary_error_lists_ten_problems_then_counts_the_rest():
    problems = [Problem("w.shp", "w", i, None, "no code") for i in range(1, 13)]
    err = BoundaryError("w.shp: 12 features have no code", problems)
    lines = str(err).splitlines()
    assert lines[0] == "w.shp: 12 features have no code"
    assert lines[1] == "  w.shp, layer 'w', feature 1: no code"
    assert lines[10] == "  w.shp, layer 'w', feature 10: no code"
    assert lines[11] == "  ... and 2 more"
    assert len(lines) == 12
    assert err.problems == problems
    assert err.message == "w.shp: 12 features have no code"


def test_boundary_error_without_problems_is_just_the_message():
    err = BoundaryError("x.kml has no layers")
    assert str(err) == "x.kml has no layers"
    assert err.problems == []


def test_error_hierarchy():
    assert issubclass(BoundaryError, ValueError)
    assert issubclass(CRSError, BoundaryError)
    assert issubclass(GroupingError, BoundaryError)
    assert CRSError("m", [Problem(None, None, 1, None, "p")]).problems[0].feature == 1


def test_location():
    assert location("wards.gpkg", "wards") == "wards.gpkg, layer 'wards'"
    assert location("wards.gpkg") == "wards.gpkg"
    assert location() == "the layer"
