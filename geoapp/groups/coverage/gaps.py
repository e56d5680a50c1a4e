"""Needs against provision: where need is high and groups serving a theme are few.

For each area of a set: the need (any stored indicator, aggregated by :mod:`geoapp.figures`) and the groups
serving the chosen theme per 1,000 residents (:mod:`geoapp.groups.coverage.counts`). Each is cut into terciles
(thirds of the areas, at mapclassify's 33⅓ and 66⅔ percentile breaks; tied values share a tercile). The
need is turned by the indicator's polarity so that tercile 3 is always the worse end; provision tercile 1
is the fewest groups per 1,000. The two terciles make a 3 × 3 bivariate class, and an area with need
tercile 3 and provision tercile 1 is flagged "high need, few groups".
"""
from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from layers.figures import polarity
from layers.groups import THEMES

from ... import figures
from ...errors import InvalidInput
from ...storage.indicators import list_indicators
from .counts import HOW, HOW_WORDS, METHOD, coverage, per_1000

#: Need indicators offered first, in order, when none is chosen.
DEFAULT_NEED = ("imd2019-score", "imd_score", "imd2019-income-rate", "income_deprivation_rate")
#: Bivariate colours by (need tercile, provision tercile): Joshua Stevens' 3 × 3 red-blue scheme. Need
#: grows to the right (red), provision upwards (blue); high need with few groups is the strong red.
COLOURS = {(1, 1): "#e8e8e8", (2, 1): "#e4acac", (3, 1): "#c85a5a",
           (1, 2): "#b0d5df", (2, 2): "#ad9ea5", (3, 2): "#985356",
           (1, 3): "#64acbe", (2, 3): "#627f8c", (3, 3): "#574249"}
NO_DATA = "#ffffff"
LEVEL = {1: "low", 2: "middle", 3: "high"}
PROVISION = {1: "few", 2: "some", 3: "more"}
TERCILES = ("Terciles are thirds of the areas, cut at the 33⅓ and 66⅔ percentiles (mapclassify's quantile "
            "breaks); areas with tied values share a tercile, so the thirds can be uneven.")


def terciles(values) -> tuple[np.ndarray, list[float]]:
    """Tercile (1, 2, 3; 0 for no data) of each value, and the two breaks: value ≤ b1 is 1, ≤ b2 is 2.

    The breaks are mapclassify's Quantiles(k=3) breaks before ties are merged, so without ties the
    result is ``Quantiles(values, k=3).yb + 1``.

    >>> t, breaks = terciles([5, 1, 3, 2, 6, 4, float("nan")])
    >>> t.tolist(), [round(b, 3) for b in breaks]
    ([3, 1, 2, 1, 3, 2, 0], [2.667, 4.333])
    """
    y = np.asarray(values, dtype=float)
    has = np.isfinite(y)
    out = np.zeros(len(y), dtype=int)
    if not has.any():
        return out, []
    b1, b2 = (float(v) for v in np.percentile(y[has], [100 / 3, 200 / 3]))
    out[has] = 1 + (y[has] > b1) + (y[has] > b2)
    return out, [b1, b2]


def need_options(session: Session) -> list[dict]:
    """Every stored indicator as a possible need, with its theme and polarity."""
    return [{"id": i.id, "title": i.title, "theme": i.theme, "polarity": i.polarity, "type": i.type}
            for i in list_indicators(session)]


def default_need(session: Session) -> str | None:
    ids = [o["id"] for o in need_options(session)]
    return next((i for i in DEFAULT_NEED if i in ids), ids[0] if ids else None)


def gaps(session: Session, set_id: str, indicator_id: str | None = None, *, theme: str | None = None,
         how: str = "serving") -> dict:
    """The needs-versus-provision table of ``set_id``: every area with both terciles, its bivariate
    class and the "high need, few groups" flag, ranked (flagged first, each part by need, highest first)."""
    if theme and theme not in THEMES:
        raise InvalidInput(f"'{theme}' is not a partnership theme; choose one of {', '.join(THEMES)}.")
    if how not in HOW:
        raise InvalidInput("count= must be 'serving' (groups serving the area) or 'based' (groups based in it).")
    indicator_id = indicator_id or default_need(session)
    if indicator_id is None:
        raise InvalidInput("No indicators are loaded, so there is no need to compare groups with.")
    cov = coverage(session, set_id)
    fig = figures.figures(session, set_id, [indicator_id])[indicator_id]
    direction = polarity(fig.indicator["polarity"])
    turn = -1.0 if direction == "high_is_good" else 1.0
    need = fig.table["value"].reindex(cov.areas.index).to_numpy(dtype=float)
    need_t, need_breaks = terciles(need * turn)
    counts = cov.counts(how, theme=theme)
    population = cov.areas["population"].to_numpy(dtype=float)
    rate = np.array([np.nan if r is None else r for r in (per_1000(n, p) for n, p in zip(counts, population))])
    prov_t, prov_breaks = terciles(rate)
    rows = []
    for i, (code, name) in enumerate(zip(cov.areas.index, cov.areas["name"])):
        nt, pt = int(need_t[i]), int(prov_t[i])
        cls = f"{nt}-{pt}" if nt and pt else None
        rows.append({"code": code, "name": name, "need": _plain(need[i]), "need_tercile": nt or None,
                     "groups": int(counts.iloc[i]), "population": _plain(population[i]),
                     "per_1000": _plain(rate[i]), "provision_tercile": pt or None, "class": cls,
                     "colour": COLOURS[(nt, pt)] if cls else NO_DATA,
                     "flagged": nt == 3 and pt == 1})
    order = sorted(range(len(rows)), key=lambda i: (not rows[i]["flagged"], rows[i]["need"] is None,
                                                    -turn * (rows[i]["need"] or 0), rows[i]["name"]))
    ranked = [rows[i] | {"rank": n} for n, i in enumerate(order, start=1)]
    cells = [{"class": f"{n}-{p}", "need_tercile": n, "provision_tercile": p, "colour": COLOURS[(n, p)],
              "count": sum(r["class"] == f"{n}-{p}" for r in rows),
              "label": f"{LEVEL[n]} need, {PROVISION[p]} groups"} for p in (3, 2, 1) for n in (1, 2, 3)]
    return {
        "geography": cov.geography,
        "need": {"indicator": fig.indicator, "period": fig.period, "source": fig.indicator["source"],
                 "licence": fig.indicator["licence"], "method": fig.weights, "polarity": direction,
                 "display_factor": fig.display_factor,
                 "high_need_is": "lower values" if turn < 0 else "higher values",
                 "breaks": sorted(b * turn for b in need_breaks), "words": _need_words(need_breaks, turn, fig)},
        "provision": {"theme": theme, "count": how, "counted": HOW_WORDS[how],
                      "population": cov.population, "breaks": prov_breaks, "method": METHOD},
        "terciles": TERCILES,
        "cells": cells,
        "flagged": sum(r["flagged"] for r in rows),
        "no_data": sum(r["class"] is None for r in rows),
        "areas": ranked,
        "notes": cov.notes + cov.borough_wide_note(how, theme=theme) + _tie_notes(need_t, prov_t),
    }


def _need_words(breaks, turn, fig) -> dict:
    """Each need tercile's range in the indicator's own units, in words."""
    if len(breaks) < 2:
        return {}
    f = fig.display_factor
    unit = "%" if fig.indicator["unit"] == "%" and f == 100 else ""
    b1, b2 = (f"{round(b * turn * f, 3):,g}{unit}" for b in breaks)
    if turn > 0:
        return {"low": f"{b1} or less", "middle": f"above {b1} up to {b2}", "high": f"above {b2}"}
    return {"low": f"{b1} or more", "middle": f"from {b2} up to {b1}", "high": f"below {b2}"}


def _tie_notes(need_t, prov_t) -> list[str]:
    notes = []
    for label, t in (("need", need_t), ("groups per 1,000", prov_t)):
        sizes = [int((t == k).sum()) for k in (1, 2, 3)]
        if sum(sizes) and max(sizes) - min(sizes) > max(2, sum(sizes) // 10):
            notes.append(f"Many areas have the same {label}, so the thirds by {label} hold {sizes[0]}, {sizes[1]} "
                         f"and {sizes[2]} areas rather than equal numbers (areas with the same value always share "
                         "a third).")
    return notes


def _plain(value):
    return None if value is None or not np.isfinite(value) else float(value)
