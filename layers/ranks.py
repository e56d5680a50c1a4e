"""Where an area stands among the areas of its set, on one indicator: nationally (or among those loaded) and
within its district.

:func:`rank_table` ranks every area of a set at once (one sort per indicator, however many areas): worst first
where the indicator's polarity says which way is worse, highest first where it says nothing. Ties share the
better position ("joint 3rd"); areas without a value are not ranked and are counted apart. :func:`ranks_of`
reads one area's line of that table as :class:`Rank` values with the words to show.

Pure: no Flask, no storage.
"""
from __future__ import annotations

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


def rank_table(values: pd.Series, districts: pd.Series | None = None, *, high_first: bool = True) -> pd.DataFrame:
    """Every area's rank in the whole set and within its district, from one sort.

    Parameters
    ----------
    values : pandas.Series
        Each area's value, indexed by code; NaN for an area without one.
    districts : pandas.Series, optional
        Each area's district code, indexed by code (missing or NaN: no district known).
    high_first : bool
        Rank the highest value 1st (else the lowest).

    Returns
    -------
    pandas.DataFrame
        Indexed by code: ``rank``, ``tied`` (the set), ``district``, ``district_rank``, ``district_tied``;
        ranks are 0 for areas without a value. ``attrs`` holds ``ranked`` and ``unranked`` (the set's counts),
        and ``districts``: each district's (ranked, unranked).

    Examples
    --------
    >>> values = pd.Series([5.0, 9.0, 5.0, None, 1.0], index=["a", "b", "c", "d", "e"])
    >>> table = rank_table(values, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y", "e": "Y"}))
    >>> table[["rank", "tied", "district_rank"]].values.tolist()
    [[2, True, 2], [1, False, 1], [2, True, 1], [0, False, 0], [4, False, 2]]
    >>> table.attrs["ranked"], table.attrs["unranked"], table.attrs["districts"]["Y"]
    (4, 1, (2, 1))
    """
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    keyed = -numbers if high_first else numbers
    valued = np.isfinite(numbers.to_numpy())
    rank = keyed.rank(method="min", na_option="keep")
    count = keyed.map(keyed.value_counts(dropna=True))
    table = pd.DataFrame({"rank": rank.fillna(0).astype(int), "tied": (count > 1).to_numpy() & valued},
                         index=numbers.index)
    district = (districts.reindex(numbers.index) if districts is not None
                else pd.Series(None, index=numbers.index, dtype=object))
    table["district"] = district.where(district.notna(), None)
    grouped = keyed.groupby(district, dropna=True)
    table["district_rank"] = grouped.rank(method="min").reindex(numbers.index).fillna(0).astype(int)
    together = pd.DataFrame({"district": district, "key": keyed})
    sizes = together.groupby(["district", "key"], dropna=True)["key"].transform("size").reindex(numbers.index)
    table["district_tied"] = (sizes > 1).fillna(False).to_numpy(dtype=bool) & valued
    known = pd.Series(valued, index=numbers.index).groupby(district, dropna=True)
    table.attrs = {"ranked": int(valued.sum()), "unranked": int((~valued).sum()),
                   "districts": {d: (int(n.sum()), int((~n).sum())) for d, n in known}}
    return table


def ranks_of(table: pd.DataFrame, code: str, *, kind: str, first: str, worse: str | None, national: bool,
             district_name: str | None = None) -> tuple[Rank, ...]:
    """One area's ranks from :func:`rank_table`: in England (``national``) or among the areas loaded, then within
    its district (named ``district_name``). The set-wide rank is left out when every ranked area lies in the
    area's district (it would repeat the district's) unless the set is national.

    Examples
    --------
    >>> values = pd.Series([5.0, 9.0, 5.0, None], index=["a", "b", "c", "d"])
    >>> table = rank_table(values, pd.Series({"a": "X", "b": "X", "c": "Y", "d": "Y"}))
    >>> for rank in ranks_of(table, "c", kind="ward", first="highest", worse="higher is worse", national=False,
    ...                      district_name="Wyedale"):
    ...     print(rank.text)
    joint 2nd highest of 3 wards loaded (higher is worse; 1 without a value)
    1st highest of 1 ward in Wyedale (higher is worse; 1 without a value)
    >>> ranks_of(table, "d", kind="ward", first="highest", worse=None, national=True)
    ()
    """
    if code not in table.index:
        return ()
    row = table.loc[code]
    if not row["rank"]:
        return ()
    plural = PLURALS.get(kind, f"{kind} areas")
    out = []
    district = row["district"]
    counts = table.attrs["districts"].get(district) if district is not None else None
    if national or counts is None or counts[0] < table.attrs["ranked"]:
        among = f"{plural} in England" if national else f"{plural} loaded"
        out.append(_rank(int(row["rank"]), table.attrs["ranked"], bool(row["tied"]), "england" if national
                         else "loaded", among, first, worse, table.attrs["unranked"]))
    if counts is not None:
        name = district_name or district
        among = f"{plural if counts[0] != 1 else _one(plural)} in {name}"
        out.append(_rank(int(row["district_rank"]), counts[0], bool(row["district_tied"]), "district", among,
                         first, worse, counts[1]))
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
