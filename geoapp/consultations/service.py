"""Consultation and engagement activity in the store: record, change, remove, list, and count by area.

Each change is checked whole before anything is written (every problem named by field, nothing half
stored; see :mod:`.checks`) and audited as entity type "consultation" in the caller's transaction; the
caller commits.
"""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from ..auth.roles import can
from ..errors import NotFound
from ..storage import audit, boundary_sets, locks
from ..storage.models import Area, CommunityGroup, Consultation, User
from .checks import FIELDS, LABELS, METHODS, ConsultationInvalid, clean, parse_date  # noqa: F401 - the API
from .reach import reach
from .timeline import date_range_text, last_day, months, runs_in

#: Roles that look after the shared record may change anyone's activity; others only their own.
CURATORS = ("moderate_groups", "edit_proposals")


# --- reading ---------------------------------------------------------------------------------------------

def get_consultation(session: Session, consultation_id: int) -> Consultation:
    found = session.get(Consultation, consultation_id)
    if found is None:
        raise NotFound(f"There is no consultation or engagement activity number {consultation_id}.")
    return found


def summary(item: Consultation) -> dict:
    """An activity's fields, JSON-ready (dates as ISO text, location as easting and northing)."""
    location = None
    if item.location is not None:
        location = {"easting": round(item.location.x, 1), "northing": round(item.location.y, 1)}
    return {"id": item.id, "title": item.title, "organiser": item.organiser, "topic": item.topic,
            "themes": list(item.themes or []), "method": item.method,
            "starts_on": item.starts_on.isoformat() if item.starts_on else None,
            "ends_on": item.ends_on.isoformat() if item.ends_on else None,
            "results_url": item.results_url, "description": item.description,
            "areas": [dict(a) for a in item.areas or []], "whole_borough": not item.areas,
            "group_ids": list(item.group_ids or []), "location": location, "created_by": item.created_by,
            "created_at": item.created_at.isoformat() if item.created_at else None,
            "updated_at": item.updated_at.isoformat() if item.updated_at else None}


def list_consultations(session: Session, *, theme: str | None = None, method: str | None = None,
                       organiser: str | None = None, since: date | None = None, until: date | None = None,
                       area: tuple[str, str] | None = None) -> list[Consultation]:
    """Activities matching every filter given, latest start first.

    ``since``/``until`` keep those running on any day of the period; ``area`` (set id, code) keeps
    those reaching that area (see :mod:`.reach`), whole-borough ones included.
    """
    rows = _matching(session, theme=theme, method=method, organiser=organiser, since=since, until=until)
    if area is not None:
        set_id, code = area
        reached = _reached(session, set_id, rows)
        rows = [r for r in rows if code in reached[r.id]]
    found = {c.id: c for c in session.scalars(select(Consultation).where(
        Consultation.id.in_([r.id for r in rows])))} if rows else {}
    return [found[r.id] for r in rows]


class _Row(NamedTuple):
    """What counting by area needs of an activity (lighter than the mapped object)."""

    id: int
    title: str
    organiser: str
    method: str
    themes: list
    areas: list
    starts_on: date
    ends_on: date | None


def _matching(session: Session, *, theme=None, method=None, organiser=None, since=None, until=None) -> list[_Row]:
    """The activities matching the filters, latest start first, as light rows."""
    query = (select(*(getattr(Consultation, f) for f in _Row._fields))
             .order_by(Consultation.starts_on.desc(), Consultation.id.desc()))
    if method:
        query = query.where(Consultation.method == method)
    if organiser:
        query = query.where(Consultation.organiser == organiser)
    if until is not None:
        query = query.where(Consultation.starts_on <= until)
    if since is not None:
        query = query.where(func.coalesce(Consultation.ends_on, Consultation.starts_on) >= since)
    return [row for row in map(_Row._make, session.execute(query))
            if not theme or theme in (row.themes or [])]


def organisers(session: Session) -> list[str]:
    """Every organiser named in an activity, alphabetically."""
    names = session.scalars(select(Consultation.organiser).distinct())
    return sorted(names, key=str.casefold)


def may_change(user: User | None, item: Consultation) -> bool:
    """True when ``user`` recorded the activity, or looks after the shared record (third-sector editors,
    officers and administrators)."""
    if user is None or not can(user.role, "record_consultations"):
        return False
    return item.created_by == user.id or any(can(user.role, p) for p in CURATORS)


def user_name(session: Session, user_id: int) -> str | None:
    """The name of the user who recorded an activity, if the account still exists."""
    return session.scalar(select(User.name).where(User.id == user_id))


def area_names(session: Session, areas: list[dict]) -> dict[tuple[str, str], str]:
    """(set, code) -> the area's name, for the listed areas still in the store."""
    pairs = {(a["set"], a["code"]) for a in areas}
    if not pairs:
        return {}
    rows = session.execute(select(Area.set_id, Area.code, Area.name)
                           .where(tuple_(Area.set_id, Area.code).in_(sorted(pairs)))).all()
    return {(s, c): n for s, c, n in rows}


def area_choices(session: Session, set_id: str) -> list[tuple[str, str]]:
    """(code, name) of every area of a set, by name."""
    return [tuple(r) for r in session.execute(select(Area.code, Area.name).where(Area.set_id == set_id)
                                              .order_by(Area.name, Area.code))]


def group_names(session: Session, ids: list[int]) -> dict[int, str]:
    """Group id -> name, for the ids still in the store."""
    if not ids:
        return {}
    return dict(session.execute(select(CommunityGroup.id, CommunityGroup.name)
                                .where(CommunityGroup.id.in_(list(ids)))).all())


def published_group_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every published group, by name, for the form."""
    rows = session.execute(select(CommunityGroup.id, CommunityGroup.name)
                           .where(CommunityGroup.status == "published")).all()
    return sorted(rows, key=lambda r: (r[1].casefold(), r[0]))


# --- by area ---------------------------------------------------------------------------------------------

def activity_by_area(session: Session, set_id: str, since: date | None, until: date | None,
                     theme: str | None = None, *, method: str | None = None, organiser: str | None = None,
                     include_borough: bool = True) -> list[dict]:
    """For every area of ``set_id``: how many activities running in the period reach it, the latest date
    of any of them (its end date, or its one day), and those activities (latest start first).

    An activity listed for a ward reaches that ward's LSOAs and the APB holding it; one that lists no
    areas reaches the whole borough and counts in every area (unless ``include_borough`` is False).
    Areas with none are listed with a count of nought. Raises NotFound for an unknown set.
    """
    result = []
    for code, name, mine in _by_area(session, set_id, since, until, theme=theme, method=method,
                                     organiser=organiser, include_borough=include_borough):
        latest = max((r.ends_on or r.starts_on for r in mine), default=None)
        result.append({"code": code, "name": name, "count": len(mine),
                       "latest": latest.isoformat() if latest else None,
                       "activities": [_brief(r) for r in mine]})
    return result


def timeline_by_area(session: Session, set_id: str, since: date, until: date, theme: str | None = None, *,
                     method: str | None = None, organiser: str | None = None,
                     include_borough: bool = True) -> dict:
    """Activities per area (rows) and month (columns) of the period: an activity counts in every month it
    runs in. Returns ``months`` (first days), and ``areas`` each with ``code, name, counts`` (one per
    month) and ``total`` (activities in the whole period, each counted once)."""
    columns = months(since, until)
    runs: dict[int, list[int]] = {}
    areas = []
    for code, name, mine in _by_area(session, set_id, since, until, theme=theme, method=method,
                                     organiser=organiser, include_borough=include_borough):
        counts = [0] * len(columns)
        for row in mine:
            if row.id not in runs:
                runs[row.id] = [i for i, m in enumerate(columns) if runs_in(row.starts_on, row.ends_on, m, last_day(m))]
            for i in runs[row.id]:
                counts[i] += 1
        areas.append({"code": code, "name": name, "counts": counts, "total": len(mine)})
    return {"months": columns, "areas": areas}


def recent_for_area(session: Session, set_id: str, code: str, limit: int = 5) -> list[dict]:
    """The latest activities reaching one area (whole-borough ones included), latest start first, for the
    area's profile: id, title, organiser, method, themes, dates (as dates and as words), results link,
    and whether it reached the whole borough."""
    boundary_sets.get_area(session, set_id, code)
    return [_brief(c) | {"method": c.method, "themes": list(c.themes or []), "starts_on": c.starts_on,
                         "ends_on": c.ends_on, "dates": date_range_text(c.starts_on, c.ends_on),
                         "results_url": c.results_url, "whole_borough": not c.areas}
            for c in list_consultations(session, area=(set_id, code))[:limit]]


def _by_area(session: Session, set_id: str, since, until, *, include_borough: bool, **filters):
    """(code, name, activities reaching it) for every area of the set, by name."""
    boundary_sets.get_set(session, set_id)
    rows = _matching(session, since=since, until=until, **filters)
    if not include_borough:
        rows = [r for r in rows if r.areas]
    reached = _reached(session, set_id, rows)
    reaching: dict[str, list[_Row]] = {}
    for row in rows:
        for code in reached[row.id]:
            reaching.setdefault(code, []).append(row)
    areas = session.execute(select(Area.code, Area.name).where(Area.set_id == set_id)
                            .order_by(Area.name, Area.code)).all()
    return [(code, name, reaching.get(code, [])) for code, name in areas]


def _brief(item) -> dict:
    return {"id": item.id, "title": item.title, "organiser": item.organiser,
            "starts_on": item.starts_on.isoformat(), "ends_on": item.ends_on.isoformat() if item.ends_on else None}


def _reached(session: Session, set_id: str, found) -> dict[int, set[str]]:
    """Activity id -> codes of the areas of ``set_id`` it reaches."""
    listed = {(a["set"], a["code"]) for c in found for a in c.areas or []}
    by_listed = reach(session, set_id, listed)
    everywhere = None
    result = {}
    for item in found:
        if not item.areas:
            if everywhere is None:
                everywhere = set(session.scalars(select(Area.code).where(Area.set_id == set_id)))
            result[item.id] = everywhere
        else:
            result[item.id] = set().union(*(by_listed[(a["set"], a["code"])] for a in item.areas))
    return result


# --- changing --------------------------------------------------------------------------------------------

def create_consultation(session: Session, data: dict, *, user: User) -> Consultation:
    """Record an activity from ``data`` (field name to value); raises :class:`ConsultationInvalid`."""
    values = clean(session, data)
    item = Consultation(**values, created_by=user.id)
    session.add(item)
    session.flush()
    audit.record(session, actor=user.email, user_id=user.id, action="create", entity_type="consultation",
                 entity_id=item.id, after=summary(item))
    return item


def _locked(session: Session, consultation_id: int) -> Consultation:
    """The activity, locked to the end of the transaction and read again (a change made at the same moment
    by someone else is applied first, and seen); NotFound once it has been deleted."""
    item = get_consultation(session, consultation_id)
    if not locks.claim(session, Consultation, item.id):
        raise NotFound(f"The activity {consultation_id} has just been deleted by someone else.")
    return session.get(Consultation, item.id, populate_existing=True)


def update_consultation(session: Session, consultation_id: int, data: dict, *, user: User) -> Consultation:
    """Change the fields given in ``data`` (the others stay); checked whole, audited with before and after."""
    item = _locked(session, consultation_id)
    before = summary(item)
    current = {f: before[f] for f in FIELDS}
    values = clean(session, current | data)
    for name, value in values.items():
        setattr(item, name, value)
    session.flush()
    audit.record(session, actor=user.email, user_id=user.id, action="update", entity_type="consultation",
                 entity_id=item.id, before=before, after=summary(item))
    return item


def delete_consultation(session: Session, consultation_id: int, *, user: User) -> dict:
    item = _locked(session, consultation_id)
    before = summary(item)
    session.delete(item)
    session.flush()
    audit.record(session, actor=user.email, user_id=user.id, action="delete", entity_type="consultation",
                 entity_id=consultation_id, before=before)
    return before
