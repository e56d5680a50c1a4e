"""Display GeoJSON of boundary sets, built once per process and kept until any set changes.

The key holds the set's id and the id, version and name of every current set, read from the store: replacing
a set bumps its version (versions are never reused, even for a set deleted and made again) and renaming changes
its name, so neither its own geometry nor the containers other sets list for their areas ("In: Chester (APB)")
are ever served stale, whichever process made the change.

The part of a set lying in another set's areas, or in some of them (what the proposal editor loads of a large
set, or of a proposal's area), is kept the same way, by both sets' versions and the codes.

The vector tiles of large sets are kept by set id and version (a tile holds only codes and names); on the
embedded store each set's tile source (its areas projected and indexed) is kept too, and saved in the
instance folder for the next process.
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from layers.display import display_geojson, tolerance_for
from layers.maps import LABELLED
from layers.tiles import TileSource

from ..caches import LRUCache
from ..storage import boundary_sets
from ..storage.tiles import set_fingerprint
from ..tiles.service import container_order, make_tile

#: Entries kept per app (least recently used dropped first).
MAX_ENTRIES = 64
#: Area ids per containers() query (SQLite allows a limited number of bound parameters).
ID_CHUNK = 500
#: Python tile sources kept per app (each a large set's areas in Web Mercator, indexed), and tiles kept.
TILE_SOURCES, TILES = 4, 2048
_SOURCE_BUILDS = threading.Lock()


@dataclass(frozen=True)
class DisplaySet:
    """A set's display GeoJSON, serialised, with its ETag and extent."""

    body: bytes
    etag: str
    bbox: list[float] | None  #: [west, south, east, north], None when the set has no areas
    features: int
    sole_name: str | None = None  #: the area's name when the set has exactly one (a borough)


def app_cache(name: str, size: int) -> LRUCache:
    """The current app's cache called ``name`` (one per app, so two apps in a process never share entries)."""
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions[name] = LRUCache(f"{name} of app {id(current_app)}", size)
    return found


def cache() -> LRUCache:
    """The current app's cache of display sets."""
    return app_cache("atlas_map_display", MAX_ENTRIES)


def store_signature(session: Session) -> tuple:
    """The id, version, name and service of every current set, read from the store on each request:
    changes whenever any set is added, replaced, renamed or deleted, by this process or another one (a set
    deleted and made again gets a new version), so no process serves a display built from older data."""
    return tuple((s.id, s.version, s.name, s.service_type) for s in boundary_sets.list_sets(session))


def display_set(session: Session, set_id: str, signature: tuple | None = None) -> DisplaySet:
    """The set's display GeoJSON (areas with code, name, kind, set and containers), cached.

    Raises NotFound for an unknown set.
    """
    bset = boundary_sets.get_set(session, set_id)
    signature = store_signature(session) if signature is None else signature
    key = (bset.id, bset.version, signature)
    return cache().get_or_build(key, lambda: _build(session, bset), stale=lambda old: old[2] != signature)


def _tile_source(session: Session, set_id: str) -> TileSource:
    """A set's tile source: read from the instance folder when saved there by an earlier process (projecting
    England's LSOAs again takes seconds), else built from the store and saved."""
    folder = Path(current_app.instance_path) / "tile-sources"
    prefix = hashlib.sha256(set_id.encode("utf-8")).hexdigest()[:12]
    path = folder / f"{prefix}-{set_fingerprint(session, set_id)}.npz"
    if path.is_file():
        try:
            return TileSource.read(path)
        except (OSError, ValueError, KeyError) as error:  # a damaged copy: build it again
            current_app.logger.warning("Tile source %s could not be read (%s); building it again", path, error)
    source = TileSource.from_areas(boundary_sets.load_areas(session, set_id))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for older in folder.glob(f"{prefix}-*.npz"):  # the set's earlier versions
            older.unlink(missing_ok=True)
        source.save(path)
    except OSError as error:  # the tiles are still served; the next process builds the source again
        current_app.logger.warning("Tile source %s could not be saved (%s)", path, error)
    return source


def display_within(session: Session, set_id: str, within_set: str, codes=None,
                   signature: tuple | None = None) -> DisplaySet:
    """The display GeoJSON of only those areas of a set that lie in some areas (``codes``) of another set, or
    in any area of it (no ``codes``): each area's largest share in ``within_set`` decides where it lies, as the
    proposal editor decides it. Cached by both sets' versions, the codes and the store's signature.

    Raises NotFound for an unknown set or code.
    """
    bset, within = boundary_sets.get_set(session, set_id), boundary_sets.get_set(session, within_set)
    codes = None if not codes else tuple(sorted(set(codes)))
    bounds = None if codes is None else [boundary_sets.get_area(session, within.id, code) for code in codes]
    signature = store_signature(session) if signature is None else signature
    key = (bset.id, bset.version, within.id, within.version, codes, signature)
    return app_cache("atlas_map_within", MAX_ENTRIES).get_or_build(
        key, lambda: _build_within(session, bset, within.id, codes, bounds), stale=lambda old: old[-1] != signature)


def _build_within(session: Session, bset, within_set: str, codes: tuple[str, ...] | None, areas) -> DisplaySet:
    if bset.id == within_set:
        return _build(session, bset, boundary_sets.load_areas(session, bset.id, None if codes is None else list(codes)))
    if codes is None:
        bounds = boundary_sets.set_bounds(session, within_set)
    else:  # the box around every area chosen
        bounds = (min(a.minx for a in areas), min(a.miny for a in areas),
                  max(a.maxx for a in areas), max(a.maxy for a in areas))
    if bounds is None:  # a set with no areas holds none
        return _build(session, bset, boundary_sets.load_areas(session, bset.id, []))
    found_areas, _ = boundary_sets.query_areas(session, bset.id, bbox=bounds)
    found = _containers(session, [int(i) for i in found_areas["id"]])
    keep = []
    for area_id in found_areas["id"]:
        held = sorted((c for c in found.get(int(area_id), []) if c["set"] == within_set), key=lambda c: -c["share"])
        keep.append(bool(held) and (codes is None or held[0]["code"] in codes))
    return _build(session, bset, found_areas[keep].reset_index(drop=True), found)


def _containers(session: Session, ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for start in range(0, len(ids), ID_CHUNK):
        found.update(boundary_sets.containers(session, ids[start:start + ID_CHUNK]))
    return found


def _build(session: Session, bset, areas=None, found: dict[int, list[dict]] | None = None) -> DisplaySet:
    """The display GeoJSON of ``areas`` (by default all the set's) with their containers."""
    areas = boundary_sets.load_areas(session, bset.id) if areas is None else areas
    ids = [int(i) for i in areas["id"]]
    found = _containers(session, ids) if found is None else found
    areas = areas.assign(
        kind=bset.kind, set=bset.id, set_name=bset.name,
        containers=[sorted(found.get(i, []), key=container_order) for i in ids])
    collection = display_geojson(areas, tolerance_m=tolerance_for(bset.kind, areas),
                                 properties=("code", "name", "kind", "set", "set_name", "containers"),
                                 label_points=bset.kind in LABELLED)
    collection["name"] = bset.name
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = hashlib.sha256(body).hexdigest()[:32]
    return DisplaySet(body=body, etag=etag, bbox=collection.get("bbox"), features=len(areas),
                      sole_name=str(areas["name"].iloc[0]) if len(areas) == 1 else None)


def set_tile(session: Session, set_id: str, z: int, x: int, y: int) -> tuple[bytes, int]:
    """The tile (z, x, y) of a set and the set's version, cached per version (a replaced set is never served
    stale). Raises NotFound for an unknown set or a tile outside the zooms served."""
    bset = boundary_sets.get_set(session, set_id)
    key = (bset.id, bset.version, z, x, y)

    def source() -> TileSource:
        with _SOURCE_BUILDS:  # a map's first tiles arrive together: the set is read and projected once
            return app_cache("atlas_tile_sources", TILE_SOURCES).get_or_build(
                (bset.id, bset.version), lambda: _tile_source(session, bset.id), stale=lambda old: old[0] == bset.id)

    body = app_cache("atlas_tiles", TILES).get_or_build(key, lambda: make_tile(session, bset.id, z, x, y, source),
                                                     stale=lambda old: old[0] == bset.id and old[1] != bset.version)
    return body, bset.version
