"""The home map, and the GeoJSON it loads: boundary sets for display and published community groups (a set
above ATLAS_TILES_MIN_AREAS areas is drawn from vector tiles instead: see geoapp/tiles)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, current_app, request, url_for
from shapely.geometry import box

from boundaries.crs import DISPLAY_CRS, STORAGE_CRS
from layers.display import points_geojson
from layers.figures import display_factor
from layers.maps import (
    TileUrls,
    build_map,
    describe_overlays,
    legend_items,
    plan_overlays,
    render_parts,
)

from .. import figures
from ..groups.directory import listing
from ..settings import whole_number
from ..storage import boundary_sets, groups
from ..tiles.service import map_first_zoom, tiled_sets
from ..web.db import db_session
from ..web.display_cache import app_cache, display_set, display_within, store_signature
from ..web.guard import requires
from ..web.pages import page

bp = Blueprint("map", __name__)

GEOJSON = "application/geo+json"
#: The set the map opens on: the borough if loaded, else the next coarsest local set.
EXTENT_KINDS = ("lad", "apb", "laf", "ward", "parish", "msoa", "lsoa")


@dataclass(frozen=True)
class HomeMap:
    """What the home map shows: the sets as overlays, the groups' address, the extent and its place name."""

    overlays: list
    groups_url: str | None
    bounds: list[list[float]] | None
    place: str | None
    signature: tuple | None


def _home_json(home: HomeMap) -> dict:
    if not home.overlays:
        return {"boundary_sets": [], "groups": None, "bounds": None}
    return {"boundary_sets": [{"id": o.set_id, "name": o.name, "kind": o.kind, "geojson": o.url, "shown": o.show}
                              for o in home.overlays],
            "groups": home.groups_url, "bounds": home.bounds, "place": home.place}


def _home_context(home: HomeMap) -> dict:
    """The folium map, built once per state of the store (its sets, read on every request) and address."""
    if not home.overlays:
        return {"empty": True}
    overlays, groups_url = home.overlays, home.groups_url
    basemap = (current_app.config.get("ATLAS_BASEMAP_URL") or "", current_app.config.get("ATLAS_BASEMAP_ATTRIBUTION")
               or "")

    def build():
        built = build_map(overlays, bounds=home.bounds, groups_url=groups_url, basemap_url=basemap[0],
                          basemap_attribution=basemap[1])
        return built.config, render_parts(built.map, lambda path: url_for("static", filename=f"vendor/{path}"))

    key = ("home-map", home.signature, tuple(overlays), json.dumps(home.bounds), groups_url, basemap,
           request.script_root)
    config, parts = app_cache("atlas_home_maps", 8).get_or_build(key, build,
                                                                 stale=lambda old: old[1] != home.signature)
    shown, off = describe_overlays(overlays)
    return {"empty": False, "parts": parts, "config": config, "place": home.place, "shown": shown, "off": off,
            "groups": groups_url is not None, "legend": legend_items(overlays, groups=groups_url is not None),
            "choropleth": _choropleth(db_session(), overlays),
            "basemap": bool(current_app.config.get("ATLAS_BASEMAP_URL")),
            "tiled": any(o.tiles for o in overlays)}


@page(bp, "/", template="map/home.html", twin=False, json=_home_json, context=_home_context)
@requires("read")
def home():
    """Show the home map: every boundary set as a layer, community groups, a legend and a short guide."""
    session = db_session()
    sets = boundary_sets.list_sets(session)
    if not sets:
        return HomeMap([], None, None, None, None)
    signature = store_signature(session)
    tiled = tiled_sets(session, whole_number(current_app.config, "ATLAS_TILES_MIN_AREAS"))
    overlays = plan_overlays([boundary_sets.set_summary(s) for s in sets],
                             lambda set_id: url_for("map.set_geojson", set_id=set_id),
                             lambda s: tile_urls(s["id"], s["version"]) if s["id"] in tiled else None)
    bounds, place = extent(session, sets, signature, tiled)
    return HomeMap(overlays, url_for("map.groups_geojson") if groups.group_count(session) else None, bounds, place,
                   signature)


@bp.get("/map/sets/<set_id>.geojson")
@requires("read")
def set_geojson(set_id: str):
    """Return a boundary set simplified for display, with each area's containing areas; with
    ``within=<set>:<code>[,<code>...]`` only its areas lying in those areas of another set (or of itself)
    (``within=<set>``: in any of its areas), as the proposal editor loads a set too large to send whole, or
    a proposal's area."""
    within = (request.args.get("within") or "").strip()
    if within:
        within_set, _, codes = within.partition(":")
        entry = display_within(db_session(), set_id, within_set, [c.strip() for c in codes.split(",") if c.strip()])
    else:
        entry = display_set(db_session(), set_id)
    response = Response(entry.body, mimetype=GEOJSON)
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


#: What the home map's group popups show; the full directory is at /groups/.
HOME_MAP_FIELDS = ("id", "name", "description", "group_type", "themes", "serves", "website", "postcode",
                   "fictional")


@bp.get("/map/groups.geojson")
@requires("read")
def groups_geojson():
    """Return the published community groups as points, with the few public fields the home map's popups show."""
    frame = listing.published(db_session(), located=True)
    records = pd.DataFrame(listing.visible(frame, partner=False), columns=list(HOME_MAP_FIELDS))
    shown = gpd.GeoDataFrame(records, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    collection = points_geojson(shown, properties=HOME_MAP_FIELDS)
    return Response(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), mimetype=GEOJSON)


#: Kinds the "Colour the map by" geography choice prefers, in order.
CHOROPLETH_KINDS = ("apb", "laf", "ward", "msoa", "lsoa", "parish", "lad")


def _choropleth(session, overlays) -> dict:
    """What the "Colour the map by" form offers: indicators by theme, the map's sets, and the URL templates."""
    themes = {theme: [{"id": i["id"], "title": i["title"], "unit": i["unit"] or "",
                       "factor": display_factor(SimpleNamespace(**i))} for i in items]
              for theme, items in figures.themes(session).items()}
    ranked = sorted(overlays, key=lambda o: CHOROPLETH_KINDS.index(o.kind) if o.kind in CHOROPLETH_KINDS else 99)
    return {"themes": themes,
            "sets": [{"id": o.set_id, "name": o.name} for o in overlays],
            "default_set": ranked[0].set_id if ranked else None,
            "classes_url": url_for("indicators.classes", indicator_id="INDICATOR", set_id="SET"),
            "table_url": url_for("indicators.show", indicator_id="INDICATOR", set_id="SET")}


@bp.app_template_global("drawn_from_tiles")
def drawn_from_tiles(layers: list[dict]) -> list[dict]:
    """Reference layers of a page's map ({"url": a set's display GeoJSON, ...}), those of sets drawn from tiles
    given their tile URL template, first zoom and extent instead (the profile index's drawing map uses this)."""
    session = db_session()
    tiled = tiled_sets(session, whole_number(current_app.config, "ATLAS_TILES_MIN_AREAS"))
    if not tiled:
        return layers
    versions = {s.id: s.version for s in boundary_sets.list_sets(session)}
    by_url = {url_for("map.set_geojson", set_id=set_id): set_id for set_id in tiled}
    out = []
    for layer in layers:
        set_id = by_url.get(layer.get("url"))
        if set_id is None:
            out.append(layer)
            continue
        bounds, _ = extent(session, [boundary_sets.get_set(session, set_id)], None, {set_id})
        urls = tile_urls(set_id, versions[set_id])
        out.append(layer | {"tiles": urls.tiles, "minZoom": urls.min_zoom,
                            "bounds": bounds})
    return out


def tile_urls(set_id: str, version: int) -> TileUrls:
    """Where the map finds a tiled set's tiles (versioned, so browsers may keep them), areas and views."""
    corner = url_for("tiles.tile", set_id=set_id, z=0, x=0, y=0)
    return TileUrls(tiles=corner[:-len("0/0/0.mvt")] + "{z}/{x}/{y}.mvt?v=" + str(version),
                    area=url_for("tiles.area", set_id=set_id, code="CODE"),
                    view=url_for("tiles.in_view", set_id=set_id),
                    min_zoom=map_first_zoom(db_session(), set_id))


def extent(session, sets, signature, tiled=frozenset()) -> tuple[list[list[float]] | None, str | None]:
    """[[south, west], [north, east]] of the borough (or the coarsest local set loaded), and its name.

    A tiled set's extent is read from its areas' stored bounds: its display GeoJSON is never built."""
    ranked = sorted(sets, key=lambda s: EXTENT_KINDS.index(s.kind) if s.kind in EXTENT_KINDS else 99)
    for bset in ranked:
        if bset.id in tiled:
            found = boundary_sets.set_bounds(session, bset.id)
            if found:
                west, south, east, north = gpd.GeoSeries([box(*found)], crs=STORAGE_CRS).to_crs(
                    DISPLAY_CRS).total_bounds
                return [[float(south), float(west)], [float(north), float(east)]], None
            continue
        shown = display_set(session, bset.id, signature)
        if shown.bbox:
            west, south, east, north = shown.bbox
            return [[south, west], [north, east]], shown.sole_name if bset.kind == "lad" else None
    return None, None
