"""Indicator figures for any boundary set: LSOA values aggregated with intervals and a borough comparison.

The service between storage and the core: it loads the values held for the small areas (the LSOA set),
builds (once per pair of set versions) the weights from those areas to the chosen set, aggregates each
indicator with :func:`layers.aggregate.aggregate`, adds 95% intervals (Wilson for proportions, exact or
Byar's for counts and rates) and compares every area with the borough (the ``lad`` set) by polarity.

Weights: a set whose areas the LSOAs nest in (within a 0.5% sliver tolerance) gets exact nesting; a set
built from blocks (APBs from wards) that LSOAs do not nest in gets best fit from the coterminosity lookup
(each LSOA wholly to the area holding the largest share of its population, split by postcodes when they
are loaded: see :mod:`geoapp.alignment.service`), so its figures are sums over whole LSOAs; any other set
(service areas, proposals) gets apportionment by area of overlap.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from layers.aggregate import aggregate
from layers.intervals import compare, count_interval, polarity_of, rate_interval, wilson
from layers.weights import (
    NestingError,
    Weights,
    WeightsCache,
    area_weights,
    lookup_weights,
    nested_weights,
    weights_key,
)

from .errors import NotFound
from .storage import boundary_sets, postcodes
from .storage.indicators import indicator_summary, list_indicators, load_values, periods, values_version
from .storage.models import Indicator

#: Weights between pairs of boundary-set versions, shared by every request of the process.
WEIGHTS = WeightsCache(maxsize=64)
#: Figures by store, set versions, indicator import, period and indicators (least recently used dropped).
FIGURES_CACHE_SIZE = 64
_FIGURES: OrderedDict = OrderedDict()
_FIGURES_LOCK = threading.Lock()

#: Indicators tried, in order, as the population that weights scores, ranks and deciles.
POPULATION_IDS = ("population-total", "population")
CONFIDENCE = 0.95


@dataclass
class IndicatorFigures:
    """One indicator's figures for every area of one boundary set."""

    indicator: dict
    geography: dict
    period: str | None
    table: pd.DataFrame
    borough: dict | None
    weights: str
    display_factor: float = 1.0
    notes: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)

    def records(self) -> list[dict]:
        """Per-area rows as plain JSON-ready dicts (NaN becomes None)."""
        rows = self.table.reset_index().to_dict("records")
        return [{k: _plain(v) for k, v in row.items()} for row in rows]

    def as_dict(self) -> dict:
        return {"indicator": self.indicator, "geography": self.geography, "period": self.period,
                "source": self.indicator["source"], "licence": self.indicator["licence"],
                "confidence": CONFIDENCE, "weights": self.weights, "display_factor": self.display_factor,
                "borough": self.borough, "notes": self.notes, "periods": self.periods,
                "areas": self.records()}


def source_set(session: Session):
    """The set holding the small-area values: the first set of kind ``lsoa``."""
    for bset in boundary_sets.list_sets(session):
        if bset.kind == "lsoa":
            return bset
    raise NotFound("No LSOA boundary set is loaded, so there are no indicator values to aggregate.")


def borough_set(session: Session):
    """The borough: the first set of kind ``lad``, or None."""
    return next((s for s in boundary_sets.list_sets(session) if s.kind == "lad"), None)


def get_indicator(session: Session, indicator_id: str) -> Indicator:
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(f"There is no indicator called '{indicator_id}'.")
    return indicator


def weights_for(session: Session, source, target) -> Weights:
    """Weights from ``source`` to ``target`` (BoundarySets), cached by both sets' ids and versions."""
    extra = (values_version(session), postcodes.state(session)) if target.built_from else ()
    key = weights_key(source.id, set_version(source), target.id, set_version(target), "auto", store_id(session),
                      *extra)

    def build() -> Weights:
        src = boundary_sets.load_areas(session, source.id)
        if source.id == target.id:
            return lookup_weights(dict(zip(src["code"], src["code"])), source_unit="LSOA")
        tgt = boundary_sets.load_areas(session, target.id)
        try:
            return nested_weights(src, tgt, source_unit="LSOA")
        except NestingError as error:
            if target.built_from:
                from .alignment.service import best_fit_weights  # the lookup needs this module's population
                return best_fit_weights(session, source, target)
            return error.area_weights

    return WEIGHTS.get_or_build(key, build)


def set_version(bset) -> str:
    """A set's version, made unique across delete and re-import by its creation time."""
    created = bset.created_at.timestamp() if bset.created_at is not None else 0
    return f"{bset.version}.{created:.6f}"


def store_id(session: Session) -> str:
    """Which store the session reads (one process may serve, or test, several)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def latest_period(periods) -> str | None:
    """The latest of some period labels ("2019", "mid-2015", "2023/24"), by their last four-digit year."""
    periods = sorted({p for p in periods if p is not None})
    if not periods:
        return None
    return max(periods, key=lambda p: ((re.findall(r"\d{4}", p) or ["0000"])[-1], p))


def figures(session: Session, set_id: str, indicator_ids: list[str], *, period: str | None = None,
            with_borough: bool = True) -> dict[str, IndicatorFigures]:
    """Figures of the given indicators for every area of ``set_id``, keyed by indicator id.

    ``period`` picks one period for all of them; by default each indicator's latest. Results are
    cached per store, set versions and indicator import; callers must not modify them.
    """
    target = boundary_sets.get_set(session, set_id)
    source = source_set(session)
    key = (store_id(session), set_id, set_version(target), set_version(source), values_version(session),
           period, with_borough, tuple(indicator_ids))
    with _FIGURES_LOCK:
        if key in _FIGURES:
            _FIGURES.move_to_end(key)
            return _FIGURES[key]
    areas = boundary_sets.load_areas(session, set_id)
    found = _figures(session, weights_for(session, source, target), dict(zip(areas["code"], areas["name"])),
                     boundary_sets.set_summary(target), indicator_ids, period=period,
                     borough=(borough_set(session) if with_borough else None), own_id=set_id)
    with _FIGURES_LOCK:
        _FIGURES[key] = found
        while len(_FIGURES) > FIGURES_CACHE_SIZE:
            _FIGURES.popitem(last=False)
    return found


def figures_for_areas(session: Session, areas, indicator_ids: list[str], *, geography: dict,
                      period: str | None = None) -> dict[str, IndicatorFigures]:
    """Figures for areas that are not stored (a freehand area): LSOAs apportioned by area of overlap.

    ``areas`` is a GeoDataFrame in EPSG:27700 with ``code`` and ``name``; nothing is cached.
    """
    source = source_set(session)
    weights = area_weights(boundary_sets.load_areas(session, source.id), areas, source_unit="LSOA")
    return _figures(session, weights, dict(zip(areas["code"], areas["name"])), geography, indicator_ids,
                    period=period, borough=borough_set(session), own_id=None)


def _figures(session, weights, names, geography, indicator_ids, *, period, borough, own_id):
    source = source_set(session)
    indicators = [get_indicator(session, i) for i in indicator_ids]
    values = load_values(session, source.id, indicator_ids, period)
    population = _population(session, source.id)
    borough_figs = {}
    if borough is not None and borough.id != own_id:
        borough_figs = figures(session, borough.id, indicator_ids, period=period, with_borough=False)
    out = {}
    for indicator in indicators:
        own = values[values["indicator"] == indicator.id]
        chosen = period or latest_period(own["period"])
        own = own[own["period"] == chosen].set_index("code")
        table, notes = _aggregate(indicator, own, weights, population)
        table.insert(0, "name", [names.get(c, c) for c in table.index])
        bench = None
        if borough is not None:
            if borough.id == own_id:
                bench_row = table.iloc[0]
                bench = {"code": table.index[0], "name": bench_row["name"]}
            else:
                other = borough_figs[indicator.id]
                bench_row = other.table.iloc[0]
                bench = {"code": other.table.index[0], "name": bench_row["name"]}
            bench |= {k: _plain(bench_row[k]) for k in ("value", "lower", "upper", "numerator", "denominator")}
            if indicator.type == "count":
                table["comparison"] = "not compared"
                notes.append("A count grows with an area's size, so areas are not compared with the borough's "
                             "total; see the matching rate or proportion.")
            else:
                table["comparison"] = compare((table["lower"].to_numpy(), table["upper"].to_numpy()),
                                              np.nan if bench["value"] is None else bench["value"],
                                              polarity(indicator.polarity))
        else:
            table["comparison"] = "not compared"
        out[indicator.id] = IndicatorFigures(
            indicator=indicator_summary(indicator), geography=geography, period=chosen, table=table,
            borough=bench, weights=weights.describe(), display_factor=display_factor(indicator), notes=notes,
            periods=periods(session, indicator.id))
    return out


def polarity(words: str | None) -> str:
    """The catalogue's polarity as ``high_is_good``, ``low_is_good`` or ``no_judgement``."""
    return polarity_of((words or "neither").strip().lower())


def display_factor(indicator) -> float:
    """100 for proportions stored as fractions and shown as percentages, else 1."""
    return 100.0 if indicator.type == "proportion" and indicator.unit == "%" and not indicator.multiplier else 1.0


def _population(session: Session, source_id: str) -> pd.Series | None:
    found = population_layer(session, source_id)
    return None if found is None else found[0]


def population_layer(session: Session, source_id: str) -> tuple[pd.Series, Indicator, str] | None:
    """The small areas' population (latest period) by code, with its indicator and period; None if none."""
    for pid in POPULATION_IDS:
        frame = load_values(session, source_id, [pid])
        if not frame.empty:
            period = latest_period(frame["period"])
            latest = frame[frame["period"] == period]
            return latest.set_index("code")["value"], session.get(Indicator, pid), period
    return None


def _aggregate(indicator, own: pd.DataFrame, weights: Weights, population) -> tuple[pd.DataFrame, list[str]]:
    kind = indicator.type
    notes = []
    per = indicator.multiplier
    empty = pd.Series(dtype=float)
    if kind in ("proportion", "rate"):
        result = aggregate(weights, kind, numerator=own.get("numerator", empty),
                           denominator=own.get("denominator", empty), population=population,
                           per=per if kind == "rate" else (per or None))
    elif kind == "count":
        counts = own["numerator"] if own["numerator"].notna().any() else own.get("value", empty)
        result = aggregate(weights, "count", value=counts, population=population)
    else:
        pop = population
        if pop is None:
            pop = pd.Series(1.0, index=list(weights.source_codes))
            notes.append("No population is loaded: LSOAs are weighted equally.")
        result = aggregate(weights, kind, value=own.get("value", empty), population=pop)
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


def themes(session: Session) -> dict[str, list[dict]]:
    """Every indicator, grouped by theme (sorted), as summaries."""
    grouped: dict[str, list[dict]] = {}
    for indicator in list_indicators(session):
        grouped.setdefault(indicator.theme, []).append(indicator_summary(indicator))
    return dict(sorted(grouped.items()))


def _plain(value):
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.str_):
        return str(value)
    return value
