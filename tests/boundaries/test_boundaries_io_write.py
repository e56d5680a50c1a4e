"""Writing boundary sets: each export format round-trips codes, names, properties and geometry."""

import json
import zipfile

import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Polygon

from boundaries.errors import BoundaryError, CRSError
from boundaries.io import EXPORT_FORMATS, read_boundaries, write_boundaries


@pytest.fixture
def areas(make_areas):
    built = make_areas({"E05000001": (0, 0), "E05000002": (1, 0), "E05000003": (0, 1)})
    built.loc[2, "geometry"] = shapely.MultiPolygon(
        [
            Polygon([(340000, 366100), (340100, 366100), (340100, 366200)]),
            Polygon([(340300, 366300), (340400, 366300), (340400, 366400)]),
        ]
    )
    built["name"] = ["Blacon", "Upton & Newton", "Ellesmere Port Town Café"]
    built["properties"] = [{"population": 1200, "tags": ["a", "b"]}, {"population": 3400}, {}]
    return built


def test_export_formats():
    assert {fmt: (spec.suffix, spec.media_type) for fmt, spec in EXPORT_FORMATS.items()} == {
        "gpkg": (".gpkg", "application/geopackage+sqlite3"),
        "geojson": (".geojson", "application/geo+json"),
        "shp": (".zip", "application/zip"),
    }


@pytest.mark.parametrize(("fmt", "tolerance"), [("gpkg", 1e-6), ("shp", 1e-6), ("geojson", 0.1)])
def test_round_trip_keeps_codes_names_properties_and_geometry(tmp_path, areas, fmt, tolerance):
    before = areas.copy()
    path = write_boundaries(areas, tmp_path / f"out{EXPORT_FORMATS[fmt].suffix}", fmt, layer="wards")
    assert path == tmp_path / f"out{EXPORT_FORMATS[fmt].suffix}"
    assert_geodataframe_equal(areas, before)  # input untouched
    result = read_boundaries(path)
    assert result.layer == "wards" and result.code_field == "code" and result.name_field == "name"
    back = result.areas
    assert list(back["code"]) == list(areas["code"])
    assert list(back["name"]) == list(areas["name"])
    tags = ["a", "b"] if fmt == "geojson" else '["a", "b"]'  # GeoJSON holds lists; the others hold JSON text
    assert back["properties"][0] == {"population": 1200, "tags": tags}
    assert back["properties"][1]["population"] == 3400
    for got, want in zip(back.geometry, areas.geometry):
        assert shapely.hausdorff_distance(got, want) <= tolerance
    assert back.geometry[2].geom_type == "MultiPolygon" and len(back.geometry[2].geoms) == 2


def test_geojson_is_rfc7946_longitude_latitude(tmp_path, areas):
    path = write_boundaries(areas, tmp_path / "out.geojson", "geojson")
    document = json.loads(path.read_text())
    assert "crs" not in document
    lon, lat = document["features"][0]["geometry"]["coordinates"][0][0][0]
    assert -3.0 < lon < -2.8 and 53.1 < lat < 53.3
    assert [f["properties"]["code"] for f in document["features"]] == ["E05000001", "E05000002", "E05000003"]


def test_gpkg_and_shapefile_are_in_british_national_grid_whatever_the_input(tmp_path, areas):
    in_degrees = areas.to_crs("EPSG:4326")
    for fmt, name in [("gpkg", "a.gpkg"), ("shp", "a.zip")]:
        result = read_boundaries(write_boundaries(in_degrees, tmp_path / name, fmt))
        assert result.source_crs == "EPSG:27700"
        assert result.areas.geometry[0].bounds == pytest.approx((340000, 366000, 340100, 366100), abs=1e-3)


def test_zipped_shapefile_holds_one_flat_shapefile(tmp_path, areas):
    path = write_boundaries(areas, tmp_path / "wards.zip", "shp", layer="wards")
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    assert {"wards.shp", "wards.shx", "wards.dbf", "wards.prj", "wards.cpg"} <= set(names)
    assert all("/" not in name for name in names)


def test_shapefile_field_names_are_cut_to_ten_characters_without_clashes(tmp_path, areas):
    areas["properties"] = [{"population_2021": 1, "population_2011": 2, "Code": "x"}] * 3
    result = read_boundaries(write_boundaries(areas, tmp_path / "w.zip", "shp"), code_field="code")
    assert result.areas["properties"][0] == {"population": 1, "populati_1": 2, "Code_": "x"}


def test_shapefile_refuses_text_it_cannot_hold(tmp_path, areas):
    areas["properties"] = [{"notes": "x" * 300}, {}, {}]
    with pytest.raises(BoundaryError, match="area E05000001: field 'notes' holds 300 bytes of text"):
        write_boundaries(areas, tmp_path / "w.zip", "shp")
    assert not (tmp_path / "w.zip").exists()


def test_existing_file_is_replaced(tmp_path, areas):
    path = tmp_path / "w.gpkg"
    write_boundaries(areas, path, "gpkg")
    write_boundaries(areas.iloc[:1], path, "gpkg")
    assert read_boundaries(path).feature_count == 1


def test_frame_without_properties_column(tmp_path, areas):
    path = write_boundaries(areas[["code", "name", "geometry"]], tmp_path / "w.gpkg", "gpkg")
    assert list(read_boundaries(path).areas["properties"]) == [{}, {}, {}]


@pytest.mark.parametrize(
    ("fmt", "name", "message"),
    [
        ("kml", "w.kml", "unknown export format 'kml': choose one of gpkg, geojson, shp"),
        ("gpkg", "w.sqlite", "w.sqlite: a gpkg export must be written to a file ending in .gpkg"),
        ("shp", "w.shp", "w.shp: a shp export must be written to a file ending in .zip"),
    ],
)
def test_bad_format_or_suffix(tmp_path, areas, fmt, name, message):
    with pytest.raises(BoundaryError) as caught:
        write_boundaries(areas, tmp_path / name, fmt)
    assert str(caught.value) == message


def test_export_needs_crs_code_and_name(tmp_path, areas):
    with pytest.raises(CRSError, match="the areas to export has no coordinate reference system"):
        write_boundaries(areas.set_crs(None, allow_override=True), tmp_path / "w.gpkg", "gpkg")
    with pytest.raises(BoundaryError, match="the areas to export have no name column"):
        write_boundaries(areas.drop(columns="name"), tmp_path / "w.gpkg", "gpkg")
