"""Reading boundary files: every format, and hostile input refused naming file, layer, feature and code."""

import json
import re
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.affinity import translate
from shapely.geometry import LineString, Polygon

from boundaries.errors import BoundaryError, CRSError
from boundaries.io import SUPPORTED_SUFFIXES, list_layers, read_boundaries

BOW_TIE = Polygon([(340000, 366000), (340200, 366200), (340200, 366000), (340000, 366200)])


def write_layer(gdf, path, **kwargs):
    """Write a layer with GDAL directly, so the reader is tested against files it did not write."""
    pyogrio.write_dataframe(gdf, path, **kwargs)
    return path


def geojson(path, features, **extra):
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                **extra,
                "features": [
                    {"type": "Feature", "properties": properties, "geometry": geometry}
                    for properties, geometry in features
                ],
            }
        )
    )
    return path


def square(x, y, size=0.01):
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == (".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml")


# --- reading what should work ------------------------------------------------------------


def test_shapefile_reads_codes_names_properties_in_british_national_grid(tmp_path, make_areas):
    areas = make_areas({"E05000001": (0, 0), "E05000002": (1, 0)}, population=[1200, 3400]).to_crs(
        "EPSG:4326"
    )
    areas = areas.rename(columns={"code": "WD19CD", "name": "WD19NM"})
    path = write_layer(areas, tmp_path / "wards.shp")
    result = read_boundaries(path)
    assert (result.layer, result.code_field, result.name_field) == ("wards", "WD19CD", "WD19NM")
    assert result.source_crs == "EPSG:4326" and result.feature_count == 2 and result.repairs == []
    out = result.areas
    assert list(out.columns) == ["code", "name", "properties", "geometry"]
    assert out.crs.to_epsg() == 27700
    assert list(out["code"]) == ["E05000001", "E05000002"]
    assert list(out["name"]) == ["Area E05000001", "Area E05000002"]
    assert list(out["properties"]) == [{"population": 1200}, {"population": 3400}]
    assert set(out.geom_type) == {"MultiPolygon"}
    assert out.geometry[0].area == pytest.approx(100 * 100, rel=1e-6)
    assert out.geometry[0].bounds == pytest.approx((340000, 366000, 340100, 366100), abs=1e-3)


def test_zipped_shapefile_in_a_sub_folder(tmp_path, make_areas):
    folder = tmp_path / "export" / "Wards_2019"
    folder.mkdir(parents=True)
    write_layer(make_areas({"E05000001": (0, 0)}), folder / "wards.shp")
    archive = tmp_path / "wards.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, arcname=f"Wards_2019/{part.name}")
        zf.writestr("__MACOSX/Wards_2019/._wards.shp", b"resource fork noise")
    assert list_layers(archive) == ["wards"]
    result = read_boundaries(archive)
    assert result.layer == "wards" and list(result.areas["code"]) == ["E05000001"]


def test_zip_with_two_shapefiles_needs_a_layer(tmp_path, make_areas):
    write_layer(make_areas({"E05000001": (0, 0)}), tmp_path / "wards.shp")
    write_layer(make_areas({"E01000001": (0, 0)}), tmp_path / "lsoas.shp")
    archive = tmp_path / "both.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.iterdir():
            if part.suffix != ".zip":
                zf.write(part, arcname=part.name)
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(archive)
    assert str(caught.value).startswith("both.zip has 2 layers:")
    assert "lsoas" in str(caught.value) and "wards" in str(caught.value) and "--layer" in str(caught.value)
    assert list(read_boundaries(archive, layer="lsoas").areas["code"]) == ["E01000001"]


def test_zip_without_shapefile_and_broken_zip(tmp_path):
    empty = tmp_path / "notes.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(
        BoundaryError, match=r"notes\.zip holds no shapefile \(\.shp\); it contains: readme\.txt"
    ):
        read_boundaries(empty)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really a zip")
    with pytest.raises(BoundaryError, match=r"broken\.zip is not a readable zip archive"):
        read_boundaries(broken)


def kml_polygon(coordinates):
    ring = " ".join(f"{x},{y},0" for x, y in coordinates)
    ring = f"<LinearRing><coordinates>{ring}</coordinates></LinearRing>"
    return f"<Polygon><outerBoundaryIs>{ring}</outerBoundaryIs></Polygon>"


def kml_placemark(name, code, note, geometry):
    data = f'<Data name="code"><value>{code}</value></Data><Data name="note"><value>{note}</value></Data>'
    return f"<Placemark><name>{name}</name><ExtendedData>{data}</ExtendedData>{geometry}</Placemark>"


def test_kml_reads_extended_data_and_placemark_names(tmp_path):
    blacon = kml_polygon([(-2.93, 53.20), (-2.90, 53.20), (-2.90, 53.22), (-2.93, 53.20)])
    parts = [
        kml_polygon([(x, 53.20), (x + 0.01, 53.20), (x + 0.01, 53.21), (x, 53.20)]) for x in (-2.8, -2.7)
    ]
    placemarks = kml_placemark("Blacon", "E05012209", "test", blacon) + kml_placemark(
        "Two Parts", "E05012210", "x", f"<MultiGeometry>{''.join(parts)}</MultiGeometry>"
    )
    path = tmp_path / "wards.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>wards</name>{placemarks}</Document></kml>"
    )
    result = read_boundaries(path)
    out = result.areas
    assert (result.layer, result.code_field, result.name_field, result.source_crs) == (
        "wards",
        "code",
        "Name",
        "EPSG:4326",
    )
    assert list(out["code"]) == ["E05012209", "E05012210"]
    assert list(out["name"]) == ["Blacon", "Two Parts"]
    assert list(out["properties"]) == [{"note": "test"}, {"note": "x"}]  # no KML styling fields
    assert [len(geom.geoms) for geom in out.geometry] == [1, 2]
    assert not out.geometry[0].has_z
    drawn = Polygon([(-2.93, 53.20), (-2.90, 53.20), (-2.90, 53.22)])
    expected = gpd.GeoSeries([drawn], crs="EPSG:4326").to_crs("EPSG:27700")[0]
    assert out.geometry[0].symmetric_difference(expected).area < 1e-6
    assert out.geometry[0].bounds == pytest.approx((337972, 367370, 340004, 369595), abs=1)  # Blacon, Chester


def test_geopackage_with_several_layers_needs_a_layer(tmp_path, make_areas):
    path = tmp_path / "sets.gpkg"
    write_layer(make_areas({"E05000001": (0, 0)}), path, layer="wards")
    write_layer(make_areas({"E01000001": (0, 0)}), path, layer="lsoa", append=False)
    assert list_layers(path) == ["wards", "lsoa"]
    with pytest.raises(
        BoundaryError, match=re.escape("sets.gpkg has 2 layers: wards, lsoa — choose one with --layer")
    ):
        read_boundaries(path)
    with pytest.raises(
        BoundaryError, match=re.escape("sets.gpkg has no layer 'msoa'; its layers are: wards, lsoa")
    ):
        read_boundaries(path, layer="msoa")
    assert list(read_boundaries(path, layer="lsoa").areas["code"]) == ["E01000001"]


@pytest.mark.parametrize(
    ("columns", "code_field", "name_field"),
    [
        ({"LSOA11CD": ["E01000001", "E01000002"], "LSOA11NM": ["A 001A", "A 001B"]}, "LSOA11CD", "LSOA11NM"),
        (
            {
                "lad19cd": ["E06000050", "E06000050"],
                "lsoa11cd": ["E01000001", "E01000002"],
                "lad19nm": ["X", "X"],
                "lsoa11nm": ["a", "b"],
            },
            "lsoa11cd",
            "lsoa11nm",
        ),
        (
            {"objectid": [1, 2], "ons_code": ["E05000001", "E05000002"], "ward_name": ["A", "B"]},
            "ons_code",
            "ward_name",
        ),
        (
            {"ref_code": ["r1", "r2"], "gss_code": ["E05000001", "E05000002"], "name": ["A", "B"]},
            "gss_code",
            "name",
        ),
        ({"ward_code": ["W1", "W2"], "lad_code": ["E06000050", "E06000050"]}, "ward_code", None),
        ({"id": [1, 2], "area": ["E05000001", "E05000002"]}, "area", None),
    ],
)
def test_code_and_name_fields_are_detected(tmp_path, make_areas, columns, code_field, name_field):
    areas = make_areas({"x": (0, 0), "y": (1, 0)}).drop(columns=["code", "name"]).assign(**columns)
    result = read_boundaries(write_layer(areas, tmp_path / "areas.gpkg"))
    assert result.code_field == code_field
    assert result.name_field == (name_field or code_field)
    codes = list(columns[code_field])
    assert list(result.areas["code"]) == codes
    assert list(result.areas["name"]) == (list(columns[name_field]) if name_field else codes)


def test_fields_can_be_named_in_any_case_and_codes_are_stripped(tmp_path, make_areas):
    areas = (
        make_areas({"x": (0, 0), "y": (1, 0)})
        .drop(columns=["code", "name"])
        .assign(Ref=[" W1 ", "W2"], Label=["North ", None])
    )
    result = read_boundaries(
        write_layer(areas, tmp_path / "areas.gpkg"), code_field="ref", name_field="LABEL"
    )
    assert (result.code_field, result.name_field) == ("Ref", "Label")
    assert list(result.areas["code"]) == ["W1", "W2"]
    assert list(result.areas["name"]) == ["North", "W2"]  # a blank name falls back to the code


def test_properties_are_json_serialisable(tmp_path, make_areas):
    areas = make_areas({"E05000001": (0, 0), "E05000002": (1, 0)}).assign(
        count=[1, 2],
        share=[0.5, float("nan")],
        flag=[True, False],
        updated=pd.to_datetime(["2024-05-01", "2024-06-01"]),
        empty=[None, None],
    )
    result = read_boundaries(write_layer(areas, tmp_path / "areas.gpkg"))
    properties = list(result.areas["properties"])
    assert properties[0] == {"count": 1, "share": 0.5, "flag": True, "updated": "2024-05-01T00:00:00"}
    assert properties[1]["share"] is None and "empty" not in properties[1]
    json.dumps(properties)


def test_progress_is_reported(tmp_path, make_areas):
    path = write_layer(make_areas({f"E0500000{i}": (i, 0) for i in range(5)}), tmp_path / "w.gpkg")
    calls = []
    read_boundaries(path, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (5, 5)


def test_explicit_crs_reads_a_shapefile_without_prj(tmp_path, make_areas):
    path = write_layer(make_areas({"E05000001": (0, 0)}), tmp_path / "wards.shp")
    (tmp_path / "wards.prj").unlink()
    result = read_boundaries(path, crs="EPSG:27700")
    assert result.source_crs == "EPSG:27700"
    assert result.areas.geometry[0].bounds == pytest.approx((340000, 366000, 340100, 366100))


def test_explicit_crs_overrides_a_wrong_label(tmp_path):
    path = geojson(tmp_path / "bng.geojson", [({"code": "E05000001"}, square(340000, 366000, 100))])
    result = read_boundaries(path, crs="EPSG:27700")
    assert result.areas.geometry[0].bounds == pytest.approx((340000, 366000, 340100, 366100))


def test_repaired_bow_tie_is_reported(tmp_path, make_areas):
    areas = make_areas({"E05000001": (5, 5), "E05000002": (9, 9)})
    areas.loc[1, "geometry"] = BOW_TIE
    result = read_boundaries(write_layer(areas, tmp_path / "wards.gpkg", layer="wards"))
    (repair,) = result.repairs
    assert (repair.file, repair.layer, repair.feature, repair.code) == ("wards.gpkg", "wards", 2, "E05000002")
    assert "Self-intersection" in repair.message
    assert result.areas.geometry[1].is_valid and result.areas.geometry[1].area == pytest.approx(20000)


def test_a_large_layer_checked_in_shares_numbers_each_feature_in_the_whole_layer(tmp_path, make_areas):
    """A layer of 12,000 areas is checked on threads, share by share: repairs, refusals and progress still
    speak of the whole layer."""
    cells = {f"E0{i:07d}": (i % 100, i // 100) for i in range(12_000)}
    areas = make_areas(cells)
    areas.loc[[1, 10_999], "geometry"] = [translate(BOW_TIE, 0, -400), translate(BOW_TIE, 0, -800)]
    calls = []
    result = read_boundaries(write_layer(areas, tmp_path / "lsoa.gpkg", layer="lsoa"),
                             progress=lambda done, total: calls.append((done, total)))
    assert [(p.feature, p.code) for p in result.repairs] == [(2, "E00000001"), (11_000, "E00010999")]
    assert list(result.areas["code"]) == list(cells) and result.areas.geometry.is_valid.all()
    assert result.areas.geometry[11_999].equals(areas.geometry[11_999])
    assert calls[-1] == (12_000, 12_000) and [done for done, _ in calls] == sorted(done for done, _ in calls)
    areas.loc[[3, 11_500], "geometry"] = [LineString([(0, 0), (1, 1)]), LineString([(2, 2), (3, 3)])]
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(write_layer(areas, tmp_path / "lines.gpkg", layer="lsoa"))
    assert [str(p) for p in caught.value.problems] == [
        "lines.gpkg, layer 'lsoa', feature 4 (code E00000003): is a LineString, not a polygon",
        "lines.gpkg, layer 'lsoa', feature 11501 (code E00011500): is a LineString, not a polygon",
    ]


# --- refusing what cannot be used -----------------------------------------------------------


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "wards.csv"
    path.write_text("code,name\n")
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    assert str(caught.value) == (
        "wards.csv: files ending in '.csv' are not supported; "
        "use one of .gpkg, .shp, .zip, .geojson, .json, .kml"
    )


def test_missing_file(tmp_path):
    with pytest.raises(BoundaryError, match=r"^nowhere.gpkg: no such file"):
        read_boundaries(tmp_path / "nowhere.gpkg")


def test_truncated_shapefile_is_refused_with_gdal_messages(tmp_path, make_areas):
    path = write_layer(
        make_areas({"E05000001": (0, 0), "E05000002": (1, 0), "E05000003": (2, 0)}), tmp_path / "wards.shp"
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 150])
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    err = caught.value
    assert err.message.startswith(
        f"wards.shp is truncated: its header says {len(data)} bytes but the file has {len(data) - 150}"
    )
    assert "export it again" in err.message
    assert [p.feature for p in err.problems] == [2, 3]
    assert all(p.file == "wards.shp" and p.layer == "wards" for p in err.problems)
    assert "GDAL says: Error in fread()" in err.problems[0].message


def test_truncated_shapefile_inside_a_zip(tmp_path, make_areas):
    path = write_layer(make_areas({"E05000001": (0, 0)}), tmp_path / "wards.shp")
    archive = tmp_path / "wards.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("wards.*"):
            if part.suffix != ".zip":
                zf.writestr(
                    part.name, part.read_bytes()[:120] if part.suffix == ".shp" else part.read_bytes()
                )
    with pytest.raises(BoundaryError, match=r"wards.zip \(wards.shp\) is truncated"):
        read_boundaries(archive)
    assert path.exists()


@pytest.mark.parametrize(
    ("text", "gdal_says"),
    [
        ('{"type": "FeatureCollection", "features": [', "Unterminated array"),
        ("code,name\nE05000001,Blacon\n", "not recognized as being in a supported file format"),
    ],
)
def test_geojson_that_is_not_json(tmp_path, text, gdal_says):
    path = tmp_path / "wards.geojson"
    path.write_text(text)
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    message = str(caught.value)
    assert message.startswith("wards.geojson cannot be read (is the file damaged?). GDAL says: ")
    assert gdal_says in message


def test_shapefile_without_prj(tmp_path, make_areas):
    path = write_layer(make_areas({"E05000001": (0, 0)}), tmp_path / "wards.shp")
    (tmp_path / "wards.prj").unlink()
    with pytest.raises(CRSError) as caught:
        read_boundaries(path)
    assert str(caught.value) == (
        "wards.shp, layer 'wards' has no coordinate reference system (a shapefile without its .prj?) "
        "— pass the CRS explicitly"
    )


def test_wgs84_layer_holding_british_national_grid_metres(tmp_path):
    path = geojson(tmp_path / "wards.geojson", [({"code": "E05000001"}, square(340000, 366000, 100))])
    with pytest.raises(CRSError) as caught:
        read_boundaries(path)
    message = str(caught.value)
    assert message.startswith("wards.geojson, layer 'wards' is labelled WGS 84 (EPSG:4326)")
    assert "x 340000 to 340100, y 366000 to 366100" in message
    assert "would fit OSGB36 / British National Grid (EPSG:27700)" in message


def test_unknown_crs_given(tmp_path):
    path = geojson(tmp_path / "w.geojson", [({"code": "E1"}, square(-2.9, 53.2))])
    with pytest.raises(CRSError, match="'EPSG:999999' is not a coordinate reference system"):
        read_boundaries(path, crs="EPSG:999999")


def test_points_are_refused_listing_every_feature(tmp_path):
    point = {"type": "Point", "coordinates": [-2.9, 53.2]}
    line = {"type": "LineString", "coordinates": [[-2.9, 53.2], [-2.8, 53.2]]}
    path = geojson(
        tmp_path / "venues.geojson",
        [
            ({"code": "E05000001"}, point),
            ({"code": "E05000002"}, square(-2.9, 53.2)),
            ({"code": "E05000003"}, line),
        ],
    )
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    err = caught.value
    assert (
        err.message == "venues.geojson, layer 'venues' cannot be imported: 2 features have unusable geometry"
    )
    assert [str(p) for p in err.problems] == [
        "venues.geojson, layer 'venues', feature 1 (code E05000001): is a Point, not a polygon",
        "venues.geojson, layer 'venues', feature 3 (code E05000003): is a LineString, not a polygon",
    ]


def test_duplicate_codes_list_their_feature_numbers(tmp_path):
    path = geojson(
        tmp_path / "wards.geojson",
        [
            ({"code": "E05000001"}, square(-2.9, 53.2)),
            ({"code": "E05000002"}, square(-2.8, 53.2)),
            ({"code": "E05000001 "}, square(-2.7, 53.2)),
            ({"code": "E05000002"}, square(-2.6, 53.2)),
            ({"code": "E05000001"}, square(-2.5, 53.2)),
        ],
    )
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    err = caught.value
    assert err.message == "wards.geojson, layer 'wards' cannot be imported: 2 codes are used more than once"
    assert [str(p) for p in err.problems] == [
        "wards.geojson, layer 'wards' (code E05000001): "
        "code used by 3 features: 1, 3, 5 (codes must be unique)",
        "wards.geojson, layer 'wards' (code E05000002): code used by 2 features: 2, 4 (codes must be unique)",
    ]


def test_missing_codes_list_their_feature_numbers_with_other_problems(tmp_path):
    path = geojson(
        tmp_path / "wards.geojson",
        [
            ({"code": "E05000001"}, square(-2.9, 53.2)),
            ({"code": "  "}, square(-2.8, 53.2)),
            ({"code": None}, square(-2.7, 53.2)),
            ({"code": "E05000004"}, {"type": "Point", "coordinates": [-2.6, 53.2]}),
        ],
    )
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    err = caught.value
    assert err.message == (
        "wards.geojson, layer 'wards' cannot be imported: "
        "2 features have no code; 1 feature has unusable geometry"
    )
    assert [(p.feature, p.code, p.message) for p in err.problems] == [
        (2, None, "has no code (field 'code' is blank)"),
        (3, None, "has no code (field 'code' is blank)"),
        (4, "E05000004", "is a Point, not a polygon"),
    ]


def test_feature_without_geometry_is_not_mistaken_for_damage(tmp_path, make_areas):
    areas = make_areas({"E05000001": (0, 0), "E05000002": (1, 0)})
    areas.loc[1, "geometry"] = None
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(write_layer(areas, tmp_path / "wards.gpkg", layer="wards"))
    assert (
        caught.value.message
        == "wards.gpkg, layer 'wards' cannot be imported: 1 feature has unusable geometry"
    )
    assert [str(p) for p in caught.value.problems] == [
        "wards.gpkg, layer 'wards', feature 2 (code E05000002): has no geometry (missing or empty)"
    ]


def test_empty_layer(tmp_path, make_areas):
    path = write_layer(make_areas({}), tmp_path / "wards.gpkg", layer="wards")
    with pytest.raises(BoundaryError, match=r"^wards.gpkg, layer 'wards' is empty: it has no features$"):
        read_boundaries(path)


def test_table_without_geometry(tmp_path):
    path = write_layer(pd.DataFrame({"code": ["E05000001"]}), tmp_path / "codes.gpkg", layer="codes")
    with pytest.raises(
        BoundaryError, match=r"^codes\.gpkg, layer 'codes' has no geometry: it is a table of attributes"
    ):
        read_boundaries(path)


def test_unknown_fields_given(tmp_path, make_areas):
    path = write_layer(make_areas({"E05000001": (0, 0)}), tmp_path / "wards.gpkg", layer="wards")
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path, code_field="WD19CD", name_field="WD19NM")
    assert (
        str(caught.value)
        == "wards.gpkg, layer 'wards' has no field 'WD19CD' or 'WD19NM'; its fields are: code, name"
    )


def test_no_detectable_code_field(tmp_path, make_areas):
    areas = make_areas({"x": (0, 0)}).drop(columns=["code", "name"]).assign(ref=["W1"], label=["North"])
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(write_layer(areas, tmp_path / "wards.gpkg", layer="wards"))
    assert str(caught.value) == (
        "wards.gpkg, layer 'wards': cannot tell which field holds the area codes; "
        "its fields are: ref, label. "
        "Name them with --code-field (and --name-field)."
    )


def test_many_problems_are_summarised_after_ten(tmp_path):
    features = [({"code": None}, square(-2.9 + i / 100, 53.2)) for i in range(14)]
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(geojson(tmp_path / "w.geojson", features))
    lines = str(caught.value).splitlines()
    assert lines[0] == "w.geojson, layer 'w' cannot be imported: 14 features have no code"
    assert lines[-1] == "  ... and 4 more"


def test_lines_in_a_shapefile_are_refused(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"code": ["E1", "E2"]},
        geometry=[LineString([(0, 0), (1, 1)]), LineString([(2, 2), (3, 3)])],
        crs="EPSG:27700",
    )
    with pytest.raises(BoundaryError, match="feature 2 \\(code E2\\): is a LineString"):
        read_boundaries(write_layer(gdf, tmp_path / "lines.shp"))


def test_input_file_path_as_string(tmp_path, make_areas):
    path = write_layer(make_areas({"E05000001": (0, 0)}), tmp_path / "w.geojson")
    assert read_boundaries(str(path)).feature_count == 1
    assert list_layers(str(path)) == ["w"]
