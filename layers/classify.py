"""Map classes for one indicator's figures: mapclassify breaks and a colour-blind-safe sequential palette.

Pure functions (no Flask, no storage); they belong in ``layers/`` once that package's owner takes them.
"""
from __future__ import annotations

import warnings

import mapclassify
import numpy as np

SCHEMES = ("quantiles", "fisher_jenks", "equal_interval", "user")
MIN_K, MAX_K = 2, 9

#: ColorBrewer YlGnBu (9 classes), light to dark: sequential and safe for colour-blind readers.
PALETTE = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")
#: No data: a mid grey unlike every palette colour (drawn hatched on the map).
NO_DATA = "#9e9e9e"


class ClassesError(ValueError):
    """A request for classes that cannot be met (bad scheme, k or breaks)."""


def palette(k: int, polarity: str) -> list[str]:
    """``k`` colours, class 0 (lowest values) first, oriented so that darker means worse.

    With ``low_is_good`` (higher is worse) high values are dark; with ``high_is_good`` the
    palette is reversed so low values are dark; without a judgement darker means higher.

    Examples
    --------
    >>> palette(3, "low_is_good")
    ['#ffffd9', '#41b6c4', '#081d58']
    >>> palette(3, "high_is_good")
    ['#081d58', '#41b6c4', '#ffffd9']
    """
    picks = [PALETTE[int(i)] for i in np.round(np.linspace(0, len(PALETTE) - 1, k))]
    return picks[::-1] if polarity == "high_is_good" else picks


def classify(values, *, scheme: str = "quantiles", k: int = 5, breaks=None,
             polarity: str = "no_judgement") -> dict:
    """Classify ``values`` (NaN is no data) and describe the classes.

    Returns a dict with ``scheme``, ``k``, ``breaks`` (upper bounds), ``classes`` (one per value:
    class index, or None for no data), ``legend`` (per class: lower, upper, count, colour, label),
    ``colours``, ``no_data`` (colour and count) and ``notes`` (mapclassify's warnings, in words).

    Examples
    --------
    >>> out = classify([1.0, 2.0, 3.0, 4.0, float("nan")], scheme="equal_interval", k=2)
    >>> out["breaks"], out["classes"], out["no_data"]["count"]
    ([2.5, 4.0], [0, 0, 1, 1, None], 1)
    """
    if scheme not in SCHEMES:
        raise ClassesError(f"Unknown classification scheme '{scheme}'; use one of {', '.join(SCHEMES)}.")
    y = np.asarray(values, dtype=float)
    has = np.isfinite(y)
    data = y[has]
    notes = []
    if scheme == "user":
        bins = sorted(float(b) for b in (breaks or []))
        if not bins:
            raise ClassesError("A user-defined classification needs breaks=, e.g. breaks=0.1,0.2,0.3.")
        if len(bins) > MAX_K:
            raise ClassesError(f"Give at most {MAX_K} breaks.")
    elif not MIN_K <= k <= MAX_K:
        raise ClassesError(f"k must be between {MIN_K} and {MAX_K}.")
    if data.size == 0:
        return _result(scheme, 0, [], [None] * len(y), [], [], int((~has).sum()),
                       ["No area has a value, so there is nothing to classify."])
    unique = np.unique(data).size
    if scheme != "user" and k > unique:
        notes.append(f"Only {unique} distinct value{'s' if unique != 1 else ''}: {unique} class"
                     f"{'es' if unique != 1 else ''} instead of {k}.")
        k = unique
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if scheme == "user":
            if bins[-1] < data.max():
                bins.append(float(data.max()))
            found = mapclassify.UserDefined(data, bins=bins)
        elif k == 1:
            found = mapclassify.UserDefined(data, bins=[float(data.max())])
        elif scheme == "quantiles":
            found = mapclassify.Quantiles(data, k=k)
        elif scheme == "fisher_jenks":
            found = mapclassify.FisherJenks(data, k=k)
        else:
            found = mapclassify.EqualInterval(data, k=k)
    notes += [str(w.message) for w in caught if "Numba" not in str(w.message)]
    upper = [float(b) for b in found.bins]
    n_classes = len(upper)
    classes = np.full(len(y), -1)
    classes[has] = found.yb
    counts = [int((found.yb == i).sum()) for i in range(n_classes)]
    lowers = [float(data.min())] + upper[:-1]
    return _result(scheme, n_classes, upper, [None if c < 0 else int(c) for c in classes],
                   lowers, counts, int((~has).sum()), notes, palette(n_classes, polarity))


def _result(scheme, k, upper, classes, lowers, counts, missing, notes, colours=()) -> dict:
    legend = [{"class": i, "lower": lowers[i], "upper": upper[i], "count": counts[i], "colour": colours[i]}
              for i in range(k)]
    return {"scheme": scheme, "k": k, "breaks": upper, "classes": classes, "legend": legend,
            "colours": list(colours), "no_data": {"colour": NO_DATA, "count": missing, "label": "No data"},
            "notes": notes}
