"""Which areas of a boundary set an activity reaches, from the areas it lists in any set.

An area is reached by a listed area when they are the same area, or when at least half of the one lies
in the other: an activity listed for a ward reaches the LSOAs in that ward (all of each LSOA lies in it)
and the APB and borough holding the ward (all of the ward lies in them). Where two sets do not nest (a
ward and a police neighbourhood), the same rule gives the best fit: the neighbourhood holding most of
the ward, the parishes lying mostly in it. An activity that lists no areas reaches the whole borough:
every area of every set.

The overlaps come from the containment links the Atlas stores when sets are loaded (``area_links``:
how much of each finer area lies in each coarser one); for two sets with no links between them (two sets
of the same rank, such as wards and parishes) they are measured from the geometry.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from boundaries.nesting import overlaps

from ..storage import boundary_sets
from ..storage.models import Area, AreaLink

#: An area is reached when at least this share of it lies in a listed area, or of a listed area lies in it.
REACH_SHARE = 0.5
#: Codes per query (SQLite allows a limited number of bound parameters).
CHUNK = 500


def reach(session: Session, set_id: str, listed: Iterable[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """For each listed area (set id, code), the codes of the areas of ``set_id`` it reaches."""
    by_set: dict[str, set[str]] = defaultdict(set)
    for source_set, code in listed:
        by_set[source_set].add(code)
    found: dict[tuple[str, str], set[str]] = {}
    for source_set, codes in by_set.items():
        for code in codes:
            found[(source_set, code)] = set()
        if source_set == set_id:
            known = set(session.scalars(select(Area.code).where(Area.set_id == set_id, Area.code.in_(codes))))
            for code in codes & known:
                found[(source_set, code)].add(code)
            continue
        pairs = _linked(session, source_set, sorted(codes), set_id) if _sets_linked(session, source_set, set_id) \
            else _overlaid(session, source_set, sorted(codes), set_id)
        for source_code, target_code, shared, source_m2, target_m2 in pairs:
            if shared >= REACH_SHARE * min(source_m2, target_m2):
                found[(source_set, source_code)].add(target_code)
    return found


def _sets_linked(session: Session, one: str, other: str) -> bool:
    """True when the store holds containment links between any areas of the two sets."""
    small, large = aliased(Area), aliased(Area)
    for inner, outer in ((one, other), (other, one)):
        found = session.scalar(select(AreaLink.area_id).join(small, small.id == AreaLink.area_id)
                               .join(large, large.id == AreaLink.container_id)
                               .where(small.set_id == inner, large.set_id == outer).limit(1))
        if found is not None:
            return True
    return False


def _linked(session: Session, source_set: str, codes: list[str], target_set: str) -> list[tuple]:
    """(source code, target code, shared m², source m², target m²) from the stored links, both ways."""
    source, target = aliased(Area), aliased(Area)
    rows = []
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        base = [source.set_id == source_set, source.code.in_(chunk), target.set_id == target_set]
        within = (select(source.code, target.code, AreaLink.share * source.area_m2, source.area_m2, target.area_m2)
                  .join(AreaLink, AreaLink.area_id == source.id).join(target, target.id == AreaLink.container_id)
                  .where(*base))
        around = (select(source.code, target.code, AreaLink.share * target.area_m2, source.area_m2, target.area_m2)
                  .join(AreaLink, AreaLink.container_id == source.id).join(target, target.id == AreaLink.area_id)
                  .where(*base))
        rows += session.execute(within).all() + session.execute(around).all()
    return rows


def _overlaid(session: Session, source_set: str, codes: list[str], target_set: str) -> list[tuple]:
    """The same rows measured from the areas' geometry (for sets the store has not linked)."""
    source = boundary_sets.load_areas(session, source_set, codes)
    target = boundary_sets.load_areas(session, target_set)
    if source.empty or target.empty:
        return []
    found = overlaps(source[["code", "geometry"]], target[["code", "geometry"]])
    source_m2 = dict(zip(source["code"], source.geometry.area))
    target_m2 = dict(zip(target["code"], target.geometry.area))
    return [(s, t, shared, source_m2[s], target_m2[t])
            for s, t, shared in zip(found["small_code"], found["large_code"], found["area_m2"])]
