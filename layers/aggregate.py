"""The one aggregation engine: indicator values for small areas, figures for any larger area.

Given a :class:`~layers.weights.Weights` from small areas (sources, usually
LSOAs) to larger ones (targets: wards, APBs, proposals, service areas) and an
indicator's values per source, :func:`aggregate` returns one figure per target
with the numerator, denominator, coverage and a plain-English description of how
the figure was made.  The rules:

* **count** — summed (apportioned counts are summed shares).
* **proportion** and **rate** — numerators and denominators are summed
  separately and the figure recomputed from the sums; rates and proportions are
  never averaged.
* **score** and **rank** — population-weighted means of the sources' values
  (an IMD score, an IMD rank as in MHCLG's "average rank").
* **decile** — the decile of the median resident: the population-weighted median
  of the sources' deciles (a decile cannot be averaged).

Missing values stay missing (NaN), never zero.  A source with no value, or no
population where one is needed, contributes nothing; the target's ``coverage``
says what share of its weight (population, or source count when there is no
population) had data.  By default (``min_coverage=1.0``) a target with any
missing input gets no figure, because a sum over fewer areas is an undercount;
pass a lower ``min_coverage`` to accept figures from the sources that have data,
and the method description then says how many were missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.weights import Weights

KINDS = ("count", "proportion", "rate", "score", "rank", "decile")

COLUMNS = ["value", "numerator", "denominator", "coverage", "sources", "missing", "method"]


def aggregate(
    weights: Weights,
    kind: str,
    *,
    value=None,
    numerator=None,
    denominator=None,
    population=None,
    per: float | None = None,
    min_coverage: float = 1.0,
    source_unit: str | None = None,
) -> pd.DataFrame:
    """Aggregate one indicator from the source areas of ``weights`` to its target areas.

    Parameters
    ----------
    weights : Weights
        Sources to targets (see :mod:`layers.weights`).
    kind : {"count", "proportion", "rate", "score", "rank", "decile"}
        The indicator's type.
    value : array-like or Series, optional
        Per-source values for ``count`` (or give ``numerator``), ``score``,
        ``rank`` and ``decile``.
    numerator, denominator : array-like or Series, optional
        Per-source numerators and denominators for ``proportion`` and ``rate``
        (``numerator`` alone for ``count``).
    population : array-like or Series, optional
        Per-source population: the weights of ``score``, ``rank`` and ``decile``
        (required for them), and of ``coverage`` for the other kinds.
    per : float, optional
        Multiplier: 100 for a percentage, 1000 for a rate per 1,000.  Default 1
        for proportions; required for rates.
    min_coverage : float
        Smallest share of a target's weight that must have data for the target
        to get a figure (1.0: all of it).
    source_unit : str, optional
        What a source is called in the descriptions; default ``weights.source_unit``.

    Every per-source input is either a Series indexed by source code (reindexed
    to ``weights.source_codes``; codes not in it count as missing) or a sequence
    in the order of ``weights.source_codes`` (as is a Series with a plain
    ``0..n-1`` index).

    Returns
    -------
    DataFrame
        Indexed by target code, with columns ``value``, ``numerator``,
        ``denominator``, ``coverage`` (share of the target's weight with data),
        ``sources`` (number of sources contributing), ``missing`` (number of
        contributing sources without data) and ``method`` (how the figure was
        made, in words).  For scores and ranks ``numerator`` is the
        population-weighted sum and ``denominator`` the population; for deciles
        ``denominator`` is the population.

    Raises
    ------
    ValueError
        For an unknown kind, missing inputs, negative counts or populations, or
        inputs of the wrong length.

    Examples
    --------
    >>> from layers.weights import lookup_weights
    >>> w = lookup_weights({"a": "X", "b": "X", "c": "Y"}, source_unit="LSOA")
    >>> out = aggregate(w, "proportion", numerator=[10, 30, 5], denominator=[100, 100, 50], per=100)
    >>> out[["value", "numerator", "denominator"]]  # doctest: +NORMALIZE_WHITESPACE
          value  numerator  denominator
    code
    X      20.0       40.0        200.0
    Y      10.0        5.0         50.0
    >>> out.loc["X", "method"]
    'Recomputed from summed numerators and denominators of 2 LSOAs (exact nesting)'
    """
    _check_kind(kind, min_coverage)
    if kind == "count":
        values = numerator if numerator is not None else value
        denominators = None
    elif kind in ("proportion", "rate"):
        if numerator is None or denominator is None:
            raise ValueError(f"a {kind} needs both numerator= and denominator= per source")
        values, denominators = numerator, denominator
    else:
        values, denominators = value, None
    x = _matrix(values, weights, kind if kind != "proportion" and kind != "rate" else "numerator")
    n = None if denominators is None else _matrix(denominators, weights, "denominator")
    block = _block(weights, kind, x, n, population, per, min_coverage, source_unit, ["value"])
    return pd.DataFrame(
        {field: block[field][:, 0] for field in COLUMNS},
        index=pd.Index(list(weights.target_codes), name="code"),
    )


def aggregate_many(
    weights: Weights,
    kind: str,
    values: pd.DataFrame,
    *,
    denominators: pd.DataFrame | None = None,
    population=None,
    per: float | None = None,
    min_coverage: float = 1.0,
    source_unit: str | None = None,
) -> pd.DataFrame:
    """Aggregate several indicators of one type at once, with one sparse product for all of them.

    Parameters
    ----------
    weights : Weights
        Built once, used for every indicator.
    kind : str
        The indicators' type, as for :func:`aggregate`.
    values : DataFrame
        One column per indicator (numerators for proportions and rates), rows
        indexed by source code, or with a plain ``0..n-1`` index in the order of
        ``weights.source_codes``.
    denominators : DataFrame, optional
        For proportions and rates: same columns as ``values``.
    population, per, min_coverage, source_unit
        As for :func:`aggregate`.

    Returns
    -------
    DataFrame
        Indexed by target code, with two column levels: indicator, then the
        fields of :func:`aggregate` (``value``, ``numerator``, ...).

    Examples
    --------
    >>> from layers.weights import lookup_weights
    >>> w = lookup_weights({"a": "X", "b": "X"}, source_unit="LSOA")
    >>> out = aggregate_many(w, "count", pd.DataFrame({"people": [3, 4], "homes": [1, 2]}, index=["a", "b"]))
    >>> out.loc["X", ("people", "value")], out.loc["X", ("homes", "method")]
    (np.float64(7.0), 'Sum of 2 LSOAs (exact nesting)')
    """
    _check_kind(kind, min_coverage)
    if not isinstance(values, pd.DataFrame):
        raise TypeError("values must be a DataFrame with one column per indicator")
    names = [str(column) for column in values.columns]
    x = _matrix(values, weights, "value")
    n = None
    if kind in ("proportion", "rate"):
        if denominators is None:
            raise ValueError(f"a {kind} needs denominators= (same columns as values)")
        n = _matrix(denominators[list(values.columns)], weights, "denominator")
    block = _block(weights, kind, x, n, population, per, min_coverage, source_unit, names)
    data = {(name, field): block[field][:, k] for k, name in enumerate(names) for field in COLUMNS}
    return pd.DataFrame(data, index=pd.Index(list(weights.target_codes), name="code"))


# --------------------------------------------------------------------------------------- engine


def _check_kind(kind: str, min_coverage: float) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown indicator type {kind!r}; use one of {', '.join(KINDS)}")
    if not 0.0 <= min_coverage <= 1.0:
        raise ValueError("min_coverage must be between 0 and 1")


def _block(weights, kind, x, n, population, per, min_coverage, source_unit, names) -> dict[str, np.ndarray]:
    """Aggregate the k columns of ``x`` (sources x k) to targets; every field is targets x k."""
    unit = source_unit or weights.source_unit
    pop = None
    if population is not None:
        pop = _matrix(population, weights, "population")[:, 0]
        if np.any(pop < 0):
            raise ValueError("populations cannot be negative")
    wt = weights.matrix_t
    k = x.shape[1]
    if kind == "count" and np.any(x < 0):
        raise ValueError("counts cannot be negative")
    if kind in ("proportion", "rate"):
        if kind == "rate" and per is None:
            raise ValueError("a rate needs per= (e.g. per=1000 for a rate per 1,000)")
        if np.any(n < 0):
            raise ValueError("denominators cannot be negative")
    if kind in ("score", "rank", "decile") and pop is None:
        raise ValueError(f"a {kind} is aggregated as a population-weighted mean: pass population=")

    if kind in ("count", "proportion", "rate"):
        has = np.isfinite(x) if n is None else np.isfinite(x) & np.isfinite(n)
        weight = np.ones(x.shape[0]) if pop is None else np.where(np.isfinite(pop), pop, 0.0)
        num = wt @ np.where(has, x, 0.0)
        if n is None:
            den = np.full(num.shape, np.nan)
            value = num.copy()
        else:
            den = wt @ np.where(has, n, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(den > 0, num / den * (1.0 if per is None else float(per)), np.nan)
    else:
        p = np.where(np.isfinite(pop), pop, 0.0)
        has = np.isfinite(x) & np.isfinite(pop)[:, None]
        weight = p
        pw = np.where(has, p[:, None], 0.0)
        if kind == "decile":
            if np.any(has & ~np.isin(x, np.arange(1, 11))):
                raise ValueError("deciles must be whole numbers from 1 to 10")
            value = np.empty((wt.shape[0], k))
            for j in range(k):
                by_decile = np.column_stack([wt @ (pw[:, j] * (x[:, j] == d)) for d in range(1, 11)])
                total = by_decile.sum(axis=1)
                reached = np.cumsum(by_decile, axis=1) >= (0.5 - 1e-12) * total[:, None]
                value[:, j] = np.where(total > 0, np.argmax(reached, axis=1) + 1.0, np.nan)
            num = np.full(value.shape, np.nan)
            den = wt @ pw
        else:
            num = wt @ (pw * np.where(has, x, 0.0))
            den = wt @ pw
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(den > 0, num / den, np.nan)

    sources = weights._sources_per_target
    missing = weights.pattern_t @ (~has).astype(np.float64)
    total = wt @ weight
    with_data = wt @ (has * weight[:, None])
    fallback = np.where(sources[:, None] > 0, np.where(missing == 0, 1.0, 0.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(total[:, None] > 0, with_data / total[:, None], fallback)
    complete = missing == 0
    enough = np.where(np.isfinite(coverage), coverage >= min_coverage - 1e-12, False) & (min_coverage < 1.0)
    ok = (sources[:, None] > 0) & (complete | enough)
    value = np.where(ok, value, np.nan)
    num = np.where(ok, num, np.nan)
    den = np.where(ok, den, np.nan)
    methods = _methods(weights, kind, unit, value, missing, coverage, min_coverage)
    return {
        "value": value,
        "numerator": num,
        "denominator": den,
        "coverage": coverage,
        "sources": np.repeat(sources[:, None], k, axis=1),
        "missing": missing.astype(int),
        "method": methods,
    }


_HEADS = {
    "count": "Sum of {n:,} {units}",
    "proportion": "Recomputed from summed numerators and denominators of {n:,} {units}",
    "rate": "Recomputed from summed numerators and denominators of {n:,} {units}",
    "score": "Population-weighted mean of {n:,} {unit} scores",
    "rank": "Population-weighted mean of {n:,} {unit} ranks",
    "decile": "Decile of the median resident (population-weighted median of {n:,} {unit} deciles)",
}


def _methods(weights, kind, unit, value, missing, coverage, min_coverage) -> np.ndarray:
    """The method description of every target and indicator (targets x k)."""
    base = _base_methods(weights, kind, unit)
    out = np.repeat(base[:, None], value.shape[1], axis=1)
    sources = weights._sources_per_target
    for j, k in zip(*np.nonzero(missing), strict=True):
        n = int(sources[j])
        gap = (f"{int(missing[j, k])} of {n} {unit if n == 1 else unit + 's'} without data "
               f"({1.0 - coverage[j, k]:.0%} of the weight)")
        if np.isfinite(value[j, k]):
            out[j, k] = f"{base[j]}; {gap}, figure from the rest"
        else:
            needs = "" if min_coverage >= 1.0 else f" (needs {min_coverage:.0%} coverage)"
            out[j, k] = f"{base[j]}; {gap}, so no figure{needs}"
    return out


def _base_methods(weights, kind, unit) -> np.ndarray:
    cache = weights.__dict__.setdefault("_method_texts", {})
    key = (kind, unit)
    if key not in cache:
        texts = []
        for n, split in zip(weights._sources_per_target, weights._split_per_target, strict=True):
            n, split = int(n), int(split)
            if n == 0:
                texts.append(f"No {unit}s fall in this area")
                continue
            how = weights.phrase + (f", {split} of them split" if split and n > 1 else ", split" if split else "")
            units = unit if n == 1 else f"{unit}s"
            texts.append(_HEADS[kind].format(n=n, units=units, unit=unit) + f" ({how})")
        cache[key] = np.array(texts, dtype=object)
    return cache[key]


def _matrix(values, weights: Weights, what: str) -> np.ndarray:
    """Per-source values as a float array of shape (sources, k), aligned to the weights' source codes."""
    if values is None:
        raise ValueError(f"no {what} values given")
    if isinstance(values, (pd.Series, pd.DataFrame)):
        frame = values.to_frame() if isinstance(values, pd.Series) else values
        if isinstance(frame.index, pd.RangeIndex) and frame.index.equals(pd.RangeIndex(weights.shape[0])):
            return _matrix(frame.to_numpy(dtype=object), weights, what)  # a plain 0..n-1 index: by position
        index = frame.index.map(str)
        if index.has_duplicates:
            raise ValueError(f"the {what} values have duplicate source codes")
        codes = weights.__dict__.get("_code_index")
        if codes is None:
            codes = weights.__dict__.setdefault("_code_index", pd.Index(weights.source_codes))
        if index.equals(codes):
            array = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            position = index.get_indexer(codes)
            source = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            array = np.full((len(codes), source.shape[1]), np.nan)
            found = position >= 0
            array[found] = source[position[found]]
        return array
    array = np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None)
    array = pd.DataFrame(array.reshape(len(array), -1)).apply(pd.to_numeric, errors="coerce")
    array = array.to_numpy(dtype=np.float64, na_value=np.nan)
    if array.shape[0] != weights.shape[0]:
        raise ValueError(f"{array.shape[0]} {what} values for {weights.shape[0]} source areas")
    return array
