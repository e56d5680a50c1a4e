"""Vector tiles straight from PostGIS: ``ST_AsMVT`` over the areas table.

The areas stay in EPSG:27700 with their GiST index: the tile's envelope (with its buffer) is
transformed to 27700 to find the areas meeting it, and only those are transformed to Web
Mercator and cut by ``ST_AsMVTGeom``. Grid, extent, buffer and layer name are those of
:mod:`layers.tiles`, which makes the same tiles in Python for the embedded store.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from layers.tiles import BUFFER, EXTENT, LAYER

from .models import Area

_TILE = text(f"""
WITH tile AS (
  SELECT ST_TileEnvelope(:z, :x, :y) AS envelope,
         ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 27700) AS search
)
SELECT ST_AsMVT(features, '{LAYER}', {EXTENT}, 'geom') FROM (
  SELECT areas.code, areas.name,
         ST_AsMVTGeom(ST_Transform(areas.geometry, 3857), tile.envelope, {EXTENT}, {BUFFER}, true) AS geom
  FROM areas, tile
  WHERE areas.set_id = :set_id AND areas.geometry && tile.search
  ORDER BY areas.code
) AS features WHERE geom IS NOT NULL
""")


def uses_postgis(session: Session) -> bool:
    """Whether the session's store is PostGIS (tiles made in the database) rather than embedded SQLite."""
    return session.get_bind().dialect.name == "postgresql"


def postgis_tile(session: Session, set_id: str, z: int, x: int, y: int) -> bytes:
    """The tile (z, x, y) of a set's areas as Mapbox vector tile bytes (empty when none meets it)."""
    found = session.execute(_TILE, {"set_id": set_id, "z": z, "x": x, "y": y}).scalar()
    return bytes(found or b"")


def areas_in_box(session: Session, set_id: str, box: tuple[float, float, float, float],
                 limit: int) -> tuple[list[dict], int]:
    """Code and name of at most ``limit`` of a set's areas whose bounds meet ``box`` (EPSG:27700), by name,
    and how many meet it in all. Reads no geometry."""
    minx, miny, maxx, maxy = box
    where = [Area.set_id == set_id, Area.maxx >= minx, Area.minx <= maxx, Area.maxy >= miny, Area.miny <= maxy]
    matched = session.scalar(select(func.count()).select_from(Area).where(*where))
    rows = session.execute(select(Area.code, Area.name).where(*where).order_by(Area.name, Area.code)
                           .limit(limit)).all()
    return [{"code": code, "name": name} for code, name in rows], int(matched or 0)


def set_fingerprint(session: Session, set_id: str) -> str:
    """A short digest of the store, the set and what its areas add up to (count, ids, total area, bounds): names
    a saved copy of the set's tile source, which a set replaced, or a store made again, never matches."""
    row = session.execute(select(func.count(), func.min(Area.id), func.max(Area.id), func.sum(Area.area_m2),
                                 func.min(Area.minx), func.min(Area.miny), func.max(Area.maxx), func.max(Area.maxy))
                          .where(Area.set_id == set_id)).one()
    url = session.get_bind().engine.url.render_as_string(hide_password=True)  # a bound engine or connection
    text = "|".join([url, set_id, *(repr(round(v, 3)) if isinstance(v, float) else repr(v) for v in row)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
