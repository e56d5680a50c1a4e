"""The credit lines of every dataset in the store, as loaded: for every page's footer and the board pack's
sources. Each boundary set, indicator catalogue (and the comparators worked out from it), postcode file and
published list of community groups keeps the licence or attribution line it was loaded with."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .storage import postcodes
from .storage.boundary_sets import list_sets
from .storage.memo import remembered
from .storage.models import CommunityGroup, ComparatorValue, Indicator, IndicatorCatalogue


@dataclass(frozen=True)
class Credit:
    """One credit line and the loaded datasets it is for, e.g. ``("Boundary set: Wards (2019)", ...)``."""

    text: str
    datasets: tuple[str, ...]


def dataset_credits(session: Session) -> list[Credit]:
    """Every loaded dataset's credit line, each line once (with all the datasets that carry it), in a stable
    order: boundary sets (coarsest first), indicator catalogues by title and their comparators, postcode
    files, then the lists published community groups came from. Datasets without a line are left out."""
    return list(remembered(session, "dataset_credits", lambda: _gather(session)))


def _gather(session: Session) -> tuple[Credit, ...]:
    found: dict[str, list[str]] = {}
    for line, dataset in _lines(session):
        text = " ".join(str(line or "").split())
        if text and dataset not in found.setdefault(text, []):
            found[text].append(dataset)
    return tuple(Credit(text, tuple(datasets)) for text, datasets in found.items())


def _lines(session: Session):
    """(line, dataset) pairs in the order they are shown."""
    for bset in list_sets(session):
        yield bset.licence, f"Boundary set: {bset.name}"
    titles = dict(session.execute(select(IndicatorCatalogue.id, IndicatorCatalogue.title)).all())
    indicators = session.execute(select(Indicator.catalogue, Indicator.licence).distinct()).all()
    for catalogue, licence in sorted(indicators, key=lambda r: (titles.get(r[0], r[0]), r[1] or "")):
        yield licence, f"Indicators: {titles.get(catalogue, catalogue)}"
    comparators = session.execute(select(ComparatorValue.name, Indicator.catalogue, Indicator.licence).distinct()
                                  .join(Indicator, Indicator.id == ComparatorValue.indicator_id)).all()
    for name, catalogue, licence in sorted(comparators, key=lambda r: (r[0], titles.get(r[1], r[1]), r[2] or "")):
        yield licence, f"Comparator: {name} ({titles.get(catalogue, catalogue)})"
    for source in postcodes.sources(session):
        yield source.licence, f"Postcodes: {source.source} ({source.layout})"
    lists = session.execute(select(CommunityGroup.source, CommunityGroup.licence).distinct().where(
        CommunityGroup.status == "published", CommunityGroup.licence.is_not(None))).all()
    for source, licence in sorted(lists, key=lambda r: (r[0] or "", r[1])):
        yield licence, f"Community groups: {source or 'a list without a source'}"
