"""The "Service areas" section of an area profile: which service areas serve a partnership area, or which
partnership areas a service area serves, with the shares of population and land from the coterminosity measure.

Every figure comes from :func:`geoapp.alignment.service.profile_fit` (the partnership set as A, the service
set as B): the alignment page's measure of the two whole sets, worked out once per pair of set versions and
kept in the store, so a profile only reads it and shows the same shares as the alignment page. Slivers are
left out.
"""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.orm import Session

from ..alignment.service import SetAlignment, one_area, percent, profile_fit
from ..storage import boundary_sets
from ..storage.models import SERVICE_TYPES, BoundarySet

#: Kinds of partnership set a service area's profile lists, in this order.
SERVED_KINDS = ("apb", "laf")
#: A share of land outside every service area worth saying (coasts and estuaries are drawn differently).
OUTSIDE_SAID = 0.01


def for_area(session: Session, bset: BoundarySet, code: str) -> dict:
    """The section for one stored area: the service areas serving it or, for a service area, what it serves."""
    current = boundary_sets.list_sets(session)
    if bset.kind == "service":
        results = [profile_fit(session, other.id, bset.id)
                   for kind in SERVED_KINDS for other in current if other.kind == kind]
        lines = [_kept(result, _serves, code) for result in results]
    else:
        order = [*SERVICE_TYPES, None]  # in the order of SERVICE_TYPES, sets of no type last
        served = sorted((other for other in current if other.kind == "service"),
                        key=lambda other: (order.index(other.service_type if other.service_type in order else None),
                                           other.name))
        results = [profile_fit(session, bset.id, other.id) for other in served]
        lines = [_kept(result, _served_by, code) for result in results]
    return {"direction": "serves" if bset.kind == "service" else "served by", "ignore_slivers": True,
            "lines": lines, "method": results[0].definitions()[2:] if results else []}


def _kept(result: SetAlignment, make, code: str) -> dict:
    """One area's line, made once per measured pair of sets (the alignment cache keeps it; do not change it)."""
    key = ("line", make.__name__, code)
    if key not in result.memo:
        result.memo[key] = make(result, code)
    return result.memo[key]


def _served_by(result: SetAlignment, code: str) -> dict:
    """The areas of the service set (B) sharing ground with area ``code`` of the partnership set (A)."""
    pairs = result.pairs_of("a", code)
    areas = [_share(result, "b", row.b_code, row.population, row.a_population_share, row.a_area_share)
             for row in pairs[pairs["b_code"].notna()].itertuples(index=False)]
    one, many = one_area(result.b), _plural(result.b)
    lead = f"This {one_area(result.a)} is served by " + (
        f"no {one}" if not areas else f"one {one}" if len(areas) == 1 else f"these {many}")
    outside = _number(pairs.loc[pairs["b_code"].isna(), "a_area_share"].sum()) or 0.0
    note = _sentence(f"{percent(outside)} of its land lies outside every {one}.") if outside >= OUTSIDE_SAID else ""
    return _line(result, areas, lead, note) | {"outside_area_share": outside}


def _serves(result: SetAlignment, code: str) -> dict:
    """The areas of the partnership set (A) sharing ground with service area ``code`` (B)."""
    pairs = result.pairs_of("b", code)
    pairs = pairs[pairs["a_code"].notna()]
    areas = [_share(result, "a", row.a_code, row.population, row.b_population_share, row.b_area_share)
             for row in pairs.itertuples(index=False)]
    one = one_area(result.a)
    lead = f"This {one_area(result.b)} serves " + (
        f"none of the {one}s" if not areas else f"one {one}" if len(areas) == 1 else f"these {one}s")
    fit = result.fit.b_fit.set_index("code").loc[code]
    covered = _number(fit.get("covered"))
    note = "" if covered is None else _sentence(
        f"{percent(covered)} of its land lies within the {one}s; "
        "the shares of population are of the people living in that part.")
    return _line(result, areas, lead, note) | {"covered": covered,
                                                "population": _number(result.headline["b"].get(code))}


def _line(result: SetAlignment, areas: list[dict], lead: str, note: str) -> dict:
    by_population = result.population is not None
    areas.sort(key=lambda a: (-(a["population_share"] or 0), -(a["area_share"] or 0), a["name"]))
    for area in areas:
        area["share_text"] = _share_text(area, by_population)
    listed = ": " + "; ".join(f"{a['name']}, {a['share_text']}" for a in areas) if areas else ""
    return {"set": _described(result.a), "other": _described(result.b), "lead": lead, "areas": areas,
            "note": note, "sentence": f"{lead}{listed}." + (f" {note}" if note else ""),
            "by": "population" if by_population else "area",
            "alignment": {"a": result.a["id"], "b": result.b["id"]}}


def _share(result: SetAlignment, side: str, code, population, population_share, area_share) -> dict:
    return {"set": result.a["id"] if side == "a" else result.b["id"], "code": str(code),
            "name": result.name(side, code), "people_in_common": _number(population),
            "population_share": _number(population_share), "area_share": _number(area_share)}


def _share_text(area: dict, by_population: bool) -> str:
    """ "99.9% of its population (99.4% of its land)", or the land alone without population figures."""
    land = f"{percent(area['area_share'])} of its land"
    if not by_population or area["population_share"] is None:
        return land
    people = "none" if area["population_share"] == 0 else percent(area["population_share"])
    return f"{people} of its population ({land})"


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def _described(bset: dict) -> dict:
    label = SERVICE_TYPES[bset["service_type"]][0] if bset.get("service_type") in SERVICE_TYPES else None
    return {"id": bset["id"], "name": bset["name"], "kind": bset["kind"], "service_type": bset.get("service_type"),
            "service_label": label}


def _plural(bset: dict) -> str:
    """ "NHS sub-ICB locations", "ambulance services"; "areas of <set name>" for a service set of no type."""
    if bset.get("service_type") in SERVICE_TYPES:
        label = SERVICE_TYPES[bset["service_type"]][0]
        return label if label[1:2].isupper() else label[0].lower() + label[1:]
    return f"areas of {bset['name']}"


def _number(value) -> float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return None if math.isinf(value) else value
