"""Each indicator's rank of a stored area: among every area of its set in England (or among the areas loaded,
when the store does not hold the whole set) and within its district.

Ranks are worked out for every area of the set at once, from the set's figures that the profile reads anyway
(:func:`geoapp.figures.figures`, one read per set and indicator), and cached with the figures' versions, so a
profile at national scale reads no more than one at borough scale. A set counts as national when its indicator
values come from a complete set of England's small areas (as many LSOAs as the release ranks nationally) and
none of those small areas lies outside the set's areas.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.ranks import Districts, Rank, direction, rank_table, ranks_of

from .. import districts, figures
from ..caches import LRUCache
from ..storage import boundary_sets, postcodes
from ..storage.indicators import values_version
from ..storage.models import Indicator, IndicatorCatalogue

#: Each indicator's ranks of every area of a set (a few hundred indicators for every set of a store).
_TABLES = LRUCache("ranks of every area of a set on one indicator", 4096)


def for_area(session: Session, bset, code: str, figs: dict) -> dict[str, tuple[Rank, ...]]:
    """The area's ranks on each indicator shown (the latest of each series, where available)."""
    shown = {i: fig for i, fig in figures.latest_of_series(figs).items() if fig.available}
    if not shown:
        return {}
    directory = districts.directory(session, bset.id)
    district = directory.district_of.get(code)
    district_name = directory.district_name(district) if district else None
    base = (figures.store_id(session), bset.id, tuple((s.id, figures.set_version(s))
                                                      for s in boundary_sets.list_sets(session)),
            values_version(session), postcodes.state(session))
    found = {}
    national = _National(session, bset)
    grouped = []  # the set's areas numbered by district, made once for every indicator ranked now

    def build(fig, high_first: bool) -> tuple:
        if not grouped:
            grouped.append(Districts.of(fig.table.index, directory.district_of))
        return rank_table(fig.table["value"], grouped[0], high_first=high_first), national(fig.indicator["id"])

    for indicator_id, fig in shown.items():
        high_first, first, worse = direction(fig.indicator["polarity"], deprivation=bool(fig.indicator["domain"]))
        table, whole = _TABLES.get_or_build(base + (indicator_id, fig.period),
                                            lambda f=fig, h=high_first: build(f, h))
        found[indicator_id] = ranks_of(table, code, kind=bset.kind, first=first, worse=worse, national=whole,
                                       district_name=district_name)
    return found


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
