"""Each indicator's rank of a stored area: among every area of its set in England (or among the areas loaded,
when the store does not hold the whole set) and within its district.

Ranks are worked out for every area of the set at once, from the set's figures that the profile reads anyway
(:func:`geoapp.figures.figures`, one read per set and indicator), cached with the figures' versions and kept
in the store (:mod:`geoapp.storage.persisted`, keyed like the kept figures, so they are replaced whenever the
figures' inputs change), so a profile at national scale, or the first after a restart, reads them instead of
sorting every area again. A set counts as national when its indicator values come from a complete set of
England's small areas (as many LSOAs as the release ranks nationally) and none of those small areas lies
outside the set's areas.
"""
from __future__ import annotations

from dataclasses import fields

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.ranks import Districts, Rank, RankTable, direction, rank_table, ranks_of

from .. import districts, figures
from ..caches import MISSING, LRUCache
from ..storage import boundary_sets, persisted, postcodes
from ..storage.indicators import values_version
from ..storage.models import Indicator, IndicatorCatalogue

#: Each indicator's ranks of every area of a set (a few hundred indicators for every set of a store).
_TABLES = LRUCache("ranks of every area of a set on one indicator", 4096)
#: Raised into the keys of the ranks kept in the store, so those of an older layout are never read.
LAYOUT = 1


def for_area(session: Session, bset, code: str, figs: dict) -> dict[str, tuple[Rank, ...]]:
    """The area's ranks on each indicator shown (the latest of each series, where available)."""
    shown = {i: fig for i, fig in figures.latest_of_series(figs).items() if fig.available}
    if not shown:
        return {}
    base = (figures.store_id(session), bset.id, tuple((s.id, figures.set_version(s))
                                                      for s in boundary_sets.list_sets(session)),
            values_version(session), postcodes.state(session), figures.lookups_state(session))
    tables = {i: _TABLES.get(base + (i, fig.period)) for i, fig in shown.items()}
    missing = [i for i, table in tables.items() if table is MISSING]
    if missing:  # kept in the store by everything the figures are made from
        parts = {i: figures.inputs_state(session) + (bset.id, figures.set_version(bset), i, shown[i].period, LAYOUT)
                 for i in missing}
        rows = _rows(next(iter(shown.values())))
        kept = persisted.read_many(session, "ranks", parts)
        for indicator_id, value in kept.items():
            tables[indicator_id] = _TABLES.put(base + (indicator_id, shown[indicator_id].period),
                                               _from_store(value, rows))
        built = _build(session, bset, {i: shown[i] for i in missing if i not in kept})
        for indicator_id, table in built.items():
            tables[indicator_id] = _TABLES.put(base + (indicator_id, shown[indicator_id].period), table)
        persisted.keep_many(session, "ranks", {
            i: (parts[i], _plain(table), (i, shown[i].period)) for i, table in built.items()}, sets=(bset.id,))
    found = {}
    for indicator_id, fig in shown.items():
        _, first, worse = direction(fig.indicator["polarity"], deprivation=bool(fig.indicator["domain"]))
        table, whole, names = tables[indicator_id]
        district = table.district[row] if (row := table.codes.get(code)) is not None else None
        found[indicator_id] = ranks_of(table, code, kind=bset.kind, first=first, worse=worse, national=whole,
                                       district_name=names.get(district) if district is not None else None)
    return found


def _build(session: Session, bset, shown: dict) -> dict[str, tuple[RankTable, bool, dict]]:
    """Each indicator's ranks of every area of the set, whether the set is national for it, and the names of
    the districts holding its areas."""
    if not shown:
        return {}
    directory = districts.directory(session, bset.id)
    names = {c["code"]: c["name"] for c in directory.districts()}
    national = _National(session, bset)
    grouped = Districts.of(next(iter(shown.values())).table.index, directory.district_of)
    out = {}
    for indicator_id, fig in shown.items():
        high_first, _, _ = direction(fig.indicator["polarity"], deprivation=bool(fig.indicator["domain"]))
        out[indicator_id] = (rank_table(fig.table["value"], grouped, high_first=high_first),
                             national(indicator_id), names)
    return out


def _plain(built: tuple[RankTable, bool, dict]) -> dict:
    """What the store keeps of a set's ranks on one indicator: every field but the codes (the figures' order)."""
    table, whole, names = built
    return {f.name: getattr(table, f.name) for f in fields(table) if f.name != "codes"} | {
        "national": whole, "names": names}


def _from_store(kept: dict, rows: pd.Series) -> tuple[RankTable, bool, dict]:
    whole, names = kept.pop("national"), kept.pop("names")
    return RankTable(codes=rows, **kept), whole, names


def _rows(fig) -> pd.Series:
    """Each area's row in the figures of its set, by code (read without building a dict of every code)."""
    codes = fig.codes()
    return pd.Series(range(len(codes)), index=codes)


class _National:
    """Whether the set holds every area of England for an indicator (see the module's description), worked out
    once per set of small areas holding values."""

    def __init__(self, session: Session, bset):
        self.session, self.bset, self.by_source = session, bset, {}

    def __call__(self, indicator_id: str) -> bool:
        source = figures.indicator_set(self.session, self.session.get(Indicator, indicator_id))
        if source.id not in self.by_source:
            self.by_source[source.id] = self._national(source)
        return self.by_source[source.id]

    def _national(self, source) -> bool:
        complete = set(self.session.scalars(select(IndicatorCatalogue.national_areas).where(
            IndicatorCatalogue.set_id == source.id, IndicatorCatalogue.national_areas.is_not(None))))
        if boundary_sets.area_counts(self.session).get(source.id) not in complete:
            return False
        if source.id == self.bset.id:
            return True
        weights = figures.weights_for(self.session, source, self.bset)
        return weights is not None and not weights.placement()["outside"]
