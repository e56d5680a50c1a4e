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

from layers.ranks import Rank, direction, rank_table, ranks_of

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
    for indicator_id, fig in shown.items():
        table, national = _TABLES.get_or_build(base + (indicator_id, fig.period),
                                               lambda f=fig: _table(session, bset, f, directory))
        _, first, worse = direction(fig.indicator["polarity"], deprivation=bool(fig.indicator["domain"]))
        found[indicator_id] = ranks_of(table, code, kind=bset.kind, first=first, worse=worse, national=national,
                                       district_name=district_name)
    return found


def _table(session: Session, bset, fig, directory) -> tuple:
    high_first, _, _ = direction(fig.indicator["polarity"], deprivation=bool(fig.indicator["domain"]))
    return rank_table(fig.table["value"], directory.district_of, high_first=high_first), \
        _national(session, bset, fig.indicator["id"])


def _national(session: Session, bset, indicator_id: str) -> bool:
    """Whether the set holds every area of England for this indicator (see the module's description)."""
    indicator = session.get(Indicator, indicator_id)
    source = figures.indicator_set(session, indicator)
    complete = session.scalars(select(IndicatorCatalogue.national_areas).where(
        IndicatorCatalogue.set_id == source.id, IndicatorCatalogue.national_areas.is_not(None))).all()
    if not complete or boundary_sets.area_counts(session).get(source.id) not in complete:
        return False
    if source.id == bset.id:
        return True
    weights = figures.weights_for(session, source, bset)
    return weights is not None and not weights.placement()["outside"]
