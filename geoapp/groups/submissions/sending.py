"""A group sent in by the public: what is sent checked and placed, stored pending moderation, and a stored
group read back as the forms and the audit log show it.

A submission is stored as a ``pending`` community group: a new group, or a request to update a published
one (``updates_group_id``). Every change is audited in the caller's transaction.
"""
from __future__ import annotations

import json
import re
from functools import cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.crs import DISPLAY_CRS, STORAGE_CRS

from ...errors import NotFound
from ...storage import audit, postcodes
from ...storage.models import MAX_ID, Area, BoundarySet, CommunityGroup, utcnow
from .. import placement
from ..records import RecordInvalid, clean_record, clean_text

ENTITY = "community_group"
#: Kinds of boundary set a group may name as the areas it serves.
AREA_KINDS = ("apb", "laf", "ward", "parish")
#: What a submitter may answer to "where do you work": the record's scopes, or "local" (no area given).
SCOPE_CHOICES = ("borough", "areas", "drawn", "local")
#: Longitude and latitude a pin may have (Great Britain and a margin).
LON_RANGE, LAT_RANGE = (-9.0, 2.5), (49.0, 61.5)
#: Longest drawn area accepted, as GeoJSON text.
MAX_DRAWN = 200_000
#: The fields of a record copied from an update request onto the group it updates.
RECORD_FIELDS = ("name", "description", "group_type", "themes", "serves", "size", "contact", "website",
                 "address", "postcode", "charity_number", "serves_scope", "served_area_codes", "served_area",
                 "location")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@cache
def _to_grid() -> Transformer:
    return Transformer.from_crs(DISPLAY_CRS, STORAGE_CRS, always_xy=True)


@cache
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(STORAGE_CRS, DISPLAY_CRS, always_xy=True)

# ----------------------------------------------------------------------------------------------------------
# Checking what is sent

def area_choices(session: Session) -> list[dict]:
    """The boundary sets a group may name as its areas, each with its areas (code, name) by name."""
    sets = session.scalars(select(BoundarySet).where(BoundarySet.superseded_by.is_(None),
                                                     BoundarySet.kind.in_(AREA_KINDS))).all()
    order = {kind: i for i, kind in enumerate(AREA_KINDS)}
    out = []
    for bset in sorted(sets, key=lambda s: (order[s.kind], s.name)):
        areas = session.execute(select(Area.code, Area.name).where(Area.set_id == bset.id)
                                .order_by(Area.name)).all()
        out.append({"id": bset.id, "name": bset.name, "kind": bset.kind,
                    "areas": [{"code": c, "name": n} for c, n in areas]})
    return out


def prepare(session: Session, fields: dict, *, current: CommunityGroup | None = None) -> dict:
    """Check a group's fields as a form sends them and return its columns, or raise RecordInvalid naming
    every problem. Status and dates are not taken from ``fields``: the decisions set them.

    Beyond :func:`clean_record`'s fields: ``serves_scope`` may also be ``local`` (no area given); ``areas``
    lists ``"set:code"`` of the areas served; ``lon`` and ``lat`` place a pin (it wins over the postcode);
    ``served_area_geojson`` is a drawn area (a GeoJSON Polygon or MultiPolygon in longitude/latitude).
    With ``current`` (an edit), the point and drawn area are kept unless the postcode, pin or drawing change.
    """
    problems: dict[str, str] = {}
    scope = str(fields.get("serves_scope") or "local").strip().lower()
    if scope not in SCOPE_CHOICES:
        problems["serves_scope"] = "choose the whole borough, particular areas, a drawn area or near where you meet"
        scope = "local"
    record_fields = {k: v for k, v in fields.items()
                     if k not in ("serves_scope", "served_area_codes", "status", "last_verified")}
    record_fields["serves_scope"] = "borough"  # the scope is settled below
    try:
        values = clean_record(record_fields)
    except RecordInvalid as invalid:
        problems = invalid.fields | problems
        values = {}
    values["serves_scope"] = None if scope == "local" else scope
    values["served_area_codes"] = None
    values["served_area"] = None
    if scope == "areas":
        values["served_area_codes"] = _areas(session, fields.get("areas"), problems)
    elif scope == "drawn":
        values["served_area"] = _drawn(fields.get("served_area_geojson"), problems)
        if values["served_area"] is None and "served_area_geojson" not in problems:
            if current is not None and current.served_area is not None:
                values["served_area"] = current.served_area
            else:
                problems["served_area_geojson"] = "draw or paste the area served, or choose another answer"
    pin = _pin(fields.get("lon"), fields.get("lat"), problems)
    if problems:
        raise RecordInvalid(problems)
    values["location"] = _locate(session, values.get("postcode"), pin, current)
    return values


def _areas(session: Session, chosen, problems: dict) -> list[dict] | None:
    """``[{"set", "code"}]`` for the ``"set:code"`` values chosen, each checked to be a stored area."""
    items = chosen if isinstance(chosen, (list, tuple)) else [chosen] if chosen else []
    wanted = []
    for item in items:
        if isinstance(item, dict):
            item = f"{item.get('set')}:{item.get('code')}"
        set_id, _, code = str(item).strip().partition(":")
        if set_id and code:
            wanted.append((set_id, code))
    if not wanted:
        problems["areas"] = "choose at least one area, or choose another answer to where you work"
        return None
    known = set()
    for set_id in {s for s, _ in wanted}:
        codes = [c for s, c in wanted if s == set_id]
        known |= {(set_id, c) for c in session.scalars(
            select(Area.code).join(BoundarySet).where(Area.set_id == set_id, Area.code.in_(codes),
                                                      BoundarySet.kind.in_(AREA_KINDS)))}
    unknown = [f"{s}:{c}"[:60] for s, c in wanted if (s, c) not in known]
    if unknown:
        problems["areas"] = f"{', '.join(unknown[:5])} {'is' if len(unknown) == 1 else 'are'} not an area here"
        return None
    return [{"set": s, "code": c} for s, c in dict.fromkeys(wanted)]


def _drawn(text, problems: dict) -> MultiPolygon | None:
    """The drawn area in EPSG:27700, from GeoJSON in longitude/latitude; None when none is given."""
    if isinstance(text, dict):
        text = json.dumps(text)
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_DRAWN:
        problems["served_area_geojson"] = f"is {len(text):,} characters long; the most is {MAX_DRAWN:,}"
        return None
    try:
        given = json.loads(text)
        if given.get("type") == "Feature":
            given = given.get("geometry") or {}
        geometry = shape(given)
    except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.GEOSException):
        problems["served_area_geojson"] = "is not a GeoJSON Polygon or MultiPolygon"
        return None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        problems["served_area_geojson"] = f"is a {geometry.geom_type}; it must be a Polygon or MultiPolygon"
        return None
    minx, miny, maxx, maxy = geometry.bounds
    if not (LON_RANGE[0] <= minx and maxx <= LON_RANGE[1] and LAT_RANGE[0] <= miny and maxy <= LAT_RANGE[1]):
        problems["served_area_geojson"] = "is not in Great Britain (give longitude and latitude, WGS 84)"
        return None
    grid = shapely.make_valid(shapely.transform(geometry, _grid_coordinates))
    polygons = [g for g in getattr(grid, "geoms", [grid]) if g.geom_type in ("Polygon", "MultiPolygon")]
    parts = [p for g in polygons for p in getattr(g, "geoms", [g])]
    if not parts or sum(p.area for p in parts) <= 0:
        problems["served_area_geojson"] = "has no area"
        return None
    return MultiPolygon(parts)


def _grid_coordinates(lonlat: np.ndarray) -> np.ndarray:
    x, y = _to_grid().transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def _pin(lon, lat, problems: dict) -> Point | None:
    """A pin's point in EPSG:27700 from longitude and latitude; None when neither is given."""
    lon, lat = (str(v).strip() if v is not None else "" for v in (lon, lat))
    if not lon and not lat:
        return None
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        problems["lon"] = "the pin's longitude and latitude must both be numbers, such as -2.89 and 53.19"
        return None
    if not (LON_RANGE[0] <= x <= LON_RANGE[1] and LAT_RANGE[0] <= y <= LAT_RANGE[1]):
        problems["lon"] = f"the pin ({x:g}, {y:g}) is not in Great Britain"
        return None
    return Point(*_to_grid().transform(x, y))


def _locate(session: Session, postcode: str | None, pin: Point | None,
            current: CommunityGroup | None) -> Point | None:
    """Where the group is based: the pin, else the current point for the same postcode, else the postcode's
    point; None when there is none (the queue tells the editor why)."""
    if pin is not None:
        return pin
    if current is not None and current.location is not None and postcode == current.postcode:
        return current.location
    if not postcode:
        return None
    found = postcodes.lookup(session, [postcode]).iloc[0]
    return Point(float(found["easting"]), float(found["northing"])) if found["status"] == "found" else None


def lonlat(point) -> tuple[float, float] | None:
    """A stored point as (longitude, latitude), rounded to 6 places."""
    if point is None:
        return None
    x, y = _to_lonlat().transform(point.x, point.y)
    return round(x, 6), round(y, 6)


def clean_email(text) -> str | None:
    """The submitter's e-mail address, or None when blank; an address that is not one raises RecordInvalid."""
    try:
        email = clean_text(text, 254)
    except ValueError as error:
        raise RecordInvalid({"submitter_email": str(error)}) from None
    if email and not _EMAIL.fullmatch(email):
        raise RecordInvalid({"submitter_email": f"'{email[:60]}' is not an e-mail address"})
    return email


def _prepare_submission(session, fields, email, current=None) -> tuple[dict, str | None]:
    """Prepare the record and the e-mail together, naming every problem of both."""
    problems = {}
    try:
        email = clean_email(email)
    except RecordInvalid as invalid:
        problems |= invalid.fields
    try:
        prepared = prepare(session, fields, current=current)
    except RecordInvalid as invalid:
        problems = invalid.fields | problems
    if problems:
        raise RecordInvalid(problems)
    return prepared, email


# ----------------------------------------------------------------------------------------------------------
# Submitting

def _warned(session: Session, prepared: dict, fields: dict, confirmed: str | None) -> list[str] | None:
    """The place warnings the sender goes ahead with, as stored; raises PlaceToCheck when ``confirmed`` (the
    fingerprint the sender sent back, "" for none) is not that of the warnings now. None: store, not ask."""
    pinned = any(str(fields.get(k) or "").strip() for k in ("lon", "lat"))
    warnings = placement.warnings_for(session, prepared.get("postcode"), prepared["location"], pinned=pinned)
    if warnings and confirmed is not None and confirmed != placement.fingerprint(warnings):
        raise placement.PlaceToCheck(warnings)
    return [w.key for w in warnings] or None


def submit_new(session: Session, fields: dict, submitter_email: str | None = None, *,
               actor: str = "public form", confirmed: str | None = None) -> CommunityGroup:
    """Store a new group sent in by anyone, pending moderation; raises RecordInvalid, or PlaceToCheck while
    the sender has not confirmed the place warnings (see :func:`_warned`); nothing is stored then."""
    prepared, email = _prepare_submission(session, fields, submitter_email)
    warned = _warned(session, prepared, fields, confirmed)
    group = CommunityGroup(**prepared, status="pending", submitted_at=utcnow(), submitter_email=email,
                           source="Sent in through the Atlas form", sender_warnings=warned)
    session.add(group)
    session.flush()
    audit.record(session, actor=actor, action="submit", entity_type=ENTITY, entity_id=group.id,
                 after=snapshot(group))
    return group


def suggest_update(session: Session, group_id: int, fields: dict, submitter_email: str | None = None, *,
                   actor: str = "public form", confirmed: str | None = None) -> CommunityGroup:
    """Store a request to change a published group, pending moderation; raises RecordInvalid or
    PlaceToCheck as :func:`submit_new` does."""
    target = get_group(session, group_id)
    if target.status != "published":
        raise NotFound(f"There is no published group number {group_id} to update.")
    prepared, email = _prepare_submission(session, fields, submitter_email, current=target)
    # an update that keeps the group's place is not asked about it
    moved = prepared["location"] is not target.location or prepared.get("postcode") != target.postcode
    warned = _warned(session, prepared, fields, confirmed) if moved else None
    group = CommunityGroup(**prepared, status="pending", submitted_at=utcnow(), submitter_email=email,
                           updates_group_id=target.id, source="Update sent in through the Atlas form",
                           sender_warnings=warned)
    session.add(group)
    session.flush()
    audit.record(session, actor=actor, action="suggest_update", entity_type=ENTITY, entity_id=group.id,
                 after=snapshot(group))
    return group


# ----------------------------------------------------------------------------------------------------------
# Reading one back

def get_group(session: Session, group_id) -> CommunityGroup:
    try:
        number = int(group_id)
    except (TypeError, ValueError):
        number = None
    group = session.get(CommunityGroup, number) if number is not None and 0 < number <= MAX_ID else None
    if group is None:
        raise NotFound(f"There is no community group number {group_id}.")
    return group


def form_values(group: CommunityGroup, *, public: bool) -> dict:
    """The group as form fields; ``public`` leaves out the contact details (some are for partners only)."""
    size = group.size or {}
    values = {"name": group.name, "description": group.description, "group_type": group.group_type,
              "themes": list(group.themes or []), "serves": list(group.serves or []),
              "website": group.website, "address": group.address, "postcode": group.postcode,
              "charity_number": group.charity_number,
              "volunteers": size.get("volunteers"), "paid_staff": size.get("paid_staff"),
              "income_band": size.get("income_band"), "serves_scope": group.serves_scope or "local",
              "areas": [f"{a['set']}:{a['code']}" for a in group.served_area_codes or []]}
    if not public:
        for key, entry in (group.contact or {}).items():
            values[key] = entry.get("value")
            values[f"{key}_visibility"] = entry.get("visibility")
    return {k: ("" if v is None else str(v) if isinstance(v, int) else v) for k, v in values.items()}


def snapshot(group: CommunityGroup) -> dict:
    """The record as JSON for the audit log (the point as longitude/latitude, not the submitter's e-mail)."""
    out = {f: getattr(group, f) for f in RECORD_FIELDS if f not in ("served_area", "location")}
    out |= {"status": group.status, "location": lonlat(group.location),
            "served_area_drawn": group.served_area is not None,
            "last_verified": group.last_verified.isoformat() if group.last_verified else None,
            "updates_group_id": group.updates_group_id, "merged_into": group.merged_into,
            "review_note": group.review_note, "sender_warnings": group.sender_warnings}
    return out
