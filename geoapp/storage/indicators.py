"""Indicators and their values in and out of the store."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from layers.catalogue import Catalogue, column_label

from ..caches import MISSING, LRUCache
from ..errors import InvalidInput
from . import audit, persisted
from .memo import remembered
from .models import Area, Indicator, IndicatorCatalogue, IndicatorValue, utcnow

#: The periods of every indicator, by store and values version (see :func:`all_periods`).
_PERIODS = LRUCache("periods of every indicator", 16)

META_FIELDS = ("id", "catalogue", "title", "description", "theme", "type", "multiplier", "numerator",
               "denominator", "polarity", "unit", "source", "licence", "fictional", "role", "domain", "series",
               "set_id")


def indicator_summary(indicator: Indicator) -> dict:
    return {f: getattr(indicator, f) for f in META_FIELDS}


def save_catalogue(session: Session, catalogue: Catalogue, values: pd.DataFrame, *, set_id: str,
                   actor: str) -> dict:
    """Store a catalogue's indicators and their values for the areas of ``set_id``.

    Values of the same indicators and periods for that set are replaced. Codes that are not areas of the set
    are reported (count and first examples); when none of the codes match, nothing is stored. The report
    names every indicator with no value in any area (an *empty* indicator, which the Atlas does not offer)
    and, for each other indicator, how many areas lack a value.
    """
    areas = dict(session.execute(select(Area.code, Area.id).where(Area.set_id == set_id)).all())
    known = values["code"].isin(areas.keys())
    unknown = sorted(set(values.loc[~known, "code"]))
    if not known.any():
        raise InvalidInput(
            f"None of the {values['code'].nunique()} area codes in {catalogue.file.name} is an area of the "
            f"boundary set '{set_id}' (e.g. {', '.join(unknown[:5])}). Nothing was stored: is this the "
            "right boundary set?")
    kept = values[known]
    with_values = kept[kept["value"].notna()].groupby("indicator")["code"].nunique()
    counts = {spec.id: int(with_values.get(spec.id, 0)) for spec in catalogue.indicators}
    for spec in catalogue.indicators:
        meta = {"catalogue": catalogue.id, "title": spec.title, "description": spec.description,
                "theme": spec.theme, "type": spec.type, "multiplier": spec.multiplier,
                "numerator": _label(spec.numerator), "denominator": _label(spec.denominator),
                "polarity": spec.polarity, "unit": spec.unit, "source": spec.source or catalogue.source,
                "licence": spec.licence or catalogue.licence, "fictional": catalogue.fictional,
                "source_column": column_label(spec.column), "updated_at": utcnow(), "set_id": set_id,
                "role": spec.role, "domain": spec.domain, "series": spec.series or spec.id,
                "areas_with_values": counts[spec.id]}
        existing = session.get(Indicator, spec.id)
        if existing is None:
            session.add(Indicator(id=spec.id, **meta))
        else:
            for key, value in meta.items():
                setattr(existing, key, value)
    session.flush()
    area_ids = [areas[c] for c in kept["code"]]
    for (indicator, period), _ in kept.groupby(["indicator", "period"]):
        session.execute(delete(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator, IndicatorValue.period == period,
            IndicatorValue.area_id.in_(select(Area.id).where(Area.set_id == set_id))))

    def clean(column):
        array = kept[column].to_numpy(dtype=float)
        return [None if np.isnan(v) else float(v) for v in array]

    rows = list(zip(kept["indicator"], area_ids, kept["period"], clean("value"), clean("numerator"),
                    clean("denominator")))
    _insert_values(session, rows)
    empty = [spec.id for spec in catalogue.indicators if counts[spec.id] == 0]
    lacking = {spec.id: len(areas) - counts[spec.id] for spec in catalogue.indicators
               if 0 < counts[spec.id] < len(areas)}
    report = {"catalogue": catalogue.id, "set": set_id, "indicators": len(catalogue.indicators),
              "values": len(rows), "missing_values": int(kept["value"].isna().sum()),
              "periods": sorted(set(kept["period"])), "unknown_codes": len(unknown),
              "unknown_examples": unknown[:5], "areas_without_values": len(set(areas) - set(kept["code"])),
              "areas": len(areas), "empty_indicators": empty, "areas_lacking_values": lacking}
    _save_catalogue_row(session, catalogue, set_id, report)
    audit.record(session, actor=actor, action="import", entity_type="indicator_catalogue",
                 entity_id=catalogue.id, after=report)
    return report


def _insert_values(session: Session, rows: list[tuple]) -> None:
    """Insert (indicator, area id, period, value, numerator, denominator) rows straight through the driver (COPY
    on PostgreSQL, batches elsewhere): a national catalogue holds a million values, which the ORM's per-row
    bookkeeping took minutes on."""
    columns = "indicator_id, area_id, period, value, numerator, denominator"
    connection = session.connection()
    if session.get_bind().dialect.name == "postgresql":  # PostgreSQL's COPY: one stream, no statement per row
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY indicator_values ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO indicator_values ({columns}) VALUES (?, ?, ?, ?, ?, ?)"
    for start in range(0, len(rows), 50_000):
        connection.exec_driver_sql(sql, rows[start:start + 50_000])


def describe_report(report: dict) -> list[str]:
    """The loader's report in plain lines: what was stored, each empty indicator, and areas lacking values."""
    lines = [f"{report['values']:,} values of {report['indicators']} indicators for {report['areas']:,} areas of "
             f"'{report['set']}' ({', '.join(report['periods'])})"]
    if report["unknown_codes"]:
        lines.append(f"{report['unknown_codes']:,} codes in the table are not areas of '{report['set']}' and were "
                     f"not stored (e.g. {', '.join(report['unknown_examples'])})")
    if report["areas_without_values"]:
        lines.append(f"{report['areas_without_values']:,} areas of '{report['set']}' have no row in the table")
    for indicator in report["empty_indicators"]:
        lines.append(f"{indicator}: no value in any area, so it is not offered")
    for indicator, count in report["areas_lacking_values"].items():
        lines.append(f"{indicator}: {count:,} of {report['areas']:,} areas have no value")
    return lines


def _label(part) -> str | None:
    label = column_label(part)
    return label if label is None or len(label) <= 100 else label[:99] + "…"


def _save_catalogue_row(session: Session, catalogue: Catalogue, set_id: str, report: dict) -> None:
    row = session.get(IndicatorCatalogue, catalogue.id) or IndicatorCatalogue(id=catalogue.id)
    row.title, row.source, row.licence, row.set_id = catalogue.title, catalogue.source, catalogue.licence, set_id
    row.population_estimates, row.national_areas = catalogue.population_estimates, catalogue.national_areas
    row.fictional, row.report, row.imported_at = catalogue.fictional, report, utcnow()
    session.add(row)


def values_version(session: Session) -> str:
    """Changes whenever any indicator's values are imported: the latest import time and the count."""
    def read() -> str:
        latest, count = session.execute(select(func.max(Indicator.updated_at), func.count(Indicator.id))).one()
        return f"{latest.timestamp() if latest else 0:.6f}.{count}"

    return remembered(session, "values_version", read)


def list_indicators(session: Session, *, offered: bool = True) -> list[Indicator]:
    """Indicators by theme and title; ``offered`` leaves out empty ones (no value in any area). Read once per
    session's reading (a new list each call)."""
    query = select(Indicator).order_by(Indicator.theme, Indicator.title)
    if offered:
        query = query.where((Indicator.areas_with_values.is_(None)) | (Indicator.areas_with_values > 0))
    return list(remembered(session, ("list_indicators", offered), lambda: tuple(session.scalars(query))))


def empty_indicators(session: Session) -> list[Indicator]:
    """Indicators with no value in any area: listed once under sources as not available, never offered."""
    return list(session.scalars(select(Indicator).where(Indicator.areas_with_values == 0)
                                .order_by(Indicator.catalogue, Indicator.title)))


def catalogues(session: Session) -> list[IndicatorCatalogue]:
    return list(session.scalars(select(IndicatorCatalogue).order_by(IndicatorCatalogue.imported_at)))


def periods(session: Session, indicator_id: str) -> list[str]:
    """The periods an indicator has values for."""
    return all_periods(session).get(indicator_id, [])


def all_periods(session: Session) -> dict[str, list[str]]:
    """The periods every indicator has values for: one query over every value per version of the values (a
    second at England scale), its answer kept by the process and in the store, remembered for the session."""
    def query() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        rows = session.execute(select(IndicatorValue.indicator_id, IndicatorValue.period).distinct()).all()
        for indicator_id, period in rows:
            if period is not None:
                found.setdefault(indicator_id, []).append(period)
        return {k: sorted(v) for k, v in found.items()}

    def read() -> dict[str, list[str]]:
        parts = (values_version(session),)
        key = (session.get_bind().engine.url.render_as_string(hide_password=True), *parts)
        found = _PERIODS.get(key)
        if found is MISSING:
            found = persisted.read(session, "periods", parts)
            if found is None:
                found = query()
                persisted.keep(session, "periods", parts, found)
            _PERIODS.put(key, found)
        return found

    return remembered(session, "all_periods", read)


def load_values(session: Session, set_id: str, indicator_ids: list[str] | None = None,
                period: str | None = None) -> pd.DataFrame:
    """Values for a set's areas: indicator, code, period, value, numerator, denominator (NaN when missing)."""
    query = (select(IndicatorValue.indicator_id, Area.code, IndicatorValue.period, IndicatorValue.value,
                    IndicatorValue.numerator, IndicatorValue.denominator)
             .join(Area, Area.id == IndicatorValue.area_id).where(Area.set_id == set_id))
    if indicator_ids is not None:
        query = query.where(IndicatorValue.indicator_id.in_(indicator_ids))
    if period is not None:
        query = query.where(IndicatorValue.period == period)
    names = ["indicator", "code", "period", "value", "numerator", "denominator"]
    columns = list(zip(*session.execute(query).all())) or [()] * len(names)  # column-wise: fast at 1 M rows
    frame = pd.DataFrame({name: pd.Series(column, dtype=float if name in ("value", "numerator", "denominator")
                                                   else object)
                          for name, column in zip(names, columns, strict=True)})
    return frame
