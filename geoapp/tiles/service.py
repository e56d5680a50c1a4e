"""What a map of a large set needs besides its tiles: which sets are tiled, one area's popup details, the
areas in a view (the keyboard way to them), and the tile itself from PostGIS or from a Python tile source."""
from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
from pyproj import CRS, Transformer
from sqlalchemy.orm import Session

from boundaries.crs import DISPLAY_CRS, STORAGE_CRS, to_display
from layers.tiles import MAX_ZOOM, MIN_ZOOM, TileSource, first_zoom, tile_exists

from ..errors import InvalidInput, NotFound
from ..storage import boundary_sets
from ..storage.tiles import areas_in_box, postgis_tile, uses_postgis

#: Popups list containers finest first (ward, then APB, then borough), service areas last.
CONTAINER_RANK = {"lsoa": 0, "msoa": 1, "ward": 2, "parish": 3, "laf": 4, "apb": 5, "lad": 6, "service": 9}
#: Most areas a view lists for the keyboard (zooming in lists the rest).
VIEW_LIMIT = 250
_TO_STORAGE = Transformer.from_crs(DISPLAY_CRS, STORAGE_CRS, always_xy=True)
_TO_DISPLAY = Transformer.from_crs(STORAGE_CRS, DISPLAY_CRS, always_xy=True)
_USE = CRS(STORAGE_CRS).area_of_use


def tiled_sets(session: Session, threshold: int) -> set[str]:
    """The ids of the sets with more than ``threshold`` areas: served as vector tiles, not one GeoJSON."""
    return {set_id for set_id, count in boundary_sets.area_counts(session).items() if count > threshold}


def map_first_zoom(session: Session, set_id: str) -> int:
    """The first zoom a map draws a tiled set at: :func:`layers.tiles.first_zoom` of its mean area, at the
    latitude of its middle (tiles are served from MIN_ZOOM all the same)."""
    bounds, mean = boundary_sets.set_bounds(session, set_id), boundary_sets.mean_area(session, set_id)
    if bounds is None or mean is None:
        return MIN_ZOOM
    _, latitude = _TO_DISPLAY.transform((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    return first_zoom(mean, latitude)


def container_order(container: dict) -> tuple:
    """Sort key of an area's containers: finest kind first, then by set, then largest share first."""
    return (CONTAINER_RANK.get(container["kind"], 8), container["set"], -container["share"])


def make_tile(session: Session, set_id: str, z: int, x: int, y: int, source: Callable[[], TileSource]) -> bytes:
    """The tile's bytes (empty when no area meets it): ST_AsMVT on PostGIS, else ``source()``'s tile.

    Raises NotFound for a tile outside the world or the zooms served.
    """
    if not tile_exists(z, x, y):
        raise NotFound(f"There is no tile {z}/{x}/{y}: tiles are served at zooms {MIN_ZOOM} to {MAX_ZOOM}, "
                       "with x and y from 0 to 2^zoom - 1.")
    if uses_postgis(session):
        return postgis_tile(session, set_id, z, x, y)
    return source().tile(z, x, y)


def area_detail(session: Session, set_id: str, code: str) -> dict:
    """What an area's popup shows: code, name, its set, the areas holding it, a point inside it and its box
    (longitude/latitude). Raises NotFound for an unknown set or code."""
    bset = boundary_sets.get_set(session, set_id)
    area = boundary_sets.get_area(session, set_id, code)
    held = boundary_sets.containers(session, [area.id])[area.id]
    shown = to_display(gpd.GeoDataFrame(geometry=[area.geometry.representative_point(),
                                                  area.geometry], crs=STORAGE_CRS))
    inside, bounds = shown.geometry.iloc[0], shown.geometry.iloc[1].bounds
    return {"code": area.code, "name": area.name, "kind": bset.kind, "set": bset.id, "set_name": bset.name,
            "containers": sorted(held, key=container_order),
            "label": [round(inside.x, 6), round(inside.y, 6)], "bbox": [round(v, 6) for v in bounds]}


def parse_bbox(text: str | None) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees as four numbers (either corner first); InvalidInput saying what is
    wrong otherwise."""
    parts = (text or "").split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(f"bbox must be four numbers, west,south,east,north in degrees; got {text!r}.") from None
    if any(math.isnan(v) for v in (west, south, east, north)):
        raise InvalidInput(f"bbox must be four numbers, west,south,east,north in degrees; got {text!r}.")
    return min(west, east), min(south, north), max(west, east), max(south, north)


def areas_in_view(session: Session, set_id: str, bbox: tuple[float, float, float, float],
                  limit: int = VIEW_LIMIT) -> dict:
    """The set's areas whose bounds meet a longitude/latitude box, by name (at most ``limit``), and their count."""
    bset = boundary_sets.get_set(session, set_id)
    # within the storage CRS's area of use (every stored area lies there; beyond it the projection folds)
    west, south, east, north = (max(bbox[0], _USE.west), max(bbox[1], _USE.south), min(bbox[2], _USE.east),
                                min(bbox[3], _USE.north))
    areas, matched = [], 0
    if west <= east and south <= north:
        box = _TO_STORAGE.transform_bounds(west, south, east, north, densify_pts=21)
        areas, matched = areas_in_box(session, bset.id, box, limit)
    return {"set": bset.id, "set_name": bset.name, "matched": matched, "limit": limit, "areas": areas}
