"""Indicator figures made from aggregated values: intervals, comparisons, whole people and display factors.

The pure half of the figures service (:mod:`geoapp.figures` reads the values, weights and populations
from the store and calls these): :func:`figure_table` turns one indicator's small-area values into a figure
per area with its 95% interval (Wilson for proportions, exact or Byar's for counts and rates) and a method
sentence; :func:`judge` compares each area's interval with a benchmark by the indicator's polarity;
:func:`largest_remainder` makes whole people that still add up; periods are ordered by their last year.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from layers.aggregate import aggregate
from layers.intervals import compare, count_interval, polarity_of, rate_interval, wilson
from layers.weights import Weights

#: The confidence of every interval shown.
CONFIDENCE = 0.95


def period_key(period: str | None) -> tuple[str, str]:
    """Orders period labels ("2019", "mid-2015", "2023/24") by their last four-digit year.

    >>> sorted(["2023/24", "mid-2015", "2019"], key=period_key)
    ['mid-2015', '2019', '2023/24']
    >>> period_key(None)
    ('0000', '')
    """
    return ((re.findall(r"\d{4}", period or "") or ["0000"])[-1], period or "")


def latest_period(periods: Iterable[str | None]) -> str | None:
    """The latest of some period labels by their last four-digit year; None when there are none.

    >>> latest_period(["2019", "mid-2015", None, "2023/24"])
    '2023/24'
    >>> latest_period([None]) is None
    True
    """
    known = sorted({p for p in periods if p is not None})
    if not known:
        return None
    return max(known, key=period_key)


def is_later(period: str | None, than: str | None) -> bool:
    """Whether ``period`` is a later label than ``than`` (never when they are the same).

    >>> is_later("2025", "2019"), is_later("2019", "2025"), is_later("2019", "2019")
    (True, False, False)
    """
    return period != than and latest_period([p for p in (period, than) if p]) == period


def polarity(words: str | None) -> str:
    """A catalogue's polarity words as ``high_is_good``, ``low_is_good`` or ``no_judgement``.

    >>> polarity("RAG - Low is good"), polarity(None)
    ('low_is_good', 'no_judgement')
    """
    return polarity_of((words or "neither").strip().lower())


def display_factor(indicator) -> float:
    """100 for proportions stored as fractions and shown as percentages, else 1.

    ``indicator`` is anything with ``type``, ``unit`` and ``multiplier``.

    >>> from types import SimpleNamespace as Indicator
    >>> display_factor(Indicator(type="proportion", unit="%", multiplier=None))
    100.0
    >>> display_factor(Indicator(type="rate", unit="per 1,000", multiplier=1000))
    1.0
    """
    return 100.0 if indicator.type == "proportion" and indicator.unit == "%" and not indicator.multiplier else 1.0


def largest_remainder(values) -> np.ndarray:
    """Whole numbers summing to the rounded total: floors, then one more to the largest remainders.

    >>> largest_remainder([1.4, 1.4, 1.2, np.nan]).tolist()
    [2.0, 1.0, 1.0, nan]
    """
    values = np.asarray(values, dtype=float)
    known = np.isfinite(values)
    out = np.full(len(values), np.nan)
    if not known.any():
        return out
    floor = np.floor(values[known])
    short = int(round(values[known].sum() - floor.sum()))
    order = np.argsort(-(values[known] - floor), kind="stable")
    floor[order[:short]] += 1
    out[known] = floor
    return out


def in_whole_people(table: pd.DataFrame, whole: np.ndarray) -> bool:
    """Put whole-people counts into a figure table (value, numerator, interval, method), in place.

    Returns False, changing nothing, when the counts are whole already.

    >>> table = pd.DataFrame({"value": [1.5, 2.5], "numerator": [1.5, 2.5], "method": ["Summed", "Summed"]})
    >>> in_whole_people(table, largest_remainder(table["value"]))
    True
    >>> table["value"].tolist(), table["method"].iloc[0]
    ([2.0, 2.0], 'Summed; in whole people, rounded so that the areas add up')
    """
    value = table["value"].to_numpy(dtype=float)
    if np.allclose(whole[np.isfinite(whole)], value[np.isfinite(value)], rtol=0, atol=1e-9):
        return False
    table["value"] = whole
    table["numerator"] = whole
    ci = count_interval(whole, CONFIDENCE)
    table["lower"], table["upper"], table["interval_method"] = ci.lower, ci.upper, np.asarray(ci.method, dtype=object)
    table["method"] = [m + "; in whole people, rounded so that the areas add up" if isinstance(m, str) else m
                       for m in table["method"]]
    return True


def judge(table: pd.DataFrame, benchmark: dict, polarity_words: str | None) -> np.ndarray:
    """Each area's interval against a benchmark's value: better, similar, worse or not compared.

    >>> table = pd.DataFrame({"lower": [0.1, 0.3], "upper": [0.2, 0.5]})
    >>> judge(table, {"value": 0.25}, "low_is_good").tolist()
    ['better', 'worse']
    """
    value = np.nan if benchmark.get("value") is None else benchmark["value"]
    return compare((table["lower"].to_numpy(dtype=float), table["upper"].to_numpy(dtype=float)), value,
                   polarity(polarity_words))


def figure_table(kind: str, per: float | None, own: pd.DataFrame, weights: Weights,
                 weighting: tuple[pd.Series, str] | None) -> tuple[pd.DataFrame, list[str]]:
    """One indicator's small-area values carried to the target areas, with 95% intervals.

    Parameters
    ----------
    kind : str
        The indicator's type: count, proportion, rate, score, rank or decile.
    per : float or None
        The indicator's multiplier (1,000 for a rate per 1,000; a proportion's scale when not 1).
    own : pandas.DataFrame
        The values per source code: ``numerator`` and ``denominator`` (proportions, rates), else ``value``
        (counts may give ``numerator``).
    weights : Weights
        From the sources to the target areas.
    weighting : tuple of (pandas.Series, str) or None
        The population weighting scores, ranks and deciles, with the sentence naming it.

    Returns
    -------
    (pandas.DataFrame, list of str)
        Per target: value, lower, upper, interval_method, numerator, denominator, coverage, method; and
        the notes to show with the figures.

    Examples
    --------
    >>> from scipy import sparse
    >>> w = Weights(sparse.csr_matrix(np.ones((2, 1))), ("s1", "s2"), ("t",), "nested")
    >>> own = pd.DataFrame({"numerator": [10.0, 30.0], "denominator": [100.0, 100.0]}, index=["s1", "s2"])
    >>> table, notes = figure_table("proportion", None, own, w, None)
    >>> float(table.loc["t", "value"]), table.loc["t", "interval_method"], notes
    (0.2, 'Wilson', [])
    """
    notes = []
    empty = pd.Series(dtype=float)
    population = None if weighting is None else weighting[0]
    if kind in ("proportion", "rate"):
        result = aggregate(weights, kind, numerator=own.get("numerator", empty),
                           denominator=own.get("denominator", empty), population=population,
                           per=per if kind == "rate" else (per or None))
    elif kind == "count":
        counts = own["numerator"] if own["numerator"].notna().any() else own.get("value", empty)
        result = aggregate(weights, "count", value=counts, population=population)
    else:
        pop = population if population is not None else pd.Series(1.0, index=list(weights.source_codes))
        result = aggregate(weights, kind, value=own.get("value", empty), population=pop)
        if population is None:
            result["method"] = [m.replace("Population-weighted", "Unweighted").replace(
                "population-weighted", "unweighted") for m in result["method"]]
            notes.append("No population is declared for this indicator's catalogue: its small areas are "
                         "weighted equally.")
        else:
            notes.append(weighting[1])
    num, den, value = (result[c].to_numpy(dtype=float) for c in ("numerator", "denominator", "value"))
    if kind == "proportion":
        ok = np.isfinite(num) & np.isfinite(den)
        ci = wilson(np.where(ok, np.minimum(num, den), 0.0), np.where(ok, den, 0.0), CONFIDENCE).scaled(per or 1.0)
        lower, upper = np.where(ok, ci.lower, np.nan), np.where(ok, ci.upper, np.nan)
        how = np.where(ok, "Wilson", "")
    elif kind == "rate":
        ci = rate_interval(num, den, per=per, confidence=CONFIDENCE)
        lower, upper, how = ci.lower, ci.upper, ci.method
    elif kind == "count":
        ci = count_interval(value, CONFIDENCE)
        lower, upper, how = ci.lower, ci.upper, ci.method
    else:
        lower = upper = np.full(len(value), np.nan)
        how = np.full(len(value), "")
        notes.append(f"A {kind} has no confidence interval, so areas are not compared with the borough.")
    table = pd.DataFrame({"value": value, "lower": lower, "upper": upper,
                          "interval_method": np.asarray(how, dtype=object),
                          "numerator": num, "denominator": den,
                          "coverage": result["coverage"].to_numpy(dtype=float),
                          "method": result["method"].to_numpy(dtype=object)}, index=result.index)
    return table, notes


def plain(value):
    """A JSON-ready scalar: NumPy numbers as Python ones, NaN and infinities as None.

    >>> plain(np.float64("nan")) is None, plain(np.int64(3)), plain(np.str_("a"))
    (True, 3, 'a')
    """
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.str_):
        return str(value)
    return value
