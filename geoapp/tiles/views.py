"""Vector tiles of large boundary sets, each area's popup details, and the areas in a view (for the keyboard)."""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, jsonify, request

from layers.tiles import LAYER

from ..web.db import db_session
from ..web.display_cache import set_tile
from ..web.guard import requires
from .service import area_detail, areas_in_view, parse_bbox

bp = Blueprint("tiles", __name__)

MVT = "application/vnd.mapbox-vector-tile"
#: Changes when the tiles' content changes for the same set version (layer, properties, grid).
TILE_FORMAT = f"1:{LAYER}:code,name"
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


@bp.get("/map/sets/<set_id>/areas/<code>.json")
@requires("read")
def area(set_id: str, code: str):
    """Return what an area's popup shows: name, code, set, the areas holding it, a point inside it, its box."""
    return jsonify(area_detail(db_session(), set_id, code))


@bp.get("/map/sets/<set_id>/areas.json")
@requires("read")
def in_view(set_id: str):
    """Return the areas of a set whose bounds meet ?bbox=west,south,east,north (degrees), by name."""
    return jsonify(areas_in_view(db_session(), set_id, parse_bbox(request.args.get("bbox"))))
