"""layers.display and layers.maps on tiny hand-built geometries: no Flask, no database."""
from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from boundaries.errors import CRSError
from layers.display import display_geojson, points_geojson, tolerance_for
from layers.maps import (
    DEFAULT_ON,
    KIND_STYLES,
    LOCAL_ASSETS,
    build_map,
    legend_items,
    localise_assets,
    plan_overlays,
    render_parts,
)


def wiggly_pair():
    """Two areas sharing a zig-zag edge with 1 m wiggles every 5 m (EPSG:27700)."""
    ys = np.arange(0, 1001, 5.0)
    edge = [(340500 + (1.0 if i % 2 else -1.0), 366000 + y) for i, y in enumerate(ys)]
    west = Polygon([(340000, 366000), *edge, (340000, 367000)])
    east = Polygon([*edge, (341000, 367000), (341000, 366000)])
    return gpd.GeoDataFrame({"code": ["W", "E"], "name": ["West", "East"]},
                            geometry=[MultiPolygon([west]), MultiPolygon([east])], crs="EPSG:27700")


def test_coverage_simplify_keeps_neighbours_edge_to_edge():
    areas = wiggly_pair()
    out = display_geojson(areas, tolerance_m=20)
    shapes = gpd.GeoSeries([shape(f["geometry"]) for f in out["features"]], crs="EPSG:4326").to_crs(27700)
    before = shapely.get_num_coordinates(areas.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(shapes.to_numpy()).sum()
    assert after < before / 10  # the wiggles are gone
    # no gap and no overlap opened along the shared edge
    assert shapes.union_all().area == pytest.approx(1_000_000, rel=1e-4)
    assert shapes.iloc[0].intersection(shapes.iloc[1]).area < 1.0
    assert shapes.area.sum() == pytest.approx(1_000_000, rel=1e-4)


def test_display_geojson_rounds_and_keeps_chosen_properties():
    areas = wiggly_pair().assign(containers=[[{"set": "apb", "share": np.float64(1.0)}], []])
    out = display_geojson(areas, tolerance_m=0, properties=("code", "name", "containers"), label_points=True)
    assert out["type"] == "FeatureCollection"
    first = out["features"][0]
    assert first["properties"]["containers"] == [{"set": "apb", "share": 1.0}]
    assert type(first["properties"]["containers"][0]["share"]) is float
    assert first["geometry"]["type"] == "MultiPolygon"
    values = [v for point in first["geometry"]["coordinates"][0][0] for v in point]
    assert values and all(round(v, 6) == v for v in values)
    lon, lat = first["properties"]["label"]
    assert shape(first["geometry"]).contains(shapely.Point(lon, lat))
    assert len(out["bbox"]) == 4
    assert areas.crs.to_epsg() == 27700 and "label" not in areas  # input untouched


def test_display_geojson_refuses_degrees_and_missing_columns():
    areas = wiggly_pair()
    with pytest.raises(CRSError, match="EPSG:27700"):
        display_geojson(areas.to_crs(4326), tolerance_m=10)
    with pytest.raises(KeyError, match="population"):
        display_geojson(areas, tolerance_m=10, properties=("code", "population"))
    empty = display_geojson(areas.iloc[0:0], tolerance_m=10)
    assert empty == {"type": "FeatureCollection", "features": []}


def test_tolerance_grows_for_sets_spread_over_a_region():
    assert tolerance_for("lsoa") < tolerance_for("ward") < tolerance_for("apb") < tolerance_for("service")
    region = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300_000, 400_000)], crs="EPSG:27700")
    assert tolerance_for("service", region) == pytest.approx(125.0)
    assert tolerance_for("lsoa", wiggly_pair()) == 10.0


def test_points_geojson_drops_missing_points():
    frame = gpd.GeoDataFrame({"name": ["A", "B"], "themes": [["x"], []]},
                             geometry=[shapely.Point(340000, 366000), None], crs="EPSG:27700")
    out = points_geojson(frame, properties=["name", "themes"])
    assert [f["properties"] for f in out["features"]] == [{"name": "A", "themes": ["x"]}]


SETS = [{"id": "icb", "kind": "service", "name": "ICBs"}, {"id": "amb", "kind": "service", "name": "Ambulance"},
        {"id": "lad", "kind": "lad", "name": "Borough"}, {"id": "apb", "kind": "apb", "name": "APBs"},
        {"id": "wards", "kind": "ward", "name": "Wards"}, {"id": "wards13", "kind": "ward", "name": "Old wards"},
        {"id": "lsoa", "kind": "lsoa", "name": "LSOAs"}, {"id": "par", "kind": "parish", "name": "Parishes"}]


def test_plan_overlays_orders_styles_and_picks_defaults():
    overlays = plan_overlays(SETS, lambda i: f"/map/sets/{i}.geojson")
    assert [o.set_id for o in overlays] == ["lad", "apb", "wards", "wards13", "par", "lsoa", "icb", "amb"]
    assert {o.set_id for o in overlays if o.show} == {"lad", "apb", "wards"}  # only the first ward set
    assert set(DEFAULT_ON) == {"lad", "apb", "ward"}
    by_id = {o.set_id: o for o in overlays}
    assert by_id["par"].style.dash_array and by_id["par"].style is KIND_STYLES["parish"]
    assert by_id["icb"].style != by_id["amb"].style
    assert by_id["apb"].labels and not by_id["wards"].labels
    words = [o.style.words for o in overlays]
    assert len(set(words)) == len(words) - 1  # the two ward sets share a style; every other differs


def test_plan_overlays_shows_something_when_no_default_kind():
    overlays = plan_overlays([{"id": "lsoa", "kind": "lsoa", "name": "LSOAs"}], str)
    assert overlays[0].show


def test_build_map_uses_local_assets_only():
    built = build_map(plan_overlays(SETS, lambda i: f"/m/{i}"), bounds=[[53.0, -3.0], [53.3, -2.5]],
                      groups_url="/g")
    parts = render_parts(built.map, lambda path: f"/static/vendor/{path}")
    assert "https://" not in parts.head + parts.html + parts.script
    assert parts.head.count("<script") == 2 and parts.head.count("<link") == 3
    assert "<meta" not in parts.head and "<style" not in parts.head
    assert "$(" not in parts.script  # no jQuery needed
    assert folium.Map.default_js[0][1].startswith("https://")  # folium's class lists are untouched
    assert f'class="folium-map" id="{built.config["map"]}"' in parts.html
    assert '"maxZoom": 18' in parts.script and "fitBounds" in parts.script


def test_localise_assets_refuses_a_cdn_only_asset():
    fmap = folium.Map(tiles=None)
    folium.plugins.Fullscreen().add_to(fmap)
    with pytest.raises(ValueError, match="no local copy"):
        localise_assets(fmap, lambda path: path)
    assert set(LOCAL_ASSETS) >= {"leaflet", "leaflet_css", "markerclusterjs"}


def test_names_in_the_layer_control_are_escaped():
    hostile = "<img src=x onerror=alert(1)>"
    overlays = plan_overlays([{"id": "x", "kind": "apb", "name": hostile}], str)
    assert "<img" not in overlays[0].control_label()
    built = build_map(overlays, bounds=None, groups_name=hostile, groups_url="/g",
                      basemap_url="/tiles/{z}/{x}/{y}.png", basemap_attribution=hostile)
    script = render_parts(built.map, str).script
    assert "<img" not in script and "\\u003cimg" not in script
    assert built.config["layers"][0]["name"] == hostile  # raw text for the page script's textContent


def test_legend_items_are_words_with_decorative_swatches():
    items = legend_items(plan_overlays(SETS, str), groups=True)
    assert items[-1]["name"] == "Community groups"
    for item in items:
        assert item["words"] and 'aria-hidden="true"' in item["swatch"]
