"""Vector tiles of large boundary sets, each area's popup details, and the areas in a view (for the keyboard)."""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from layers.tiles import LAYER

from ..web.db import db_session
from ..web.display_cache import set_tile
from ..web.guard import requires
from ..web.pages import page
from .service import VIEW_LIMIT, area_detail, areas_in_view, parse_bbox

bp = Blueprint("tiles", __name__)

MVT = "application/vnd.mapbox-vector-tile"
#: Changes when the tiles' content changes for the same set version (layer, properties, grid, how they are cut).
TILE_FORMAT = f"2:{LAYER}:code,name"
#: A tile asked for with its set's current version (?v=) never changes: browsers keep it this long.
VERSIONED_MAX_AGE = 86400


@bp.get("/map/tiles/<set_id>/<int:z>/<int:x>/<int:y>.mvt")
@requires("read")
def tile(set_id: str, z: int, x: int, y: int):
    """Return one Mapbox vector tile of a set's areas (code and name); 204 when no area meets it."""
    body, version = set_tile(db_session(), set_id, z, x, y)
    response = Response(body, status=200 if body else 204, mimetype=MVT)
    tag = f"{set_id}:{version}:{z}/{x}/{y}:{TILE_FORMAT}"
    response.set_etag(hashlib.sha256(tag.encode("utf-8")).hexdigest()[:32])
    versioned = request.args.get("v") == str(version)
    response.headers["Cache-Control"] = (f"private, max-age={VERSIONED_MAX_AGE}" if versioned else "no-cache")
    return response.make_conditional(request)


_STRING = {"type": "string"}
_CONTAINER = {"type": "object", "properties": {"set": _STRING, "set_name": _STRING, "kind": _STRING,
                                               "code": _STRING, "name": _STRING, "share": {"type": "number"}}}
_LONLAT = {"type": "array", "items": {"type": "number"}}
AREA = {"type": "object", "properties": {
    "code": _STRING, "name": _STRING, "kind": _STRING, "set": _STRING, "set_name": _STRING,
    "containers": {"type": "array", "items": _CONTAINER, "description": "Areas of other sets holding it, finest first"},
    "label": {**_LONLAT, "description": "[longitude, latitude] of a point inside the area"},
    "bbox": {**_LONLAT, "description": "[west, south, east, north] in degrees"}}}
VIEW = {"type": "object", "properties": {
    "set": _STRING, "set_name": _STRING, "matched": {"type": "integer"}, "limit": {"type": "integer"},
    "areas": {"type": "array", "items": {"type": "object", "properties": {"code": _STRING, "name": _STRING}}}}}
_NUMBER = r"-?[0-9]+(\.[0-9]+)?"
BBOX = {"name": "bbox", "in": "query", "required": True,
        "schema": {"type": "string", "pattern": f"^{_NUMBER}(,{_NUMBER}){{3}}$"},
        "description": "west,south,east,north in degrees (WGS 84); only what lies in Great Britain is listed"}


@page(bp, "/map/sets/<set_id>/areas/<code>.json", operation_id="getMapArea", schema=AREA,
      summary="What an area's map popup shows: name, code, the areas holding it, a point inside it, its box",
      parameters=("setId", "code"))
@requires("read")
def area(set_id: str, code: str):
    """Return what an area's popup shows: name, code, set, the areas holding it, a point inside it, its box."""
    return area_detail(db_session(), set_id, code)


@page(bp, "/map/sets/<set_id>/areas.json", operation_id="getMapAreasInView", schema=VIEW,
      summary=f"The areas of a set whose bounds meet a box, by name (at most {VIEW_LIMIT}), and how many in all",
      parameters=("setId",), query=(BBOX,), errors=("404", "422"))
@requires("read")
def in_view(set_id: str):
    """Return the areas of a set whose bounds meet ?bbox=west,south,east,north (degrees), by name."""
    return areas_in_view(db_session(), set_id, parse_bbox(request.args.get("bbox")))
