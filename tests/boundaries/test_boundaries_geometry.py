"""Geometry normalisation: valid MultiPolygons out, repairs reported, unusable features all listed."""

import geopandas as gpd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from boundaries.errors import BoundaryError
from boundaries.geometry import PROGRESS_CHUNK, normalise

BOW_TIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])


def frame(geoms):
    return gpd.GeoDataFrame({"code": [f"E0{i}" for i in range(len(geoms))]}, geometry=geoms, crs="EPSG:27700")


def test_polygons_become_multipolygons_and_input_is_untouched():
    layer = frame([box(0, 0, 1, 1), MultiPolygon([box(2, 0, 3, 1), box(4, 0, 5, 1)])])
    before = layer.copy()
    out, repairs = normalise(layer)
    assert repairs == []
    assert list(out.geom_type) == ["MultiPolygon", "MultiPolygon"]
    assert out.geometry[0].equals(box(0, 0, 1, 1))
    assert out.geometry[1].area == 2
    assert list(out["code"]) == ["E00", "E01"]
    assert out.crs == layer.crs
    assert_geodataframe_equal(layer, before)
    assert layer.geom_type[0] == "Polygon"


def test_bow_tie_is_repaired_and_reported_with_feature_code_and_reason():
    out, repairs = normalise(frame([box(5, 5, 6, 6), BOW_TIE]), file="w.shp", layer="w", codes=["E1", "E2"])
    repaired = out.geometry[1]
    assert repaired.geom_type == "MultiPolygon" and repaired.is_valid
    assert repaired.area == pytest.approx(2.0)
    assert len(repairs) == 1
    problem = repairs[0]
    assert (problem.file, problem.layer, problem.feature, problem.code) == ("w.shp", "w", 2, "E2")
    assert "Self-intersection[1 1]" in problem.message
    assert "the boundary crosses itself near (1, 1)" in problem.message
    assert str(problem).startswith("w.shp, layer 'w', feature 2 (code E2): invalid geometry repaired")


def test_hole_outside_shell_is_repaired_keeping_polygonal_parts():
    shell = [(0, 0), (10, 0), (10, 10), (0, 10)]
    hole_outside = [(20, 20), (21, 20), (21, 21), (20, 21)]
    out, repairs = normalise(frame([Polygon(shell, [hole_outside])]))
    assert out.geometry[0].is_valid and out.geom_type[0] == "MultiPolygon"
    assert "a hole lies outside its outer ring" in repairs[0].message


def test_z_values_are_dropped():
    out, _ = normalise(frame([Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)])]))
    assert not out.geometry[0].has_z


def test_collection_of_polygons_becomes_a_multipolygon():
    out, _ = normalise(frame([GeometryCollection([box(0, 0, 1, 1), box(2, 0, 3, 1)])]))
    assert out.geom_type[0] == "MultiPolygon" and out.geometry[0].area == 2


def test_every_unusable_feature_is_listed_with_its_type():
    layer = frame(
        [
            box(0, 0, 1, 1),
            None,
            Point(0, 0),
            LineString([(0, 0), (1, 1)]),
            Polygon(),
            GeometryCollection([box(0, 0, 1, 1), Point(5, 5)]),
        ]
    )
    with pytest.raises(BoundaryError) as caught:
        normalise(layer, file="wards.geojson", layer="wards", codes=["A", "B", "C", "D", "E", "F"])
    err = caught.value
    assert err.message == (
        "wards.geojson, layer 'wards': 5 features cannot be used as areas "
        "(each area must be a polygon or multipolygon)"
    )
    found = {(p.feature, p.code): p.message for p in err.problems}
    assert found == {
        (2, "B"): "has no geometry (missing or empty)",
        (5, "E"): "has no geometry (missing or empty)",
        (3, "C"): "is a Point, not a polygon",
        (4, "D"): "is a LineString, not a polygon",
        (6, "F"): "is a GeometryCollection holding Point parts, not only polygons",
    }
    assert all(p.file == "wards.geojson" and p.layer == "wards" for p in err.problems)


def test_polygon_that_is_empty_once_repaired_is_refused():
    flat = Polygon([(0, 0), (1, 0), (2, 0), (0, 0)])  # no area: repair leaves only lines
    with pytest.raises(BoundaryError) as caught:
        normalise(frame([flat]), codes=["E05000001"])
    (problem,) = caught.value.problems
    assert problem.feature == 1 and problem.code == "E05000001"
    assert problem.message.startswith("is empty once repaired")


def test_progress_reports_every_chunk_up_to_the_total():
    total = PROGRESS_CHUNK + 5
    calls = []
    normalise(
        frame([box(i, 0, i + 1, 1) for i in range(total)]), progress=lambda done, n: calls.append((done, n))
    )
    assert calls == [(PROGRESS_CHUNK, total), (total, total)]


def test_codes_must_match_the_features():
    with pytest.raises(ValueError, match="2 codes given for 1 features"):
        normalise(frame([box(0, 0, 1, 1)]), codes=["a", "b"])


def test_geometry_column_with_another_name_is_kept():
    layer = frame([box(0, 0, 1, 1)]).rename_geometry("shape")
    out, _ = normalise(layer)
    assert out.geometry.name == "shape" and out.geom_type[0] == "MultiPolygon"
    assert shapely.get_type_id(layer.geometry[0]) == shapely.GeometryType.POLYGON
