"""The record-an-activity form: its values from a stored activity or a post, and the areas it offers."""
from __future__ import annotations

from ..storage import boundary_sets
from . import service

#: Form fields holding text as typed.
TEXT = ("title", "organiser", "topic", "method", "starts_on", "ends_on", "results_url", "description")
#: The order the sets' lists come in: partnership areas first, the finest and service areas last.
SET_ORDER = ("apb", "laf", "ward", "parish", "msoa", "lsoa", "service")
#: Where the error summary links to for each field (the first control of a group of them).
ANCHORS = {"themes": "themes-0", "areas": "reach-borough", "group_ids": "groups-list", "fields": "title"}


def initial(item) -> dict:
    """The form's values: empty for a new activity (the whole borough), else the activity's own."""
    if item is None:
        return dict.fromkeys(TEXT, "") | {"themes": [], "reach": "borough", "areas": set(), "group_ids": set()}
    return {"title": item.title, "organiser": item.organiser, "topic": item.topic or "", "method": item.method,
            "starts_on": item.starts_on.isoformat(), "ends_on": item.ends_on.isoformat() if item.ends_on else "",
            "results_url": item.results_url or "", "description": item.description or "",
            "themes": list(item.themes or []), "reach": "areas" if item.areas else "borough",
            "areas": {f"{a['set']}|{a['code']}" for a in item.areas or []},
            "group_ids": {str(g) for g in item.group_ids or []}}


def form_data(posted) -> tuple[dict, dict, dict]:
    """(values to show the form again, the fields for the service, problems only the form can see)."""
    form = {name: (posted.get(name) or "").strip() for name in TEXT}
    form |= {"themes": posted.getlist("themes"), "reach": posted.get("reach") or "borough",
             "areas": set(posted.getlist("areas")), "group_ids": set(posted.getlist("group_ids"))}
    problems = {}
    areas = []
    if form["reach"] == "areas":
        for value in sorted(form["areas"]):
            set_id, _, code = value.partition("|")
            areas.append({"set": set_id, "code": code})
        if not areas:
            problems["areas"] = "Tick at least one area it reached, or choose “The whole borough”."
    data = {name: form[name] for name in TEXT} | {"themes": form["themes"], "areas": areas,
                                                 "group_ids": sorted(form["group_ids"])}
    return form, data, problems


def area_choices(session, form: dict) -> list[dict]:
    """The areas of every current set (the borough aside) to tick, with how many of each set are ticked."""
    sets = sorted((s for s in boundary_sets.list_sets(session) if s.kind != "lad"),
                  key=lambda s: SET_ORDER.index(s.kind) if s.kind in SET_ORDER else len(SET_ORDER))
    choices = []
    for bset in sets:
        areas = service.area_choices(session, bset.id)
        ticked = sum(1 for code, _ in areas if f"{bset.id}|{code}" in form["areas"])
        choices.append({"set": bset, "areas": areas, "ticked": ticked})
    return choices
