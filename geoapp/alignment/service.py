"""Coterminosity between two stored boundary sets: load, measure once per version, describe.

The pieces, the matrix and the best fits come from :mod:`boundaries.alignment`; the population of
each piece from the LSOA population through :mod:`layers.alignment` (split by postcode points when
postcodes are loaded, else by area). Results are cached per store, both sets' versions, the population
import, the postcodes loaded and the sliver settings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from boundaries import alignment as geometry
from layers import alignment as people

from .. import figures
from ..caches import MISSING, LRUCache
from ..errors import InvalidInput, NotFound
from ..storage import boundary_sets, persisted, postcodes
from ..storage.indicators import values_version
from ..storage.models import SERVICE_TYPES

#: Alignments of this many pairs of sets are kept.
_ALIGNMENTS = LRUCache("alignment of two sets", 128)
ONE_AREA = {"lad": "borough", "apb": "area partnership board", "laf": "local area forum", "ward": "ward",
            "parish": "parish", "lsoa": "LSOA", "msoa": "MSOA", "service": "service area"}
#: Widest sliver tolerance accepted from a request, in metres.
MAX_SLIVER_WIDTH = 500.0


@dataclass(frozen=True)
class SetAlignment:
    """How two stored sets fit, with everything a page, a download or the CLI shows."""

    a: dict
    b: dict
    pieces: gpd.GeoDataFrame
    fit: geometry.Alignment
    names: dict
    population: dict | None
    sliver_width: float
    ignore_slivers: bool
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # shapes drawn from it, once
    #: Each area's population as every other page shows it, by side ("a", "b") and code.
    headline: dict = field(default_factory=dict, repr=False, compare=False)

    def name(self, side: str, code) -> str | None:
        """An area's name, for ``side`` "a" or "b"."""
        return None if code is None or _missing(code) else self.names[side].get(code, code)

    def pairs_of(self, side: str, code) -> pd.DataFrame:
        """The pairs sharing ground (area above zero) with area ``code`` of ``side`` "a" or "b"."""
        key = ("pairs of", side)
        if key not in self.memo:
            pairs = self.fit.pairs[self.fit.pairs["area_m2"] > 0]
            self.memo[key] = dict(tuple(pairs.groupby(f"{side}_code", sort=False)))
        return self.memo[key].get(code, self.fit.pairs.iloc[:0])

    def definitions(self) -> list[str]:
        """The sentences that define every figure, in the sets' own words."""
        words = {"a": self.a["name"], "b": self.b["name"], "a_one": one_area(self.a), "b_one": one_area(self.b)}
        lines = [geometry.SCORE_DEFINITION.format(**words),
                 "The reverse score swaps the two sets. Shares of population count only the population inside "
                 "the small areas (LSOAs) the Atlas holds; an area reaching beyond them says how much of its "
                 "land lies inside (\"covered\").",
                 geometry.SLIVER_DEFINITION.format(width=self.sliver_width)]
        lines.append("Slivers are left out of every share and score." if self.ignore_slivers
                     else "Slivers are counted in the shares and listed separately.")
        if self.population:
            p = self.population
            lines.append(f"Population: {p['title']} ({p['period']}, {p['source']}), {p['method']}.")
        else:
            lines.append("No population is loaded: every share and best fit is by land area.")
        return lines

    def sentence(self) -> str:
        """The relationship in one plain sentence."""
        a, b = self.a["name"], self.b["name"]
        ab, ba = percent(self.fit.scores["a_in_b"]), percent(self.fit.scores["b_in_a"])
        return {
            "coterminous": f"{a} and {b} are coterminous: each area of one lies within one area of the other "
                           f"({ab} and {ba} of the population in the best fit).",
            "A nests in B": f"{a} nest within {b}: {ab} of the population lies in the best-fit area of "
                            f"{b}; the reverse is {ba} (areas of {b} hold several of {a} or reach beyond them).",
            "B nests in A": f"{b} nest within {a}: {ba} of the population lies in the best-fit area of "
                            f"{a}; the reverse is {ab}.",
        }.get(self.fit.relationship(), f"{a} and {b} are partly aligned: {ab} of the population of {a} lies in "
                                        f"the best-fit area of {b}, {ba} the other way.")


def one_area(bset: dict) -> str:
    """What one area of a set is called, in lower case: "ward", "area partnership board", "sub-ICB location"."""
    if bset["kind"] == "service" and bset.get("service_type") in SERVICE_TYPES:
        return SERVICE_TYPES[bset["service_type"]][2]
    return ONE_AREA.get(bset["kind"], "area")


def measure_sets(session: Session, a_id: str, b_id: str, *, sliver_width: float = geometry.SLIVER_WIDTH_M,
                 ignore_slivers: bool = False, a_codes=None, b_codes=None) -> SetAlignment:
    """Measure how two stored sets fit (cached; callers must not modify the result).

    ``a_codes`` or ``b_codes`` restrict a side to some of its areas (a profile needs one area): every
    share of those areas is the same as in the whole sets' measure, at a fraction of the cost.
    """
    if a_id == b_id:
        raise InvalidInput("Choose two different boundary sets to compare.")
    if not (0 <= sliver_width <= MAX_SLIVER_WIDTH) or math.isnan(sliver_width):
        raise InvalidInput(f"The sliver width must be between 0 and {MAX_SLIVER_WIDTH:g} metres.")
    set_a, set_b = boundary_sets.get_set(session, a_id), boundary_sets.get_set(session, b_id)
    source = _source(session)
    key = (figures.store_id(session), a_id, figures.set_version(set_a), set_a.name, set_a.service_type, b_id,
           figures.set_version(set_b), set_b.name, set_b.service_type,
           source and figures.set_version(source), values_version(session), postcodes.state(session),
           float(sliver_width), bool(ignore_slivers), _key(a_codes), _key(b_codes))
    found = _ALIGNMENTS.get(key)
    if found is not MISSING:
        return found
    a_areas, b_areas = _areas(session, a_id, a_codes), _areas(session, b_id, b_codes)
    small = population = layer = small_side = members = None
    if source is not None:
        layer = figures.small_population(session)
    if layer is not None:
        population = layer[0]
        members = _members(session, source, set_a, set_b, population, a_codes, b_codes)
        if members is None:  # no postcodes: by area of overlap
            small_side = "a" if source.id == a_id and a_codes is None else \
                "b" if source.id == b_id and b_codes is None else None
            small = {"a": a_areas, "b": b_areas}.get(small_side)
            if small is None:
                small = _near(boundary_sets.load_areas(session, source.id),
                              a_areas if a_codes is not None else b_areas if b_codes is not None else None)
        else:
            small = _near(boundary_sets.load_areas(session, source.id),
                          a_areas if a_codes is not None else b_areas if b_codes is not None else None)
    pieces, fit, found = people.measure(a_areas[["code", "geometry"]], b_areas[["code", "geometry"]],
                                        small=small, population=population, sliver_width=sliver_width,
                                        ignore_slivers=ignore_slivers, small_side=small_side, members=members)
    described = None
    if found is not None:
        indicator, period = layer[1], layer[2]
        described = {"indicator": indicator.id, "title": indicator.title, "source": indicator.source,
                     "period": period, "method": found.method, "unplaced": found.unplaced,
                     "points": 0 if members is None else members["postcodes"]}
    result = SetAlignment(
        a=boundary_sets.set_summary(set_a), b=boundary_sets.set_summary(set_b), pieces=pieces, fit=fit,
        names={"a": dict(zip(a_areas["code"], a_areas["name"])), "b": dict(zip(b_areas["code"], b_areas["name"]))},
        population=described, sliver_width=float(sliver_width), ignore_slivers=bool(ignore_slivers),
        headline={side: _headline(session, bset_id) for side, bset_id in (("a", a_id), ("b", b_id))})
    return _ALIGNMENTS.put(key, result)


def profile_fit(session: Session, a_id: str, b_id: str) -> SetAlignment:
    """:func:`measure_sets` of two whole sets with slivers left out, as profiles show it, without the pieces'
    shapes (``pieces`` is a plain frame): worked out once per version of the two sets (and of the population
    and postcodes they are peopled from) and kept in the store, so a profile, in any process, only reads it.
    """
    set_a, set_b = boundary_sets.get_set(session, a_id), boundary_sets.get_set(session, b_id)
    source = _source(session)
    parts = (a_id, figures.set_version(set_a), b_id, figures.set_version(set_b),
             source and source.id, source and figures.set_version(source), values_version(session),
             postcodes.state(session), float(geometry.SLIVER_WIDTH_M), True)
    key = ("profile fit", figures.store_id(session), *parts)
    found = _ALIGNMENTS.get(key)
    if found is not MISSING:
        return found
    stored = persisted.read(session, "alignment", parts)
    if stored is None:
        measured = measure_sets(session, a_id, b_id, ignore_slivers=True)
        stored = {"pieces": pd.DataFrame(measured.pieces.drop(columns=measured.pieces.geometry.name)),
                  "pairs": measured.fit.pairs, "a_fit": measured.fit.a_fit, "b_fit": measured.fit.b_fit,
                  "scores": measured.fit.scores, "names": measured.names, "population": measured.population}
        persisted.keep(session, "alignment", parts, stored, sets=(a_id, b_id))
    fit = geometry.Alignment(stored["pairs"], stored["a_fit"], stored["b_fit"], scores=stored["scores"],
                             ignore_slivers=True)
    result = SetAlignment(
        a=boundary_sets.set_summary(set_a), b=boundary_sets.set_summary(set_b), pieces=stored["pieces"], fit=fit,
        names=stored["names"], population=stored["population"], sliver_width=float(geometry.SLIVER_WIDTH_M),
        ignore_slivers=True, headline={side: _headline(session, i) for side, i in (("a", a_id), ("b", b_id))})
    return _ALIGNMENTS.put(key, result)


def _headline(session: Session, set_id: str) -> dict:
    """Each area's population as the profiles show it (empty without a population)."""
    people = figures.population(session, set_id)
    return {} if people is None else {c: float(v) for c, v in people.values.items() if pd.notna(v)}


def _members(session: Session, source, set_a, set_b, population: pd.Series, a_codes, b_codes) -> dict | None:
    """The postcodes with their people and the area of each set they count in, as the figures count them
    (None without postcodes). A one-area measure keeps the postcodes of its chosen areas."""
    points = figures.point_population(session, source)
    if points is None:
        return None
    codes = {}
    for side, bset in (("a", set_a), ("b", set_b)):
        index = figures.members(session, source, bset)
        names = np.asarray(boundary_sets.load_areas(session, bset.id)["code"], dtype=object)
        codes[side] = np.where(index >= 0, names[np.maximum(index, 0)], None)
    keep = np.ones(len(points.points), dtype=bool)
    for side, chosen in (("a", a_codes), ("b", b_codes)):
        if chosen is not None:
            keep &= np.isin(codes[side], list(chosen))
    values = pd.to_numeric(population.reindex(list(points.source_codes)), errors="coerce").fillna(0.0).to_numpy()
    return {"points": points.points[keep], "people": (values[points.source] * points.share)[keep],
            "a": codes["a"][keep], "b": codes["b"][keep], "postcodes": int(keep.sum()),
            "method": f"{source.name}: each LSOA's population {points.phrase}"}


def _areas(session: Session, set_id: str, codes) -> gpd.GeoDataFrame:
    areas = boundary_sets.load_areas(session, set_id, None if codes is None else list(codes))
    if codes is not None and len(areas) < len(set(codes)):
        missing = sorted(set(codes) - set(areas["code"]))
        raise NotFound(f"The boundary set '{set_id}' has no area with the code {', '.join(missing[:5])}.")
    return areas


def _near(small: gpd.GeoDataFrame, chosen: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The small areas that can meet the pieces: those within reach of the chosen areas (all without a choice).

    The other set is clipped to the chosen areas' bounds widened by ``REACH_M`` before the cut, so no piece
    lies beyond that box; a profile of one ward then loads the postcodes of a few LSOAs, not the borough's.
    """
    if chosen is None or chosen.empty:
        return small
    minx, miny, maxx, maxy = chosen.total_bounds
    reach = geometry.REACH_M
    return small[small.intersects(shapely.box(minx - reach, miny - reach, maxx + reach, maxy + reach))]


def _key(codes) -> tuple | None:
    return None if codes is None else tuple(sorted(set(codes)))


def _source(session: Session):
    try:
        return figures.source_set(session)
    except NotFound:  # no LSOA set: shares by area only
        return None


def percent(share: float | None) -> str:
    """A share as a percentage with one decimal, never rounded to 0% or 100% when it is neither.

    >>> percent(0.99981), percent(0.0002), percent(1.0), percent(0.2694), percent(None)
    ('more than 99.9%', 'less than 0.1%', '100%', '26.9%', 'no figure')
    """
    if share is None or _missing(share):
        return "no figure"
    if share in (0, 1):
        return f"{share:.0%}"
    text = f"{100 * share:.1f}%"
    return {"100.0%": "more than 99.9%", "0.0%": "less than 0.1%"}.get(text, text)


def _missing(value) -> bool:
    return bool(pd.isna(value))
