"""What the activity map and timeline show, from the service's counts: classes, colours, words."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from ..storage import boundary_sets
from . import service
from .filters import Filters
from .timeline import INK, PALETTE, class_label, class_of, count_classes, date_range_text, month_label, shades

#: What one area of each kind of set is called in sentences.
UNITS = {"lsoa": "LSOA", "msoa": "MSOA", "apb": "APB", "laf": "LAF", "lad": "borough", "service": "area"}
#: How areas with no activity are drawn: hatched, with these words in the key.
NO_ACTIVITY = "No activity recorded"


def activity_map(session: Session, filters: Filters, link: Callable[[int], str]) -> dict:
    """Counts per area of the filters' set and period, each with its colour class, the classes with
    their colours and words, and how whole-borough activities were treated. ``link`` gives an
    activity's page address from its id."""
    bset = boundary_sets.get_set(session, filters.set_id)
    rows = service.activity_by_area(session, bset.id, filters.since, filters.until,
                                    include_borough=filters.include_borough, **filters.service_args())
    classes = count_classes(r["count"] for r in rows)
    palette = [PALETTE[i] for i in shades(classes)]
    borough_wide = [c for c in service.list_consultations(session, since=filters.since, until=filters.until,
                                                          **filters.service_args()) if not c.areas]
    return {
        "set": {"id": bset.id, "name": bset.name, "kind": bset.kind, "unit": UNITS.get(bset.kind, bset.kind)},
        "since": filters.since.isoformat(), "until": filters.until.isoformat(),
        "theme": filters.theme, "method": filters.method, "organiser": filters.organiser,
        "whole_borough": {"activities": len(borough_wide), "counted": filters.include_borough},
        "classes": [{"min": low, "max": high, "colour": palette[i], "label": class_label(low, high)}
                    for i, (low, high) in enumerate(classes)],
        "no_activity": {"label": NO_ACTIVITY, "areas": sum(1 for r in rows if r["count"] == 0)},
        "areas": [r | {"class": class_of(r["count"], classes),
                       "activities": [a | {"url": link(a["id"])} for a in r["activities"]]} for r in rows],
    }


def timeline_table(session: Session, filters: Filters) -> dict:
    """The timeline by area and month, each cell with its shading class (None for nought)."""
    found = service.timeline_by_area(session, filters.set_id, filters.since, filters.until,
                                     include_borough=filters.include_borough, **filters.service_args())
    classes = count_classes(n for row in found["areas"] for n in row["counts"])
    tones = shades(classes)
    return {"months": [{"first": m, "label": month_label(m), "long": month_label(m, long=True)}
                       for m in found["months"]],
            "areas": [row | {"shades": [_tone(class_of(n, classes), tones) for n in row["counts"]]}
                      for row in found["areas"]],
            "classes": [{"label": class_label(low, high), "shade": tones[i], "colour": PALETTE[tones[i]],
                         "ink": INK[tones[i]]} for i, (low, high) in enumerate(classes)],
            "palette": PALETTE}


def _tone(index: int | None, tones: tuple[int, ...]) -> int | None:
    return None if index is None else tones[index]


def describe(session: Session, items, *, names: bool = True) -> list[dict]:
    """Activities as rows for the list and the download: dates in words, areas and groups by name."""
    area_names = service.area_names(session, [a for c in items for a in c.areas or []]) if names else {}
    group_names = service.group_names(session, sorted({g for c in items for g in c.group_ids or []}))
    sets = {s.id: s.name for s in boundary_sets.list_sets(session)}
    rows = []
    for c in items:
        reached = [{"set": a["set"], "set_name": sets.get(a["set"], a["set"]), "code": a["code"],
                    "name": area_names.get((a["set"], a["code"]))} for a in c.areas or []]
        rows.append({"item": c, "id": c.id, "title": c.title, "organiser": c.organiser, "method": c.method,
                     "themes": list(c.themes or []), "topic": c.topic, "starts_on": c.starts_on,
                     "ends_on": c.ends_on, "dates": date_range_text(c.starts_on, c.ends_on),
                     "results_url": c.results_url, "description": c.description, "reached": reached,
                     "whole_borough": not c.areas,
                     "areas_text": "Whole borough" if not c.areas else "; ".join(
                         f"{r['name'] or r['code']} ({r['set_name']})" for r in reached),
                     "groups": [{"id": g, "name": group_names.get(g)} for g in c.group_ids or []],
                     "groups_text": "; ".join(group_names.get(g, f"group {g}") for g in c.group_ids or [])})
    return rows
