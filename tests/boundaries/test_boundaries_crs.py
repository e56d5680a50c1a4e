"""CRS checks: a missing or implausible CRS is refused with the bounds found, never guessed."""

import geopandas as gpd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, box

from boundaries.crs import DISPLAY_CRS, STORAGE_CRS, check_plausible, require_crs, to_display, to_storage
from boundaries.errors import CRSError


def frame(geoms, crs):
    return gpd.GeoDataFrame({"code": [f"E0500000{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)


def test_constants():
    assert STORAGE_CRS == "EPSG:27700"
    assert DISPLAY_CRS == "EPSG:4326"


def test_require_crs_names_the_layer_and_asks_for_the_crs():
    with pytest.raises(CRSError) as caught:
        require_crs(frame([Point(0, 0)], None), "wards.shp, layer 'wards'")
    message = str(caught.value)
    assert message.startswith("wards.shp, layer 'wards' has no coordinate reference system")
    assert ".prj" in message and "pass the CRS explicitly" in message


def test_require_crs_returns_the_crs():
    assert require_crs(frame([Point(0, 0)], STORAGE_CRS), "x").to_epsg() == 27700


@pytest.mark.parametrize(
    ("geoms", "crs"),
    [
        ([box(340000, 360000, 350000, 370000)], STORAGE_CRS),  # Chester in metres
        ([box(-2.95, 53.1, -2.5, 53.3)], DISPLAY_CRS),  # Chester in degrees
        ([box(-170, -80, 170, 80)], DISPLAY_CRS),  # most of the world
        ([box(130000, 10000, 655000, 660000)], STORAGE_CRS),  # England
    ],
)
def test_plausible_layers_pass(geoms, crs):
    check_plausible(frame(geoms, crs), "x")


def test_degrees_labelled_as_british_national_grid_are_refused():
    layer = frame([box(-2.95, 53.1, -2.5, 53.3)], STORAGE_CRS)
    with pytest.raises(CRSError) as caught:
        check_plausible(layer, "wards.gpkg, layer 'wards'")
    message = str(caught.value)
    assert message.startswith(
        "wards.gpkg, layer 'wards' is labelled OSGB36 / British National Grid (EPSG:27700)"
    )
    assert "look like longitude/latitude degrees" in message
    assert "x -2.95 to -2.5, y 53.1 to 53.3" in message
    assert "would fit WGS 84 (EPSG:4326)" in message


def test_metres_labelled_as_wgs84_are_refused_with_a_hint():
    layer = frame([box(340000, 360000, 350000, 370000)], DISPLAY_CRS)
    with pytest.raises(CRSError) as caught:
        check_plausible(layer, "wards.geojson, layer 'wards'")
    message = str(caught.value)
    assert "labelled WGS 84 (EPSG:4326)" in message
    assert "x 340000 to 350000, y 360000 to 370000" in message
    assert "lie outside the area that CRS covers" in message
    assert "would fit OSGB36 / British National Grid (EPSG:27700)" in message


def test_coordinates_far_outside_the_grid_are_refused_without_a_hint():
    layer = frame([box(5_000_000, 5_000_000, 5_100_000, 5_100_000)], STORAGE_CRS)
    with pytest.raises(CRSError) as caught:
        check_plausible(layer, "x")
    assert "lie outside the area that CRS covers" in str(caught.value)
    assert "would fit" not in str(caught.value)


def test_check_plausible_needs_a_crs():
    with pytest.raises(CRSError, match="has no coordinate reference system"):
        check_plausible(frame([Point(0, 0)], None), "x")


def test_check_plausible_ignores_a_layer_with_only_empty_geometry():
    check_plausible(frame([None], STORAGE_CRS), "x")


def test_to_storage_and_to_display_return_reprojected_copies():
    original = frame([Point(-2.9, 53.2)], DISPLAY_CRS)
    before = original.copy()
    stored = to_storage(original)
    assert stored.crs.to_epsg() == 27700
    assert stored.geometry[0].x == pytest.approx(339_976, abs=1)
    assert stored.geometry[0].y == pytest.approx(367_370, abs=1)
    back = to_display(stored)
    assert back.geometry[0].x == pytest.approx(-2.9, abs=1e-7)  # the round trip drifts ~1 mm
    assert back.geometry[0].y == pytest.approx(53.2, abs=1e-7)
    assert_geodataframe_equal(original, before)


def test_to_storage_of_a_frame_already_in_storage_is_a_copy():
    original = frame([Point(340000, 366000)], STORAGE_CRS)
    copy = to_storage(original)
    assert copy is not original
    copy.loc[0, "code"] = "changed"
    assert original.loc[0, "code"] == "E05000000"


@pytest.mark.parametrize("convert", [to_storage, to_display])
def test_reprojection_refuses_a_frame_without_crs(convert):
    with pytest.raises(CRSError, match="no coordinate reference system"):
        convert(frame([Point(0, 0)], None))
