"""What the page of one boundary set shows: its description, import report, areas and change history."""
from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..storage import boundary_sets
from ..storage.models import SERVICE_TYPES, Area, AuditEntry, BoundarySet

PAGE_SIZE = 250
LOCAL_TIME = ZoneInfo("Europe/London")
KIND_LABELS = {"county": "County", "lad": "Local authority district", "apb": "Area partnership board",
               "laf": "Local area forum", "ward": "Ward", "parish": "Parish",
               "lsoa": "Lower layer super output area (LSOA)",
               "msoa": "Middle layer super output area (MSOA)", "service": "Service area"}
#: What a service set's areas are for, as the form and the set's page name it ("NHS sub-ICB locations").
SERVICE_LABELS = {key: plural for key, (plural, _, _) in SERVICE_TYPES.items()}
FIELD_LABELS = {"name": "Name", "kind": "Kind", "service_type": "Service", "vintage": "Vintage", "source": "Source",
                "licence": "Licence", "fictional": "Fictional", "built_from": "Built from", "version": "Version",
                "areas": "Areas"}
# A creation or deletion is summed up by these fields; other changes list every field that changed.
SUMMARY_FIELDS = ("name", "kind", "areas", "version")


def set_page(session: Session, bset: BoundarySet, *, page: int, history: bool) -> dict:
    """The set's description, one page of its areas with the areas holding them and, if asked, its history."""
    total = session.scalar(select(func.count()).select_from(Area).where(Area.set_id == bset.id))
    rows = session.execute(select(Area.id, Area.code, Area.name, Area.area_m2)
                           .where(Area.set_id == bset.id).order_by(Area.code)
                           .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    held = boundary_sets.containers(session, [row.id for row in rows])
    parent = session.get(BoundarySet, bset.built_from) if bset.built_from else None
    built_on = session.scalars(select(BoundarySet).where(BoundarySet.built_from == bset.id)
                               .order_by(BoundarySet.id)).all()
    data = {
        "boundary_set": boundary_sets.set_summary(bset) | {
            "areas": total, "superseded_by": bset.superseded_by, "created_at": _utc(bset.created_at).isoformat(),
            "built_from_name": parent.name if parent else None, "import_report": bset.import_report,
            "sets_built_from_it": [{"id": s.id, "name": s.name} for s in built_on]},
        "areas": [{"code": row.code, "name": row.name, "area_ha": round(row.area_m2 / 10_000, 2),
                   "within": sorted(held[row.id], key=_finest_first)} for row in rows],
        "page": {"number": page, "pages": max(1, math.ceil(total / PAGE_SIZE)), "size": PAGE_SIZE},
    }
    if history:
        data["history"] = set_history(session, bset.id)
    return data


def set_history(session: Session, set_id: str) -> list[dict]:
    """The audit entries about one set, newest first, each with the fields it changed."""
    entries = session.scalars(select(AuditEntry)
                              .where(AuditEntry.entity_type == "boundary_set", AuditEntry.entity_id == set_id)
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())).all()
    return [{"at": _utc(e.at).isoformat(), "when": local_time(e.at), "actor": e.actor, "action": e.action,
             "changes": changes(e.before, e.after), "before": e.before, "after": e.after} for e in entries]


def changes(before: dict | None, after: dict | None) -> list[dict]:
    """What an audit entry changed, field by field, in a fixed order.

    >>> changes({"name": "Wards", "version": 1}, {"name": "Wards (2019)", "version": 1})
    [{'field': 'name', 'label': 'Name', 'before': 'Wards', 'after': 'Wards (2019)'}]
    >>> [c["field"] for c in changes(None, {"id": "apb", "name": "APBs", "areas": 5, "version": 1})]
    ['name', 'areas', 'version']
    """
    old, new = before or {}, after or {}
    if before is None or after is None:
        fields = [f for f in SUMMARY_FIELDS if f in old or f in new]
    else:
        fields = [f for f in FIELD_LABELS if old.get(f) != new.get(f)]
    return [{"field": f, "label": FIELD_LABELS[f], "before": old.get(f), "after": new.get(f)} for f in fields]


def local_time(moment: datetime) -> str:
    """A stored time as an officer in England reads it.

    >>> local_time(datetime(2025, 7, 1, 13, 5, tzinfo=UTC))
    '1 Jul 2025, 14:05 BST'
    """
    local = _utc(moment).astimezone(LOCAL_TIME)
    return f"{local.day} {local:%b %Y, %H:%M %Z}"


def _finest_first(container: dict) -> tuple:
    """Order the areas holding an area: the next larger first (ward, APB, borough), service areas last."""
    return boundary_sets.KIND_ORDER.get(container["kind"], 0), container["set"]


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; the store writes them in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
