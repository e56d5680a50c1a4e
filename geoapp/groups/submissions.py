"""Groups sent in by the public, and the third-sector editors' decisions on them.

A submission is stored as a ``pending`` community group: a new group, or a request to update a published
one (``updates_group_id``). Editors approve (publish, or copy the update onto the group), edit, reject with a
reason, merge a duplicate into the group it repeats, or archive a published group. Every change is audited
in the caller's transaction; :func:`outcome_mail` words the e-mail that tells the submitter what happened.
"""
from __future__ import annotations

import difflib
import json
import re
import string
from datetime import date, timezone
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.crs import DISPLAY_CRS, STORAGE_CRS

from ..auth.mail import Mail
from ..errors import Conflict, InvalidInput, NotFound
from ..storage import audit, locks, postcodes
from ..storage.models import MAX_ID, Area, BoundarySet, CommunityGroup, User, utcnow
from . import placement
from .records import RecordInvalid, clean_record, clean_text

ENTITY = "community_group"
#: Kinds of boundary set a group may name as the areas it serves.
AREA_KINDS = ("apb", "laf", "ward", "parish")
#: What a submitter may answer to "where do you work": the record's scopes, or "local" (no area given).
SCOPE_CHOICES = ("borough", "areas", "drawn", "local")
#: Longitude and latitude a pin may have (Great Britain and a margin).
LON_RANGE, LAT_RANGE = (-9.0, 2.5), (49.0, 61.5)
#: Names at least this similar (difflib ratio, after :func:`name_key`) are possible duplicates.
SIMILAR = 0.85
#: Words that say little about which group it is, left out when names are compared.
NAME_NOISE = {"the", "a", "an", "and", "of", "for", "group", "groups", "club", "clubs", "society",
              "association", "assoc", "ltd", "limited", "cic", "inc"}
#: Longest drawn area accepted, as GeoJSON text.
MAX_DRAWN = 200_000
#: The fields of a record copied from an update request onto the group it updates.
RECORD_FIELDS = ("name", "description", "group_type", "themes", "serves", "size", "contact", "website",
                 "address", "postcode", "charity_number", "serves_scope", "served_area_codes", "served_area",
                 "location")
#: Fields an update request leaves unchanged when it does not give them (the public form never shows them).
KEEP_WHEN_BLANK = ("contact",)
#: The fields that together say where a group works.
SERVED = ("serves_scope", "served_area_codes", "served_area")
#: What the sender was told, for each place warning they sent a group in with.
SENDER_TOLD = {"unknown postcode": "the postcode was not in our list of postcodes",
               "no coordinates": "the postcode had no position on the map",
               "outside the borough": "the group was outside the borough"}

_LONDON = ZoneInfo("Europe/London")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation + "‘’“”–—"})


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
# Reading

def get_group(session: Session, group_id) -> CommunityGroup:
    try:
        number = int(group_id)
    except (TypeError, ValueError):
        number = None
    group = session.get(CommunityGroup, number) if number is not None and 0 < number <= MAX_ID else None
    if group is None:
        raise NotFound(f"There is no community group number {group_id}.")
    return group


def name_key(name: str | None) -> str:
    """A group's name for comparing: lower case, no punctuation, without words such as 'the' and 'club'.

    >>> name_key("The Oak Tree Lunch-Club!"), name_key("Club")
    ('oak tree lunch', 'club')
    """
    words = str(name or "").lower().replace("&", " and ").translate(_PUNCTUATION).split()
    kept = [w for w in words if w not in NAME_NOISE]
    return " ".join(kept or words)


def similar(a: str, b: str) -> bool:
    """True when two name keys are at least SIMILAR alike (difflib's ratio)."""
    return bool(NameIndex([(0, a, None, None)], keys=[a]).similar_to(b))


class NameIndex:
    """The groups a new one may repeat, indexed to compare names at speed.

    difflib's ratio is 2M/T (M matching characters, T both lengths): M is at most the characters the two
    names share, counted with numpy for every name at once, so most names are ruled out before the full
    ratio is computed (50 names against 2,000 alike ones: 0.2-0.4 s in all, instead of 6 s).
    """

    BUCKETS = 128  # characters are counted by code point modulo this (sharing a bucket only raises the bound)

    def __init__(self, rows: list[tuple], keys: list[str] | None = None):
        self.rows = rows  # (id, name, postcode, status)
        self.keys = keys if keys is not None else [name_key(row[1]) for row in rows]
        self.lengths = np.array([len(k) for k in self.keys], dtype=float)
        self.counts = np.array([self._count(k) for k in self.keys]).reshape(len(self.keys), self.BUCKETS)
        self.by_postcode: dict[str, list[int]] = {}
        for position, row in enumerate(rows):
            if row[2]:
                self.by_postcode.setdefault(row[2], []).append(position)

    def _count(self, key: str) -> np.ndarray:
        return np.bincount([ord(c) % self.BUCKETS for c in key], minlength=self.BUCKETS)

    def similar_to(self, key: str) -> set[int]:
        """Positions of the names at least SIMILAR alike ``key``."""
        if not key or not self.keys:
            return set()
        shared = np.minimum(self.counts, self._count(key)).sum(axis=1)
        bound = 2 * shared / np.maximum(self.lengths + len(key), 1)
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(key)
        out = set()
        for position in np.flatnonzero(bound >= SIMILAR):
            matcher.set_seq1(self.keys[position])
            if self.keys[position] == key or matcher.ratio() >= SIMILAR:
                out.add(int(position))
        return out


def name_index(session: Session) -> NameIndex:
    """Every published group and pending new group (not update requests), by name."""
    rows = session.execute(select(CommunityGroup.id, CommunityGroup.name, CommunityGroup.postcode,
                                  CommunityGroup.status)
                           .where(CommunityGroup.status.in_(("published", "pending")),
                                  CommunityGroup.updates_group_id.is_(None))).all()
    return NameIndex([tuple(row) for row in rows])


def duplicates(session: Session, group: CommunityGroup, index: NameIndex | None = None) -> list[dict]:
    """Published (and other pending) groups that may be the same group: same postcode or a similar name."""
    if group.updates_group_id is not None:
        return []
    index = index if index is not None else name_index(session)
    key, own_id = name_key(group.name), group.id
    alike = index.similar_to(key)
    here = set(index.by_postcode.get(group.postcode, [])) if group.postcode else set()
    found = []
    for position in sorted(alike | here):
        other_id, name, postcode, status = index.rows[position]
        if other_id == own_id:
            continue
        reasons = ["same postcode"] if position in here else []
        if position in alike:
            reasons.append("same name" if key == index.keys[position] else "similar name")
        found.append({"id": other_id, "name": name, "postcode": postcode, "status": status, "reasons": reasons})
    return sorted(found, key=lambda d: (d["status"] != "published", -len(d["reasons"]), d["id"]))


def problems_of(session: Session, groups: list[CommunityGroup]) -> dict[int, list[str]]:
    """What an editor should check before deciding on each group (by id): where it is (no point, or a point
    outside the borough), and what the sender was warned of and sent anyway."""
    codes = sorted({g.postcode for g in groups if g.location is None and g.postcode})
    status = dict(zip(codes, postcodes.lookup(session, codes)["status"])) if codes else {}
    out = {}
    for group in groups:
        problems = []
        if group.location is None and not group.postcode:
            problems.append("No postcode or pin was given, so the group has no point on the map: place a pin.")
        elif group.location is None:
            why = {"no coordinates": "has no grid reference in the postcode table",
                   "found": "is in the postcode table now: save the record to place it"}.get(
                status.get(group.postcode), "is not in the postcode table")
            problems.append(f"Postcode {group.postcode} {why}, so the group has no point on the map yet: "
                            "place a pin.")
        elif outside := placement.outside_warning(session, group.location):
            problems.append(outside.for_editor())
        if group.sender_warnings:
            told = " and ".join(SENDER_TOLD.get(key, key) for key in group.sender_warnings)
            problems.append(f"The sender was told {told}, and chose to send it as it was.")
        out[group.id] = problems
    return out


def queue(session: Session) -> list[dict]:
    """The pending records, newest first, each with its problems and possible duplicates."""
    pending = session.scalars(select(CommunityGroup).where(CommunityGroup.status == "pending")
                              .order_by(CommunityGroup.submitted_at.desc(), CommunityGroup.id.desc())).all()
    index = name_index(session)
    wanted = {p.updates_group_id for p in pending if p.updates_group_id}
    targets = {g.id: g for g in session.scalars(select(CommunityGroup).where(CommunityGroup.id.in_(wanted)))} \
        if wanted else {}
    problems = problems_of(session, pending)
    return [{"group": g, "updates": targets.get(g.updates_group_id), "problems": problems[g.id],
             "duplicates": duplicates(session, g, index)} for g in pending]


def recent_decisions(session: Session, limit: int = 20) -> list[CommunityGroup]:
    """The latest records an editor decided on."""
    return session.scalars(select(CommunityGroup).where(CommunityGroup.reviewed_at.is_not(None))
                           .order_by(CommunityGroup.reviewed_at.desc(), CommunityGroup.id.desc())
                           .limit(limit)).all()


def find_groups(session: Session, text: str, limit: int = 30) -> list[CommunityGroup]:
    """Published groups whose name contains ``text`` (any case), for editors looking for one to change."""
    text = " ".join(str(text or "").split())[:100]
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.scalars(select(CommunityGroup).where(
        CommunityGroup.status == "published", CommunityGroup.name.ilike(f"%{escaped}%", escape="\\"))
        .order_by(CommunityGroup.name).limit(limit)).all()


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


# ----------------------------------------------------------------------------------------------------------
# Deciding

#: Any status: the group a decision also changes is locked as it is; the decision checks its status.
_ANY = ("pending", "published", "rejected", "merged", "archived")
#: What each status says about a decided record, for the editor who comes second.
DECIDED = {"published": "approved", "rejected": "rejected", "merged": "merged into another group",
           "archived": "archived", "pending": "still waiting for a decision"}


def _claim(session: Session, groups: dict[int, tuple[str, ...]]) -> list[CommunityGroup]:
    """Lock the groups (id: the statuses each must still have) in order of id and read them again.

    Exactly one of two editors deciding at once gets the lock while the record is as they saw it; the
    other waits, then finds it decided and is told by whom and when (Conflict), and nothing is changed.
    """
    found = {}
    for group_id in sorted(groups):
        group = get_group(session, group_id)
        if not locks.claim(session, CommunityGroup, group.id, CommunityGroup.status.in_(groups[group_id])):
            session.refresh(group)
            raise Conflict(_taken(session, group) + " Nothing was changed: reload the queue to see it now.")
        found[group_id] = session.get(CommunityGroup, group.id, populate_existing=True)
    return [found[group_id] for group_id in groups]


def _taken(session: Session, group: CommunityGroup) -> str:
    """What happened to a record since the editor opened it."""
    state = DECIDED.get(group.status, group.status)
    if group.reviewed_at is None:
        return f"'{group.name}' is {state}."
    who = session.scalar(select(User.name).where(User.id == group.reviewed_by)) if group.reviewed_by else None
    at = _aware(group.reviewed_at).astimezone(_LONDON)
    return f"'{group.name}' has been {state} by {who or 'another editor'} at {at:%H:%M} on {at.day} {at:%B %Y}."


def _aware(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def revision(group: CommunityGroup) -> str:
    """A token of the record as shown in a form (its last change), so a save over a newer change is refused."""
    return _aware(group.updated_at).isoformat() if group.updated_at else ""


def _pending(session: Session, group_id) -> CommunityGroup:
    (group,) = _claim(session, {_id(group_id): ("pending",)})
    return group


def _id(group_id) -> int:
    try:
        return int(group_id)
    except (TypeError, ValueError):
        raise NotFound(f"There is no community group number {group_id}.") from None


def _review(group: CommunityGroup, editor: User, note: str | None = None) -> None:
    group.reviewed_by, group.reviewed_at = editor.id, utcnow()
    group.review_note = note


def _audit(session, editor: User, action: str, group: CommunityGroup, before: dict, **extra) -> None:
    audit.record(session, actor=editor.email, user_id=editor.id, action=action, entity_type=ENTITY,
                 entity_id=group.id, before=before, after=snapshot(group) | extra)


def edit(session: Session, group_id, editor: User, fields: dict, *, seen: str | None = None) -> CommunityGroup:
    """Change a pending or published record with an editor's form; raises RecordInvalid (nothing changed).

    ``seen`` is the :func:`revision` the form was opened at: when given and the record has changed since
    (another editor saved or decided it), the edit is refused with Conflict rather than undoing theirs.
    """
    (group,) = _claim(session, {_id(group_id): ("pending", "published")})
    if seen is not None and seen != revision(group):
        raise Conflict(f"'{group.name}' has been changed by another editor since you opened it: nothing of "
                       "yours was saved. Reload it to see their changes, then make yours again.")
    prepared = prepare(session, fields, current=group)
    before = snapshot(group)
    for key, value in prepared.items():
        setattr(group, key, value)
    _audit(session, editor, "edit", group, before)
    return group


def approve(session: Session, group_id, editor: User, edits: dict | None = None) -> CommunityGroup:
    """Publish a pending group (verified today), or copy an update request onto its group; returns the
    published group. A group without a point on the map is refused."""
    updates = get_group(session, group_id).updates_group_id  # fixed when sent: both are locked, by id
    claimed = {_id(group_id): ("pending",)} | ({updates: _ANY} if updates is not None else {})
    group = _claim(session, claimed)[0]
    if edits:
        edit(session, group_id, editor, edits)
    if group.updates_group_id is None:
        if group.location is None:
            raise InvalidInput(f"'{group.name}' has no point on the map: give a postcode in the postcode table "
                               "or place a pin (longitude and latitude), save, then approve.")
        before = snapshot(group)
        group.status, group.last_verified = "published", date.today()
        _review(group, editor)
        _audit(session, editor, "approve", group, before)
        return group
    target = get_group(session, group.updates_group_id)
    if target.status != "published":
        raise Conflict(f"The group this update is for, '{target.name}', is {target.status}: reject the update, "
                       "or merge it into another group.")
    location = group.location or (target.location if group.postcode == target.postcode else None)
    if location is None:
        raise InvalidInput(f"The update moves '{target.name}' to postcode {group.postcode or '(none)'}, which has "
                           "no point on the map: place a pin (longitude and latitude), save, then approve.")
    before_target, before = snapshot(target), snapshot(group)
    for key in RECORD_FIELDS:
        value = getattr(group, key)
        if key in KEEP_WHEN_BLANK and not value:
            continue
        if key == "contact":
            value = (target.contact or {}) | value
        setattr(target, key, value)
    target.location, target.last_verified = location, date.today()
    group.status, group.merged_into = "merged", target.id
    _review(group, editor)
    _audit(session, editor, "approve_update", target, before_target, update_request=group.id)
    _audit(session, editor, "approve", group, before)
    return target


def reject(session: Session, group_id, editor: User, reason: str) -> CommunityGroup:
    """Turn down a pending record, with the reason the submitter is told."""
    try:
        reason = clean_text(reason, 1000)
    except ValueError as error:
        raise RecordInvalid({"reason": str(error)}, "The rejection") from None
    if not reason:
        raise RecordInvalid({"reason": "is needed: the submitter is told why"}, "The rejection")
    group = _pending(session, group_id)
    before = snapshot(group)
    group.status = "rejected"
    _review(group, editor, reason)
    _audit(session, editor, "reject", group, before)
    return group


def merge(session: Session, group_id, into_id, editor: User) -> CommunityGroup:
    """Merge a pending duplicate into the group it repeats: fields that group lacks are filled from it.
    Returns the group merged into."""
    if _id(group_id) == _id(into_id):
        raise InvalidInput("A group cannot be merged into itself: choose another group.")
    group, target = _claim(session, {_id(group_id): ("pending",), _id(into_id): _ANY})
    if target.status not in ("published", "pending"):
        raise Conflict(f"'{target.name}' is {target.status}: merge into a published or pending group.")
    before_target, before = snapshot(target), snapshot(group)
    filled = []
    for key in RECORD_FIELDS:
        mine, theirs = getattr(group, key), getattr(target, key)
        if key in SERVED:  # where a group works is one answer: taken whole, or not at all
            if target.serves_scope is None and group.serves_scope is not None:
                setattr(target, key, mine)
                filled += [key] if mine is not None else []
        elif key in ("contact", "size") and mine and theirs:
            extra = {k: v for k, v in mine.items() if k not in theirs}
            if extra:
                setattr(target, key, theirs | extra)
                filled += [f"{key}.{k}" for k in extra]
        elif _blank(theirs) and not _blank(mine):
            setattr(target, key, mine)
            filled.append(key)
    if target.status == "published":
        target.last_verified = date.today()
    group.status, group.merged_into = "merged", target.id
    _review(group, editor, f"Merged into group {target.id}.")
    _audit(session, editor, "merge_into", target, before_target, merged_from=group.id, filled=filled)
    _audit(session, editor, "merge", group, before, filled=filled)
    return target


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, list, dict)):
        return not value
    return False


def archive(session: Session, group_id, editor: User, reason: str | None = None) -> CommunityGroup:
    """Take a published group off the map (it has closed, or cannot be reached); the record is kept."""
    try:
        reason = clean_text(reason, 1000)
    except ValueError as error:
        raise RecordInvalid({"reason": str(error)}, "The archiving") from None
    group = get_group(session, group_id)
    if group.status != "published":
        raise Conflict(f"'{group.name}' is {group.status}; only published groups can be archived.")
    (group,) = _claim(session, {group.id: ("published",)})
    before = snapshot(group)
    group.status = "archived"
    _review(group, editor, reason)
    _audit(session, editor, "archive", group, before)
    return group


# ----------------------------------------------------------------------------------------------------------
# Telling the submitter

def outcome_mail(record: CommunityGroup, published: CommunityGroup | None = None, *,
                 link: str | None = None) -> Mail | None:
    """The e-mail telling the submitter what was decided, or None without an address or a decision.

    ``published`` is the group the record now lives in (an update's or a duplicate's group); ``link`` the
    address of the map.
    """
    if not record.submitter_email or record.status not in ("published", "rejected", "merged"):
        return None
    name = " ".join(record.name.split())
    where = f"\n\nSee it on the map: {link}" if link else ""
    if record.status == "published":
        subject = "Your group is on the Partnership Atlas"
        body = f"Thank you for telling us about {name}. An editor has checked it and it is now on the map.{where}"
    elif record.status == "rejected":
        subject = "Your group was not added to the Partnership Atlas"
        body = (f"Thank you for telling us about {name}. An editor has read it and did not add it to the "
                f"map, for this reason:\n\n{record.review_note}\n\nYou are welcome to send it again with "
                "the changes the editor asks for.")
    elif record.updates_group_id is not None and published is not None and published.id == record.updates_group_id:
        subject = "Your changes are on the Partnership Atlas"
        body = f"Thank you for the changes to {name}. An editor has checked them and made them.{where}"
    else:
        other = " ".join((published.name if published is not None else name).split())
        subject = "Your group was already on the Partnership Atlas"
        body = (f"Thank you for telling us about {name}. It was already on the map as {other}, so an editor "
                f"has added the details we did not have to that entry.{where}")
    return Mail(to=record.submitter_email, subject=subject,
                body=f"Hello,\n\n{body}\n\nPartnership Atlas editors\n\n(You gave this address when you sent "
                     "the group in; we use it only to tell you the outcome.)")
