"""Confidence intervals and benchmarking as public health analysts compute them.

The conventions are OHID's (Fingertips public health technical guidance, and
the PHEindicatormethods R package):

* **Proportions** — Wilson score interval (Wilson 1927, as recommended by
  Newcombe and Altman): ``(2O + z² ± z·sqrt(z² + 4Oq)) / (2(n + z²))``.
* **Counts and crude rates** — Byar's approximation to the Poisson limits for
  counts of 10 or more; the exact Poisson limits from the chi-square
  distribution (``χ²(α/2, 2O)/2`` and ``χ²(1-α/2, 2O+2)/2``) for counts under 10.
  A rate's limits are the count's limits divided by the denominator.
* Intervals at **95%** (z = 1.96) and **99.8%** (z = 3.09), the two levels
  Fingertips shows.
* **Benchmarking** — an area is significantly higher than a benchmark value when
  its whole interval lies above it, lower when it lies below, similar when the
  interval contains it; "higher" becomes better or worse according to the
  indicator's polarity.
* **Quintiles and deciles** — areas ranked by value and cut into equal groups:
  group ``ceil(k · rank / n)``, which reproduces the published IoD2019 deciles
  from the national ranks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Polarity of an indicator: is a higher value better, worse, or neither?
POLARITIES = ("high_is_good", "low_is_good", "no_judgement")

_POLARITY_ALIASES = {
    "high_is_good": "high_is_good",
    "higher is better": "high_is_good",
    "rag - high is good": "high_is_good",
    "low_is_good": "low_is_good",
    "lower is better": "low_is_good",
    "higher is worse": "low_is_good",
    "rag - low is good": "low_is_good",
    "no_judgement": "no_judgement",
    "neither": "no_judgement",
    "not applicable": "no_judgement",
    "bob": "no_judgement",
}

#: Counts below this use the exact method rather than Byar's.
EXACT_BELOW = 10


@dataclass(frozen=True)
class Interval:
    """A figure (or an array of figures) with its confidence limits.

    Parameters
    ----------
    value, lower, upper : float or numpy.ndarray
        The figure and its limits, on the same scale.
    confidence : float
        0.95 or 0.998, say.
    method : str or numpy.ndarray
        How the limits were found ("Wilson", "Byar's", "Exact"), per figure.

    Examples
    --------
    >>> ci = wilson(81, 263)
    >>> round(ci.lower, 4), round(ci.upper, 4), ci.method
    (0.2553, 0.3662, 'Wilson')
    """

    value: float | np.ndarray
    lower: float | np.ndarray
    upper: float | np.ndarray
    confidence: float
    method: str | np.ndarray

    def scaled(self, factor: float) -> Interval:
        """The same interval with value and limits multiplied by ``factor`` (100 for percentages)."""
        return Interval(self.value * factor, self.lower * factor, self.upper * factor, self.confidence, self.method)


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile for a confidence level (0.95 or 95 both work).

    Examples
    --------
    >>> round(z_value(0.95), 4), round(z_value(99.8), 4)
    (1.96, 3.0902)
    """
    return float(stats.norm.ppf(1.0 - (1.0 - _level(confidence)) / 2.0))


def wilson(x, n, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion ``x / n``.

    Parameters
    ----------
    x, n : float or array-like
        Numerators (cases with the characteristic) and denominators.  Apportioned,
        non-integer values are accepted.  ``n = 0`` or a missing value gives NaN.
    confidence : float
        0.95, 0.998, ...

    Returns
    -------
    Interval
        Proportions between 0 and 1 (use :meth:`Interval.scaled` for percentages).

    Raises
    ------
    ValueError
        If a numerator is negative or exceeds its denominator.

    Examples
    --------
    >>> ci = wilson(0, 20)
    >>> float(ci.lower), round(float(ci.upper), 4)
    (0.0, 0.1611)
    """
    xa, na = _arrays(x, n)
    if np.any(xa < 0) or np.any(na < 0):
        raise ValueError("numerators and denominators must not be negative")
    if np.any(xa > na):
        raise ValueError("a numerator exceeds its denominator: not a proportion")
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = na > 0
        q = np.where(valid, 1.0 - xa / np.where(valid, na, 1.0), np.nan)
        root = z * np.sqrt(z * z + 4.0 * xa * q)
        denominator = 2.0 * (na + z * z)
        lower = np.where(valid, (2.0 * xa + z * z - root) / denominator, np.nan)
        upper = np.where(valid, (2.0 * xa + z * z + root) / denominator, np.nan)
        value = np.where(valid, xa / np.where(valid, na, 1.0), np.nan)
    lower = np.clip(lower, 0.0, 1.0)
    upper = np.clip(upper, 0.0, 1.0)
    return _interval(x, n, value, lower, upper, _level(confidence), "Wilson")


def byars(x, confidence: float = 0.95) -> tuple:
    """Byar's approximation to the Poisson confidence limits of a count.

    ``O(1 - 1/(9O) - z/(3√O))³`` and ``(O+1)(1 - 1/(9(O+1)) + z/(3√(O+1)))³``.

    Examples
    --------
    >>> lower, upper = byars(65)
    >>> round(float(lower), 3), round(float(upper), 3)
    (50.163, 82.849)
    """
    xa = np.asarray(x, dtype=np.float64)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = xa * (1.0 - 1.0 / (9.0 * xa) - z / (3.0 * np.sqrt(xa))) ** 3
        upper = (xa + 1.0) * (1.0 - 1.0 / (9.0 * (xa + 1.0)) + z / (3.0 * np.sqrt(xa + 1.0))) ** 3
    lower = np.where(xa == 0, 0.0, np.maximum(lower, 0.0))
    return _scalar(lower, x), _scalar(upper, x)


def exact_poisson(x, confidence: float = 0.95) -> tuple:
    """Exact Poisson confidence limits of a count, from the chi-square distribution.

    ``χ²(α/2, 2O) / 2`` and ``χ²(1 - α/2, 2O + 2) / 2``; the lower limit of 0 is 0.

    Examples
    --------
    >>> lower, upper = exact_poisson(3)
    >>> round(float(lower), 4), round(float(upper), 4)
    (0.6187, 8.7673)
    """
    xa = np.asarray(x, dtype=np.float64)
    alpha = 1.0 - _level(confidence)
    with np.errstate(invalid="ignore"):
        lower = np.where(xa > 0, stats.chi2.ppf(alpha / 2.0, 2.0 * np.where(xa > 0, xa, 1.0)) / 2.0, 0.0)
        upper = stats.chi2.ppf(1.0 - alpha / 2.0, 2.0 * xa + 2.0) / 2.0
    lower = np.where(np.isfinite(xa), lower, np.nan)
    return _scalar(lower, x), _scalar(upper, x)


def count_interval(x, confidence: float = 0.95) -> Interval:
    """Confidence interval of a count: exact for counts under 10, Byar's from 10 up.

    Examples
    --------
    >>> ci = count_interval([3, 65])
    >>> ci.method.tolist(), ci.lower.round(3).tolist()
    (['Exact', "Byar's"], [0.619, 50.163])
    """
    xa = np.asarray(x, dtype=np.float64)
    if np.any(xa < 0):
        raise ValueError("counts must not be negative")
    b_low, b_up = byars(xa, confidence)
    e_low, e_up = exact_poisson(xa, confidence)
    small = xa < EXACT_BELOW
    lower = np.where(small, e_low, b_low)
    upper = np.where(small, e_up, b_up)
    lower = np.where(np.isfinite(xa), lower, np.nan)
    upper = np.where(np.isfinite(xa), upper, np.nan)
    method = np.where(small, "Exact", "Byar's")
    method = np.where(np.isfinite(xa), method, "")
    return _interval(x, None, xa, lower, upper, _level(confidence), method)


def rate_interval(x, n, per: float = 100_000, confidence: float = 0.95) -> Interval:
    """Crude rate ``x / n × per`` with its confidence interval (count limits ÷ ``n`` × ``per``).

    Examples
    --------
    >>> ci = rate_interval(65, 10_000, per=1000)
    >>> round(float(ci.value), 1), round(float(ci.lower), 3), round(float(ci.upper), 3)
    (6.5, 5.016, 8.285)
    """
    xa, na = _arrays(x, n)
    if np.any(na < 0):
        raise ValueError("denominators must not be negative")
    counts = count_interval(xa, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(na > 0, per / np.where(na > 0, na, 1.0), np.nan)
    return _interval(
        x,
        n,
        xa * scale,
        counts.lower * scale,
        counts.upper * scale,
        counts.confidence,
        counts.method,
    )


def polarity_of(polarity: str) -> str:
    """Normalise a polarity name (Fingertips' "RAG - High is good" and the like).

    Examples
    --------
    >>> polarity_of("RAG - Low is good")
    'low_is_good'
    """
    key = str(polarity).strip().lower()
    if key not in _POLARITY_ALIASES:
        raise ValueError(f"unknown polarity {polarity!r}; use one of {', '.join(POLARITIES)}")
    return _POLARITY_ALIASES[key]


def compare(value_ci, benchmark_value, polarity: str = "no_judgement"):
    """Compare a figure's confidence interval with a benchmark value.

    Parameters
    ----------
    value_ci : Interval or (lower, upper)
        The area's interval; arrays compare element by element.
    benchmark_value : float or array-like
        The borough's or England's value.
    polarity : str
        ``"high_is_good"``, ``"low_is_good"`` or ``"no_judgement"``.

    Returns
    -------
    str or numpy.ndarray of str
        ``"better"``, ``"similar"`` or ``"worse"`` with a polarity; ``"higher"``,
        ``"similar"`` or ``"lower"`` without one; ``"not compared"`` when the
        interval or the benchmark is missing.

    Examples
    --------
    >>> compare((0.30, 0.36), 0.25, "high_is_good")
    'better'
    >>> compare((0.30, 0.36), 0.25, "low_is_good")
    'worse'
    >>> compare((0.30, 0.36), 0.33, "high_is_good")
    'similar'
    >>> compare((0.30, 0.36), 0.40, "no_judgement")
    'lower'
    """
    kind = polarity_of(polarity)
    if isinstance(value_ci, Interval):
        lower, upper = value_ci.lower, value_ci.upper
    else:
        lower, upper = value_ci
    scalar = np.ndim(lower) == 0 and np.ndim(upper) == 0 and np.ndim(benchmark_value) == 0
    lo = np.asarray(lower, dtype=np.float64)
    up = np.asarray(upper, dtype=np.float64)
    bench = np.asarray(benchmark_value, dtype=np.float64)
    lo, up, bench = np.broadcast_arrays(lo, up, bench)
    higher = lo > bench
    lower_ = up < bench
    if kind == "high_is_good":
        words = ("better", "worse")
    elif kind == "low_is_good":
        words = ("worse", "better")
    else:
        words = ("higher", "lower")
    result = np.where(higher, words[0], np.where(lower_, words[1], "similar")).astype(object)
    missing = ~(np.isfinite(lo) & np.isfinite(up) & np.isfinite(bench))
    result[missing] = "not compared"
    return str(result.reshape(())[()]) if scalar else result


def benchmark(
    interval: Interval,
    *,
    borough: float | None = None,
    england: float | None = None,
    polarity: str = "no_judgement",
    index=None,
) -> pd.DataFrame:
    """Compare each area's interval with the borough and, where known, England.

    Examples
    --------
    >>> ci = wilson([30, 60], [100, 100])
    >>> benchmark(ci, borough=0.45, england=0.5, polarity="high_is_good", index=["a", "b"])
       value  lower  upper vs_borough vs_england
    a    0.3  0.219  0.396      worse      worse
    b    0.6  0.502  0.691     better     better
    """
    frame = pd.DataFrame(
        {
            "value": np.atleast_1d(interval.value),
            "lower": np.round(np.atleast_1d(interval.lower), 3),
            "upper": np.round(np.atleast_1d(interval.upper), 3),
        },
        index=index,
    )
    full = (np.atleast_1d(interval.lower), np.atleast_1d(interval.upper))
    frame["vs_borough"] = compare(full, np.nan if borough is None else borough, polarity)
    frame["vs_england"] = compare(full, np.nan if england is None else england, polarity)
    return frame


def quantile_groups(values, groups: int = 5, *, ascending: bool = True) -> np.ndarray:
    """Cut areas into ``groups`` equal groups by value: ``ceil(groups × rank / n)``.

    Parameters
    ----------
    values : array-like
        One value per area; missing values get no group (NaN) and are not counted in ``n``.
    groups : int
        5 for quintiles, 10 for deciles.
    ascending : bool
        Group 1 holds the lowest values (True) or the highest (False).

    Returns
    -------
    numpy.ndarray
        Group numbers as floats (NaN for missing values).  Tied values share the
        group of their best rank.

    Examples
    --------
    >>> quantile_groups([5, 1, 4, 2, 3, 9, 8, 7, 6, 10]).tolist()
    [3.0, 1.0, 2.0, 1.0, 2.0, 5.0, 4.0, 4.0, 3.0, 5.0]
    """
    series = pd.Series(np.asarray(values, dtype=np.float64))
    rank = series.rank(method="min", ascending=ascending)
    n = series.notna().sum()
    return np.ceil(rank.to_numpy() * groups / n) if n else np.full(len(series), np.nan)


def quintiles(values, *, ascending: bool = True) -> np.ndarray:
    """Quintile of each area (1 = lowest fifth when ``ascending``).

    Examples
    --------
    >>> quintiles([10, 20, 30, 40, 50]).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    return quantile_groups(values, 5, ascending=ascending)


def national_decile(rank, n: int) -> np.ndarray:
    """Decile of a national rank (1 = first tenth): ``ceil(10 × rank / n)``.

    Examples
    --------
    >>> national_decile([1, 3284, 3285, 32844], 32844).tolist()
    [1.0, 1.0, 2.0, 10.0]
    """
    return np.ceil(np.asarray(rank, dtype=np.float64) * 10.0 / n)


# --------------------------------------------------------------------------------------- helpers


def _level(confidence: float) -> float:
    level = float(confidence)
    if level >= 90:
        level /= 100.0
    if not 0.5 <= level < 1.0:
        raise ValueError("confidence must be a level such as 0.95 or 0.998 (or 95 or 99.8)")
    return level


def _arrays(x, n):
    return np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64)


def _scalar(array, like):
    return float(array) if np.ndim(like) == 0 and np.ndim(array) == 0 else array


def _interval(x, n, value, lower, upper, confidence, method) -> Interval:
    scalar = np.ndim(x) == 0 and (n is None or np.ndim(n) == 0)
    if scalar:
        method = str(np.asarray(method).reshape(())[()]) if not isinstance(method, str) else method
        return Interval(float(value), float(lower), float(upper), confidence, method)
    return Interval(np.asarray(value), np.asarray(lower), np.asarray(upper), confidence, method)
