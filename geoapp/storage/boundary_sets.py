"""Boundary sets and their areas in and out of the store, as GeoDataFrames in EPSG:27700; the sets' index
(:mod:`.set_index`: descriptions and counts, read without geometry) is reached through this module too."""
from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import islice, repeat

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from boundaries.crs import STORAGE_CRS
from boundaries.nesting import overlaps

from ..errors import Conflict, NotFound
from . import audit, locks
from .memo import remembered
from .models import Area, AreaLink, AuditEntry, BoundarySet
from .set_index import KIND_ORDER, SET_FIELDS, area_codes, area_count, area_counts, get_set, list_sets, set_summary  # noqa: F401


def save_set(session: Session, areas: gpd.GeoDataFrame, *, actor: str, replace: bool = False,
             report: dict | None = None, **fields) -> BoundarySet:
    """Store a boundary set and its areas (code, name, geometry, optional properties).

    With ``replace`` an existing set of the same id is replaced and its version bumped;
    without it an existing set is a conflict. Changes to one set id are made one at a time (a named
    lock held to the end of the transaction), so two replacements give two versions, never one twice.
    """
    if areas.crs is None or areas.crs != gpd.GeoSeries([], crs=STORAGE_CRS).crs:
        raise ValueError(f"areas must be in {STORAGE_CRS} to be stored")
    locks.serialize(session, f"boundary-set:{fields['id']}")
    existing = session.get(BoundarySet, fields["id"], populate_existing=True)
    version = _versions_used(session, fields["id"]) + 1  # never reused, so no cache keyed on it goes stale
    before = None
    if existing is not None:
        if not replace:
            raise Conflict(f"A boundary set called '{fields['id']}' already exists; "
                           "use --replace to replace it.")
        before = set_summary(existing) | {"areas": session.scalar(
            select(func.count()).select_from(Area).where(Area.set_id == existing.id))}
        version = max(version, existing.version + 1)
        session.execute(delete(Area).where(Area.set_id == existing.id))
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.version = version
        existing.import_report = report
        bset = existing
    else:
        bset = BoundarySet(version=version, import_report=report, **fields)
        session.add(bset)
    session.flush()
    _insert_areas(session, bset.id, areas)
    audit.record(session, actor=actor, action="replace" if before else "create",
                 entity_type="boundary_set", entity_id=bset.id, before=before,
                 after=set_summary(bset) | {"areas": len(areas)})
    return bset


#: Rows per INSERT batch on SQLite (bounds the memory of one batch of WKB).
_BATCH = 5000
_COLUMNS = "set_id, code, name, properties, area_m2, minx, miny, maxx, maxy, geometry"
#: The columns' types in PostgreSQL's binary COPY: JSON's binary form is its text, and a geometry's is WKB
#: (sent as bytes, read by PostGIS's own binary input).
_COPY_TYPES = ("text", "text", "text", "text", "float8", "float8", "float8", "float8", "float8", "bytea")


def _insert_areas(session: Session, set_id: str, areas: gpd.GeoDataFrame) -> None:
    """Insert a set's areas straight through the driver: WKB, bounds and measures made for the whole set at
    once by shapely (not row by row by the column type), properties as JSON text; on PostGIS one binary COPY,
    elsewhere batches of INSERTs. The ORM would spend more on each row's bookkeeping than the database on
    storing it. The WKB carries no SRID: PostGIS gives it the column's (``geometry(MultiPolygon, 27700)``),
    which spares copying every geometry to set one (EWKB 0.15-0.20 s CPU, WKB 0.09 s for 32,844 LSOAs)."""
    if areas.empty:
        return
    connection = session.connection()
    postgis = connection.dialect.name == "postgresql"
    geoms = np.asarray(areas.geometry.array, dtype=object)
    wkb = shapely.to_wkb(geoms)
    props = areas["properties"].tolist() if "properties" in areas else [None] * len(areas)
    encode = json.JSONEncoder(check_circular=False).encode
    rows = zip(repeat(set_id), areas["code"].tolist(), areas["name"].tolist(),
               [encode(p) if p else None for p in props], shapely.area(geoms).tolist(),
               *shapely.bounds(geoms).T.tolist(), wkb.tolist())
    if postgis:
        _copy(connection, f"COPY areas ({_COLUMNS}) FROM STDIN (FORMAT BINARY)", rows, _COPY_TYPES)
        return
    sql = f"INSERT INTO areas ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    while batch := list(islice(rows, _BATCH)):
        connection.exec_driver_sql(sql, batch)


def _copy(connection: Connection, statement: str, rows: Iterable[tuple], types: tuple[str, ...] = ()) -> None:
    """Stream rows into a PostgreSQL table with COPY (one stream, not a statement per row), its errors raised as
    SQLAlchemy raises an INSERT's (an IntegrityError for a code used twice in a set)."""
    dbapi = connection.dialect.loaded_dbapi
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            if types:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as error:
        raise DBAPIError.instance(statement, None, error, dbapi.Error) from error


def _versions_used(session: Session, set_id: str) -> int:
    """The highest version a set with this id has had, deleted ones included (from the audit log); 0 if none."""
    rows = session.execute(select(AuditEntry.before, AuditEntry.after).where(
        AuditEntry.entity_type == "boundary_set", AuditEntry.entity_id == set_id)).all()
    return max((int(state["version"]) for row in rows for state in row
                if isinstance(state, dict) and isinstance(state.get("version"), int)), default=0)


def load_areas(session: Session, set_id: str, codes: list[str] | None = None) -> gpd.GeoDataFrame:
    """The areas of a set as a GeoDataFrame (id, code, name, properties, geometry) in EPSG:27700."""
    query = select(Area.id, Area.code, Area.name, Area.properties, Area.area_m2, Area.geometry) \
        .where(Area.set_id == set_id).order_by(Area.code)
    if codes is not None:
        query = query.where(Area.code.in_(codes))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "properties", "area_m2", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def query_areas(session: Session, set_id: str, *, bbox: tuple[float, float, float, float] | None = None,
                limit: int | None = None, offset: int = 0) -> tuple[gpd.GeoDataFrame, int]:
    """A page of a set's areas ordered by code, optionally those whose box meets ``bbox`` (EPSG:27700).

    Returns the page and the number of areas matched in all. The box test runs in SQL on indexed
    bounds columns (both backends); callers refine with exact geometry where it matters.
    """
    where = [Area.set_id == set_id]
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        where += [Area.maxx >= minx, Area.minx <= maxx, Area.maxy >= miny, Area.miny <= maxy]
    matched = session.scalar(select(func.count()).select_from(Area).where(*where))
    query = (select(Area.id, Area.code, Area.name, Area.properties, Area.area_m2, Area.geometry)
             .where(*where).order_by(Area.code).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    frame = pd.DataFrame(session.execute(query).all(),
                         columns=["id", "code", "name", "properties", "area_m2", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS), matched


def area_directory(session: Session) -> pd.DataFrame:
    """Set id, code, name and size (m²) of every area of every current set, without geometry, by set and name."""
    query = (select(Area.set_id, Area.code, Area.name, Area.area_m2).join(BoundarySet)
             .where(BoundarySet.superseded_by.is_(None)).order_by(Area.set_id, Area.name, Area.code))
    return pd.DataFrame(session.execute(query).all(), columns=["set_id", "code", "name", "area_m2"])


def areas_meeting(session: Session, box) -> gpd.GeoDataFrame:
    """Every area of every current set whose bounds meet ``box`` (EPSG:27700): set_id, code, name, geometry."""
    minx, miny, maxx, maxy = box
    query = (select(Area.set_id, Area.code, Area.name, Area.geometry).join(BoundarySet)
             .where(BoundarySet.superseded_by.is_(None), Area.maxx >= minx, Area.minx <= maxx,
                    Area.maxy >= miny, Area.miny <= maxy).order_by(Area.set_id, Area.code))
    frame = pd.DataFrame(session.execute(query).all(), columns=["set_id", "code", "name", "geometry"])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)


def set_bounds(session: Session, set_id: str) -> tuple[float, float, float, float] | None:
    """The bounds of all of a set's areas in the storage CRS, or None when it has none."""
    bounds = session.execute(select(func.min(Area.minx), func.min(Area.miny), func.max(Area.maxx),
                                    func.max(Area.maxy)).where(Area.set_id == set_id)).one()
    return None if bounds[0] is None else tuple(bounds)


def mean_area(session: Session, set_id: str) -> float | None:
    """The mean area of a set's areas in square metres, or None when it has none."""
    found = session.scalar(select(func.avg(Area.area_m2)).where(Area.set_id == set_id))
    return None if found is None else float(found)


def area_bounds(session: Session, set_id: str, box) -> tuple[list[str], np.ndarray]:
    """Codes and bounds (n x 4) of a set's areas whose bounds meet ``box`` (EPSG:27700), by code.

    Reads no geometry: callers load only the areas they need.
    """
    minx, miny, maxx, maxy = box
    rows = session.execute(select(Area.code, Area.minx, Area.miny, Area.maxx, Area.maxy)
                           .where(Area.set_id == set_id, Area.maxx >= minx, Area.minx <= maxx,
                                  Area.maxy >= miny, Area.miny <= maxy).order_by(Area.code)).all()
    return [row[0] for row in rows], np.array([row[1:] for row in rows], dtype=float).reshape(-1, 4)


def get_area(session: Session, set_id: str, code: str) -> Area:
    area = session.scalar(select(Area).where(Area.set_id == set_id, Area.code == code))
    if area is None:
        raise NotFound(f"Boundary set '{set_id}' has no area with code '{code}'.")
    return area


def link_sets(session: Session, small_id: str, large_id: str, *, min_share: float = 0.01,
              loaded: dict | None = None) -> int:
    """Record which areas of ``large_id`` hold each area of ``small_id``, and how much of it.

    ``loaded`` keeps each set's areas as read, for callers linking one set with several others."""
    loaded = {} if loaded is None else loaded
    for set_id in (small_id, large_id):
        if set_id not in loaded:
            loaded[set_id] = load_areas(session, set_id)
    small, large = loaded[small_id], loaded[large_id]
    if small.empty or large.empty:
        return 0
    found = nested_by_code(get_set(session, small_id), small, get_set(session, large_id), large)
    if found is None:
        found = overlaps(small[["code", "geometry"]], large[["code", "geometry"]], min_share=min_share)
    small_ids = pd.Series(small["id"].to_numpy(), index=small["code"])
    large_ids = pd.Series(large["id"].to_numpy(), index=large["code"])
    rows = list(zip(small_ids.reindex(found["small_code"]).astype(int).tolist(),
                    large_ids.reindex(found["large_code"]).astype(int).tolist(),
                    found["share"].astype(float).tolist()))
    connection = session.connection()
    if rows and connection.dialect.name == "postgresql":
        _copy(connection, "COPY area_links (area_id, container_id, share) FROM STDIN", rows)
    elif rows:
        connection.exec_driver_sql("INSERT INTO area_links (area_id, container_id, share) VALUES (?, ?, ?)", rows)
    return len(rows)


def nested_by_code(small_set: BoundarySet, small: gpd.GeoDataFrame, large_set: BoundarySet,
                    large: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """Links known without geometry, or None (then geometry decides). Each small area lies wholly in one large
    area when its set declares the field holding that area's code (``nests_in`` in the manifest: official
    nesting, as 2021 LSOAs and wards nest in districts, whatever their generalisations), or when the large areas
    were dissolved from features (their ``members``, see :func:`boundaries.io.dissolve_codes`) of which each
    small area is one (the same file read by the same field) or a union (the districts of a county)."""
    large_members = [p.get("members") if isinstance(p, dict) else None for p in large["properties"]]
    holder = {m: code for code, made_of in zip(large["code"], large_members) for m in made_of or ()}
    holder |= {code: code for code in large["code"]}
    small_members = _made_of(small_set, small, large_set, all(large_members))
    if small_members is None:
        return None
    found = [{holder.get(m) for m in made_of} for made_of in small_members]
    if not all(len(codes) == 1 and None not in codes for codes in found):
        return None
    return pd.DataFrame({"small_code": list(small["code"]), "large_code": [next(iter(c)) for c in found],
                         "share": 1.0, "area_m2": small.geometry.area.to_numpy()})


def placed_by_code(session: Session, small_set: BoundarySet, small: gpd.GeoDataFrame, large_set: BoundarySet,
                   code: str, properties: dict | None) -> np.ndarray:
    """Where codes place each of ``small``'s areas against the area ``code`` of ``large_set`` (its stored
    ``properties`` given), as :func:`nested_by_code` knows them: 1 wholly inside it, 2 holding it wholly (a
    county made of the district), -1 wholly in the set's other areas, 0 where only geometry can tell (no codes,
    codes the set does not hold, or codes on both sides)."""
    members = (properties or {}).get("members") if isinstance(properties, dict) else None
    small_members = _made_of(small_set, small, large_set, bool(members))
    placed = np.zeros(len(small), dtype=np.int8)
    if small_members is None:
        return placed
    holds, known = {*(members or ()), code}, _codes_held(session, large_set.id)
    for i, made_of in enumerate(small_members):
        made_of = set(made_of or ())
        if not made_of or None in made_of:
            continue
        if made_of <= holds:
            placed[i] = 1
        elif set(members or (code,)) <= made_of:
            placed[i] = 2
        elif made_of <= known and not made_of & holds:
            placed[i] = -1
    return placed


def _codes_held(session: Session, set_id: str) -> set[str]:
    """Every code a set's areas are known by: their own and their members' (the districts of a county), read
    once per session's reading (a profile asks for the same set's with each of the other sets)."""
    def read() -> set[str]:
        held = set()
        for code, properties in session.execute(select(Area.code, Area.properties).where(Area.set_id == set_id)):
            held.add(code)
            if isinstance(properties, dict):
                held.update(properties.get("members") or ())
        return held

    return remembered(session, ("codes held", set_id), read)


def _made_of(small_set: BoundarySet, small: gpd.GeoDataFrame, large_set: BoundarySet,
             large_dissolved: bool) -> list | None:
    """Each small area's codes in the terms the large set is known by: the large area's code its set declares
    (``nests_in``), or, when the large areas were dissolved from features (``large_dissolved``), the features it
    is made of (its own ``members``, or its code read by the large set's field from the same file); None when
    neither is known."""
    declared = ((small_set.import_report or {}).get("nests_in") or {}).get(large_set.id)
    small_report, large_report = small_set.import_report or {}, large_set.import_report or {}
    if declared:
        return [[p.get(declared)] if isinstance(p, dict) else [None] for p in small["properties"]]
    if not large_dissolved:
        return None
    small_members = [p.get("members") if isinstance(p, dict) else None for p in small["properties"]]
    if not all(small_members):  # features dissolved into the large areas: same file, read by the same field
        field = large_report.get("code_field")
        if not field or not all(small_report.get(k) == large_report.get(k) for k in ("file", "layer")):
            return None
        small_members = [[p.get(field)] if isinstance(p, dict) else [None] for p in small["properties"]]
    return small_members


def link_all(session: Session, set_ids: list[str], step=None) -> int:
    """Link the given sets with each other and with every other current set, finer into coarser (each set's
    areas read once); ``step(message)`` is told of each pair."""
    current = list_sets(session)
    done = set()
    count = 0
    loaded: dict = {}
    for new in (s for s in current if s.id in set_ids):
        for other in current:
            pair = frozenset((new.id, other.id))
            if other.id == new.id or pair in done:
                continue
            done.add(pair)
            rank_new, rank_other = KIND_ORDER.get(new.kind, 0), KIND_ORDER.get(other.kind, 0)
            if rank_new == rank_other:
                continue
            small, large = (new.id, other.id) if rank_new < rank_other else (other.id, new.id)
            if step is not None:
                step(f"Linking the areas of '{small}' with the areas of '{large}' that hold them")
            count += link_sets(session, small, large, loaded=loaded)
    return count


def main_containers(session: Session, set_id: str, codes: list[str], container_set: str) -> dict[str, str]:
    """For areas of ``set_id`` by code, the area of ``container_set`` holding the largest share of each."""
    container, area = aliased(Area), aliased(Area)
    found: dict[str, tuple[float, str]] = {}
    for start in range(0, len(codes), 500):
        rows = session.execute(
            select(area.code, container.code, AreaLink.share)
            .join(AreaLink, AreaLink.area_id == area.id).join(container, container.id == AreaLink.container_id)
            .where(area.set_id == set_id, area.code.in_(codes[start:start + 500]), container.set_id == container_set))
        for code, holder, share in rows:
            if code not in found or (share, holder) > found[code]:
                found[code] = (share, holder)
    return {code: holder for code, (_, holder) in found.items()}


def containers(session: Session, area_ids: list[int]) -> dict[int, list[dict]]:
    """For each area id, the areas of other sets that hold it: set, code, name and share."""
    container = aliased(Area)
    query = (select(AreaLink.area_id, BoundarySet.id, BoundarySet.name, BoundarySet.kind,
                    container.code, container.name, AreaLink.share)
             .join(container, container.id == AreaLink.container_id)
             .join(BoundarySet, BoundarySet.id == container.set_id)
             .where(AreaLink.area_id.in_(area_ids), BoundarySet.superseded_by.is_(None))
             .order_by(AreaLink.area_id, BoundarySet.id, AreaLink.share.desc()))
    result: dict[int, list[dict]] = {i: [] for i in area_ids}
    for area_id, set_id, set_name, kind, code, name, share in session.execute(query):
        result[area_id].append({"set": set_id, "set_name": set_name, "kind": kind, "code": code,
                                "name": name, "share": round(share, 4)})
    return result
