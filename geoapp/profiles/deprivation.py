"""Deprivation in a profile: the IoD2019 summary measures and the population by national decile.

The store holds IoD2019 values as indicators whose ``source_column`` is a File 7 column name; they are
put back into a File 7-shaped table for :mod:`layers.imd`. An area's LSOAs (with their shares, when an
LSOA is split) come from the same weights the indicator figures use.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.imd import DOMAINS, MEASURE_LABELS, MEASURES, summarise
from layers.weights import Weights

from ..figures import latest_period, set_version, store_id
from ..storage.indicators import load_values, values_version
from ..storage.models import Indicator

#: Plain names of the IoD2019 indices and domains, for labels.
DOMAIN_LABELS = {"IMD": "Index of Multiple Deprivation", "Income": "Income", "Employment": "Employment",
                 "Education": "Education, skills and training", "Health": "Health and disability",
                 "Crime": "Crime", "Barriers": "Barriers to housing and services",
                 "Living Environment": "Living environment", "IDACI": "Income deprivation affecting children",
                 "IDAOPI": "Income deprivation affecting older people"}

_FRAMES: dict[tuple, pd.DataFrame] = {}
#: Summaries of this many stored areas are kept (least recently used dropped).
AREAS_CACHE_SIZE = 20_000
_AREAS: OrderedDict = OrderedDict()
_LOCK = threading.Lock()

SOURCE = ("English Indices of Deprivation 2019 (MHCLG), File 7; summary measures as defined for local "
          "authority districts in File 10 and the technical report")
METHOD = ("Population-weighted over the LSOAs in the area (mid-2015 IoD2019 denominators); an LSOA split "
          "between areas counts with its share. Ranks turned round so that higher means more deprived, "
          "as in File 10.")


def iod_columns(session: Session) -> dict[str, str]:
    """Indicator id for each File 7 column the store holds (scores, ranks, deciles, denominators)."""
    wanted = {c for d in DOMAINS.values() for c in (d.score, d.rank, d.decile, d.population)}
    rows = session.execute(select(Indicator.id, Indicator.source_column)
                           .where(Indicator.source_column.in_(sorted(wanted)))).all()
    return {column: indicator_id for indicator_id, column in rows}


def iod_frame(session: Session, source, columns: dict[str, str]) -> pd.DataFrame:
    """A File 7-shaped table (index: LSOA code) of the IoD2019 values held for the LSOA set (cached)."""
    key = (store_id(session), source.id, set_version(source), values_version(session))
    with _LOCK:
        if key in _FRAMES:
            return _FRAMES[key]
    values = load_values(session, source.id, list(columns.values()))
    frame = {}
    for column, indicator_id in columns.items():
        own = values[values["indicator"] == indicator_id]
        own = own[own["period"] == latest_period(own["period"])]
        frame[column] = own.set_index("code")["value"]
    frame = pd.DataFrame(frame)
    with _LOCK:
        _FRAMES.clear()  # one table per process: the store's current one
        _FRAMES[key] = frame
    return frame


def for_area(session: Session, source, target, weights: Weights, code: str) -> dict | None:
    """:func:`deprivation` of one area of a stored set, kept until either set or the values change."""
    key = (store_id(session), source.id, set_version(source), target.id, set_version(target),
           values_version(session), code)
    with _LOCK:
        if key in _AREAS:
            _AREAS.move_to_end(key)
            return _AREAS[key]
    found = deprivation(session, source, column_weights(weights, code))
    with _LOCK:
        _AREAS[key] = found
        while len(_AREAS) > AREAS_CACHE_SIZE:
            _AREAS.popitem(last=False)
    return found


def column_weights(weights: Weights, code: str) -> Weights:
    """The part of ``weights`` that goes to one target area."""
    j = weights.target_codes.index(code)
    return Weights(matrix=weights.matrix[:, [j]], source_codes=weights.source_codes, target_codes=(code,),
                   method=weights.method, source_unit=weights.source_unit, phrase=weights.phrase)


def deprivation(session: Session, source, weights: Weights) -> dict | None:
    """Summary measures and decile shares for the single target of ``weights``; None without IoD data."""
    columns = iod_columns(session)
    if not columns:
        return None
    frame = iod_frame(session, source, columns)
    domains = [name for name, d in DOMAINS.items() if d.rank in frame.columns or d.score in frame.columns]
    if not domains:
        return None
    table = summarise(frame, weights, domains=domains)
    summary = []
    for row in table.to_dict("records"):
        summary.append({"domain": row["domain"], "label": DOMAIN_LABELS[row["domain"]],
                        "lsoas": round(float(row["lsoas"]), 2), "population": _plain(row["population"]),
                        "notes": row["notes"] or None}
                       | {m: _plain(row[m]) for m in MEASURES})
    return {"measures": [{"id": m, "label": MEASURE_LABELS[m]} for m in MEASURES], "summary": summary,
            "deciles": _deciles(frame, weights, domains), "source": SOURCE, "method": METHOD}


def _deciles(frame: pd.DataFrame, weights: Weights, domains: list[str]) -> list[dict]:
    """For each domain with deciles: the share of the area's population in each national decile."""
    coo = weights.matrix.tocoo()
    codes = np.asarray(weights.source_codes, dtype=object)[coo.row]
    out = []
    for name in domains:
        domain = DOMAINS[name]
        if domain.decile not in frame.columns or domain.population not in frame.columns:
            continue
        decile = frame[domain.decile].reindex(codes).to_numpy(dtype=float)
        people = frame[domain.population].reindex(codes).to_numpy(dtype=float) * coo.data
        known = np.isfinite(decile) & np.isfinite(people)
        total = people[known].sum()
        if not known.any() or total <= 0:
            continue
        shares = [float(people[known & (decile == d)].sum() / total) for d in range(1, 11)]
        out.append({"domain": name, "label": DOMAIN_LABELS[name], "population": float(total), "shares": shares})
    return out


def _plain(value):
    value = float(value)
    return value if np.isfinite(value) else None
