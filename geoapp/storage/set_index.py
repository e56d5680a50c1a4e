"""The boundary sets' index: each set's description and how many areas it holds, read without geometry (and
without geopandas, so that `geoapp sets` starts quickly). :mod:`.boundary_sets` stores and reads the areas."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import NotFound
from .memo import remembered
from .models import Area, BoundarySet

SET_FIELDS = ("id", "kind", "name", "vintage", "source", "licence", "fictional", "built_from", "service_type")
KIND_ORDER = {"lsoa": 0, "msoa": 1, "ward": 2, "parish": 2, "laf": 3, "apb": 4, "lad": 5, "county": 6, "service": 9}


def set_summary(bset: BoundarySet) -> dict:
    """The public description of a set (no areas)."""
    return {f: getattr(bset, f) for f in SET_FIELDS} | {"version": bset.version}


def list_sets(session: Session) -> list[BoundarySet]:
    """Every current boundary set, coarsest kind first."""
    def read() -> list[BoundarySet]:
        sets = session.scalars(select(BoundarySet).where(BoundarySet.superseded_by.is_(None))).all()
        return sorted(sets, key=lambda s: (-KIND_ORDER.get(s.kind, 0), s.id))

    return list(remembered(session, "boundary_sets", read))


def get_set(session: Session, set_id: str) -> BoundarySet:
    bset = session.get(BoundarySet, set_id)
    if bset is None:
        raise NotFound(f"There is no boundary set called '{set_id}'.")
    return bset


def area_codes(session: Session, set_id: str) -> list[str]:
    """The codes of a set's areas, in order."""
    return list(session.scalars(select(Area.code).where(Area.set_id == set_id).order_by(Area.code)))


def area_count(session: Session, set_id: str) -> int:
    """How many areas a set holds."""
    return session.scalar(select(func.count()).select_from(Area).where(Area.set_id == set_id))


def area_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Area.set_id, func.count()).group_by(Area.set_id))
    return dict(rows.all())
