"""What an alignment shows: the summary, ranked fits, the matrix, lookups and misaligned parts.

Shared by the page, its JSON/CSV/GeoJSON twins and the ``geoapp alignment`` and ``geoapp lookup``
commands, so every place gives the same figures.
"""
from __future__ import annotations

import math
import re

import geopandas as gpd
import pandas as pd
import shapely

from boundaries.crs import to_display

from ..storage.models import SERVICE_TYPES
from .service import SetAlignment

#: ONS entity prefixes for lookup columns ("LSOA11CD", "WD19NM").
KIND_PREFIX = {"lsoa": "LSOA", "msoa": "MSOA", "ward": "WD", "lad": "LAD", "parish": "PAR", "apb": "APB",
               "laf": "LAF", "service": "SRV"}
SIDES = {"a": ("a_fit", "b"), "b": ("b_fit", "a")}
#: Decimal places kept for shares in downloads.
PLACES = 6


def summary(result: SetAlignment, *, worst: int = 10) -> dict:
    """The JSON-ready summary: both sets, scores, relationship, definitions and the worst-fitting areas."""
    fit = result.fit
    return {
        "a": result.a, "b": result.b,
        "scores": {key: _number(value) for key, value in fit.scores.items()},
        "relationship": fit.relationship(), "sentence": result.sentence(),
        "definitions": result.definitions(), "population": result.population,
        "sliver_width_m": result.sliver_width, "ignore_slivers": result.ignore_slivers,
        "slivers": sliver_summary(result),
        "worst": {"a": fits(result, "a")[:worst], "b": fits(result, "b")[:worst]},
    }


def fits(result: SetAlignment, side: str) -> list[dict]:
    """Each area of one side with its best fit, worst-fitting first (largest share outside its best fit)."""
    frame_name, other = SIDES[side]
    frame = getattr(result.fit, frame_name).sort_values(["outside", "code"], ascending=[False, True],
                                                         kind="stable")
    rows = []
    for row in frame.itertuples(index=False):
        rows.append({
            "code": row.code, "name": result.name(side, row.code),
            "best_fit": _text(row.best_fit), "best_fit_name": result.name(other, _text(row.best_fit)),
            "share": _number(row.share), "outside": _number(row.outside), "area_share": _number(row.area_share),
            "by": row.by, "partners": int(row.partners),
            "population": _number(result.headline[side].get(row.code) if result.headline.get(side)
                                  else row.population),
            "area_km2": _number(row.area_m2 / 1e6), "sliver_km2": _number(row.sliver_area_m2 / 1e6),
            "covered": _number(getattr(row, "covered", float("nan"))),
        })
    return rows


def matrix(result: SetAlignment) -> list[dict]:
    """Every pair of areas sharing ground, and each area's part outside the other set, with the four shares."""
    rows = []
    pairs = result.fit.pairs
    for row in pairs[pairs["area_m2"] > 0].itertuples(index=False):  # not pairs of ignored slivers only
        a, b = _text(row.a_code), _text(row.b_code)
        rows.append({
            "a_code": a, "a_name": result.name("a", a), "b_code": b, "b_name": result.name("b", b),
            "population": _number(row.population), "area_km2": _number(row.area_m2 / 1e6),
            "a_population_share": _number(row.a_population_share), "a_area_share": _number(row.a_area_share),
            "b_population_share": _number(row.b_population_share), "b_area_share": _number(row.b_area_share),
            "sliver_km2": _number(row.sliver_area_m2 / 1e6), "sliver_population": _number(row.sliver_population),
        })
    return rows


def sliver_summary(result: SetAlignment) -> dict:
    """How many slivers there are, their land area and population."""
    slivers = result.pieces[result.pieces["sliver"]]
    pairs = result.fit.pairs
    return {"count": int(len(slivers)), "area_km2": _number(slivers["area_m2"].sum() / 1e6),
            "population": _number(pairs["sliver_population"].sum()), "width_m": result.sliver_width}


def lookup(result: SetAlignment, direction: str = "a_to_b", *, shares: bool = False) -> pd.DataFrame:
    """The best-fit lookup in the layout of ONS lookups: ``LSOA11CD, LSOA11NM, WD19CD, WD19NM, ObjectId``.

    Areas overlapping nothing in the other set keep blank "to" columns. With ``shares`` two more
    columns say what share of each area lies in its best fit and whether by population or by area.
    """
    side, other = ("a", "b") if direction == "a_to_b" else ("b", "a")
    source, target = column_prefix(getattr(result, side)), column_prefix(getattr(result, other))
    if target == source:
        target += "_2"
    table = result.fit.lookup(direction)
    frame = pd.DataFrame({
        f"{source}CD": table["from_code"], f"{source}NM": [result.name(side, c) for c in table["from_code"]],
        f"{target}CD": [_text(c) for c in table["to_code"]],
        f"{target}NM": [result.name(other, _text(c)) for c in table["to_code"]],
    })
    if shares:
        frame["SHARE"] = table["share"].round(PLACES).to_numpy()
        frame["BY"] = table["by"].to_numpy()
    frame["ObjectId"] = range(1, len(frame) + 1)
    return frame


def column_prefix(bset: dict) -> str:
    """ONS-style prefix with the vintage's year: ward sets of 2019 give "WD19", LSOAs of 2011 "LSOA11"."""
    if bset["kind"] == "service" and bset.get("service_type") in SERVICE_TYPES:
        entity = SERVICE_TYPES[bset["service_type"]][1]
    else:
        entity = KIND_PREFIX.get(bset["kind"], "AREA")
    year = re.search(r"(?:19|20)(\d\d)", bset.get("vintage") or "")
    return entity + (year.group(1) if year else "")


def misaligned(result: SetAlignment, side: str = "a") -> dict:
    """GeoJSON (WGS 84) of the parts of each area of ``side`` lying outside its best fit.

    Slivers are marked ``"sliver": true`` and left out when slivers are ignored.  Kept with the result
    (which is cached), so it is drawn once; callers must not modify it.
    """
    if ("misaligned", side) in result.memo:
        return result.memo[("misaligned", side)]
    frame_name, other = SIDES[side]
    best = getattr(result.fit, frame_name).set_index("code")["best_fit"]
    pieces = result.pieces
    own, theirs = pieces[f"{side}_code"], pieces[f"{other}_code"]
    keep = own.notna() & (theirs.isna() | (theirs != own.map(best)))
    if result.ignore_slivers:
        keep &= ~pieces["sliver"]
    chosen = pieces[keep & ~pieces.geometry.is_empty]  # land far beyond the other set has no shape here
    shown = to_display(gpd.GeoDataFrame(geometry=shapely.set_precision(chosen.geometry.array, 0.5),
                                        crs=chosen.crs))
    features = []
    for row, geom in zip(chosen.itertuples(index=False), shown.geometry, strict=True):
        code, partner = getattr(row, f"{side}_code"), _text(getattr(row, f"{other}_code"))
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": {
            "code": code, "name": result.name(side, code), "in": partner, "in_name": result.name(other, partner),
            "best_fit": _text(best.get(code)), "best_fit_name": result.name(other, _text(best.get(code))),
            "area_km2": _number(row.area_m2 / 1e6), "sliver": bool(row.sliver)}})
    found = {"type": "FeatureCollection", "features": features}
    result.memo[("misaligned", side)] = found
    return found


def _number(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _text(value):
    return None if value is None or pd.isna(value) else str(value)
