"""Ranks of every area of a set on one indicator, from one sort: direction by polarity, ties, missing values,
districts, and the words shown."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from layers.ranks import direction, ordinal, rank_table, ranks_of


def brute_force(values: dict, high_first: bool) -> dict:
    """1 + how many areas are strictly before each (worse, or higher); 0 without a value."""
    known = {k: v for k, v in values.items() if v is not None and np.isfinite(v)}
    before = (lambda a, b: a > b) if high_first else (lambda a, b: a < b)
    return {k: (1 + sum(before(other, known[k]) for other in known.values()) if k in known else 0) for k in values}


@pytest.mark.parametrize("high_first", [True, False])
def test_ranks_agree_with_counting_the_areas_before_each(high_first):
    rng = np.random.default_rng(18)
    values = {f"A{n:03}": float(v) for n, v in enumerate(rng.integers(0, 40, 300))}  # many ties
    values |= {"A900": None, "A901": float("nan")}
    district = {code: ("X" if n % 3 else "Y") for n, code in enumerate(values)}
    ranked = rank_table(pd.Series(values, dtype=float), pd.Series(district), high_first=high_first)
    table = ranked.frame()
    assert table["rank"].to_dict() == brute_force(values, high_first)
    for name in ("X", "Y"):
        inside = {k: v for k, v in values.items() if district[k] == name}
        assert table.loc[list(inside), "district_rank"].to_dict() == brute_force(inside, high_first)
        same = pd.Series(inside, dtype=float).value_counts()
        assert table.loc[list(inside), "district_tied"].to_dict() == {
            k: bool(v is not None and v == v and same[v] > 1) for k, v in inside.items()}
    counts = pd.Series(values, dtype=float).value_counts()
    assert table["tied"].to_dict() == {k: bool(v == v and v is not None and counts[v] > 1)
                                       for k, v in values.items()}
    assert ranked.ranked == 300 and ranked.unranked == 2
    assert sum(r for r, _ in ranked.districts.values()) == 300 and sum(u for _, u in ranked.districts.values()) == 2


def test_the_words_say_which_way_is_worse_and_where():
    values = pd.Series({"a": 30.0, "b": 10.0, "c": 20.0, "d": 20.0, "e": None})
    districts = pd.Series({"a": "E1", "b": "E1", "c": "E2", "d": "E2"})  # "e" lies in no district
    high_first, first, worse = direction("higher is worse", deprivation=True)
    table = rank_table(values, districts, high_first=high_first)
    texts = [r.text for r in ranks_of(table, "c", kind="lsoa", first=first, worse=worse, national=True,
                                      district_name="Halton")]
    assert texts == ["joint 2nd most deprived of 4 LSOAs in England (1 without a value)",
                     "joint 1st most deprived of 2 LSOAs in Halton"]
    high_first, first, worse = direction("higher is better")
    table = rank_table(values, districts, high_first=high_first)
    (loaded, district) = ranks_of(table, "b", kind="ward", first=first, worse=worse, national=False,
                                  district_name="Wyedale")
    assert (loaded.position, loaded.of, loaded.scope, loaded.among) == (1, 4, "loaded", "wards loaded")
    assert loaded.text == "1st lowest of 4 wards loaded (lower is worse; 1 without a value)"
    assert (district.position, district.of, district.scope) == (1, 2, "district")
    assert ranks_of(table, "e", kind="ward", first=first, worse=worse, national=False) == ()  # no value
    assert ranks_of(table, "zz", kind="ward", first=first, worse=worse, national=False) == ()


def test_a_set_within_one_district_is_ranked_there_only_unless_it_is_national():
    values = pd.Series({"a": 3.0, "b": 2.0, "c": 1.0})
    table = rank_table(values, pd.Series({"a": "E1", "b": "E1", "c": "E1"}))
    local = ranks_of(table, "b", kind="ward", first="highest", worse=None, national=False, district_name="Borough")
    assert [r.text for r in local] == ["2nd highest of 3 wards in Borough"]
    whole = ranks_of(table, "b", kind="ward", first="highest", worse=None, national=True, district_name="Borough")
    assert [r.scope for r in whole] == ["england", "district"]
    without = rank_table(values)  # no districts at all (the district set itself)
    assert [r.text for r in ranks_of(without, "a", kind="lad", first="highest", worse=None, national=False)] == \
        ["1st highest of 3 districts loaded"]
    alone = rank_table(pd.Series({"a": 1.0, "b": None}), pd.Series({"a": "E1", "b": "E1"}))
    assert ranks_of(alone, "a", kind="lad", first="highest", worse=None, national=False) == ()  # 1st of 1: nothing


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 13, 101, 111, 122, 32844)] == \
        ["1st", "2nd", "3rd", "11th", "12th", "13th", "101st", "111th", "122nd", "32,844th"]
