"""Where a group sent in lies, told to the sender before it is stored and to the editors who check it: is its
postcode in the postcode table, and is its point in the borough.

The borough is the union of the areas of the first current set of kind ``lad`` (else ``apb``, ``laf`` or
``ward``): the same set the groups maps draw as their outline.
"""
from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from .. import figures
from ..caches import LRUCache
from ..errors import InvalidInput
from ..storage import boundary_sets, postcodes

#: The kinds of set whose areas make the borough, the first found wins.
BOROUGH_KINDS = ("lad", "apb", "laf", "ward")
#: Points this close to the borough's edge (metres) count as in it: boundaries are generalised, and Cheshire
#: West and Chester's leaves 2 of its 10,727 postcodes up to 50 m outside.
MARGIN_M = 50.0
#: What a sender may be warned of about where the group is (the keys stored in ``sender_warnings``).
WARNINGS = ("unknown postcode", "no coordinates", "outside the borough")

#: The borough's outline (one store's at a time is all a process needs).
_BOROUGHS = LRUCache("borough outline", 1)


@dataclass(frozen=True)
class Borough:
    """The borough's outline (EPSG:27700) and the name to call it by."""

    name: str
    set_id: str
    outline: BaseGeometry

    def holds(self, point) -> bool:
        """True when ``point`` lies in the borough or within :data:`MARGIN_M` of its edge."""
        return self.outline.dwithin(point, MARGIN_M)

    def distance_km(self, point) -> float:
        """How far ``point`` lies from the borough, in kilometres (0 inside)."""
        return self.outline.distance(point) / 1000


def borough_outline_set(session: Session):
    """The current set that outlines the borough (see the module), or None."""
    sets = boundary_sets.list_sets(session)
    return next((s for kind in BOROUGH_KINDS for s in sets if s.kind == kind), None)


def borough(session: Session) -> Borough | None:
    """The borough, its outline made once per process and set version; None when no set outlines it."""
    bset = borough_outline_set(session)
    if bset is None:
        return None
    return _BOROUGHS.get_or_build((figures.store_id(session), bset.id, figures.set_version(bset)),
                                  lambda: _outline(session, bset))


def _outline(session: Session, bset) -> Borough:
    areas = boundary_sets.load_areas(session, bset.id)
    named = len(areas) == 1 and bset.kind == "lad"
    outline = shapely.union_all(areas.geometry.values)
    shapely.prepare(outline)
    return Borough(name=areas["name"].iloc[0] if named else "the borough", set_id=bset.id, outline=outline)


@dataclass(frozen=True)
class PlaceWarning:
    """Something the sender is told about where the group is, and may send it anyway."""

    key: str  # one of WARNINGS
    postcode: str | None
    pinned: bool
    borough: str
    distance_km: float | None = None

    @property
    def title(self) -> str:
        return "Check the postcode" if self.key in WARNINGS[:2] else "Check where the group is"

    @property
    def how_far(self) -> str:
        return "less than 1 km" if self.distance_km < 1 else f"about {self.distance_km:.0f} km"

    def for_sender(self) -> str:
        """What is wrong and why it matters, in the sender's words."""
        unplaced = ("Without a place, the group cannot be shown on the map or counted in the area where it "
                    "meets (its ward or partnership board area) until an editor places it by hand.")
        if self.key == "unknown postcode":
            return f"We could not find the postcode {self.postcode} in our list of postcodes. {unplaced}"
        if self.key == "no coordinates":
            return (f"The postcode {self.postcode} has no position on the map in our list of postcodes (some "
                    f"PO box and business postcodes have none). {unplaced}")
        where = "The pin you placed" if self.pinned else f"The postcode {self.postcode}"
        return (f"{where} is outside {self.borough}, {self.how_far} from its edge. The Atlas "
                f"shows groups that serve people in {self.borough}: an editor will put the group on the map "
                "only if it does. If it meets outside but serves people here, say where it works below.")

    def for_editor(self) -> str:
        """The warning as the editors' queue shows it."""
        if self.key == "outside the borough":
            return (f"The group's point is outside {self.borough}, {self.how_far} from its edge: approve it "
                    f"only if it serves people in {self.borough}.")
        return self.for_sender()


def warnings_for(session: Session, postcode: str | None, point, *, pinned: bool) -> list[PlaceWarning]:
    """What to tell the sender about a group's postcode and point (``point`` None when it could not be
    placed). An unknown postcode is not raised while the postcode table is empty: nobody could place it."""
    if point is None:
        if not postcode:
            return []
        status = postcodes.lookup(session, [postcode])["status"].iloc[0]
        if status == "no coordinates" or (status == "unknown postcode" and postcodes.has_any(session)):
            here = borough(session)
            return [PlaceWarning(status, postcode, pinned, here.name if here else "the borough")]
        return []
    outside = outside_warning(session, point, postcode=postcode, pinned=pinned)
    return [outside] if outside else []


def outside_warning(session: Session, point, *, postcode: str | None = None,
                    pinned: bool = False) -> PlaceWarning | None:
    """The warning for a point outside the borough; None for a point in it, no point, or no borough."""
    here = borough(session)
    if point is None or here is None or here.holds(point):
        return None
    return PlaceWarning("outside the borough", postcode, pinned, here.name, here.distance_km(point))


def fingerprint(warnings: list[PlaceWarning]) -> str:
    """The warnings as one short text: sent back with "send it as it is", so a change that brings a new
    warning is asked about again."""
    return "|".join(f"{w.key}:{'pin' if w.pinned else w.postcode or ''}" for w in warnings)


class PlaceToCheck(InvalidInput):
    """A group not stored yet: the sender is to be told ``warnings`` and may send it as it is."""

    def __init__(self, warnings: list[PlaceWarning]):
        super().__init__(" ".join(w.for_sender() for w in warnings), details=[w.key for w in warnings])
        self.warnings = warnings
