"""Comparators beyond the borough: England's figure for each indicator and every district's deprivation summary.

A comparator is a catalogue read again over a table for a wider area (England's File 7 for the IoD
catalogues): the same indicators, the same roles, the same engine (:func:`layers.aggregate.aggregate` with
every small area in one area), so the England figure beside the borough's is made as the borough's is. For
catalogues of Indices of Deprivation domains, each district's summary measures are worked out from the same
table and ranked among all districts, as MHCLG's File 10 ranks them.

Where the wider table lacks the population a figure is weighted by (IoD2025's File 7 holds its mid-2022
denominators for two Cheshire boroughs only), a *weighting population* may stand in: an older estimate for
an earlier vintage of small areas, carried through the published lookup. The method says so and how many
small areas used it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from layers.aggregate import aggregate
from layers.catalogue import Catalogue, columns_of, read_catalogue, read_values
from layers.imd import DOMAINS, MEASURES, ROLE_COLUMNS, frame_from_roles, summarise
from layers.population import carry_through_lookup
from layers.weights import lookup_weights

from .storage import audit
from .storage.models import ComparatorValue, DistrictSummary, Indicator

WEIGHTED = ("score", "rank", "decile")


@dataclass(frozen=True)
class StandIn:
    """A population standing in where the comparator's table has none: ``columns`` by role (one column or
    several to add up) of ``file`` keyed by ``code_column``, carried to the table's codes through ``lookup``
    (``from_column`` to ``to_column``) when given."""

    file: Path
    code_column: str
    columns: dict
    period: str
    source: str
    lookup: Path | None = None
    from_column: str | None = None
    to_column: str | None = None


@dataclass(frozen=True)
class ComparatorSpec:
    """``[[comparators]]``: a catalogue read over ``file`` and summed into one area (``code``, ``name``)."""

    catalogue: Path
    file: Path
    code: str = "E92000001"
    name: str = "England"
    district_column: str | None = None
    district_name_column: str | None = None
    stand_in: StandIn | None = None


@dataclass
class ComparatorReport:
    indicators: int = 0
    with_value: int = 0
    districts: int = 0
    notes: list[str] = field(default_factory=list)


def load_comparator(session: Session, spec: ComparatorSpec, *, actor: str) -> ComparatorReport:
    """Work out and store a comparator's figures (and district summaries) for the indicators already stored."""
    catalogue = read_catalogue(spec.catalogue)
    wide = dataclasses.replace(catalogue, file=spec.file)
    values = read_values(wide)
    stored = set(session.scalars(select(Indicator.id).where(Indicator.catalogue == catalogue.id)))
    missing = [s.id for s in catalogue.indicators if s.id not in stored]
    report = ComparatorReport()
    if missing:
        report.notes.append(f"{len(missing)} indicators of {catalogue.id} are not loaded, so have no "
                            f"{spec.name} figure: {', '.join(missing[:5])}")
    stand_in = stand_in_population(spec.stand_in, catalogue, values) if spec.stand_in else {}
    codes = sorted(values["code"].unique())
    weights = lookup_weights(dict.fromkeys(codes, spec.code), source_codes=codes, target_codes=[spec.code],
                             source_unit="LSOA")
    session.execute(delete(ComparatorValue).where(ComparatorValue.indicator_id.in_(sorted(stored)),
                                                  ComparatorValue.code == spec.code))
    by_indicator = dict(tuple(values.groupby("indicator", sort=False)))
    for indicator in catalogue.indicators:
        if indicator.id not in stored or indicator.id not in by_indicator:
            continue
        for period, own in by_indicator[indicator.id].groupby("period"):
            row = _figure(catalogue, indicator, own.set_index("code"), by_indicator, weights, stand_in)
            report.indicators += 1
            report.with_value += row["value"] is not None
            session.add(ComparatorValue(indicator_id=indicator.id, period=period, code=spec.code, name=spec.name,
                                        source=f"{catalogue.source}, all of {spec.name}", **row))
    if spec.district_column:
        report.districts = _districts(session, spec, catalogue, values, stand_in)
    audit.record(session, actor=actor, action="import", entity_type="comparator", entity_id=catalogue.id,
                 after={"file": spec.file.name, "code": spec.code, "indicators": report.indicators,
                        "with_value": report.with_value, "districts": report.districts})
    return report


def _figure(catalogue: Catalogue, indicator, own: pd.DataFrame, by_indicator: dict, weights, stand_in) -> dict:
    """One indicator's figure for the whole comparator area, by the engine, with its method."""
    role = DOMAINS[indicator.domain].role if indicator.domain in DOMAINS else "population"
    population, used = _population(catalogue, by_indicator, role, stand_in)
    codes = pd.Index(weights.source_codes)

    def aligned(series: pd.Series) -> np.ndarray:  # in the weights' order, so the engine reads it as it is
        return series.reindex(codes).to_numpy(dtype=np.float64)

    kind = indicator.type
    if kind in ("proportion", "rate"):
        denominator, numerator = aligned(own["denominator"]), aligned(own["numerator"])
        used = 0
        if population is not None and np.isnan(denominator).any():  # a rate held without its denominator
            value, pop = aligned(own["value"]), aligned(population)
            gap = np.isnan(denominator) & np.isfinite(value) & np.isfinite(pop)
            denominator = np.where(gap, pop, denominator)
            numerator = np.where(gap, value * denominator / (indicator.multiplier or 1.0), numerator)
            used = int(gap.sum())
        out = aggregate(weights, kind, numerator=numerator, denominator=denominator,
                        per=indicator.multiplier if kind == "rate" else (indicator.multiplier or None))
    elif kind == "count":
        counts = own["numerator"] if own["numerator"].notna().any() else own["value"]
        out = aggregate(weights, "count", value=aligned(counts))
        used = 0
    else:
        if population is None:
            return {"value": None, "lower": None, "upper": None, "numerator": None, "denominator": None,
                    "method": "Not available: no population to weight it by"}
        out = aggregate(weights, kind, value=aligned(own["value"]), population=aligned(population))
    row = out.iloc[0]
    method = str(row["method"])
    if used:
        method += f"; for {used:,} LSOAs without the release's own population, {stand_in['note']}"
    value = row["value"]
    return {"value": None if not np.isfinite(value) else float(value), "lower": None, "upper": None,
            "numerator": _plain(row["numerator"]), "denominator": _plain(row["denominator"]), "method": method}


def _population(catalogue: Catalogue, by_indicator: dict, role: str, stand_in) -> tuple[pd.Series | None, int]:
    """The population of ``role`` per small area: the catalogue's own, with the stand-in where it is blank."""
    spec = catalogue.role(role) or catalogue.role("population")
    own = None
    if spec is not None and spec.id in by_indicator:
        rows = by_indicator[spec.id]
        own = rows.drop_duplicates("code", keep="last").set_index("code")["value"]
    extra = stand_in.get(role if spec is None or spec.role == role else "population")
    if own is None:
        return (extra, len(extra)) if extra is not None else (None, 0)
    if extra is None:
        return own, 0
    gap = own.isna() & own.index.isin(extra.index)
    return own.where(~gap, extra.reindex(own.index)), int(gap.sum())


def stand_in_population(spec: StandIn, catalogue: Catalogue, values: pd.DataFrame) -> dict:
    """Each role's stand-in population, by the comparator table's codes, and the words for it (``note``)."""
    wanted = {spec.code_column} | {c for part in spec.columns.values() for c in columns_of(part)}
    table = pd.read_csv(spec.file, usecols=lambda c: c in wanted, dtype={spec.code_column: str})
    codes = table[spec.code_column].astype(str).str.strip()
    lookup = pd.read_csv(spec.lookup, dtype=str, keep_default_na=False) if spec.lookup else None
    found = {}
    for role, part in spec.columns.items():
        if role not in ROLE_COLUMNS:
            raise ValueError(f"weighting population: '{role}' is not a population role ({', '.join(ROLE_COLUMNS)})")
        numbers = sum(pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float) for c in columns_of(part))
        series = pd.Series(numbers, index=codes.to_numpy())
        if lookup is not None:
            series = carry_through_lookup(series, lookup, from_column=spec.from_column, to_column=spec.to_column)
        found[role] = series
    found["note"] = (f"{spec.source} ({spec.period})" + (", carried to the newer small areas through the "
                                                          "published lookup (a split area shared equally)"
                                                          if lookup is not None else ""))
    return found


def fill_blank_populations(catalogue: Catalogue, values: pd.DataFrame, stand_in: dict) -> tuple[pd.DataFrame, set]:
    """A catalogue's long values with the stand-in population where the table's own is blank: the value of
    each population role's indicator, and the denominator (and numerator, rate x denominator) of each
    proportion or rate whose denominator is that role's column. Returns the values and the codes filled."""
    values = values.copy()
    filled: set = set()
    by_column = {}
    for role in ROLE_COLUMNS:
        spec = catalogue.role(role)
        if spec is None or role not in stand_in:
            continue
        by_column[tuple(columns_of(spec.column))] = stand_in[role]
        rows = (values["indicator"] == spec.id) & values["value"].isna()
        extra = stand_in[role].reindex(values.loc[rows, "code"]).to_numpy(dtype=float)
        values.loc[rows, "value"] = extra
        filled |= set(values.loc[rows, "code"][np.isfinite(extra)])
    for spec in catalogue.indicators:
        population = by_column.get(tuple(columns_of(spec.denominator))) if spec.denominator else None
        if spec.type not in ("proportion", "rate") or population is None:
            continue
        rows = (values["indicator"] == spec.id) & values["denominator"].isna() & values["value"].notna()
        extra = population.reindex(values.loc[rows, "code"]).to_numpy(dtype=float)
        values.loc[rows, "denominator"] = extra
        values.loc[rows, "numerator"] = values.loc[rows, "value"].to_numpy(dtype=float) * extra / (
            spec.multiplier or 1.0)
        filled |= set(values.loc[rows, "code"][np.isfinite(extra)])
    return values, filled


def _districts(session: Session, spec: ComparatorSpec, catalogue: Catalogue, values: pd.DataFrame,
               stand_in) -> int:
    """Every district's summary measures, ranked among the districts (1 = most deprived)."""
    declared = [(s.id, s.domain, s.measure, s.role) for s in catalogue.indicators if s.domain or s.role]
    latest = values.sort_values("period").drop_duplicates(["indicator", "code"], keep="last")
    frame = frame_from_roles(latest, declared)
    filled = {}
    for role, column in ROLE_COLUMNS.items():
        if column in frame.columns and role in stand_in:
            gap = frame[column].isna()
            frame[column] = frame[column].where(~gap, stand_in[role].reindex(frame.index))
            filled[role] = int((gap & frame[column].notna()).sum())
        elif role in stand_in:
            frame[column] = stand_in[role].reindex(frame.index)
            filled[role] = int(frame[column].notna().sum())
    keys = [catalogue.code_column, spec.district_column, spec.district_name_column or spec.district_column]
    table = pd.read_csv(spec.file, usecols=lambda c: c in keys, dtype=str, keep_default_na=False)
    groups = pd.Series(table[spec.district_column].to_numpy(),
                       index=table[catalogue.code_column].astype(str).str.strip())
    names = dict(zip(table[spec.district_column], table[spec.district_name_column or spec.district_column]))
    domains = [d for d in DOMAINS if DOMAINS[d].rank in frame.columns]
    out = summarise(frame, groups, domains=domains, n_lsoas=int(catalogue.national_areas), ranks=True)
    districts = int(out["area"].nunique())
    session.execute(delete(DistrictSummary).where(DistrictSummary.catalogue_id == catalogue.id))
    method = (f"Worked out from {spec.file.name} with the same engine as every area's figures, and ranked among "
              f"{districts} districts (1 = most deprived; ties share a rank).")
    if any(filled.values()):
        method += (" Districts whose LSOAs lack the release's own population are weighted by "
                   f"{stand_in['note']}, so their measures, and the ranks of the rest, may differ slightly from "
                   "MHCLG's (the measures of districts holding the release's own population are exact).")
    for row in out.to_dict("records"):
        session.add(DistrictSummary(
            catalogue_id=catalogue.id, domain=row["domain"], code=row["area"],
            name=str(names.get(row["area"], row["area"])),
            measures={m: _plain(row[m]) for m in MEASURES},
            ranks={m: _plain(row[f"rank_of_{m}"]) for m in MEASURES}, districts=districts, method=method))
    return districts


def _plain(value):
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None
