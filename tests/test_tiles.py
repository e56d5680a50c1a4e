"""Vector tiles of large sets, on both stores: what the tiles hold, empty and unknown tiles, versioned caching,
the popup details and the areas in a view that a tiled map asks for, and which sets the home map tiles."""
from __future__ import annotations

import json
import math
import re
import threading

import geopandas as gpd
import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import MultiPolygon, box, shape

from geoapp.storage import boundary_sets
from layers.tiles import EXTENT, WEB_MERCATOR, tile_bounds, tiles_covering

#: Chester's centre at zoom 12 and 13, and a tile in the North Sea.
CHESTER = (-2.8920, 53.1905)
SEA = (12, 2100, 1250)


@pytest.fixture
def tiled_app(cwac_db, tmp_path, make_app):
    """Cheshire West and Chester with the threshold lowered so its 212 LSOAs (not its 45 wards) are tiled."""
    return make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="100")


def chester_tile(z: int) -> tuple[int, int, int]:
    return tiles_covering((*CHESTER, *CHESTER), z)[0]


def decode(body: bytes) -> list[dict]:
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})["areas"]["features"]


def stored(app, set_id: str) -> gpd.GeoDataFrame:
    with app.extensions["atlas_db"].session() as session:
        return boundary_sets.load_areas(session, set_id).to_crs(WEB_MERCATOR)


def to_mercator(geometry: dict, bounds) -> shapely.Geometry:
    """A decoded tile geometry (tile units, y down) back in EPSG:3857 metres."""
    minx, _, maxx, maxy = bounds
    unit = (maxx - minx) / EXTENT
    return shapely.transform(shape(geometry), lambda xy: xy * [unit, -unit] + [minx, maxy])


@pytest.mark.parametrize("z", [10, 11, 13])
def test_a_tile_holds_every_area_meeting_it_with_its_code_name_and_shape(tiled_app, z):
    z, x, y = chester_tile(z)
    response = tiled_app.test_client().get(f"/map/tiles/lsoa/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    features = decode(response.data)
    areas = stored(tiled_app, "lsoa").set_index("code")
    bounds = tile_bounds(z, x, y)
    tile = box(*bounds)
    meeting = set(areas.index[areas.intersection(tile).area > 1.0])  # more than a square metre inside
    codes = [f["properties"]["code"] for f in features]
    assert len(codes) == len(set(codes))
    assert meeting <= set(codes)  # nothing inside the tile left out
    assert set(codes) <= set(areas.index)  # and nothing made up
    pad = (bounds[2] - bounds[0]) * 64 / EXTENT
    assert set(codes) <= set(areas.index[areas.intersects(box(*bounds).buffer(pad + 1, join_style="mitre"))])
    for feature in features:
        code = feature["properties"]["code"]
        assert feature["properties"]["name"] == areas.loc[code, "name"]
        drawn = to_mercator(feature["geometry"], bounds).intersection(tile)
        truth = areas.loc[code, "geometry"].intersection(tile)
        unit = (bounds[2] - bounds[0]) / EXTENT
        # the same shape inside the tile, give or take the grid's snapping (a unit along its outline)
        assert drawn.symmetric_difference(truth).area <= max(truth.length, 1) * unit + unit ** 2


def test_tiles_outside_the_set_are_empty_and_odd_tiles_or_sets_are_not_found(tiled_app):
    client = tiled_app.test_client()
    empty = client.get("/map/tiles/lsoa/{}/{}/{}.mvt".format(*SEA))
    assert empty.status_code == 204 and empty.data == b""
    z, x, y = chester_tile(12)
    for url, words in [(f"/map/tiles/nowhere/{z}/{x}/{y}.mvt", "no boundary set called 'nowhere'"),
                       (f"/map/tiles/lsoa/19/{x}/{y}.mvt", "zooms 8 to 18"),
                       (f"/map/tiles/lsoa/7/{x // 32}/{y // 32}.mvt", "zooms 8 to 18"),
                       (f"/map/tiles/lsoa/{z}/{2 ** z}/{y}.mvt", "x and y from 0")]:
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 404, url
        assert words in response.get_data(as_text=True), url


@pytest.mark.parametrize("z", [10, 12])  # a zoomed-out tile of many areas, and a closer one
def test_tiles_are_cached_by_version_and_change_when_the_set_is_replaced(tiled_app, z):
    client = tiled_app.test_client()
    z, x, y = chester_tile(z)
    url = f"/map/tiles/lsoa/{z}/{x}/{y}.mvt"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "no-cache"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    with tiled_app.extensions["atlas_db"].session() as session:
        version = boundary_sets.get_set(session, "lsoa").version
    kept = client.get(f"{url}?v={version}")
    assert kept.headers["Cache-Control"] == "private, max-age=86400"
    assert kept.headers["ETag"] == first.headers["ETag"]
    assert client.get(f"{url}?v={version - 1}").headers["Cache-Control"] == "no-cache"

    # replace the LSOAs by one square over Chester: same tile, new version, new ETag and new content
    minx, miny, maxx, maxy = gpd.GeoSeries([box(*tile_bounds(z, x, y))], crs=WEB_MERCATOR).to_crs(27700).total_bounds
    square = gpd.GeoDataFrame({"code": ["E01999999"], "name": ["Square"]},
                              geometry=[MultiPolygon([box(minx + 100, miny + 100, maxx - 100, maxy - 100)])],
                              crs="EPSG:27700")
    with tiled_app.extensions["atlas_db"].transaction() as session:
        boundary_sets.save_set(session, square, actor="test", replace=True, id="lsoa", kind="lsoa", name="LSOAs")
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert [f["properties"]["code"] for f in decode(again.data)] == ["E01999999"]


def test_the_home_map_tiles_large_sets_and_sends_small_ones_whole(tiled_app):
    page = tiled_app.test_client().get("/").get_data(as_text=True)
    config = json.loads(re.search(r"data-atlas-map='([^']+)'", page).group(1).replace("&#39;", "'"))
    layers = {layer["id"]: layer for layer in config["layers"]}
    with tiled_app.extensions["atlas_db"].session() as session:
        version = boundary_sets.get_set(session, "lsoa").version
    assert layers["lsoa"]["tiles"] == {"url": f"/map/tiles/lsoa/{{z}}/{{x}}/{{y}}.mvt?v={version}",
                                       "area": "/map/sets/lsoa/areas/CODE.json",
                                       "view": "/map/sets/lsoa/areas.json", "minZoom": 9}
    assert layers["wards"]["tiles"] is None and layers["wards"]["url"] == "/map/sets/wards.geojson"
    assert "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in page


def test_without_large_sets_the_page_loads_no_tile_library(cwac_app):
    page = cwac_app.test_client().get("/").get_data(as_text=True)
    assert "vectorgrid" not in page.lower()
    assert '"tiles": {' not in page


def test_an_areas_popup_details_name_it_and_the_areas_holding_it(tiled_app):
    client = tiled_app.test_client()
    areas = stored(tiled_app, "lsoa").to_crs(4326).set_index("code")
    code = areas.index[0]
    detail = client.get(f"/map/sets/lsoa/areas/{code}.json").get_json()
    assert detail["code"] == code and detail["name"] == areas.loc[code, "name"]
    assert detail["set"] == "lsoa" and detail["kind"] == "lsoa"
    kinds = [c["kind"] for c in detail["containers"]]
    assert "ward" in kinds and "lad" in kinds and kinds.index("ward") < kinds.index("lad")
    assert all(0 < c["share"] <= 1 for c in detail["containers"])
    assert areas.loc[code, "geometry"].buffer(1e-5).contains(shapely.Point(detail["label"]))
    west, south, east, north = areas.loc[code, "geometry"].bounds
    assert detail["bbox"] == pytest.approx([west, south, east, north], abs=1e-5)
    missing = client.get("/map/sets/lsoa/areas/E01000000.json", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and "no area with code 'E01000000'" in missing.get_data(as_text=True)


def test_the_areas_in_a_view_are_listed_by_name_for_the_keyboard(tiled_app):
    client = tiled_app.test_client()
    view = (-2.91, 53.18, -2.87, 53.20)
    listed = client.get("/map/sets/lsoa/areas.json?bbox=" + ",".join(map(str, view))).get_json()
    areas = stored(tiled_app, "lsoa").to_crs(27700)
    seen = box(*gpd.GeoSeries([box(*view)], crs=4326).to_crs(27700).total_bounds)
    expected = {code for code, geom in zip(areas["code"], areas.geometry) if box(*geom.bounds).intersects(seen)}
    assert listed["matched"] == len(expected) > 5
    assert {a["code"] for a in listed["areas"]} == expected
    names = [a["name"] for a in listed["areas"]]
    assert names == sorted(names)
    world = client.get("/map/sets/lsoa/areas.json?bbox=-180,-90,180,90").get_json()  # clipped to Great Britain
    assert world["matched"] == len(areas) == 212 and len(world["areas"]) == 212
    assert client.get("/map/sets/lsoa/areas.json?bbox=150,-40,151,-39").get_json()["matched"] == 0
    corners = client.get("/map/sets/lsoa/areas.json?bbox=" + ",".join(map(str, (view[2], view[3], view[0], view[1]))))
    assert corners.get_json() == listed  # either corner first
    for bad, words in [("", "four numbers"), ("1,2,3", "four numbers"), ("nan,1,2,3", "four numbers")]:
        response = client.get(f"/map/sets/lsoa/areas.json?bbox={bad}", headers={"Accept": "application/json"})
        assert response.status_code == 422 and words in response.get_data(as_text=True)


def test_the_embedded_store_keeps_each_sets_tile_source_for_the_next_process(cwac_db, backend, tmp_path, make_app):
    z, x, y = chester_tile(12)
    url = f"/map/tiles/lsoa/{z}/{x}/{y}.mvt"
    first = make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="100")
    body = first.test_client().get(url).data
    folder = tmp_path / "tile-sources"
    if backend == "postgis":  # tiles come from ST_AsMVT: nothing is kept beside the store
        assert not folder.exists()
        return
    saved = list(folder.glob("*.npz"))
    assert len(saved) == 1
    stamp = saved[0].stat().st_mtime_ns
    restarted = make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="100")  # a new app: its caches start empty
    assert restarted.test_client().get(url).data == body
    assert [(p, p.stat().st_mtime_ns) for p in folder.glob("*.npz")] == [(saved[0], stamp)]  # read, not rebuilt

    square = gpd.GeoDataFrame({"code": ["E01999999"], "name": ["Square"]},
                              geometry=[MultiPolygon([box(340000, 366000, 341000, 367000)])], crs="EPSG:27700")
    with restarted.extensions["atlas_db"].transaction() as session:
        boundary_sets.save_set(session, square, actor="test", replace=True, id="lsoa", kind="lsoa", name="LSOAs")
    z, x, y = tiles_covering((-2.892, 53.19, -2.892, 53.19), 12)[0]
    replaced = decode(restarted.test_client().get(f"/map/tiles/lsoa/{z}/{x}/{y}.mvt").data)
    assert [f["properties"]["code"] for f in replaced] == ["E01999999"]
    now = list(folder.glob("*.npz"))
    assert len(now) == 1 and now[0] != saved[0]  # the replaced set's copy is gone


# SQLite only: what is shared between requests is the tile source saved beside the store (PostGIS tiles come
# from ST_AsMVT), and the PostGIS fixture's rolled-back test transaction is one connection, not for threads.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_maps_first_tiles_arriving_together_are_all_served(cwac_db, backend, tmp_path, make_app):
    app = make_app(cwac_db, tmp_path, ATLAS_TILES_MIN_AREAS="100")
    urls = [f"/map/tiles/lsoa/{z}/{x}/{y}.mvt" for z, x, y in tiles_covering((-2.95, 53.15, -2.80, 53.25), 12)]
    statuses: list[int] = []

    def fetch(url):
        statuses.append(app.test_client().get(url).status_code)

    threads = [threading.Thread(target=fetch, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == len(urls) > 4 and set(statuses) <= {200, 204} and 200 in statuses
    assert len(list((tmp_path / "tile-sources").glob("*"))) == 1  # one source saved, no partial file left


def test_a_set_is_drawn_from_the_zoom_its_areas_are_big_enough_to_see(tiled_app):
    """The borough's LSOAs (4.3 km2 on average) are drawn from zoom 9, where an average one covers 100 pixels or
    more (at zoom 8 it would cover 36: an urban one a pixel or two); the tiles are served from zoom 8 all the
    same, to other clients."""
    areas = stored(tiled_app, "lsoa")
    with tiled_app.extensions["atlas_db"].session() as session:
        mean = boundary_sets.mean_area(session, "lsoa")
    assert mean == pytest.approx(areas.to_crs(27700).area.mean(), rel=1e-3)
    pixel = 2 * 20037508.34 * math.cos(math.radians(53.2)) / 256  # metres per pixel at zoom 0
    assert mean / (pixel / 2 ** 8) ** 2 < 100 <= mean / (pixel / 2 ** 9) ** 2
    client = tiled_app.test_client()
    assert client.get("/map/tiles/lsoa/{}/{}/{}.mvt".format(*chester_tile(8))).status_code == 200
