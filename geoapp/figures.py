"""Indicator figures for any boundary set: small-area values aggregated with intervals and comparisons.

The service between storage and the core. Each indicator's values are held for the areas of one set (its
*source*: the LSOAs of one vintage, or wards for official ward estimates); they are carried to the chosen
set by :func:`layers.aggregate.aggregate` with weights built once per pair of set versions, given 95%
intervals (Wilson for proportions, exact or Byar's for counts and rates) and compared by polarity with the
borough (the ``lad`` set) and with England where a comparator is loaded.

Weights from LSOAs, one method for every set (see :mod:`layers.population`):

* a set the LSOAs nest in (within a 0.5% sliver tolerance) gets each LSOA wholly: exact nesting;
* a set built from blocks (APBs from wards) gets the weights to its blocks, summed: each such area is
  exactly the sum of its wards;
* any other set (wards, service areas, a drawn area) gets each LSOA's population split by its postcodes in
  each area when postcodes are loaded, by area of overlap otherwise.

Values held for another set (wards) reach only the sets they nest in (wards, the APBs made of them).
Scores, ranks and deciles are weighted by the population their catalogue declares (by role); each area's
population is the catalogue of population estimates' (:func:`population`).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from layers.figures import (
    CONFIDENCE,
    display_factor,
    figure_table,
    in_whole_people,
    is_later,
    judge,
    largest_remainder,
    latest_period,
    period_key,
    plain,
)
from layers.imd import DOMAINS
from layers.population import PointPopulation
from layers.text import lower_first
from layers.weights import (
    NestingError,
    Weights,
    WeightsCache,
    area_weights,
    lookup_weights,
    nested_weights,
    weights_key,
)

from .caches import MISSING, LRUCache, register
from .errors import NotFound
from .storage import boundary_sets, persisted, postcodes
from .storage.area_districts import area_districts, set_areas
from .storage.indicators import (
    all_periods,
    indicator_summary,
    list_indicators,
    load_values,
    periods,
    values_version,
)
from .storage.lookups import lookup_pairs
from .storage.memo import remembered
from .storage.models import AreaLookup, AuditEntry, ComparatorValue, DistrictSummary, Indicator, IndicatorCatalogue

#: Weights between pairs of boundary-set versions, shared by every request of the process.
WEIGHTS = register("weights between sets", WeightsCache(maxsize=64))
#: Each indicator's figures for a set, by store, set versions, indicator import and period (least recently
#: used dropped): a hundred indicators for every set of a borough, in two periods each.
_FIGURES = LRUCache("figures of an indicator for a set", 4096)
#: Postcode populations and each set's members, by store and versions.
_POINTS = LRUCache("postcode populations and members", 64)
#: Each set's codes and names in its figures' order (the tables kept in the store leave them out).
_LABELS = LRUCache("codes and names of a set's areas", 64)
#: Codes listed in a note before "and N more".
LISTED = 10
#: Raised into the figures' keys: figures kept by an older layout (before areas were compared with their own
#: district in a store of several) are never read.
LAYOUT = "compared with the district holding each area"


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
    england: dict | None = None
    available: bool = True
    #: Small areas left out, placed by nearness or partly outside, with their people (also in ``notes``).
    placement: list[str] = field(default_factory=list)
    #: In a store of several districts: each district's own figure by code, and each area's in the table's
    #: ``district`` column (the area is compared with its own district, as that district's profile shows it).
    districts: dict | None = None
    _rows: dict | None = field(default=None, repr=False, compare=False)
    _columns: dict | None = field(default=None, repr=False, compare=False)
    #: Read from the store, the table not built yet: the kept table (a :class:`persisted.KeptFrame`) and the
    #: set's labels when it left out the codes and names (else None). ``table`` builds it when first asked for.
    _kept: tuple | None = field(default=None, repr=False, compare=False)

    def codes(self) -> pd.Index:
        """Each area's code, in the table's order (a table read from the store is not built for it)."""
        if self._kept is not None:
            kept, labels = self._kept
            return kept.index if labels is None else labels.index
        return self.table.index

    def value_array(self) -> np.ndarray:
        """Each area's value as floats, in the table's order (a table read from the store is not built for it)."""
        if self._kept is not None:
            return np.asarray(self._kept[0].values("value"), dtype=float)
        return self.table["value"].to_numpy(dtype=float)

    def comparator(self, code: str) -> dict | None:
        """The figure an area is compared with: the borough's, or in a store of several districts, that of the
        district holding the area (None when no district holds it)."""
        if self.borough is not None or self.districts is None:
            return self.borough
        row = self.row(code)
        return self.districts.get(row.get("district")) if row else None

    def row(self, code: str) -> dict | None:
        """One area's row as a plain dict (NaN becomes None; a copy), or None when the set has no such area.
        Each row is made plain once per figures object (which the figures cache keeps)."""
        if self._rows is None:
            self._rows, self._columns = {}, self._by_column()
        if code not in self._rows:
            at = self.codes().get_indexer([code])[0]
            self._rows[code] = None if at < 0 else {
                column: plain(values[at].item() if isinstance(values[at], np.generic) else values[at])
                for column, values in self._columns.items()}
        found = self._rows[code]
        return None if found is None else dict(found)

    def _by_column(self) -> dict:
        """Each column's values by position, in the table's order (of a table read from the store, those kept)."""
        if self._kept is None:
            return {column: self.table[column].to_numpy() for column in self.table.columns}
        kept, labels = self._kept
        return ({} if labels is None else {"name": labels.array}) | {c: kept.values(c) for c in kept.columns}

    def records(self) -> list[dict]:
        """Per-area rows as plain JSON-ready dicts (NaN becomes None)."""
        rows = self.table.reset_index().to_dict("records")
        return [{k: plain(v) for k, v in row.items()} for row in rows]

    def as_dict(self) -> dict:
        return {"indicator": self.indicator, "geography": self.geography, "period": self.period,
                "source": self.indicator["source"], "licence": self.indicator["licence"],
                "confidence": CONFIDENCE, "weights": self.weights, "display_factor": self.display_factor,
                "borough": self.borough, "districts": self.districts, "england": self.england, "notes": self.notes,
                "periods": self.periods, "available": self.available, "areas": self.records()}


def _built_table(fig: IndicatorFigures) -> pd.DataFrame:
    """The table of ``fig``, built when first asked for from what was read from the store."""
    if fig._kept is not None:
        kept, labels = fig._kept
        table = kept.frame()
        if labels is not None:
            table = table.set_axis(labels.index)
            table.insert(0, "name", labels)
        fig.__dict__["_table"], fig._kept = table, None
    return fig.__dict__["_table"]


def _set_table(fig: IndicatorFigures, table: pd.DataFrame | None) -> None:
    fig.__dict__["_table"] = table


IndicatorFigures.table = property(_built_table, _set_table, doc="Every area's figures, by code.")


@dataclass
class Population:
    """Each area's population for one set: the one figure every page shows, with how it was made."""

    values: pd.Series
    indicator: dict
    period: str | None
    method: str
    notes: list[str]
    placement: list[str] = field(default_factory=list)

    def of(self, code: str) -> dict | None:
        """One area's population as shown beside it: value, period, source and method."""
        value = plain(self.values.get(code, np.nan))
        if value is None:
            return None
        return {"value": value, "period": self.period, "indicator": self.indicator["id"],
                "title": self.indicator["title"], "source": self.indicator["source"],
                "licence": self.indicator["licence"], "method": self.method}


# --------------------------------------------------------------------------------------- sets


def small_sets(session: Session) -> list:
    """The sets of small areas (kind ``lsoa``): each LSOA vintage holding values."""
    return [s for s in boundary_sets.list_sets(session) if s.kind == "lsoa"]


def source_set(session: Session):
    """The LSOA set holding each area's population (else the first LSOA set)."""
    sets = small_sets(session)
    if not sets:
        raise NotFound("No LSOA boundary set is loaded, so there are no indicator values to aggregate.")
    headline = _estimates(session)
    return next((s for s in sets if headline is not None and s.id == headline.set_id), sets[0])


def indicator_set(session: Session, indicator: Indicator):
    """The set whose areas an indicator's values are held for."""
    if indicator.set_id:
        try:
            return boundary_sets.get_set(session, indicator.set_id)
        except NotFound:
            pass
    return source_set(session)


def district_set(session: Session):
    """The set of districts (the first set of kind ``lad``), whether it holds one district or many, or None."""
    return next((s for s in boundary_sets.list_sets(session) if s.kind == "lad"), None)


def borough_set(session: Session):
    """The borough every area is compared with: the set of kind ``lad`` when it holds one district, else None.

    A store of several districts (a county onboarded, or all of England) has no one borough: comparing every
    area with the first district would be wrong, so areas are compared with England there, and
    :func:`districts_of` says which district each area lies in."""
    found = district_set(session)
    if found is None:
        return None
    count = remembered(session, ("areas in set", found.id, found.version),
                       lambda: boundary_sets.area_count(session, found.id))
    return found if count == 1 else None


def districts_of(session: Session, set_id: str, codes: list[str]) -> dict[str, str]:
    """The district (an area of the ``lad`` set) holding most of each area, by code; areas of the ``lad`` set
    are their own. Read from the links made at load time; an area in no district is left out."""
    held = area_district_names(session, set_id)
    return {code: held[code][0] for code in codes if code in held}


def area_district_names(session: Session, set_id: str) -> dict[str, tuple[str, str]]:
    """Each area of ``set_id`` with the code and name of the district holding most of it (as the districts'
    directory lists them; areas of the district set are their own), from the links made at load time."""
    lad = district_set(session)
    if lad is None:
        return {}
    if set_id == lad.id:
        areas = set_areas(session, lad.id)
        return {code: (code, name) for code, name in zip(areas["code"], areas["name"])}
    frame = area_districts(session, set_id, lad.id)
    return dict(zip(frame["code"], zip(frame["district"], frame["district_name"])))


def get_indicator(session: Session, indicator_id: str) -> Indicator:
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(f"There is no indicator called '{indicator_id}'.")
    return indicator


def set_version(bset) -> str:
    """A set's version, made unique across delete and re-import by its creation time."""
    created = bset.created_at.timestamp() if bset.created_at is not None else 0
    return f"{bset.version}.{created:.6f}"


def store_id(session: Session) -> str:
    """Which store the session reads (one process may serve, or test, several)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def newest_of_series(session: Session, indicators) -> list[Indicator]:
    """Of some indicators, the latest release of each series, in the order given."""
    best: dict[str, tuple] = {}
    for indicator in indicators:
        key = period_key(latest_period(periods(session, indicator.id)))
        series = indicator.series or indicator.id
        if series not in best or key > best[series][0]:
            best[series] = (key, indicator.id)
    keep = {indicator_id for _, indicator_id in best.values()}
    return [i for i in indicators if i.id in keep]


# --------------------------------------------------------------------------------------- weights


def point_population(session: Session, lsoa_set) -> PointPopulation | None:
    """The LSOAs' population spread over their live postcodes (None when no postcodes are loaded there)."""
    key = ("points", store_id(session), lsoa_set.id, set_version(lsoa_set), postcodes.state(session))
    found = _POINTS.get(key)
    if found is not MISSING:
        return found
    small = boundary_sets.load_areas(session, lsoa_set.id)
    points = postcodes.live_points(session, tuple(small.total_bounds)) if len(small) else pd.DataFrame()
    built = None
    if len(points):
        frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(points["easting"], points["northing"]),
                                 crs=boundary_sets.STORAGE_CRS)
        built = PointPopulation.build(small, frame)
    return _POINTS.put(key, built)


def members(session: Session, lsoa_set, target) -> np.ndarray | None:
    """Which area of ``target`` each postcode of :func:`point_population` counts in (-1: none).

    Built the way :func:`weights_for` builds the weights, so pieces of two sets (service alignment) add up
    to the same population as each area's own figures. None without postcodes.
    """
    points = point_population(session, lsoa_set)
    if points is None:
        return None
    key = ("members", store_id(session), lsoa_set.id, set_version(lsoa_set), target.id, set_version(target),
           postcodes.state(session), _lookups(session, lsoa_set, target))
    found = _POINTS.get(key)
    if found is not MISSING:
        return found
    weights = weights_for(session, lsoa_set, target)
    if weights.method == "nested":
        per_lsoa = np.full(len(weights.source_codes), -1, dtype=np.int64)
        coo = weights.matrix.tocoo()
        per_lsoa[coo.row] = coo.col
        found = points.members_by_lookup(per_lsoa)
    elif target.built_from and target.built_from != lsoa_set.id:
        blocks = boundary_sets.get_set(session, target.built_from)
        up = _block_lookup(session, blocks, target)
        below = members(session, lsoa_set, blocks)
        per_block = np.full(len(up.source_codes), -1, dtype=np.int64)
        coo = up.matrix.tocoo()
        per_block[coo.row] = coo.col
        found = np.where(below >= 0, per_block[np.maximum(below, 0)], -1)
    else:
        found = points.members(boundary_sets.load_areas(session, target.id))
    return _POINTS.put(key, found)


def weights_for(session: Session, source, target) -> Weights | None:
    """Weights from ``source`` to ``target`` (BoundarySets), cached by both sets' ids and versions.

    From an LSOA set every set gets weights (see the module description); from another set (wards holding
    official estimates) only the sets its areas nest in: None for the rest.
    """
    key = weights_key(source.id, set_version(source), target.id, set_version(target), "auto", store_id(session),
                      postcodes.state(session) if source.kind == "lsoa" else "",
                      *filter(None, [_lookups(session, source, target)]))

    def build() -> Weights:
        src = boundary_sets.load_areas(session, source.id)
        unit = "LSOA" if source.kind == "lsoa" else _unit(source.kind)
        if source.id == target.id:
            return lookup_weights(dict(zip(src["code"], src["code"])), source_unit=unit)
        if target.built_from and target.built_from != source.id:  # always the sum of its blocks
            blocks = boundary_sets.get_set(session, target.built_from)
            below = weights_for(session, source, blocks)
            if below is None:
                return _NOT_NESTED
            up = _block_lookup(session, blocks, target)
            return below.then(up, phrase=f"{below.phrase}, summed from {_unit(blocks.kind)}s")
        tgt = boundary_sets.load_areas(session, target.id)
        if source.kind == "lsoa" and target.kind == "lsoa":
            pairs = lookup_pairs(session, source.id, target.id)
            if pairs.empty:
                pairs = lookup_pairs(session, target.id, source.id).rename(
                    columns={"from_code": "to_code", "to_code": "from_code"})
            if not pairs.empty:
                return _through_lookup(session, source, src, tgt, pairs)
        try:
            return nested_weights(src, tgt, source_unit=unit)
        except NestingError as error:
            if source.kind != "lsoa":
                return _NOT_NESTED
            points = point_population(session, source)
            if points is None:
                return error.area_weights
            return points.weights(points.members(tgt), tgt["code"], source_unit=unit)

    parts = (source.id, set_version(source), target.id, set_version(target), "auto",
             postcodes.state(session) if source.kind == "lsoa" else "", _blocks_version(session, target),
             _lookups(session, source, target))
    weights = WEIGHTS.get_or_build(key, lambda: _stored_weights(session, parts, (source.id, target.id), build))
    return None if weights.method == "nested" and weights.phrase == _NOT_NESTED_PHRASE else weights


def _stored_weights(session: Session, parts: tuple, sets: tuple, build) -> Weights:
    """The weights made from ``parts`` as kept in the store, else built and kept (see
    :mod:`geoapp.storage.persisted`): a restarted process reads them instead of overlaying the sets again."""
    found = persisted.read(session, "weights", parts)
    if found is not None:
        return Weights(**found)
    weights = build()
    persisted.keep(session, "weights", parts, {f.name: getattr(weights, f.name) for f in fields(weights)
                                               if f.name != "key"}, sets=sets)  # the cache sets the key
    return weights


def _lookups(session: Session, source, target) -> str:
    """The state of the stored lookups where weights between two sets may be made from one (two LSOA sets),
    else ""."""
    return lookups_state(session) if source.kind == target.kind == "lsoa" else ""


def lookups_state(session: Session) -> str:
    """Changes whenever a lookup between sets (LSOA 2011 to 2021) is stored, for keys: how many rows are held
    and when the latest was imported (its audit entry)."""
    def read() -> str:
        rows = session.scalar(select(func.count()).select_from(AreaLookup))
        latest = session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.entity_type == "lookup"))
        return f"{rows}@{latest}"

    return remembered(session, "lookups.state", read)


def _blocks_version(session: Session, target) -> str:
    """The version of the blocks (wards) a set is built from, on which its weights also depend ("" if none)."""
    if not target.built_from:
        return ""
    return set_version(boundary_sets.get_set(session, target.built_from))


def _through_lookup(session: Session, source, src, tgt, pairs: pd.DataFrame) -> Weights:
    """Weights between two vintages of LSOAs from the published lookup: an LSOA that became one (or merged
    with others) goes wholly to it; one that was split is shared by its postcodes in each part (equally
    without postcodes)."""
    source_codes, target_codes = list(src["code"]), list(tgt["code"])
    row, col = pd.Index(source_codes), pd.Index(target_codes)
    pairs = pairs[pairs["from_code"].isin(row) & pairs["to_code"].isin(col)].drop_duplicates(["from_code", "to_code"])
    parts = pairs.groupby("from_code")["to_code"].transform("count").to_numpy()
    share = 1.0 / parts
    points = point_population(session, source)
    split = parts > 1
    if points is not None and split.any():
        inside = points.members(tgt)
        counted = pd.DataFrame({"from_code": np.asarray(points.source_codes, dtype=object)[points.source],
                                "to_code": np.where(inside >= 0, np.asarray(target_codes, dtype=object)[
                                    np.maximum(inside, 0)], None)})
        counts = counted.groupby(["from_code", "to_code"]).size()
        found = pd.Series([counts.get((f, t), 0) for f, t in zip(pairs["from_code"], pairs["to_code"])],
                          dtype=float).to_numpy()
        totals = pd.Series(found).groupby(pairs["from_code"].to_numpy()).transform("sum").to_numpy()
        share = np.where(split & (totals > 0), found / np.where(totals > 0, totals, 1), share)
    matrix = sparse.csr_matrix((share, (row.get_indexer(pairs["from_code"]), col.get_indexer(pairs["to_code"]))),
                               shape=(len(source_codes), len(target_codes)))  # England's, dense: 8.9 GB
    n = int(pairs.loc[split, "from_code"].nunique())
    phrase = ("through the published lookup" + (f" ({n} LSOA{'s' if n != 1 else ''} lying in several of the other "
                                                f"vintage's LSOAs shared by "
                                                f"{'their postcodes' if points is not None else 'equal parts'})"
                                                if n else ""))
    return Weights(matrix, tuple(source_codes), tuple(target_codes), "population" if n else "nested",
                   source_unit="LSOA", phrase=phrase)


def _block_lookup(session: Session, blocks, target) -> Weights:
    """Blocks (wards) to the set built from them (APBs), exactly."""
    key = weights_key(blocks.id, set_version(blocks), target.id, set_version(target), "blocks", store_id(session))
    parts = (blocks.id, set_version(blocks), target.id, set_version(target), "blocks")
    return WEIGHTS.get_or_build(key, lambda: _stored_weights(
        session, parts, (blocks.id, target.id), lambda: nested_weights(
            boundary_sets.load_areas(session, blocks.id), boundary_sets.load_areas(session, target.id),
            source_unit=_unit(blocks.kind))))


_NOT_NESTED_PHRASE = "does not nest"
_NOT_NESTED = Weights(np.zeros((0, 0)), (), (), "nested", phrase=_NOT_NESTED_PHRASE)


def _unit(kind: str) -> str:
    return {"lsoa": "LSOA", "msoa": "MSOA", "apb": "APB", "laf": "LAF", "lad": "borough"}.get(kind, kind)


# --------------------------------------------------------------------------------------- figures


def figures(session: Session, set_id: str, indicator_ids: list[str], *, period: str | None = None,
            with_borough: bool = True) -> dict[str, IndicatorFigures]:
    """Figures of the given indicators for every area of ``set_id``, keyed by indicator id.

    ``period`` picks one period for all of them; by default each indicator's latest. Each indicator's
    figures are cached per store, set versions, indicator import and period; callers must not modify them.
    """
    target = boundary_sets.get_set(session, set_id)
    versions = tuple((s.id, set_version(s)) for s in boundary_sets.list_sets(session)
                     if s.kind in ("lsoa", "ward", "lad"))
    base = (store_id(session), set_id, set_version(target), versions, values_version(session),
            postcodes.state(session), lookups_state(session), with_borough, LAYOUT)
    held = all_periods(session)
    keys = {i: base + (i, period or latest_period(held.get(i, []))) for i in indicator_ids}
    found, missing = {}, []
    for indicator_id, key in keys.items():
        fig = _FIGURES.get(key)
        if fig is MISSING:
            missing.append(indicator_id)
        else:
            found[indicator_id] = fig
    if missing:
        state = inputs_state(session)
        stored = persisted.read_many(session, "figures", {i: state + keys[i][1:] for i in missing}, lazy=True)
        labels = _labels(session, target) if stored else None
        for indicator_id, kept in stored.items():
            fig = _figures_from_store(kept, labels)
            if fig is not None:
                found[indicator_id] = _FIGURES.put(keys[indicator_id], fig)
        missing = [i for i in missing if i not in found]
    if missing:
        areas = boundary_sets.load_areas(session, set_id)
        names = dict(zip(areas["code"], areas["name"]))
        borough = borough_set(session) if with_borough else None
        held = area_district_names(session, set_id) if with_borough and borough is None else None
        made = {}
        for source, indicators in _by_source(session, missing).items():
            weights = weights_for(session, source, target)
            made |= _figures(session, source, weights, names, boundary_sets.set_summary(target), indicators,
                             period=period, borough=borough, own_id=set_id, target_codes=list(areas["code"]),
                             target=target, districts=held or None)
        for indicator_id, fig in made.items():
            _FIGURES.put(keys[indicator_id], fig)
        labels = _labels(session, target, next(iter(made.values())).table["name"])
        persisted.keep_many(session, "figures", {
            i: (state + keys[i][1:], _plain_figures(fig, labels), keys[i][-2:] + (with_borough,))
            for i, fig in made.items()}, sets=(set_id,))
        found |= made
    return {i: found[i] for i in indicator_ids}


def _plain_figures(fig: IndicatorFigures, labels: pd.Series | None) -> dict:
    """What the store keeps of an indicator's figures: every field but the rows made plain on demand; the
    table without its codes and names when they are the set's ``labels`` (kept once for every indicator)."""
    plain = {f.name: getattr(fig, f.name) for f in fields(fig) if not f.name.startswith("_")}
    table = fig.table
    labelled = (labels is not None and len(table.columns) and table.columns[0] == "name"
                and table.index.equals(labels.index) and table["name"].equals(labels))
    if labelled:
        plain["table"] = table.iloc[:, 1:].reset_index(drop=True)
    return plain | {"labelled": bool(labelled)}


def _figures_from_store(kept: dict, labels: pd.Series | None) -> IndicatorFigures | None:
    """Figures as :func:`_plain_figures` kept them, read lazily (:class:`persisted.KeptFrame`): the table is
    built when first asked for, not for one area's row (None when their set's labels are not to be found)."""
    if kept.pop("labelled"):
        if labels is None:
            return None
    else:
        labels = None
    return IndicatorFigures(**kept | {"table": None}, _kept=(kept["table"], labels))


def _labels(session: Session, target, made: pd.Series | None = None) -> pd.Series | None:
    """The codes (index) and names of a set's areas in its figures' order, kept once per set version: from
    ``made`` (a table's name column) when given, else as kept (None when none is)."""
    key = (store_id(session), target.id, set_version(target))
    parts = (target.id, set_version(target))
    if made is not None:
        if _LABELS.get(key) is MISSING:
            persisted.keep(session, "area labels", parts, made, sets=(target.id,))
        return _LABELS.put(key, made)
    found = _LABELS.get(key)
    if found is MISSING:
        found = _LABELS.put(key, persisted.read(session, "area labels", parts))
    return found


def inputs_state(session: Session) -> tuple:
    """What a set's stored figures and summaries may depend on beyond its own version, for their keys: every
    set's version (the borough, the blocks, the LSOAs), the values, the postcodes, the lookups between LSOA
    vintages and England's comparators and district summaries."""
    def read() -> tuple:
        compared = session.scalar(select(func.count()).select_from(ComparatorValue))
        districts = session.scalar(select(func.count()).select_from(DistrictSummary))
        return (tuple((s.id, set_version(s)) for s in boundary_sets.list_sets(session)), values_version(session),
                postcodes.state(session), lookups_state(session), compared, districts)

    return remembered(session, "figures inputs", read)


def figures_for_areas(session: Session, areas, indicator_ids: list[str], *, geography: dict,
                      period: str | None = None) -> dict[str, IndicatorFigures]:
    """Figures for areas that are not stored (a freehand area), by the same method as a stored set's.

    ``areas`` is a GeoDataFrame in EPSG:27700 with ``code`` and ``name``; nothing is cached.
    """
    names = dict(zip(areas["code"], areas["name"]))
    borough = borough_set(session)
    held = _districts_by_overlap(session, areas) if borough is None else None
    found = {}
    for source, indicators in _by_source(session, indicator_ids).items():
        weights = figures_weights(session, source, areas) if source.kind == "lsoa" else None
        found |= _figures(session, source, weights, names, geography, indicators, period=period,
                          borough=borough, own_id=None, target_codes=list(areas["code"]),
                          list_outside=False, districts=held or None)
    return {i: found[i] for i in indicator_ids}


def _districts_by_overlap(session: Session, areas) -> dict[str, tuple[str, str]]:
    """The district holding most of each area that is not stored (code -> (district code, name))."""
    lad = district_set(session)
    if lad is None or areas.empty:
        return {}
    codes, _ = boundary_sets.area_bounds(session, lad.id, tuple(areas.total_bounds))
    near = boundary_sets.load_areas(session, lad.id, codes) if codes else None
    found = {}
    for code, shape in zip(areas["code"], areas.geometry):
        if near is None:
            break
        common = shapely.area(shapely.intersection(near.geometry.values, shape))
        if common.max() > 0:
            best = int(np.argmax(common))
            found[code] = (near["code"].iloc[best], near["name"].iloc[best])
    return found


def figures_weights(session: Session, source, areas) -> Weights:
    """Weights from an LSOA set to areas that are not stored, by the method stored sets get."""
    points = point_population(session, source)
    if points is not None:
        return points.weights(points.members(areas), areas["code"])
    return area_weights(boundary_sets.load_areas(session, source.id), areas, source_unit="LSOA")


def _by_source(session: Session, indicator_ids) -> dict:
    """The indicators grouped by the set holding their values, in the order given."""
    groups: dict = {}
    by_id = {}
    for indicator_id in indicator_ids:
        indicator = get_indicator(session, indicator_id)
        source = indicator_set(session, indicator)
        by_id.setdefault(source.id, source)
        groups.setdefault(source.id, []).append(indicator)
    return {by_id[set_id]: indicators for set_id, indicators in groups.items()}


def _figures(session, source, weights, names, geography, indicators, *, period, borough, own_id, target_codes,
             list_outside=True, target=None, districts=None):
    """Each indicator's figures for the target areas, compared with the borough (``borough``), or else with the
    district holding each area (``districts``: code -> (district code, name), in a store of several)."""
    ids = [i.id for i in indicators]
    values = load_values(session, source.id, ids, period)
    by_indicator = dict(tuple(values.groupby("indicator", sort=False)))
    borough_figs = {}
    if borough is not None and borough.id != own_id:
        borough_figs = figures(session, borough.id, ids, period=period, with_borough=False)
    district_figs = {}
    if districts:
        district_figs = figures(session, district_set(session).id, ids, period=period, with_borough=False)
    comparators = _comparators(session, ids)
    out = {}
    for indicator in indicators:
        own = by_indicator.get(indicator.id, values.iloc[:0])
        chosen = period or latest_period(own["period"])
        own = own[own["period"] == chosen].set_index("code")
        if weights is None:
            out[indicator.id] = _unavailable(session, indicator, source, names, target_codes, geography, chosen)
            continue
        weighting = weighting_population(session, indicator)
        table, notes = figure_table(indicator.type, indicator.multiplier, own, weights, None if weighting is None
                                    else (weighting[0], f"Weighted by {lower_first(weighting[1].title)} "
                                                        f"({weighting[2]})."))
        placed = placement_notes(weights, weighting[0] if weighting else None, source) if list_outside else []
        notes += placed
        table = table.reindex(target_codes)
        if indicator.role is not None and indicator.type == "count":
            _whole_people(session, table, indicator, chosen, target, notes)
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
            bench |= {k: plain(bench_row[k]) for k in ("value", "lower", "upper", "numerator", "denominator")}
        by_district = None
        if districts:
            table["district"] = [districts.get(code, (None, None))[0] for code in table.index]
            by_district = _district_figures(district_figs[indicator.id], table["district"])
        england = comparators.get((indicator.id, chosen))
        judged = indicator.type != "count"
        against = bench if by_district is None else {"value": table["district"].map(pd.Series(
            {c: np.nan if d["value"] is None else d["value"] for c, d in by_district.items()}, dtype=float))
            .to_numpy(dtype=float)}
        table["comparison"] = (judge(table, against, indicator.polarity) if against and judged
                               else "not compared")
        table["compared_with_england"] = (judge(table, england, indicator.polarity) if england and judged
                                          else "not compared")
        if not judged and (against or england):
            whose = "their district's" if by_district is not None else "the borough's"
            notes.append(f"A count grows with an area's size, so areas are not compared with {whose} "
                         "or England's total; see the matching rate or proportion.")
        out[indicator.id] = IndicatorFigures(
            indicator=indicator_summary(indicator), geography=geography, period=chosen, table=table,
            borough=bench, weights=weights.describe(), display_factor=display_factor(indicator), notes=notes,
            periods=periods(session, indicator.id), england=england, placement=placed, districts=by_district)
    return out


def _district_figures(fig: IndicatorFigures, codes: pd.Series) -> dict[str, dict]:
    """Each district named in ``codes`` as its own profile shows it: its row of the district set's figures
    (summed numerators and denominators, by the same weights), by code, in order of name."""
    out = []
    for code in {c for c in codes if c is not None}:
        row = fig.row(code) or {}
        out.append({"code": code, "name": row.get("name", code)} | {
            k: row.get(k) for k in ("value", "lower", "upper", "numerator", "denominator")})
    return {d["code"]: d for d in sorted(out, key=lambda d: (d["name"], d["code"]))}


def _whole_people(session: Session, table: pd.DataFrame, indicator, period, target, notes: list[str]) -> None:
    """Counts of people in whole people that still add up: each area of a set built from blocks (APBs from
    wards) the sum of its blocks' whole numbers; any other set rounded by largest remainders, so the set's
    total is its own total rounded. Changes ``table`` in place."""
    value = table["value"].to_numpy(dtype=float)
    if target is not None and target.built_from:
        blocks = boundary_sets.get_set(session, target.built_from)
        below = figures(session, blocks.id, [indicator.id], period=period, with_borough=False)[indicator.id]
        up = _block_lookup(session, blocks, target)
        parts = below.table["value"].reindex(list(up.source_codes)).to_numpy(dtype=float)
        summed = pd.Series(up.apply(parts), index=list(up.target_codes)).reindex(table.index).to_numpy()
        whole = np.where(np.isfinite(value), summed, np.nan)
    else:
        whole = largest_remainder(value)
    in_whole_people(table, whole)


def _unavailable(session, indicator, source, names, codes, geography, period) -> IndicatorFigures:
    """An indicator whose values are held for areas (wards) that do not nest in this set's areas."""
    table = pd.DataFrame({"name": [names.get(c, c) for c in codes], "value": np.nan, "lower": np.nan,
                          "upper": np.nan, "interval_method": "", "numerator": np.nan, "denominator": np.nan,
                          "coverage": np.nan, "method": "not available", "comparison": "not compared",
                          "compared_with_england": "not compared"}, index=pd.Index(codes, name="code"))
    note = (f"Held for the areas of '{source.name}', which do not nest in these areas, so it is not "
            "available here.")
    return IndicatorFigures(indicator=indicator_summary(indicator), geography=geography, period=period,
                            table=table, borough=None, weights=note, display_factor=display_factor(indicator),
                            notes=[note], periods=periods(session, indicator.id), available=False)


def placement_notes(weights: Weights, population: pd.Series | None, source) -> list[str]:
    """Small areas in no area of the set, or partly outside it, with their population: nothing dropped unsaid."""
    where = weights.placement()
    unit = weights.source_unit
    pop = (pd.to_numeric(population, errors="coerce").reindex(list(weights.source_codes))
           if population is not None else None)

    def people(codes) -> str:
        if pop is None:
            return ""
        total = float(np.nansum(pop.reindex(codes).to_numpy(dtype=float)))
        return f" ({total:,.0f} people)"

    notes = []
    if where["outside"] and source.kind == "lsoa":
        codes = where["outside"]
        listed = ", ".join(codes[:LISTED]) + (f" and {len(codes) - LISTED} more" if len(codes) > LISTED else "")
        notes.append(f"{len(codes)} of {len(weights.source_codes)} {unit}s{people(codes)} lie in no area of this "
                     f"set and count in none: {listed}.")
    if where["partial"]:
        parts = [f"{code} ({1 - share:.0%} of it outside)" for code, share in list(where["shares"].items())[:LISTED]]
        more = len(where["partial"]) - LISTED
        lost = ""
        if pop is not None:
            total = sum(float(pop.get(c, 0.0) or 0.0) * (1 - s) for c, s in where["shares"].items())
            lost = f"; {total:,.0f} people in all"
        notes.append(f"{len(where['partial'])} {unit}{'s' if len(where['partial']) != 1 else ''} lie partly outside "
                     f"every area, and only the part inside counts{lost}: {', '.join(parts)}"
                     + (f" and {more} more." if more > 0 else "."))
    if where["nearest"]:
        codes = where["nearest"]
        notes.append(f"{len(codes)} {unit}{'s' if len(codes) != 1 else ''} in a gap between the areas' "
                     f"boundaries counted in the nearest area: {', '.join(codes[:LISTED])}.")
    return notes


# --------------------------------------------------------------------------------------- populations


def weighting_population(session: Session, indicator: Indicator) -> tuple[pd.Series, Indicator, str] | None:
    """The population that weights an indicator's scores, ranks and deciles, as its catalogue declares.

    A domain of the Indices of Deprivation uses its own population (the working-age population for the
    Employment domain); anything else the catalogue's ``population``; a catalogue declaring none, the
    population estimates held for the same set.
    """
    role = DOMAINS[indicator.domain].role if indicator.domain in DOMAINS else "population"
    return remembered(session, ("weighting", indicator.catalogue, role, indicator.set_id),
                      lambda: _weighting(session, indicator, role))


def _weighting(session: Session, indicator: Indicator, role: str):
    found = None
    for wanted in dict.fromkeys((role, "population")):
        found = session.scalars(select(Indicator).where(Indicator.catalogue == indicator.catalogue,
                                                        Indicator.role == wanted)).first()
        if found is not None:
            break
    if found is None:
        estimates = _estimates(session, set_id=indicator.set_id)
        found = estimates if estimates is not None and estimates.set_id == indicator.set_id else None
    if found is None:
        return None
    frame = load_values(session, found.set_id or indicator_set(session, indicator).id, [found.id])
    if frame.empty:
        return None
    chosen = latest_period(frame["period"])
    return frame[frame["period"] == chosen].set_index("code")["value"], found, chosen


def _estimates(session: Session, *, set_id: str | None = None, near: tuple = ()) -> Indicator | None:
    """The population estimates shown as each area's population: from a catalogue of estimates when one is
    loaded (held for one of ``near`` first, e.g. official ward estimates for wards and APBs; else for LSOAs),
    else any declared population; the latest period wins."""
    rows = remembered(session, "population indicators", lambda: session.execute(
        select(Indicator, IndicatorCatalogue.population_estimates)
        .join(IndicatorCatalogue, IndicatorCatalogue.id == Indicator.catalogue, isouter=True)
        .where(Indicator.role == "population")).all())
    if not rows:
        return None
    kinds = {s.id: s.kind for s in boundary_sets.list_sets(session)}

    def rank(row):
        indicator, estimates = row
        held = indicator.set_id
        return (held in near and bool(estimates), bool(estimates), kinds.get(held) == "lsoa",
                _period_key(session, indicator.id), indicator.id)

    usable = [row for row in rows if row[0].set_id in near or kinds.get(row[0].set_id) == "lsoa"
              or set_id is not None and row[0].set_id == set_id]
    return max(usable or rows, key=rank)[0]


def _period_key(session: Session, indicator_id: str) -> tuple[str, str]:
    return period_key(latest_period(periods(session, indicator_id)))


def population(session: Session, set_id: str) -> Population | None:
    """Each area's population in ``set_id``: the same figure on every page, twin, pack, editor and command.

    Official estimates held for the set itself or for the blocks it is built from (wards) win; otherwise
    the LSOA population estimates carried by :func:`weights_for`. None when no population is loaded.
    """
    bset = boundary_sets.get_set(session, set_id)
    chosen = _estimates(session, near=tuple(i for i in (bset.id, bset.built_from) if i))
    if chosen is None:
        return None
    fig = figures(session, set_id, [chosen.id], with_borough=False)[chosen.id]
    if not fig.available:
        chosen = _estimates(session)
        fig = figures(session, set_id, [chosen.id], with_borough=False)[chosen.id]
    return Population(values=fig.table["value"].astype(float), indicator=fig.indicator, period=fig.period,
                      method=fig.weights, notes=list(fig.notes), placement=list(fig.placement))


def population_of_areas(session: Session, figs: dict[str, IndicatorFigures]) -> Population | None:
    """The population of areas that are not stored (a freehand area), from their figures."""
    chosen = _estimates(session)
    if chosen is None or chosen.id not in figs:
        return None
    fig = figs[chosen.id]
    return Population(values=fig.table["value"].astype(float), indicator=fig.indicator, period=fig.period,
                      method=fig.weights, notes=list(fig.notes), placement=list(fig.placement))


def small_population(session: Session) -> tuple[pd.Series, Indicator, str] | None:
    """The LSOAs' population (latest period) every other set's population is made from, with its indicator."""
    chosen = _estimates(session)
    if chosen is None:
        return None
    frame = load_values(session, chosen.set_id, [chosen.id])
    if frame.empty:
        return None
    period = latest_period(frame["period"])
    return frame[frame["period"] == period].set_index("code")["value"], chosen, period


def population_indicator(session: Session) -> Indicator | None:
    """The indicator each area's population comes from (for LSOA-based sets), or None."""
    return _estimates(session)


# --------------------------------------------------------------------------------------- comparators


def _comparators(session: Session, ids) -> dict[tuple[str, str], dict]:
    rows = session.scalars(select(ComparatorValue).where(ComparatorValue.indicator_id.in_(ids))).all()
    return {(r.indicator_id, r.period): {"code": r.code, "name": r.name, "value": r.value, "lower": r.lower,
                                         "upper": r.upper, "numerator": r.numerator,
                                         "denominator": r.denominator, "method": r.method, "source": r.source}
            for r in rows}


# --------------------------------------------------------------------------------------- aggregation


def latest_of_series(figs: dict[str, IndicatorFigures]) -> dict[str, IndicatorFigures]:
    """The figures of the latest release of each series (IoD2025 over IoD2019), in the order given."""
    chosen: dict[str, str] = {}
    for indicator_id, fig in figs.items():
        series = fig.indicator.get("series") or indicator_id
        held = chosen.get(series)
        if held is None or is_later(fig.period, figs[held].period):
            chosen[series] = indicator_id
    keep = set(chosen.values())
    return {i: f for i, f in figs.items() if i in keep}


def themes(session: Session) -> dict[str, list[dict]]:
    """Every indicator offered (not empty), grouped by theme (sorted), as summaries."""
    grouped: dict[str, list[dict]] = {}
    for indicator in list_indicators(session):
        grouped.setdefault(indicator.theme, []).append(indicator_summary(indicator))
    return dict(sorted(grouped.items()))
