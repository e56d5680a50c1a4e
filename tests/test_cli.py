"""The geoapp command line: load, import-boundaries, export, sets, db upgrade."""
import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import MultiPolygon, Point, box

from geoapp.storage import boundary_sets


def test_db_upgrade_reports_success(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_load_prints_what_it_stored(app, runner, cwac_manifest):
    result = runner.invoke(args=["load", str(cwac_manifest)])
    assert result.exit_code == 0, result.output
    assert "wards: 45 areas" in result.output
    assert "lsoa: 212 areas" in result.output
    assert "apb: 5 areas" in result.output
    # the loader names every indicator with no value in any area, once (the IoD2019 copy lacks 7 columns)
    empty = [line.strip() for line in result.output.splitlines() if "no value in any area" in line]
    assert len(empty) == 7 and "imd2019-crime-score: no value in any area, so it is not offered" in empty
    assert "England from iod2025_file7.csv" in result.output and "296 districts ranked" in result.output
    listing = runner.invoke(args=["sets"])
    assert "apb" in listing.output and "Area Partnership Boards" in listing.output


def test_import_boundaries_then_export_round_trip(app, runner, tmp_path, shared_data):
    source = shared_data / "cheshire_west_and_chester.gpkg"
    result = runner.invoke(args=["import-boundaries", str(source), "--layer", "wards", "--id", "wards",
                                 "--kind", "ward", "--name", "Wards (2019)"])
    assert result.exit_code == 0, result.output
    assert "wards: 45 areas" in result.output
    original = gpd.read_file(source, layer="wards").sort_values("code").reset_index(drop=True)
    for fmt, name in (("gpkg", "out.gpkg"), ("geojson", "out.geojson"), ("shp", "out.zip")):
        out = tmp_path / name
        result = runner.invoke(args=["export", "wards", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        back = gpd.read_file(out).to_crs(27700).sort_values("code").reset_index(drop=True)
        assert list(back["code"]) == list(original["code"])
        assert list(back["name"]) == list(original["name"])
        distance = back.geometry.hausdorff_distance(original.geometry, align=False).max()
        assert distance < (0.1 if fmt == "geojson" else 1e-6), (fmt, distance)


def test_import_of_points_is_refused_and_stores_nothing(app, runner, tmp_path):
    points = gpd.GeoDataFrame({"code": ["E05000001", "E05000002"], "name": ["A", "B"]},
                              geometry=[Point(350000, 370000), Point(351000, 370000)], crs=27700)
    path = tmp_path / "points.geojson"
    pyogrio.write_dataframe(points, path)
    result = runner.invoke(args=["import-boundaries", str(path), "--id", "w", "--kind", "ward",
                                 "--name", "W"])
    assert result.exit_code == 1
    assert "points.geojson" in result.output and "Point" in result.output
    assert "Nothing was stored" in result.output
    with app.app_context():
        from geoapp.web.db import db_session
        assert boundary_sets.area_counts(db_session()) == {}


def test_import_refuses_an_existing_set_without_replace(app, runner, tmp_path):
    frame = gpd.GeoDataFrame({"code": ["E05000001"], "name": ["A"]},
                             geometry=[MultiPolygon([box(350000, 370000, 351000, 371000)])], crs=27700)
    path = tmp_path / "one.gpkg"
    pyogrio.write_dataframe(frame, path)
    args = ["import-boundaries", str(path), "--id", "w", "--kind", "ward", "--name", "W"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already exists" in again.output and "--replace" in again.output
    assert runner.invoke(args=args + ["--replace"]).exit_code == 0


def test_export_of_unknown_set_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["export", "nope", "--out", str(tmp_path / "x.gpkg")])
    assert result.exit_code == 1
    assert "no boundary set called 'nope'" in result.output


@pytest.mark.parametrize("fmt, suffix, media", [("gpkg", ".gpkg", "application/geopackage+sqlite3"),
                                                 ("geojson", ".geojson", "application/geo+json"),
                                                 ("shp", ".zip", "application/zip")])
def test_export_download_from_the_web(cwac_app, fmt, suffix, media, tmp_path):
    response = cwac_app.test_client().get(f"/boundaries/apb/export.{fmt}")
    assert response.status_code == 200
    assert response.mimetype == media
    assert f"apb{suffix}" in response.headers["Content-Disposition"]
    path = tmp_path / f"apb{suffix}"
    path.write_bytes(response.data)
    back = gpd.read_file(path)
    assert len(back) == 5 and "Chester" in set(back["name"])


def test_boundary_sets_page_lists_sources_and_licences(cwac_app):
    client = cwac_app.test_client()
    page = client.get("/boundaries/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Area Partnership Boards" in text and "OGL v3.0" in text
    data = client.get("/boundaries/index.json").get_json()
    assert {s["id"]: s["areas"] for s in data["boundary_sets"]}["lsoa"] == 212
