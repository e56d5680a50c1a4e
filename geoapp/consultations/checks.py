"""The checks an activity passes before it is stored: every field, every problem named, plain words."""
from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

import shapely
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from layers.groups import THEMES

from ..errors import InvalidInput
from ..storage.models import MAX_ID, Area, BoundarySet, CommunityGroup

METHODS = ("survey", "public meeting", "focus group", "drop-in", "workshop", "online forum", "door-knocking",
           "citizens' panel", "other")
FIELDS = ("title", "organiser", "topic", "themes", "method", "starts_on", "ends_on", "results_url", "description",
          "areas", "group_ids", "location")
#: How each field is named to the person filling in the form.
LABELS = {"title": "Title", "organiser": "Organiser", "topic": "Topic", "themes": "Themes", "method": "Method",
          "starts_on": "Start date", "ends_on": "End date", "results_url": "Link to the results",
          "description": "Description", "areas": "Areas reached", "group_ids": "Community groups reached",
          "location": "Location"}
LENGTHS = {"title": 300, "organiser": 300, "topic": 2000, "results_url": 500, "description": 10000}
#: Plausible British National Grid coordinates (metres).
GRID = (0, 0, 700_000, 1_300_000)


class ConsultationInvalid(InvalidInput):
    """An activity with problems in named fields; ``fields`` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("The activity has problems: nothing was saved.",
                         details=[f"{LABELS.get(f, f)}: {message}" for f, message in fields.items()])
        self.fields = fields


def clean(session: Session, data: dict) -> dict:
    """The column values for ``data``, or :class:`ConsultationInvalid` naming every field at fault."""
    problems: dict[str, str] = {}
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ConsultationInvalid({"fields": f"Unknown field{'s' if len(unknown) > 1 else ''} "
                                             f"{', '.join(unknown)}; the fields are {', '.join(FIELDS)}."})
    values = {}
    for name in ("title", "organiser", "topic", "description", "results_url"):
        text = data.get(name)
        text = "" if text is None else str(text).strip()
        if len(text) > LENGTHS[name]:
            problems[name] = f"This can be at most {LENGTHS[name]:,} characters long; it has {len(text):,}."
        values[name] = text or None
    if not values["title"]:
        problems["title"] = "Give the activity a title, for example “Parks survey 2025”."
    if not values["organiser"]:
        problems["organiser"] = "Say who ran it, for example the council, the police or a charity."
    if values["results_url"] and "results_url" not in problems:
        problems |= _url_problem(values["results_url"])
    values["method"] = str(data.get("method") or "").strip()
    if values["method"] not in METHODS:
        problems["method"] = (f"“{values['method']}” is not one of the methods; choose one of: {', '.join(METHODS)}."
                              if values["method"] else "Choose how it was done, for example survey or drop-in.")
    values["themes"], problem = _themes(data.get("themes"))
    if problem:
        problems["themes"] = problem
    values["starts_on"], problem = parse_date(data.get("starts_on"), required=True)
    if problem:
        problems["starts_on"] = problem
    values["ends_on"], problem = parse_date(data.get("ends_on"), required=False)
    if problem:
        problems["ends_on"] = problem
    elif values["ends_on"] and values["starts_on"] and values["ends_on"] < values["starts_on"]:
        problems["ends_on"] = (f"The end date ({values['ends_on']:%d/%m/%Y}) is before the start date "
                               f"({values['starts_on']:%d/%m/%Y}).")
    values["areas"], problem = _areas(session, data.get("areas"))
    if problem:
        problems["areas"] = problem
    values["group_ids"], problem = _groups(session, data.get("group_ids"))
    if problem:
        problems["group_ids"] = problem
    values["location"], problem = _location(data.get("location"))
    if problem:
        problems["location"] = problem
    if problems:
        raise ConsultationInvalid({f: problems[f] for f in FIELDS if f in problems})
    return values


DATE_FORMS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(value, *, required: bool) -> tuple[date | None, str | None]:
    """A date from a ``date``, ISO text (2025-03-14) or British text (14/03/2025): (date, None) or
    (None, what is wrong).

    >>> parse_date("14/03/2025", required=True)
    (datetime.date(2025, 3, 14), None)
    >>> parse_date("", required=False)
    (None, None)
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value, None
    text = "" if value is None else str(value).strip()
    if not text:
        return None, ("Give the date, for example 14/03/2025." if required else None)
    for form in DATE_FORMS:
        try:
            day = datetime.strptime(text, form).date()
        except ValueError:
            continue
        if not 1990 <= day.year <= 2100:
            return None, f"“{text}” is not a likely date: give a year from 1990 to 2100."
        return day, None
    return None, f"“{text}” is not a date: give it as day/month/year, for example 14/03/2025."


def _url_problem(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", url):
        return {"results_url": "Give a web address starting with https:// (or http://), "
                               "for example https://www.example.org/results."}
    return {}


def _themes(value) -> tuple[list[str], str | None]:
    given = [value] if isinstance(value, str) else list(value or [])
    themes = []
    for theme in given:
        theme = str(theme).strip()
        if theme and theme not in themes:
            themes.append(theme)
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        return themes, (f"Not a partnership theme: {', '.join(f'“{t}”' for t in unknown)}. "
                        f"Choose from: {'; '.join(THEMES)}.")
    return [t for t in THEMES if t in themes], None


def _areas(session: Session, value) -> tuple[list[dict], str | None]:
    """The listed areas as [{"set", "code"}], each checked to be an area of a current boundary set."""
    if value in (None, ""):
        return [], None
    if not isinstance(value, (list, tuple)) or not all(isinstance(a, dict) for a in value):
        return [], "List the areas as boundary set and area code pairs ({\"set\": ..., \"code\": ...})."
    areas = []
    for entry in value:
        pair = {"set": str(entry.get("set") or "").strip(), "code": str(entry.get("code") or "").strip()}
        if not pair["set"] or not pair["code"]:
            return [], "Each area needs its boundary set and its code."
        if pair not in areas:
            areas.append(pair)
    known = set(session.execute(
        select(Area.set_id, Area.code).join(BoundarySet, BoundarySet.id == Area.set_id)
        .where(BoundarySet.superseded_by.is_(None),
               tuple_(Area.set_id, Area.code).in_(sorted((a["set"], a["code"]) for a in areas)))).all())
    missing = [f"{a['code']} in “{a['set']}”" for a in areas if (a["set"], a["code"]) not in known]
    if missing:
        return areas, f"The Atlas has no area {', '.join(missing)}: choose areas from the lists."
    return areas, None


def _groups(session: Session, value) -> tuple[list[int], str | None]:
    """Ids of published community groups, each checked."""
    given = [value] if isinstance(value, (str, int)) else list(value or [])
    ids = []
    for raw in given:
        text = str(raw).strip()
        if not text:
            continue
        if isinstance(raw, bool) or not text.isdigit() or int(text) > MAX_ID:
            return [], f"“{text}” is not a group number: choose groups from the list."
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        return [], None
    published = set(session.scalars(select(CommunityGroup.id).where(CommunityGroup.id.in_(ids),
                                                                    CommunityGroup.status == "published")))
    missing = [i for i in ids if i not in published]
    if missing:
        return ids, (f"No published community group is numbered {', '.join(map(str, missing))}: "
                     "choose groups from the list.")
    return ids, None


def _location(value) -> tuple[object, str | None]:
    """A point in British National Grid metres from {"easting", "northing"}, or None."""
    if value in (None, "", {}):
        return None, None
    if isinstance(value, shapely.Point):
        x, y = value.x, value.y
    elif isinstance(value, dict):
        try:
            x, y = float(value["easting"]), float(value["northing"])
        except (KeyError, TypeError, ValueError):
            return None, "Give the location as an easting and a northing in metres (British National Grid)."
    else:
        return None, "Give the location as an easting and a northing in metres (British National Grid)."
    if not (GRID[0] <= x <= GRID[2] and GRID[1] <= y <= GRID[3]):
        return None, f"{x:.0f}, {y:.0f} is not in Great Britain: give an easting and a northing in metres."
    return shapely.Point(x, y), None
