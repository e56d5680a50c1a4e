"""The district of each area of a set and the areas of each district: what ranks within a district and
browsing a large set by district read.

The districts are the areas of the district set (the first set of kind ``lad``); an area's district is the one
holding most of it, from the links recorded between sets at load. Each set's directory (codes, names, names
folded for search, districts) is read once and cached until any boundary set changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from sqlalchemy.orm import Session

from layers.text import fold, fold_all

from . import figures
from .caches import LRUCache
from .storage import boundary_sets
from .storage.area_districts import area_districts, set_areas

_DIRECTORIES = LRUCache("each set's areas with their districts", 64)


@dataclass(frozen=True)
class Directory:
    """Every area of one set, by name: ``code``, ``name``, ``folded`` (for search), ``district`` and
    ``district_name`` (None where no district holds it), with the district set it was read against."""

    set_id: str
    areas: pd.DataFrame
    district_set: str | None

    @cached_property
    def district_of(self) -> pd.Series:
        """Each area's district code (None where none holds it), by area code."""
        return self.areas.set_index("code")["district"]

    @cached_property
    def _districts(self) -> tuple[tuple[str, str, int], ...]:
        known = self.areas[self.areas["district"].notna()]
        counts = known.groupby(["district", "district_name"]).size().reset_index(name="areas")
        counts = counts.sort_values(["district_name", "district"])
        return tuple(zip(counts["district"], counts["district_name"], counts["areas"].astype(int).tolist()))

    def districts(self) -> list[dict]:
        """Each district holding areas of the set, by name, with how many."""
        return [{"code": c, "name": n, "areas": k} for c, n, k in self._districts]

    def district_name(self, code: str | None) -> str | None:
        """A district's name, or None when no area of the set lies in it."""
        return next((n for c, n, _ in self._districts if c == code), None)

    def letters(self) -> list[str]:
        """The first letters (or digits) of the areas' names, in order."""
        return sorted({name[:1].upper() for name in self.areas["folded"] if name})

    def select(self, *, district: str | None = None, words: str | None = None,
               letter: str | None = None) -> pd.DataFrame:
        """The areas in ``district``, whose name begins with ``letter`` and holds every word of ``words`` (or
        whose code is ``words``), by name."""
        areas = self.areas
        if district:
            areas = areas[areas["district"] == district]
        if letter:
            areas = areas[areas["folded"].str.startswith(letter.casefold())]
        if words and words.strip():
            wanted = fold(words).split()
            code = words.replace(" ", "").casefold()
            named = pd.Series(True, index=areas.index)
            for word in wanted:
                named &= areas["folded"].str.contains(word, regex=False)
            areas = areas[named | (areas["code"].str.casefold() == code)]
        return areas


def directory(session: Session, set_id: str) -> Directory:
    """The areas of a set with their districts, cached until any boundary set changes."""
    bset = boundary_sets.get_set(session, set_id)
    district_set = figures.district_set(session)
    key = (figures.store_id(session), set_id, tuple((s.id, figures.set_version(s))
                                                    for s in boundary_sets.list_sets(session)))
    return _DIRECTORIES.get_or_build(key, lambda: _read(session, bset, district_set),
                                     stale=lambda old: old[:2] == key[:2])


def _read(session: Session, bset, district_set) -> Directory:
    areas = set_areas(session, bset.id)
    areas["folded"] = fold_all(areas["name"])
    held = None
    if district_set is not None and district_set.id != bset.id:
        held = area_districts(session, bset.id, district_set.id).set_index("code")
    areas["district"] = areas["code"].map(held["district"]) if held is not None else None
    areas["district_name"] = areas["code"].map(held["district_name"]) if held is not None else None
    for column in ("district", "district_name"):
        areas[column] = areas[column].astype(object).where(areas[column].notna(), None)
    return Directory(bset.id, areas, district_set.id if district_set is not None else None)
