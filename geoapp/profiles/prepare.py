"""What profiles read, worked out before the first request and kept in the store (:mod:`geoapp.storage.persisted`):
the weights from each LSOA set, every indicator's figures for every set (and the periods of its trend), every
set's ranks on each indicator shown (:mod:`geoapp.profiles.ranks`), the deprivation sections, the service
alignments, each set's group coverage and, for sets of few areas (districts, counties), every area's related
areas. ``geoapp prepare`` calls :func:`prepare_profiles` after a load, so a restarted process answers the first
profile of any set by reading, not by overlaying, aggregating, ranking and placing groups."""
from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..groups.coverage.counts import coverage
from ..storage import boundary_sets, persisted
from ..storage.models import Area
from .read import keep_geography, read_profile_input

#: Sets of at most this many areas have every area's related areas kept: a district's or county's cost up to a
#: few tenths of a second to measure; an LSOA's or ward's (tens of thousands) are measured on its first visit.
EVERY_AREA_UP_TO = 500


def prepare_profiles(session: Session, set_ids: list[str] | None = None) -> dict[str, float]:
    """Build the profile of one area of each set (every set by default) and the related areas of every area of
    small sets, keeping what it builds in ``session`` (committed with the caller's transaction); returns the
    seconds each set took."""
    chosen = [s for s in boundary_sets.list_sets(session) if set_ids is None or s.id in set_ids]
    took = {}
    with persisted.kept_in(session):
        for bset in chosen:
            start = time.perf_counter()
            coverage(session, bset.id)  # every area's groups, which one area's profile reads its row of
            code = session.scalar(select(Area.code).where(Area.set_id == bset.id).order_by(Area.code).limit(1))
            if code is not None:
                read_profile_input(session, bset.id, code)
            if boundary_sets.area_count(session, bset.id) <= EVERY_AREA_UP_TO:
                keep_geography(session, bset.id)
            took[bset.id] = time.perf_counter() - start
    return took
