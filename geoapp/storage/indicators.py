"""Indicators and their values in and out of the store."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from layers.catalogue import Catalogue

from ..errors import InvalidInput
from . import audit
from .models import Area, Indicator, IndicatorValue, utcnow

META_FIELDS = ("id", "catalogue", "title", "description", "theme", "type", "multiplier", "numerator",
               "denominator", "polarity", "unit", "source", "licence", "fictional")


def indicator_summary(indicator: Indicator) -> dict:
    return {f: getattr(indicator, f) for f in META_FIELDS}


def save_catalogue(session: Session, catalogue: Catalogue, values: pd.DataFrame, *, set_id: str,
                   actor: str) -> dict:
    """Store a catalogue's indicators and their values for the areas of ``set_id``.

    Values of the same indicators and periods for that set are replaced. Codes that are not areas of the set
    are reported (count and first examples); when none of the codes match, nothing is stored.
    """
    areas = dict(session.execute(select(Area.code, Area.id).where(Area.set_id == set_id)).all())
    known = values["code"].isin(areas.keys())
    unknown = sorted(set(values.loc[~known, "code"]))
    if not known.any():
        raise InvalidInput(
            f"None of the {values['code'].nunique()} area codes in {catalogue.file.name} is an area of the "
            f"boundary set '{set_id}' (e.g. {', '.join(unknown[:5])}). Nothing was stored: is this the "
            "right boundary set?")
    for spec in catalogue.indicators:
        meta = {"catalogue": catalogue.id, "title": spec.title, "description": spec.description,
                "theme": spec.theme, "type": spec.type, "multiplier": spec.multiplier,
                "numerator": spec.numerator, "denominator": spec.denominator, "polarity": spec.polarity,
                "unit": spec.unit, "source": spec.source or catalogue.source,
                "licence": spec.licence or catalogue.licence, "fictional": catalogue.fictional,
                "source_column": spec.column, "updated_at": utcnow()}
        existing = session.get(Indicator, spec.id)
        if existing is None:
            session.add(Indicator(id=spec.id, **meta))
        else:
            for key, value in meta.items():
                setattr(existing, key, value)
    session.flush()
    kept = values[known]
    area_ids = [areas[c] for c in kept["code"]]
    for (indicator, period), _ in kept.groupby(["indicator", "period"]):
        session.execute(delete(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator, IndicatorValue.period == period,
            IndicatorValue.area_id.in_(select(Area.id).where(Area.set_id == set_id))))

    def clean(column):
        array = kept[column].to_numpy(dtype=float)
        return [None if np.isnan(v) else float(v) for v in array]

    rows = [{"indicator_id": i, "area_id": a, "period": p, "value": v, "numerator": n, "denominator": d}
            for i, a, p, v, n, d in zip(kept["indicator"], area_ids, kept["period"], clean("value"),
                                        clean("numerator"), clean("denominator"))]
    session.execute(insert(IndicatorValue), rows)
    report = {"catalogue": catalogue.id, "set": set_id, "indicators": len(catalogue.indicators),
              "values": len(rows), "missing_values": int(kept["value"].isna().sum()),
              "periods": sorted(set(kept["period"])), "unknown_codes": len(unknown),
              "unknown_examples": unknown[:5], "areas_without_values": len(set(areas) - set(kept["code"]))}
    audit.record(session, actor=actor, action="import", entity_type="indicator_catalogue",
                 entity_id=catalogue.id, after=report)
    return report


def values_version(session: Session) -> str:
    """Changes whenever any indicator's values are imported: the latest import time and the count."""
    latest, count = session.execute(select(func.max(Indicator.updated_at), func.count(Indicator.id))).one()
    return f"{latest.timestamp() if latest else 0:.6f}.{count}"


def list_indicators(session: Session) -> list[Indicator]:
    return list(session.scalars(select(Indicator).order_by(Indicator.theme, Indicator.title)))


def periods(session: Session, indicator_id: str) -> list[str]:
    """The periods an indicator has values for."""
    query = select(IndicatorValue.period).where(IndicatorValue.indicator_id == indicator_id).distinct()
    return sorted(p for p in session.scalars(query) if p is not None)


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
