"""Find your area: a postcode, outward code, place, ward or partnership area's name or code, to its profiles.

:func:`find` serves the profiles index, its JSON twin and the home map's search box. A full postcode lists
every area (of every current boundary set) holding its point, finest set first; an outward code ("CH1") the
areas holding any of its postcodes; anything else matches area names (any case, accents and punctuation
ignored) and codes. What cannot be found comes back with a message saying what to type instead.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import shapely

from boundaries.points import areas_holding
from layers.maps import LIST_ORDER
from layers.text import fold
from layers.weights import NEAREST_M

from .. import districts
from ..errors import NotFound
from ..storage import boundary_sets, postcodes
from .read import kind_name

#: Longer queries are refused with a message (and kept in the box).
MAX_LENGTH = 100
#: What the search box takes, in the words of its messages.
WHAT_TO_TYPE = "a full postcode (such as CH1 5AD), or a place, ward or area partnership board name or code"
_OUTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")


@dataclass
class Found:
    """What a query found: ``areas`` in order (finest first by postcode), the same by set, or a message."""

    query: str
    by: str  # "everything" (no query), "postcode", "outcode" or "name"
    areas: list[dict]  # set, set_name, kind, kind_name, code, name (and postcodes, for an outward code)
    sets: list[dict] = field(default_factory=list)  # every set's summary with its areas found
    postcode: str | None = None  # the postcode or outward code searched, normalised
    message: str | None = None  # what to change when nothing was found

    @property
    def summary(self) -> str | None:
        """What was found, in words, for the results' heading ("3 areas match “upton”"); None without a query."""
        n = len(self.areas)
        areas = f"{n} area{'s' if n != 1 else ''}"
        if self.by == "everything":
            return None
        if not n:
            return f"No areas found for {self.postcode or f'“{self.query}”'}"
        if self.by == "postcode":
            return f"{areas} {'contain' if n != 1 else 'contains'} {self.postcode}"
        if self.by == "outcode":
            return f"{areas} {'hold' if n != 1 else 'holds'} postcodes in {self.postcode}"
        return f"{areas} {'match' if n != 1 else 'matches'} “{self.query}”"

    @property
    def only(self) -> dict | None:
        """The one area a query found, to go straight to its profile."""
        return self.areas[0] if self.by != "everything" and len(self.areas) == 1 else None


def find(session, text, *, limit: int | None = None) -> Found:
    """The areas ``text`` names: see the module's description. Never raises for any text.

    Each set's summary in ``sets`` says how many areas it has (``area_count``) and how many were found
    (``found``); without a query it lists the areas (``areas``) of each set of at most ``limit`` areas, and
    none (null) of a larger set, which is browsed a page at a time (:func:`browse`).
    """
    query = " ".join("".join(c for c in str(text or "") if unicodedata.category(c) != "Cc").split())
    sets = _listed(session)
    about = {s.id: {"set": s.id, "set_name": s.name, "kind": s.kind,
                    "kind_name": kind_name(s.kind, boundary_sets.set_summary(s))} for s in sets}
    if not query:
        found = Found("", "everything", [])
    elif len(query) > MAX_LENGTH:
        found = Found(query, "name", [], message=f"That is {len(query)} characters; type at most {MAX_LENGTH}: "
                                                 f"{WHAT_TO_TYPE}.")
    elif postcode := postcodes.normalise(query):
        found = _by_postcode(session, about, query, postcode)
    else:
        found = _by_outcode(session, about, query) or _by_name(session, about, query)
    counts = boundary_sets.area_counts(session)
    hits = Counter(area["set"] for area in found.areas)
    found.sets = []
    for s in sets:
        summary = boundary_sets.set_summary(s) | {"area_count": counts.get(s.id, 0), "found": hits[s.id]}
        if found.by == "everything":
            small = limit is None or summary["area_count"] <= limit
            summary["areas"] = _areas(session, s.id) if small else None
        found.sets.append(summary)
    return found


def browse(session, set_id: str, *, district: str | None = None, words: str | None = None,
           letter: str | None = None) -> dict:
    """A large set's areas to page through: those in ``district``, beginning with ``letter`` and matching
    ``words`` (name or code), by name, each with its district; with the set's districts and first letters."""
    directory = districts.directory(session, set_id)
    if district and directory.district_name(district) is None:
        raise NotFound(f"No area of the set '{set_id}' lies in a district with the code '{district}'.")
    chosen = directory.select(district=district, words=words, letter=letter)
    return {"set": boundary_sets.set_summary(boundary_sets.get_set(session, set_id)),
            "districts": directory.districts(), "letters": directory.letters(),
            "district": {"code": district, "name": directory.district_name(district)} if district else None,
            "areas": chosen[["code", "name", "district", "district_name"]].to_dict("records")}


def _areas(session, set_id: str) -> list[dict]:
    areas = districts.directory(session, set_id).areas
    return [{"code": c, "name": n} for c, n in zip(areas["code"], areas["name"])]


def _listed(session) -> list:
    """Current sets, the borough and partnership areas first, service areas last."""
    order = {kind: n for n, kind in enumerate(LIST_ORDER)}
    return sorted(boundary_sets.list_sets(session), key=lambda s: order.get(s.kind, len(order)))


def _named(session, about: dict, query: str) -> list[dict]:
    """Areas whose name holds every word of ``query`` or whose code is ``query``: the exact names first in
    each set, then by name."""
    wanted = fold(query)
    rows = []
    for position, set_id in enumerate(about):
        matched = districts.directory(session, set_id).select(words=query)
        for code, name, folded in zip(matched["code"], matched["name"], matched["folded"]):
            rows.append((position, folded != wanted, name.casefold(), code, set_id, name))
    rows.sort(key=lambda r: r[:4])
    return [about[set_id] | {"code": code, "name": name} for *_, code, set_id, name in rows]


def _by_name(session, about: dict, query: str) -> Found:
    if not fold(query):
        return Found(query, "name", [], message=f"“{query}” has no letters or numbers to search for. "
                                                f"Type {WHAT_TO_TYPE}.")
    areas = _named(session, about, query)
    message = None if areas else (f"No area's name or code matches “{query}”. Check the spelling, or type part "
                                  "of the name; the box also takes a full postcode (such as CH1 5AD).")
    return Found(query, "name", areas, message=message)


def _by_postcode(session, about: dict, query: str, postcode: str) -> Found:
    found = postcodes.lookup(session, [postcode]).iloc[0]
    instead = "try a neighbouring postcode, or search by place, ward or area partnership board name"
    message = None
    if found["status"] == "unknown postcode" and not postcodes.count(session):
        message = (f"No postcode list is loaded here yet, so {postcode} cannot be placed: search by place, ward "
                   "or area partnership board name or code instead. (An officer loads postcodes with geoapp "
                   "import-postcodes.)")
    elif found["status"] == "unknown postcode":
        message = (f"The postcode {postcode} is not known here: it is not in the postcode list the Atlas holds. "
                   f"Check it, or {instead}.")
    elif found["terminated"] is not None and not pd.isna(found["terminated"]):
        message = (f"The postcode {postcode} is no longer in use (it ended in "
                   f"{found['terminated']:%B %Y}), so it is not known here. Type the postcode in use now, or "
                   f"{instead}.")
    elif found["status"] == "no coordinates":
        message = (f"The postcode {postcode} has no map position in the postcode list (it may be a PO box or a "
                   f"large business's own postcode), so it is not known here. Check it, or {instead}.")
    if message:
        return Found(query, "postcode", [], postcode=postcode, message=message)
    areas = _holding(session, about, [shapely.Point(found["easting"], found["northing"])], count=False)
    message = None if areas else (f"The postcode {postcode} lies outside every area the Atlas holds. Type a "
                                  "postcode inside the area, or a place, ward or area partnership board name.")
    return Found(query, "postcode", areas, postcode=postcode, message=message)


def _by_outcode(session, about: dict, query: str) -> Found | None:
    """Areas holding the postcodes of an outward code; None when ``query`` is not one the store holds."""
    outcode = query.replace(" ", "").upper()
    if not _OUTCODE.fullmatch(outcode):
        return None
    points = postcodes.outcode_points(session, outcode)
    if points.empty:
        return None
    areas = _holding(session, about, shapely.points(points[["easting", "northing"]].to_numpy()), count=True)
    return Found(query, "outcode", areas, postcode=outcode,
                 message=None if areas else f"The postcodes of {outcode} lie outside every area the Atlas holds.")


def _holding(session, about: dict, points, *, count: bool) -> list[dict]:
    """Areas holding any of ``points`` (EPSG:27700), finest set first (the smallest areas on average); with
    ``count``, how many of the points each holds, most first within a set."""
    xy = shapely.get_coordinates(points)
    box = (*(xy.min(axis=0) - NEAREST_M), *(xy.max(axis=0) + NEAREST_M))
    candidates = boundary_sets.areas_meeting(session, box)
    sizes = boundary_sets.area_directory(session).groupby("set_id")["area_m2"].mean()
    rows = []
    for set_id, areas in candidates.groupby("set_id", sort=False):
        held = areas_holding(areas, points, gap=NEAREST_M).groupby("area").size()
        for position, number in held.items():
            area = areas.iloc[position]
            rows.append((sizes[set_id], set_id, -number, area["name"],
                         about[set_id] | {"code": area["code"], "name": area["name"]}
                         | ({"postcodes": int(number)} if count else {})))
    return [row[-1] for row in sorted(rows, key=lambda r: r[:4])]
