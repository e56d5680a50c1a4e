"""Where an area stands among the areas of its set, on one indicator: nationally (or among those loaded) and
within its district.

:func:`rank_table` ranks every area of a set at once (one sort per indicator, however many areas): worst first
where the indicator's polarity says which way is worse, highest first where it says nothing. Ties share the
better position ("joint 3rd"); areas without a value are not ranked and are counted apart. :func:`ranks_of`
reads one area's line of that table as :class:`Rank` values with the words to show.

Pure: no Flask, no storage.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from layers.intervals import polarity_of

Scope = Literal["england", "loaded", "district"]
#: How areas of each kind are counted, in the plural.
PLURALS = {"lsoa": "LSOAs", "msoa": "MSOAs", "ward": "wards", "parish": "parishes", "laf": "local area forums",
           "apb": "area partnership boards", "lad": "districts", "service": "service areas"}
#: The indicators whose first place is said as "most deprived" (the Indices of Deprivation's domains).
DEPRIVATION = "most deprived"


def _doc(text: str) -> dict:
    """Field metadata with a description, for the profile's derived schema (as :func:`layers.profile_input.doc`)."""
    return {"doc": text}


@dataclass(frozen=True)
class Rank:
    """An area's position among a group of areas on one indicator."""

    position: int = field(metadata=_doc("1 is the first of ``first`` (the worst where the indicator says which "
                                       "way is worse); tied areas share the better position."))
    of: int = field(metadata=_doc("How many areas of the group have a value (those ranked)."))
    tied: bool = field(metadata=_doc("Whether other areas of the group have the same value."))
    scope: Scope = field(metadata=_doc("england: among every area of the set in England; loaded: among the areas "
                                      "of the set this store holds (not all of England); district: among the "
                                      "areas of the set in the area's district."))
    among: str = field(metadata=_doc('The group, in words ("LSOAs in England", "wards in Cheshire West and '
                                    'Chester", "wards loaded").'))
    first: str = field(metadata=_doc('What 1st means: "most deprived", "highest" or "lowest".'))
    worse: str | None = field(metadata=_doc('Which way is worse ("higher is worse"), or null when the indicator '
                                           'is neither good nor bad.'))
    unranked: int = field(metadata=_doc("Areas of the group without a value, left out of the ranking."))
    text: str = field(metadata=_doc('The rank in words ("12,345th most deprived of 32,844 LSOAs in England").'))


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12,345th.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 112, 12345)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '112th', '12,345th']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def direction(polarity: str | None, *, deprivation: bool = False) -> tuple[bool, str, str | None]:
    """Whether the highest value ranks first, what 1st means and which way is worse, for a polarity.

    Ranks put the worst first when the polarity says which way is worse; otherwise the highest first.

    >>> direction("higher is worse", deprivation=True)
    (True, 'most deprived', 'higher is worse')
    >>> direction("higher is better")
    (False, 'lowest', 'lower is worse')
    >>> direction("neither")
    (True, 'highest', None)
    """
    judged = polarity_of((polarity or "neither").strip().lower())
    if judged == "no_judgement":
        return True, "highest", None
    high_first = judged == "low_is_good"
    worse = "higher is worse" if high_first else "lower is worse"
    return high_first, DEPRIVATION if deprivation else ("highest" if high_first else "lowest"), worse


@dataclass(frozen=True)
class RankTable:
    """Every area's ranks on one indicator, as :func:`rank_table` made them."""

    codes: Mapping[str, int]  #: each area's row, by code (a dict or a Series; shared by the tables of one set)
    rank: np.ndarray  #: the set's ranks (0: no value)
    tied: np.ndarray
    district: np.ndarray  #: each area's district code (None: none known)
    district_rank: np.ndarray
    district_tied: np.ndarray
    ranked: int  #: areas with a value
    unranked: int
    districts: dict[str, tuple[int, int]]  #: each district's areas with and without a value

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame indexed by code."""
        return pd.DataFrame({"rank": self.rank, "tied": self.tied, "district": self.district,
                             "district_rank": self.district_rank, "district_tied": self.district_tied},
                            index=list(self.codes.keys()))


@dataclass(frozen=True)
class Districts:
    """Each area of a set numbered by its district (-1: none known), made once to rank many indicators."""

    index: pd.Index  #: the areas' codes, in the order of the values ranked
    group: np.ndarray
    names: pd.Index
    district: np.ndarray  #: each area's district code (None: none known)
    positions: dict[str, int]  #: each area's row

    @classmethod
    def of(cls, index: pd.Index, districts: pd.Series | None) -> Districts:
        """The districts of the areas ``index`` names, from each area's district code by area code.

        >>> found = Districts.of(pd.Index(["a", "b", "c"]), pd.Series({"a": "X", "c": "Y"}))
        >>> found.group.tolist(), list(found.names), found.district.tolist()
        ([0, -1, 1], ['X', 'Y'], ['X', None, 'Y'])
        """
        if districts is None:
            district = np.full(len(index), None, dtype=object)
        else:
            district = districts.reindex(index).astype(object).to_numpy(copy=True)
            district[pd.isna(district)] = None
        group, names = pd.factorize(pd.Series(district, dtype=object), use_na_sentinel=True)
        return cls(index, group, pd.Index(names), district, _positions(index))

    def district_of_codes(self) -> pd.Series:
        """Each area's district code by area code.

        >>> Districts.of(pd.Index(["a", "b"]), pd.Series({"a": "X"})).district_of_codes().to_dict()
        {'a': 'X', 'b': None}
        """
        return pd.Series(self.district, index=self.index, dtype=object)


def rank_table(values: pd.Series, districts: pd.Series | Districts | None = None, *,
               high_first: bool = True) -> RankTable:
    """Every area's rank in the whole set and within its district, from one sort.

    Parameters
    ----------
    values : pandas.Series
        Each area's value, indexed by code; NaN for an area without one.
    districts : pandas.Series or Districts, optional
        Each area's district code, indexed by code (missing or None: no district known), or the same made once
        for many indicators of a set (:meth:`Districts.of`).
    high_first : bool
        Rank the highest value 1st (else the lowest).

    Returns
    -------
    RankTable
        Ranks are 0 for areas without a value; tied areas share the better place.

    Examples
    --------
    >>> values = pd.Series([5.0, 9.0, 5.0, None, 1.0], index=["a", "b", "c", "d", "e"])
    >>> table = rank_table(values, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Y"}))
    >>> table.frame()[["rank", "tied", "district_rank"]].values.tolist()
    [[2, True, 2], [1, False, 1], [2, True, 1], [0, False, 0], [4, False, 2]]
    >>> table.ranked, table.unranked, table.districts["Y"]
    (4, 1, (2, 1))
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    valued = np.isfinite(numbers)
    keys = -numbers if high_first else numbers
    if not (isinstance(districts, Districts) and (districts.index is values.index
                                                  or districts.index.equals(values.index))):
        districts = Districts.of(values.index, districts.district_of_codes() if isinstance(districts, Districts)
                                 else districts)
    group, names, district = districts.group, districts.names, districts.district
    whole_rank, whole_tied = _min_ranks(np.zeros(len(keys), dtype=int), keys, valued)
    in_district = valued & (group >= 0)
    district_rank, district_tied = _min_ranks(group, keys, in_district)
    with_value = np.bincount(group[in_district], minlength=len(names))
    without = np.bincount(group[~valued & (group >= 0)], minlength=len(names))
    return RankTable(districts.positions, whole_rank, whole_tied, district,
                     district_rank, district_tied, int(valued.sum()), int((~valued).sum()),
                     {name: (int(a), int(b)) for name, a, b in zip(names, with_value, without, strict=True)})


def _positions(index: pd.Index) -> dict[str, int]:
    return dict(zip(index.tolist(), range(len(index))))


def _min_ranks(groups: np.ndarray, keys: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each kept element's 1-based place among the kept elements of its group by ascending key (ties: the
    lowest place, and tied), from one sort; 0 and not tied for the others."""
    rank, tied = np.zeros(len(keys), dtype=int), np.zeros(len(keys), dtype=bool)
    kept = np.flatnonzero(keep)
    if not len(kept):
        return rank, tied
    order = kept[np.lexsort((keys[kept], groups[kept]))]
    g, k = groups[order], keys[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_run = new_group | np.r_[True, k[1:] != k[:-1]]
    place = np.arange(len(order))
    group_start = np.maximum.accumulate(np.where(new_group, place, 0))
    run_start = np.maximum.accumulate(np.where(new_run, place, 0))
    run = np.cumsum(new_run) - 1
    rank[order] = run_start - group_start + 1
    tied[order] = np.bincount(run)[run] > 1
    return rank, tied


def ranks_of(table: RankTable, code: str, *, kind: str, first: str, worse: str | None, national: bool,
             district_name: str | None = None) -> tuple[Rank, ...]:
    """One area's ranks from :func:`rank_table`: in England (``national``) or among the areas loaded, then within
    its district (named ``district_name``). The set-wide rank is left out when every ranked area lies in the
    area's district (it would repeat the district's) unless the set is national; a rank among fewer than two
    areas is left out.

    Examples
    --------
    >>> values = pd.Series([5.0, 9.0, 5.0, None], index=["a", "b", "c", "d"])
    >>> table = rank_table(values, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"}))
    >>> for rank in ranks_of(table, "c", kind="ward", first="highest", worse="higher is worse", national=False,
    ...                      district_name="Wyedale"):
    ...     print(rank.text)
    joint 2nd highest of 3 wards loaded (higher is worse; 1 without a value)
    >>> [r.text for r in ranks_of(table, "a", kind="ward", first="highest", worse=None, national=False,
    ...                           district_name="Ashdown")]
    ['joint 2nd highest of 3 wards loaded (1 without a value)', '2nd highest of 2 wards in Ashdown']
    >>> ranks_of(table, "d", kind="ward", first="highest", worse=None, national=True)
    ()
    """
    row = table.codes.get(code)
    if row is None or not table.rank[row]:
        return ()
    plural = PLURALS.get(kind, f"{kind} areas")
    out = []
    district = table.district[row]
    counts = table.districts.get(district) if district is not None else None
    if (national or counts is None or counts[0] < table.ranked) and table.ranked > 1:
        among = f"{plural} in England" if national else f"{plural} loaded"
        out.append(_rank(int(table.rank[row]), table.ranked, bool(table.tied[row]), "england" if national
                         else "loaded", among, first, worse, table.unranked))
    if counts is not None and counts[0] > 1:
        name = district_name or district
        among = f"{plural if counts[0] != 1 else _one(plural)} in {name}"
        out.append(_rank(int(table.district_rank[row]), counts[0], bool(table.district_tied[row]), "district",
                         among, first, worse, counts[1]))
    return tuple(out)


def _one(plural: str) -> str:
    return {"parishes": "parish", "LSOAs": "LSOA", "MSOAs": "MSOA"}.get(plural, plural.removesuffix("s"))


def _rank(position: int, of: int, tied: bool, scope: Scope, among: str, first: str, worse: str | None,
          unranked: int) -> Rank:
    said = worse if first != DEPRIVATION else None  # "most deprived" says which way is worse
    notes = [n for n in (said, f"{unranked:,} without a value" if unranked else None) if n]
    text = (f"{'joint ' if tied else ''}{ordinal(position)} {first} of {of:,} {among}"
            + (f" ({'; '.join(notes)})" if notes else ""))
    return Rank(position, of, tied, scope, among, first, worse, unranked, text)
