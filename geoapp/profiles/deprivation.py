"""Deprivation in a profile: the Indices of Deprivation summary measures and the population by decile.

Each catalogue that declares Indices of Deprivation domains (``domain``) and the number of small areas
ranked nationally (``national_areas``) is one *release* (IoD2019 on 2011 LSOAs, IoD2025 on 2021 LSOAs). Its
values are put back into a File 7-shaped table by role (:func:`layers.imd.frame_from_roles`), whatever the
indicators' ids or columns, and summarised for an area with the weights the indicator figures use. The
latest release comes first; earlier ones follow as a trend, with the caveat on comparing releases. The
borough's own measures are ranked among all England's districts when a comparator was loaded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.figures import latest_period
from layers.imd import DOMAINS, MEASURE_LABELS, MEASURES, frame_from_roles, summarise
from layers.profile import RELEASES_CAVEAT, Deprivation
from layers.profile import deprivation as as_section
from layers.weights import Weights

from .. import figures
from ..caches import MISSING, LRUCache
from ..storage import boundary_sets, persisted
from ..storage.indicators import load_values, values_version
from ..storage.models import DistrictSummary, Indicator, IndicatorCatalogue

#: Plain names of the indices and domains, for labels.
DOMAIN_LABELS = {"IMD": "Index of Multiple Deprivation", "Income": "Income", "Employment": "Employment",
                 "Education": "Education, skills and training", "Health": "Health and disability",
                 "Crime": "Crime", "Barriers": "Barriers to housing and services",
                 "Living Environment": "Living environment", "IDACI": "Income deprivation affecting children",
                 "IDAOPI": "Income deprivation affecting older people"}
_FRAMES = LRUCache("deprivation release tables", 8)
#: The sections of every area of this many stored sets are kept (least recently used dropped).
_SETS = LRUCache("deprivation sections of a set's areas", 16)


def releases(session: Session) -> list[IndicatorCatalogue]:
    """Catalogues holding Indices of Deprivation domains, latest first."""
    rows = session.scalars(select(IndicatorCatalogue).where(IndicatorCatalogue.national_areas.is_not(None))).all()
    declared = set(session.scalars(select(Indicator.catalogue).where(Indicator.domain.is_not(None))))
    found = [row for row in rows if row.id in declared]
    return sorted(found, key=lambda r: (latest_period((r.report or {}).get("periods", [])) or "", r.id),
                  reverse=True)


def release_frame(session: Session, release: IndicatorCatalogue) -> pd.DataFrame:
    """A File 7-shaped table (index: LSOA code) of one release's values, read by role (cached)."""
    key = (figures.store_id(session), release.id, values_version(session))
    return _FRAMES.get_or_build(key, lambda: _read_release(session, release))


def _read_release(session: Session, release: IndicatorCatalogue) -> pd.DataFrame:
    declared = session.execute(select(Indicator.id, Indicator.domain, Indicator.type, Indicator.role)
                               .where(Indicator.catalogue == release.id)).all()
    declared = [(i, d, None if d is None else (t if t in ("rank", "decile") else "score"), r)
                for i, d, t, r in declared if d is not None or r is not None]
    values = load_values(session, release.set_id, [i for i, *_ in declared])
    latest = {}
    for indicator_id, frame in values.groupby("indicator"):
        latest[indicator_id] = frame[frame["period"] == latest_period(frame["period"])]
    long = pd.concat(latest.values()) if latest else values
    return frame_from_roles(long, declared)


def for_area(session: Session, target, code: str) -> Deprivation | None:
    """The deprivation section of one area of a stored set. Every area of the set is summarised at once; the
    process keeps the set's sections and the store each area's (a row per area, so that a restarted process
    reads one), until the sets or the values change."""
    key = (figures.store_id(session), target.id, figures.set_version(target), values_version(session),
           tuple((s.id, figures.set_version(s)) for s in figures.small_sets(session)))
    found = _SETS.get(key)
    if found is not MISSING:
        return found.get(code)
    state = figures.inputs_state(session)
    stored = persisted.read(session, "deprivation", (target.id, code, state))
    if stored is not None:
        return as_section(stored)

    def weights_of(release):
        return figures.weights_for(session, boundary_sets.get_set(session, release.set_id), target)

    sections = _section_dicts(session, weights_of, ranked=target.kind == "lad")
    persisted.keep_many(session, "deprivation", {area: ((target.id, area, state), section, area)
                                                 for area, section in sections.items()}, sets=(target.id,))
    return _SETS.put(key, {area: as_section(section) for area, section in sections.items()}).get(code)


def for_drawn_area(session: Session, weights_by_set: dict[str, Weights]) -> Deprivation | None:
    """The deprivation section of an area that is not stored, from its weights from each LSOA set."""
    found = _section_dicts(session, lambda release: weights_by_set.get(release.set_id), ranked=False)
    return next((as_section(section) for section in found.values()), None)


def _section_dicts(session: Session, weights_of, *, ranked: bool) -> dict[str, dict]:
    """Each target area's section as plain data (kept in the store for stored sets): the latest release's
    measures, earlier releases as its trend."""
    by_area: dict[str, list[dict]] = {}
    for release in releases(session):
        weights = weights_of(release)
        if weights is not None:
            for code, section in deprivation(session, release, weights, ranked=ranked).items():
                by_area.setdefault(code, []).append(section)
    return {code: dict(found[0], earlier=found[1:], caveat=RELEASES_CAVEAT if len(found) > 1 else None)
            for code, found in by_area.items()}


def deprivation(session: Session, release: IndicatorCatalogue, weights: Weights, *,
                ranked: bool = False) -> dict[str, dict]:
    """Summary measures and decile shares of one release for each target of ``weights``, by area code;
    ``ranked`` adds each area's district ranks (for districts)."""
    frame = release_frame(session, release)
    domains = [name for name, d in DOMAINS.items() if d.rank in frame.columns or d.score in frame.columns]
    if not domains:
        return {}
    table = summarise(frame, weights, domains=domains, n_lsoas=int(release.national_areas))
    rows = {code: group.to_dict("records") for code, group in table.groupby("area", sort=False)}
    deciles = _deciles(frame, weights, domains)
    ranks = _ranks(session, release) if ranked else {}
    common = {"release": release.title, "period": _period(release), "measures": _measures(),
              "source": release.source, "method": _method(session, release)}
    out = {}
    for code in weights.target_codes:
        if code not in rows:
            out[code] = common | {"summary": [], "deciles": [], "districts": None, "notes": [
                "The area lies outside every small area of this release, so its measures cannot be worked out."]}
            continue
        own_ranks = ranks.get(code, {})
        summary = []
        for row in rows[code]:
            item = {"domain": row["domain"], "label": DOMAIN_LABELS[row["domain"]],
                    "lsoas": round(float(row["lsoas"]), 2), "population": _plain(row["population"]),
                    "notes": row["notes"] or None} | {m: _plain(row[m]) for m in MEASURES}
            if own_ranks:
                item["ranks"] = own_ranks.get(row["domain"])
            summary.append(item)
        out[code] = common | {"summary": summary, "deciles": deciles.get(code, []), "notes": [],
                              "districts": next(iter(own_ranks.values()))["districts"] if own_ranks else None}
    return out


def district_summaries(session: Session, release_id: str, domain: str = "IMD") -> pd.DataFrame:
    """Every district's stored summary of one release and domain, with its ranks (most deprived = 1)."""
    rows = session.scalars(select(DistrictSummary).where(DistrictSummary.catalogue_id == release_id,
                                                         DistrictSummary.domain == domain)).all()
    return pd.DataFrame([{"code": r.code, "name": r.name, **r.measures,
                          **{f"rank_of_{k}": v for k, v in r.ranks.items()}, "districts": r.districts}
                         for r in rows])


def _ranks(session: Session, release: IndicatorCatalogue) -> dict[str, dict]:
    """Each district's ranks among all districts, by code and domain (from the stored district summaries)."""
    out: dict[str, dict] = {}
    for r in session.scalars(select(DistrictSummary).where(DistrictSummary.catalogue_id == release.id)):
        out.setdefault(r.code, {})[r.domain] = {"ranks": r.ranks, "districts": r.districts, "method": r.method}
    return out


def _measures() -> list[dict]:
    return [{"id": m, "label": MEASURE_LABELS[m]} for m in MEASURES]


def _period(release: IndicatorCatalogue) -> str | None:
    return latest_period((release.report or {}).get("periods", []))


def _method(session: Session, release: IndicatorCatalogue) -> str:
    populations = session.execute(select(Indicator.role, Indicator.title).where(
        Indicator.catalogue == release.id, Indicator.role.is_not(None), Indicator.role != "age band")).all()
    weighted = "; ".join(f"{title} ({role})" for role, title in populations) or "no population declared"
    return (f"Population-weighted over the LSOAs in the area, by the release's own populations: {weighted}. "
            "An LSOA split between areas counts with its share. Ranks turned round so that higher means more "
            "deprived, as in MHCLG's district summaries (File 10).")


def _deciles(frame: pd.DataFrame, weights: Weights, domains: list[str]) -> dict[str, list[dict]]:
    """For each target area and each domain with deciles: the share of its population in each national decile."""
    coo = weights.matrix.tocoo()
    codes = np.asarray(weights.source_codes, dtype=object)[coo.row]
    out: dict[str, list[dict]] = {}
    for name in domains:
        domain = DOMAINS[name]
        if domain.decile not in frame.columns or domain.population not in frame.columns:
            continue
        decile = frame[domain.decile].reindex(codes).to_numpy(dtype=float)
        people = frame[domain.population].reindex(codes).to_numpy(dtype=float) * coo.data
        known = np.isfinite(decile) & np.isfinite(people)
        totals = np.bincount(coo.col[known], weights=people[known], minlength=len(weights.target_codes))
        by_decile = np.zeros((len(weights.target_codes), 10))
        counted = known & np.isin(decile, np.arange(1, 11))
        np.add.at(by_decile, (coo.col[counted], decile[counted].astype(int) - 1), people[counted])
        for j in np.flatnonzero(totals > 0):
            out.setdefault(weights.target_codes[j], []).append(
                {"domain": name, "label": DOMAIN_LABELS[name], "population": float(totals[j]),
                 "shares": [float(v) for v in by_decile[j] / totals[j]]})
    return out


def _plain(value):
    value = float(value)
    return value if np.isfinite(value) else None
