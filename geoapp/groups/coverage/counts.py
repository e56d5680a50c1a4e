"""Community groups by area: how many are based in, and how many serve, each area of any boundary set,
by theme and type and in all, and per 1,000 residents.

Two ways a group counts for an area, kept apart:

* **based in**: the group's point lies in the area (point in polygon). A point on the boundary two areas
  share counts once, for the first of them by code; a point inside two overlapping areas (service areas
  may overlap) counts for each.
* **serving**: what the group says it serves. The whole borough (``serves_scope`` "borough"), named areas
  of any set ("areas": ``served_area_codes``) or a drawn area ("drawn"). A served area is carried to the
  chosen set by majority: an area is served when more than half of it lies in the served areas, or when it
  holds more than half of one served area. So a group serving a ward serves the LSOAs mostly in that ward
  and the APB holding it. A group that has not said what it serves counts as serving where it is based.

Residents are each area's population as every page shows it (:func:`geoapp.figures.population`). A rate
is count / population × 1,000; the borough row is the groups of all areas (each once) over the summed
population, never an average of rates. A set's coverage is cached per process and kept in the store
(:mod:`geoapp.storage.persisted`, kind "group coverage"), both keyed by every set's version, the groups' state,
the indicator imports and the postcodes, so a restarted process reads it instead of placing every group again;
with no published groups no geometry is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.groups import GROUP_TYPES, SMALL, THEMES, size_class

from ... import figures
from ...caches import LRUCache
from ...errors import AtlasError
from ...storage import boundary_sets, persisted, postcodes
from ...storage.groups import counted_records, groups_version
from ...storage.indicators import values_version
from ...storage.models import Area

#: An area is served when more than this share of it lies in the served areas, or it holds more than
#: this share of one served area.
MAJORITY = 0.5
PER = 1000
HOW = ("based", "serving")
HOW_WORDS = {"based": "based in the area", "serving": "serving the area"}
#: The borough's row in :func:`breakdown` (no area has an empty code).
BOROUGH = ""
_COVERAGE = LRUCache("group coverage of a set", 64)
#: The kind of a set's coverage kept in the store, and the layout of what is kept (raise it when
#: :class:`Coverage` changes, so rows of an older layout are never read).
KEPT, LAYOUT = "group coverage", 1
#: The published groups last read (one store's at a time is all a process needs).
_GROUPS = LRUCache("published groups for counting", 1)

METHOD = ("Based in: the group's point lies in the area (a point on a boundary two areas share counts once). "
          "Serving: the group serves the whole borough, named areas or a drawn area; an area counts as served "
          "when more than half of it lies in what the group serves, or when it holds more than half of a "
          "served area. A group that has not said what it serves counts as serving where it is based. "
          "Per 1,000 residents: groups ÷ population × 1,000. Borough: every group once, over the summed "
          "population of the areas.")


@dataclass
class Coverage:
    """Which published groups are based in and serve each area of one boundary set."""

    geography: dict
    population: dict | None  #: indicator, title, source, licence, period, method; None when none is loaded
    areas: pd.DataFrame  #: index code; name, population
    groups: pd.DataFrame  #: index group id; name, group_type, themes, size_class, small, scope
    based: pd.DataFrame  #: pairs: group, code
    serving: pd.DataFrame  #: pairs: group, code
    outside: int = 0  #: published groups based in no area of the set
    notes: list[str] = field(default_factory=list)
    rows_memo: dict = field(default_factory=dict, repr=False)  #: area_rows() by filters

    def pairs(self, how: str, *, theme: str | None = None, group_type: str | None = None,
              small: bool | None = None) -> pd.DataFrame:
        """The (group, code) pairs of ``how`` ("based" or "serving") for groups matching the filters."""
        pairs = self.based if how == "based" else self.serving
        keep = self.groups.index
        if theme:
            keep = keep[[theme in t for t in self.groups.loc[keep, "themes"]]]
        if group_type:
            keep = keep[self.groups.loc[keep, "group_type"].to_numpy() == group_type]
        if small is not None:
            keep = keep[self.groups.loc[keep, "small"].to_numpy() == small]
        return pairs[pairs["group"].isin(keep)]

    def counts(self, how: str, **filters) -> pd.Series:
        """Groups per area (every area of the set, zero where none), for ``how`` and the filters."""
        found = self.pairs(how, **filters).groupby("code")["group"].nunique()
        return found.reindex(self.areas.index, fill_value=0).astype(int)

    def borough_wide_note(self, how: str, **filters) -> list[str]:
        """A warning when most groups counted as serving serve the whole borough (they add the same to
        every area, so groups per 1,000 then mostly follows the population)."""
        if how != "serving":
            return []
        ids = self.pairs(how, **filters)["group"].unique()
        wide = int((self.groups.loc[ids, "scope"] == "borough").sum()) if len(ids) else 0
        if not wide or wide < len(ids) / 2:
            return []
        return [f"{wide} of the {len(ids)} groups counted serve the whole borough, so they add the same number "
                "to every area, and groups per 1,000 residents then mostly follows how many people live there. "
                "Count the groups based in each area to see where groups are."]

    @property
    def total_population(self) -> float | None:
        pop = self.areas["population"].to_numpy(dtype=float)
        return float(np.nansum(pop)) if np.isfinite(pop).any() else None


def per_1000(count, population):
    """Groups per 1,000 residents; None when the population is missing or zero.

    >>> per_1000(3, 1500), per_1000(2, None), per_1000(0, 0)
    (2.0, None, None)
    """
    if population is None or not np.isfinite(population) or population <= 0:
        return None
    return float(count) / float(population) * PER


# --- pure geometry: which group counts for which area ---------------------------------------------

def based_pairs(areas: gpd.GeoDataFrame, points: gpd.GeoSeries) -> pd.DataFrame:
    """(group, code) for each point in an area; a point on a shared boundary goes to the first area by code.

    ``areas`` has ``code`` and polygons, ``points`` is indexed by group id; both in the same CRS.

    >>> from shapely.geometry import Point, box
    >>> areas = gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> based_pairs(areas, gpd.GeoSeries([Point(0.5, 0.5), Point(1, 0.5), Point(5, 5)], index=[7, 8, 9]))
       group code
    0      7    A
    1      8    A
    """
    if areas.crs is not None and points.crs is not None and areas.crs != points.crs:
        raise ValueError(f"areas are in {areas.crs} but points in {points.crs}")
    points = points[points.notna() & ~points.is_empty] if len(points) else points
    if not len(points) or not len(areas):
        return _no_pairs()
    tree = shapely.STRtree(np.asarray(areas.geometry.array))
    geoms = np.asarray(points.array)
    codes = areas["code"].to_numpy()
    inside = tree.query(geoms, predicate="within")
    edge = tree.query(geoms, predicate="covered_by")
    strictly = set(inside[0].tolist())
    on_edge = pd.DataFrame({"point": edge[0], "code": codes[edge[1]]})
    on_edge = on_edge[~on_edge["point"].isin(strictly)].sort_values(["point", "code"]).drop_duplicates("point")
    found = pd.concat([pd.DataFrame({"point": inside[0], "code": codes[inside[1]]}), on_edge])
    ids = points.index.to_numpy()
    out = pd.DataFrame({"group": ids[found["point"].to_numpy(dtype=int)], "code": found["code"].to_numpy()})
    return out.sort_values(["group", "code"]).reset_index(drop=True)


def _no_pairs() -> pd.DataFrame:
    return pd.DataFrame({"group": pd.Series(dtype=int), "code": pd.Series(dtype=object)})


def served_codes(areas: gpd.GeoDataFrame, served: list) -> list[str]:
    """Codes of ``areas`` served by a group serving the polygons ``served``, by the majority rule.

    >>> from shapely.geometry import box
    >>> small = gpd.GeoDataFrame({"code": ["a", "b", "c"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    >>> served_codes(small, [box(0, 0, 1.6, 1)])   # "b" is 60% inside
    ['a', 'b']
    >>> served_codes(small, [box(2.2, 0.2, 2.4, 0.4)])   # "c" holds all of it
    ['c']
    """
    served = [g for g in served if g is not None and not g.is_empty]
    if not served or not len(areas):
        return []
    geoms = np.asarray(areas.geometry.array)
    union = shapely.union_all(served)
    tree = shapely.STRtree(geoms)
    candidates = np.unique(tree.query(union))
    if not candidates.size:
        return []
    own = geoms[candidates]
    overlap = shapely.area(shapely.intersection(own, union))
    keep = overlap > MAJORITY * shapely.area(own)
    for shape in served:
        size = shape.area
        if size > 0:
            keep |= shapely.area(shapely.intersection(own, shape)) > MAJORITY * size
    return sorted(areas["code"].to_numpy()[candidates[keep]].tolist())


# --- the store -------------------------------------------------------------------------------------

def published(session: Session) -> gpd.GeoDataFrame:
    """Every published group with what counting needs (no contact details), read once per groups version."""
    return _GROUPS.get_or_build((figures.store_id(session), *groups_version(session)), lambda: _read_published(session))


def _read_published(session: Session) -> gpd.GeoDataFrame:
    frame = counted_records(session)
    frame["size_class"] = [size_class(s) for s in frame["size"]]
    frame["small"] = frame["size_class"].isin(SMALL)
    return frame.drop(columns="size")


def coverage(session: Session, set_id: str) -> Coverage:
    """The groups based in and serving every area of ``set_id``, with its residents: cached per process, and
    kept in the store (read back by a restarted process) under everything it is made from."""
    bset = boundary_sets.get_set(session, set_id)
    sets = tuple((s.id, figures.set_version(s)) for s in boundary_sets.list_sets(session))
    parts = (LAYOUT, set_id, figures.set_version(bset), sets, groups_version(session), values_version(session),
             postcodes.state(session))
    return _COVERAGE.get_or_build((figures.store_id(session), *parts), lambda: _kept(session, bset, parts))


def _kept(session: Session, bset, parts: tuple) -> Coverage:
    """The coverage kept in the store under ``parts``, else built and kept (replacing the set's older one)."""
    stored = persisted.read(session, KEPT, parts)
    if stored is not None:
        return Coverage(**stored)
    made = _coverage(session, bset)
    persisted.keep(session, KEPT, parts, {f.name: getattr(made, f.name) for f in fields(Coverage)
                                          if f.name != "rows_memo"}, sets=(bset.id,))
    return made


def _coverage(session: Session, bset) -> Coverage:
    groups = published(session)
    located = groups[groups.geometry.notna()]
    notes = []
    if len(groups):
        areas = boundary_sets.load_areas(session, bset.id)
        based = based_pairs(areas[["code", "geometry"]], located.geometry)
        outside = len(located) - based["group"].nunique()
        serving, unknown = _serving_pairs(session, bset, areas, groups, based)
    else:  # nothing to place: the areas' names are all that is read
        areas = _names(session, bset.id)
        based, serving, outside, unknown = _no_pairs(), _no_pairs(), 0, set()
    if len(groups) > len(located):
        notes.append(f"{len(groups) - len(located)} published group(s) have no map point, so they are based "
                     "nowhere; they still count where they serve.")
    if outside:
        notes.append(f"{outside} published group(s) are based outside every area of {bset.name}.")
    if unknown:
        notes.append(f"{len(unknown)} served area(s) named by groups are not in the Atlas "
                     f"({', '.join(sorted(unknown)[:5])}{'…' if len(unknown) > 5 else ''}); they were skipped.")
    population, info = _population(session, bset.id)
    if info is None:
        notes.append("No population is loaded, so groups per 1,000 residents cannot be worked out.")
    table = pd.DataFrame({"name": areas["name"].to_numpy(),
                          "population": population.reindex(areas["code"]).to_numpy(dtype=float)
                          if population is not None else np.nan},
                         index=pd.Index(areas["code"], name="code"))
    return Coverage(geography=boundary_sets.set_summary(bset), population=info, areas=table,
                    groups=pd.DataFrame(groups.drop(columns=["geometry", "served_area", "served_codes"])),
                    based=based, serving=serving, outside=outside, notes=notes)


def _names(session: Session, set_id: str) -> pd.DataFrame:
    """Code and name of each area of a set, by code (as :func:`boundary_sets.load_areas` orders them)."""
    rows = session.execute(select(Area.code, Area.name).where(Area.set_id == set_id).order_by(Area.code)).all()
    return pd.DataFrame(rows, columns=["code", "name"])


def _serving_pairs(session, bset, areas, groups, based) -> tuple[pd.DataFrame, set[str]]:
    """(group, code) pairs of the groups serving each area, and the named served areas not found."""
    borough = figures.borough_set(session)
    shapes: dict[tuple[str, str], object] = {}
    unknown: set[str] = set()
    mapped: dict[tuple, list[str]] = {}

    def shapes_of(keys):
        wanted = {}
        for set_id, code in keys:
            if (set_id, code) not in shapes:
                wanted.setdefault(set_id, []).append(code)
        for set_id, codes in wanted.items():
            try:
                found = boundary_sets.load_areas(session, set_id, codes)
            except AtlasError:
                found = areas.iloc[:0]
            got = dict(zip(found["code"], found.geometry))
            for code in codes:
                shapes[(set_id, code)] = got.get(code)
                if code not in got:
                    unknown.add(f"{set_id}:{code}")
        return [shapes[k] for k in keys]

    def codes_for(keys: tuple) -> list[str]:
        if keys not in mapped:
            own = {code for set_id, code in keys if set_id == bset.id}
            others = [s for s in shapes_of(list(keys)) if s is not None]
            mapped[keys] = sorted(own | set(served_codes(areas, others))) if (own or others) else []
        return mapped[keys]

    every = areas["code"].tolist()
    if borough is not None and borough.id != bset.id:
        whole = tuple((borough.id, c) for c in boundary_sets.load_areas(session, borough.id)["code"])
    else:
        whole = None
    based_by_group = based.groupby("group")["code"].apply(list).to_dict()
    groups_out, codes_out = [], []
    for gid, scope, named, drawn in zip(groups.index, groups["scope"], groups["served_codes"],
                                        groups["served_area"]):
        if scope == "borough":
            codes = codes_for(whole) if whole else every
        elif scope == "areas" and named:
            codes = codes_for(tuple(sorted(_area_key(item, bset.id) for item in named)))
        elif scope == "drawn" and drawn is not None:
            codes = served_codes(areas, [drawn])
        else:
            codes = based_by_group.get(gid, [])
        groups_out += [gid] * len(codes)
        codes_out += codes
    return pd.DataFrame({"group": np.asarray(groups_out, dtype=int), "code": np.asarray(codes_out, dtype=object)}), \
        unknown


def _area_key(item, default_set: str) -> tuple[str, str]:
    """A served area as (set, code): from {"set", "code"} or "set:code" (a bare code: the chosen set)."""
    if isinstance(item, dict):
        return str(item.get("set") or default_set), str(item.get("code"))
    text = str(item)
    return tuple(text.split(":", 1)) if ":" in text else (default_set, text)


def _population(session: Session, set_id: str) -> tuple[pd.Series | None, dict | None]:
    """Each area's population as every page shows it (:func:`geoapp.figures.population`)."""
    try:
        people = figures.population(session, set_id)
    except AtlasError:
        return None, None
    if people is None:
        return None, None
    info = {"indicator": people.indicator["id"], "title": people.indicator["title"],
            "source": people.indicator["source"], "licence": people.indicator["licence"], "period": people.period,
            "method": people.method}
    return people.values, info


# --- tables ---------------------------------------------------------------------------------------

#: The columns of :func:`breakdown`.
COLUMNS = ("all", "small", "chosen", *(f"type:{t}" for t in GROUP_TYPES), *(f"theme:{t}" for t in THEMES))


def breakdown(cov: Coverage, how: str, *, theme: str | None = None, group_type: str | None = None) -> pd.DataFrame:
    """Groups per area for ``how``, one row per area (zero where none) in the columns of :data:`COLUMNS`:
    all groups, small ones, the chosen theme and type, each type and each theme. A last row,
    :data:`BOROUGH`, counts every group of the set once."""
    pairs = cov.pairs(how).join(cov.groups[["themes", "group_type", "small"]], on="group")
    chosen = np.ones(len(pairs), dtype=bool)
    if theme:
        chosen &= np.array([theme in t for t in pairs["themes"]], dtype=bool)
    if group_type:
        chosen &= pairs["group_type"].to_numpy() == group_type
    pairs = pairs.assign(chosen=chosen)
    whole = pairs.drop_duplicates("group").assign(code=BOROUGH)
    return pd.concat([_tally(pairs, cov.areas.index), _tally(whole, pd.Index([BOROUGH]))])


def _tally(pairs: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    flags = {"all": np.ones(len(pairs), dtype=int), "small": pairs["small"].to_numpy(dtype=int),
             "chosen": pairs["chosen"].to_numpy(dtype=int)}
    flags |= {f"type:{t}": (pairs["group_type"].to_numpy() == t).astype(int) for t in GROUP_TYPES}
    flags |= {f"theme:{t}": np.array([t in themes for themes in pairs["themes"]], dtype=int) for t in THEMES}
    table = pd.DataFrame(flags, index=pairs["code"].to_numpy(dtype=object))
    return table.groupby(level=0).sum().reindex(index=index, columns=list(COLUMNS), fill_value=0).astype(int)


def area_rows(cov: Coverage, *, theme: str | None = None, group_type: str | None = None) -> tuple[list[dict], dict]:
    """One row per area and the borough row: based and serving counts (all, small, by theme, by type,
    the chosen theme/type) with rates per 1,000 residents. Kept on ``cov`` per choice of filters."""
    key = (theme, group_type)
    memo = cov.rows_memo
    if key in memo:
        return memo[key]
    counts = {how: table.to_dict("index") for how, table in _counts(cov, theme, group_type).items()}
    rows = [_row(code, name, None if not np.isfinite(p) else float(p), {how: counts[how][code] for how in HOW})
            for code, name, p in zip(cov.areas.index, cov.areas["name"], cov.areas["population"])]
    memo[key] = rows, _row(BOROUGH, "Borough (all areas)", cov.total_population,
                           {how: counts[how][BOROUGH] for how in HOW})
    return memo[key]


def _counts(cov: Coverage, theme: str | None = None, group_type: str | None = None) -> dict[str, pd.DataFrame]:
    """:func:`breakdown` of both ways of counting, kept on ``cov`` per choice of filters."""
    key = ("counts", theme, group_type)
    if key not in cov.rows_memo:
        cov.rows_memo[key] = {how: breakdown(cov, how, theme=theme, group_type=group_type) for how in HOW}
    return cov.rows_memo[key]


def _row(code: str, name: str, population: float | None, counts: dict[str, dict]) -> dict:
    """A row of :func:`area_rows` from the area's (or :data:`BOROUGH`'s) counts of each way of counting."""
    row = {"code": code or None, "name": name, "population": population}
    for how in HOW:
        c = counts[how]
        row[how] = _figures(c, {t: c[f"theme:{t}"] for t in THEMES}, {t: c[f"type:{t}"] for t in GROUP_TYPES},
                            population)
    return row


def _figures(main: dict, by_theme: dict, by_type: dict, population) -> dict:
    return {"all": int(main["all"]), "per_1000": per_1000(main["all"], population),
            "small": int(main["small"]), "small_per_1000": per_1000(main["small"], population),
            "chosen": int(main["chosen"]), "chosen_per_1000": per_1000(main["chosen"], population),
            "by_theme": {t: int(n) for t, n in by_theme.items()},
            "by_type": {t: int(n) for t, n in by_type.items()},
            "by_theme_per_1000": {t: per_1000(n, population) for t, n in by_theme.items()}}


def _one_row(cov: Coverage, code: str) -> dict:
    """:func:`area_rows`' row of one area (or :data:`BOROUGH`), without making every area's (a national set
    has tens of thousands)."""
    counts = {how: table.loc[code].to_dict() for how, table in _counts(cov).items()}
    if code == BOROUGH:
        return _row(code, "Borough (all areas)", cov.total_population, counts)
    population = cov.areas.at[code, "population"]
    return _row(code, cov.areas.at[code, "name"], None if not np.isfinite(population) else float(population),
                counts)


def for_area(session: Session, set_id: str, code: str) -> dict:
    """One area's groups (based in, serving; all, small, by theme) per 1,000 against the borough."""
    cov = coverage(session, set_id)
    if code not in cov.areas.index:
        return {}
    row, borough = _one_row(cov, code), _one_row(cov, BOROUGH)
    based = cov.pairs("based")
    ids = based.loc[based["code"] == code, "group"].unique()
    serving = cov.serving
    serving_ids = serving.loc[serving["code"] == code, "group"].unique()
    listed = cov.groups.loc[ids] if len(ids) else cov.groups.iloc[:0]
    items = [{"name": n, "group_type": t, "small": bool(s)}
             for n, t, s in zip(listed["name"], listed["group_type"], listed["small"])]
    return {"population": row["population"], "population_source": cov.population,
            "based": row["based"], "serving": row["serving"],
            "borough": {"population": borough["population"], "based": borough["based"],
                        "serving": borough["serving"]},
            "themes": list(THEMES), "items": sorted(items, key=lambda g: g["name"].casefold()),
            "serving_count": int(len(serving_ids)),
            "borough_wide": int((cov.groups.loc[serving_ids, "scope"] == "borough").sum()),
            "size_unknown": int(cov.groups.loc[ids, "size_class"].isna().sum()),
            "method": METHOD, "notes": cov.notes}
