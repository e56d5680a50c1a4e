"""The API's collections: each current boundary set, and the published community groups, as CRS84 GeoJSON."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from boundaries.crs import STORAGE_CRS, to_display

from ..errors import NotFound
from ..groups.directory import listing
from ..storage import boundary_sets
from ..storage.models import BoundarySet
from ..web.guard import current_role

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GROUPS = "groups"
DECIMALS = 6
#: Longest edge, in degrees, of a bbox before it is projected: keeps its curved sides within a centimetre.
DENSIFY_DEGREES = 0.01
#: Degrees added around the storage CRS's area of use before a bbox is clipped to it.
GRID_MARGIN = 1.0


@dataclass(frozen=True)
class Page:
    """Some of the features a query matched, and how many it matched in all."""

    features: list[dict]
    matched: int


def collections(session: Session) -> list[dict]:
    """Describe every collection: the current boundary sets, coarsest first, then the community groups."""
    sources = [_Areas(bset) for bset in boundary_sets.list_sets(session)] + [_Groups()]
    return [source.describe(session) for source in sources]


def collection(session: Session, collection_id: str) -> dict:
    """Describe one collection; NotFound when there is none of that id."""
    return _source(session, collection_id).describe(session)


def items(session: Session, collection_id: str, *, bbox: tuple[float, float, float, float] | None,
          limit: int, offset: int) -> Page:
    """A page of a collection's features in order, optionally only those whose geometry meets a CRS84 ``bbox``.

    With a bbox, the matches are refined to exact geometry before paging, so pages never skip or repeat one.
    """
    source = _source(session, collection_id)
    area = None if bbox is None else storage_area(bbox)
    if bbox is not None and area is None:
        return Page([], 0)
    frame, matched = source.page(session, limit, offset, area)
    return Page(source.features(session, frame), matched)


def item(session: Session, collection_id: str, feature_id: str) -> dict:
    """One feature by its id (an area's code, a group's number); NotFound when there is none."""
    source = _source(session, collection_id)
    frame = source.one(session, feature_id)
    if frame.empty:
        raise NotFound(f"Collection '{collection_id}' has no feature '{feature_id}'.")
    return source.features(session, frame)[0]


def storage_area(bbox: tuple[float, float, float, float]) -> shapely.Polygon | None:
    """A CRS84 box as a polygon in the storage CRS, edges densified; None when it misses that CRS's area."""
    grid = _storage_grid()
    west, south = max(bbox[0], grid[0]), max(bbox[1], grid[1])
    east, north = min(bbox[2], grid[2]), min(bbox[3], grid[3])
    if west > east or south > north:
        return None
    outline = shapely.segmentize(shapely.box(west, south, east, north), DENSIFY_DEGREES)
    to_storage = _transformer("OGC:CRS84", STORAGE_CRS)
    return shapely.transform(outline, lambda xy: np.column_stack(to_storage.transform(xy[:, 0], xy[:, 1])))


def crs84_bbox(bounds) -> list[float]:
    """Storage-CRS bounds as a CRS84 [west, south, east, north], rounded outwards to 6 decimals."""
    west, south, east, north = _transformer(STORAGE_CRS, "OGC:CRS84").transform_bounds(*bounds, densify_pts=21)
    scale = 10 ** DECIMALS
    return [math.floor(west * scale) / scale, math.floor(south * scale) / scale,
            math.ceil(east * scale) / scale, math.ceil(north * scale) / scale]


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


@cache
def _storage_grid() -> tuple[float, float, float, float]:
    """The storage CRS's area of use in CRS84, widened by GRID_MARGIN degrees."""
    west, south, east, north = CRS(STORAGE_CRS).area_of_use.bounds
    return west - GRID_MARGIN, south - GRID_MARGIN, east + GRID_MARGIN, north + GRID_MARGIN


def _source(session: Session, collection_id: str) -> _Areas | _Groups:
    if collection_id == GROUPS:
        return _Groups()
    bset = session.get(BoundarySet, collection_id)
    if bset is None or bset.superseded_by is not None:
        raise NotFound(f"There is no collection '{collection_id}'.")
    return _Areas(bset)


def _describe(collection_id: str, title: str, description: str, bounds) -> dict:
    body = {"id": collection_id, "title": title, "description": description}
    if bounds is not None and all(math.isfinite(b) for b in bounds):
        body["extent"] = {"spatial": {"bbox": [crs84_bbox(bounds)], "crs": CRS84}}
    return body | {"itemType": "feature", "crs": [CRS84]}


def _geometries(frame: gpd.GeoDataFrame) -> list[dict]:
    """The frame's geometries as GeoJSON in CRS84 (longitude, latitude), to 6 decimals."""
    shown = to_display(frame[["geometry"]]).geometry.values
    rounded = shapely.transform(np.asarray(shown), lambda xy: np.round(xy, DECIMALS))
    return [mapping(geometry) for geometry in rounded]


class _Areas:
    """A boundary set's areas: features with their code as id, and the areas of other sets that hold them."""

    def __init__(self, bset: BoundarySet):
        self.bset = bset

    def describe(self, session: Session) -> dict:
        bset = self.bset
        facts = [f"Kind: {bset.kind}.", f"Vintage: {bset.vintage}." if bset.vintage else "",
                 f"Source: {bset.source}." if bset.source else "", f"Licence: {bset.licence}" if bset.licence else "",
                 "Fictional demo data: describes no real place." if bset.fictional else ""]
        description = " ".join([f"{bset.name}."] + [fact for fact in facts if fact])
        return _describe(bset.id, bset.name, description, boundary_sets.set_bounds(session, bset.id))

    def page(self, session: Session, limit: int, offset: int,
             area: shapely.Polygon | None = None) -> tuple[gpd.GeoDataFrame, int]:
        if area is None:
            return boundary_sets.query_areas(session, self.bset.id, limit=limit, offset=offset)
        # Areas whose bounding box lies inside ``area`` match without their geometry being read.
        codes, bounds = boundary_sets.area_bounds(session, self.bset.id, area.bounds)
        shapely.prepare(area)
        inside = shapely.contains(area, shapely.box(*bounds.T))
        unsure = _load(session, self.bset.id, [code for code, known in zip(codes, inside) if not known])
        meets = set(unsure["code"][shapely.intersects(area, np.asarray(unsure.geometry.values))])
        codes = [code for code, known in zip(codes, inside) if known or code in meets]
        return _load(session, self.bset.id, codes[offset:offset + limit]), len(codes)

    def one(self, session: Session, feature_id: str) -> gpd.GeoDataFrame:
        return boundary_sets.load_areas(session, self.bset.id, codes=[feature_id])

    def features(self, session: Session, frame: gpd.GeoDataFrame) -> list[dict]:
        ids = [int(i) for i in frame["id"]]
        held = boundary_sets.containers(session, ids)
        return [{"type": "Feature", "id": code, "geometry": geometry,
                 "properties": {"code": code, "name": name, "kind": self.bset.kind, "set": self.bset.id,
                                "containers": [{key: c[key] for key in ("set", "code", "name", "share")}
                                               for c in held[area_id]]}}
                for area_id, code, name, geometry in zip(ids, frame["code"], frame["name"], _geometries(frame))]


class _Groups:
    """Published community groups as points, with the fields the reader may see (contact details by their
    visibility: see :mod:`geoapp.groups.directory.listing`)."""

    def describe(self, session: Session) -> dict:
        frame = listing.published(session, located=True)
        return _describe(GROUPS, "Community groups",
                         "Community, voluntary and faith groups published in the Atlas, as points where they "
                         "are based. Public fields, and contact details a group shares with the public (all "
                         "of them for signed-in partners).", None if frame.empty else tuple(frame.total_bounds))

    def page(self, session: Session, limit: int, offset: int,
             area: shapely.Polygon | None = None) -> tuple[gpd.GeoDataFrame, int]:
        frame = listing.published(session, located=True)
        if area is not None:
            candidates = frame.cx[area.bounds[0]:area.bounds[2], area.bounds[1]:area.bounds[3]]
            frame = candidates[shapely.intersects(area, np.asarray(candidates.geometry.values))]
        return frame.iloc[offset:offset + limit], len(frame)

    def one(self, session: Session, feature_id: str) -> gpd.GeoDataFrame:
        frame = listing.published(session, located=True)
        return frame[frame["id"].astype(str) == feature_id]

    def features(self, session: Session, frame: gpd.GeoDataFrame) -> list[dict]:
        records = listing.visible(frame, partner=listing.is_partner(current_role()))
        return [{"type": "Feature", "id": record.pop("id"), "geometry": geometry, "properties": record}
                for record, geometry in zip(records, _geometries(frame))]


def _load(session: Session, set_id: str, codes: list[str], chunk: int = 5000) -> gpd.GeoDataFrame:
    """Areas by code, in code order, a chunk of codes per query (backends limit bound parameters)."""
    parts = [boundary_sets.load_areas(session, set_id, codes=codes[i:i + chunk])
             for i in range(0, max(len(codes), 1), chunk)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
