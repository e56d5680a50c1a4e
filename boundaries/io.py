"""Reading and writing boundary sets in any common GIS format.

:func:`read_boundaries` turns a GeoPackage, shapefile (plain or zipped), GeoJSON
or KML layer into a clean set of areas: one row per area with a code, a name,
the other attributes, and a valid MultiPolygon in British National Grid.  It
rejects what cannot be imported with every problem listed, naming the file,
layer, feature and code.  :func:`write_boundaries` writes a set back out.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import os
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from boundaries.codes import clean_codes, is_blank
from boundaries.crs import DISPLAY_CRS, STORAGE_CRS, check_plausible, require_crs, to_storage
from boundaries.errors import BoundaryError, CRSError, Problem, location
from boundaries.fields import choose_fields
from boundaries.geometry import normalise
from boundaries.sources import (
    READ_ERRORS,
    SUPPORTED_SUFFIXES,
    LayerSource,
    check_readable,
    find_layer,
    layer_names,
)

__all__ = [
    "EXPORT_FORMATS",
    "SUPPORTED_SUFFIXES",
    "BoundaryImport",
    "ExportFormat",
    "dissolve_codes",
    "list_layers",
    "read_boundaries",
    "recode_areas",
    "write_boundaries",
]

#: Fields the LIBKML driver adds to every KML layer to carry styling, not attributes.
KML_STYLE_FIELDS = frozenset({"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon"})

#: Field names an export must not reuse for an attribute (case-insensitive).
RESERVED_FIELDS = frozenset({"code", "name", "geometry", "fid"})

#: The longest text a shapefile (dBASE) field holds, in bytes, and the longest field name.
SHAPEFILE_TEXT_BYTES = 254
SHAPEFILE_NAME_CHARS = 10


@dataclass
class BoundaryImport:
    """A boundary layer read and checked by :func:`read_boundaries`.

    Attributes
    ----------
    areas : GeoDataFrame
        Columns ``code`` (str), ``name`` (str), ``properties`` (dict of the other
        attributes, JSON-serialisable) and ``geometry`` (valid MultiPolygon, EPSG:27700).
    repairs : list of Problem
        One per geometry that was invalid and has been repaired.
    source_crs : str
        The CRS the file's coordinates were in.
    layer : str
        The layer read.
    code_field, name_field : str
        The fields the codes and names came from (``name_field`` equals
        ``code_field`` when the layer has no names).
    feature_count : int
        Features in the layer.
    """

    areas: gpd.GeoDataFrame
    repairs: list[Problem]
    source_crs: str
    layer: str
    code_field: str
    name_field: str
    feature_count: int


@dataclass(frozen=True)
class ExportFormat:
    """How :func:`write_boundaries` writes one format."""

    suffix: str
    media_type: str
    driver: str
    crs: str


EXPORT_FORMATS = {
    "gpkg": ExportFormat(".gpkg", "application/geopackage+sqlite3", "GPKG", STORAGE_CRS),
    "geojson": ExportFormat(".geojson", "application/geo+json", "GeoJSON", DISPLAY_CRS),
    "shp": ExportFormat(".zip", "application/zip", "ESRI Shapefile", STORAGE_CRS),
}


def list_layers(path: str | Path) -> list[str]:
    """Return the names of the layers in a boundary file.

    A shapefile has one layer, named after the file; a zip has one per shapefile inside.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"code": ["E05000001"], "name": ["Ward"]},
    ...                          geometry=[box(340000, 366000, 341000, 367000)], crs=STORAGE_CRS)
    >>> list_layers(write_boundaries(areas, Path(tempfile.mkdtemp()) / "wards.zip", "shp", layer="wards"))
    ['wards']
    """
    return layer_names(path)


def read_boundaries(
    path: str | Path,
    *,
    layer: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    crs: str | CRS | None = None,
    where: str | None = None,
    dissolve: bool = False,
    recode: dict[str, tuple[str, str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BoundaryImport:
    """Read one boundary layer and check it is fit to be a set of areas.

    Parameters
    ----------
    path : str or Path
        A .gpkg, .shp, .zip (zipped shapefile, possibly in a sub-folder), .geojson,
        .json or .kml file.
    layer : str, optional
        The layer to read; required when the file holds more than one.
    code_field, name_field : str, optional
        Fields holding each area's code and name.  Detected when not given: a
        code field is named ``code`` or ends in ``CD``/``code`` (values that look
        like GSS codes preferred); a name field is named ``name`` or ends in
        ``NM``/``name``.  Without a name field the code is used as the name.
    crs : str or pyproj.CRS, optional
        The CRS of the coordinates, for files with none (a shapefile without its
        .prj) or a wrong one; it replaces whatever the file says.
    where : str, optional
        An attribute filter in OGR SQL (``"lad24cd = 'E06000050'"``): only the
        features it selects are read, e.g. one borough's LSOAs from England's.
    dissolve : bool
        Merge the features that share a code into one area (a district from its
        LSOAs, read with ``code_field="lad24cd"``): a code may then repeat; each
        area keeps as properties the attributes that are the same in all its
        features, and ``parts``, how many features it was made of.
    recode : dict, optional
        New code and name for some codes (``{"E07000163": ("E06000065", "North
        Yorkshire")}``: a district of 2019 now part of another), applied before
        ``dissolve`` merges the features sharing a code.
    progress : callable, optional
        Called as ``progress(done, total)`` while the features are validated.

    Returns
    -------
    BoundaryImport

    Raises
    ------
    BoundaryError
        Naming the file, layer, feature and code of everything that prevents the
        import: unsupported or unreadable file, unknown or ambiguous layer, empty
        layer, unknown fields, blank or duplicated codes, geometry that is not
        polygonal.
    CRSError
        If the layer has no CRS (and none is given) or its coordinates do not fit it.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> feature = {"type": "Feature",
    ...            "properties": {"WD19CD": "E05012209", "WD19NM": "Blacon", "pop": 12000},
    ...            "geometry": {"type": "Polygon",
    ...                         "coordinates": [[[-2.93, 53.2], [-2.9, 53.2], [-2.9, 53.22], [-2.93, 53.2]]]}}
    >>> text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    >>> _ = (folder / "wards.geojson").write_text(text)
    >>> wards = read_boundaries(folder / "wards.geojson")
    >>> wards.code_field, wards.name_field, wards.source_crs, wards.areas.crs.to_epsg()
    ('WD19CD', 'WD19NM', 'EPSG:4326', 27700)
    >>> wards.areas[["code", "name", "properties"]].to_dict("records")
    [{'code': 'E05012209', 'name': 'Blacon', 'properties': {'pop': 12000}}]
    """
    source = find_layer(path, layer)
    place = location(source.file, source.layer)
    try:
        raw = pyogrio.read_dataframe(source.dataset, layer=source.gdal_layer, where=where)
    except READ_ERRORS as err:
        if where:
            raise BoundaryError(f"{place} cannot be read with the filter \"{where}\" (does it name the "
                                f"layer's fields?). GDAL says: {err}") from err
        raise BoundaryError(f"{place} cannot be read (is the file damaged?). GDAL says: {err}") from err
    if not isinstance(raw, gpd.GeoDataFrame):
        raise BoundaryError(f"{place} has no geometry: it is a table of attributes, not a boundary layer")
    check_readable(raw, source, place)
    if raw.empty:
        raise BoundaryError(f"{place} is empty: " + (f"no feature matches the filter \"{where}\""
                                                      if where else "it has no features"))
    where = place
    if crs is not None:
        try:
            raw = raw.set_crs(crs, allow_override=True)
        except ProjCRSError as err:
            raise CRSError(
                f"'{crs}' is not a coordinate reference system GDAL/PROJ recognises: {err}"
            ) from err
    check_plausible(raw, where)
    code_field, name_field = choose_fields(raw, code_field, name_field, where=where)
    codes = read_codes = clean_codes(raw[code_field].tolist())
    if recode:
        codes = [recode[code][0] if code in recode else code for code in codes]
    with ThreadPoolExecutor(max_workers=1) as pool:  # the geometry checked while the codes and attributes are
        checking = pool.submit(_normalised, to_storage(raw), source, codes, progress)
        blank, duplicated = _code_problems(codes, code_field, source)
        if dissolve:
            duplicated = []
        names = _names(raw[name_field].tolist(), read_codes) if name_field else read_codes
        properties = _properties(raw[_attribute_columns(raw, code_field, name_field, source.dataset)])
        geoms, repairs, geometry = checking.result()
    if blank or duplicated or geometry:
        summary = _summary(blank, duplicated, geometry)
        raise BoundaryError(f"{where} cannot be imported: {summary}", blank + duplicated + geometry)
    result = gpd.GeoDataFrame(
        {"code": read_codes, "name": names, "properties": properties}, geometry=geoms, crs=STORAGE_CRS
    )
    if dissolve:  # by the codes read, then (a union of a few large pieces, not of all their parts) as recoded
        result = dissolve_codes(result)
    if recode:
        result = recode_areas(result, recode, dissolve=dissolve)
    return BoundaryImport(
        areas=result,
        repairs=repairs,
        source_crs=raw.crs.to_string(),
        layer=source.layer,
        code_field=code_field,
        name_field=name_field or code_field,
        feature_count=len(raw),
    )


def write_boundaries(gdf: gpd.GeoDataFrame, path: str | Path, fmt: str, *, layer: str = "areas") -> Path:
    """Write a set of areas to a GeoPackage, GeoJSON file or zipped shapefile.

    GeoPackage and shapefile are written in EPSG:27700, GeoJSON in EPSG:4326
    (RFC 7946).  Columns are ``code``, ``name`` and, when the frame has a
    ``properties`` column of dicts, one column per property (lists and dicts
    as JSON text, which GDAL writes into GeoJSON as JSON values; shapefile
    field names cut to 10 characters).  An existing file at ``path`` is replaced.

    Parameters
    ----------
    gdf : GeoDataFrame
        Areas with ``code``, ``name`` and geometry columns; not modified.
    path : str or Path
        Where to write; must end with the format's suffix (see ``EXPORT_FORMATS``).
    fmt : {"gpkg", "geojson", "shp"}
    layer : str
        Layer name (the shapefile's name inside the zip).

    Returns
    -------
    Path

    Examples
    --------
    >>> from shapely.geometry import box
    >>> areas = gpd.GeoDataFrame({"code": ["E05000001"], "name": ["Ward"]},
    ...                          geometry=[box(340000, 366000, 341000, 367000)], crs=STORAGE_CRS)
    >>> out = write_boundaries(areas, Path(tempfile.mkdtemp()) / "areas.gpkg", "gpkg")
    >>> read_boundaries(out).areas.code.tolist()
    ['E05000001']
    """
    if fmt not in EXPORT_FORMATS:
        raise BoundaryError(f"unknown export format '{fmt}': choose one of {', '.join(EXPORT_FORMATS)}")
    spec = EXPORT_FORMATS[fmt]
    path = Path(path)
    if path.suffix.lower() != spec.suffix:
        raise BoundaryError(f"{path.name}: a {fmt} export must be written to a file ending in {spec.suffix}")
    require_crs(gdf, "the areas to export")
    missing = [column for column in ("code", "name") if column not in gdf.columns]
    if missing:
        raise BoundaryError(f"the areas to export have no {' or '.join(missing)} column")
    frame = _export_frame(gdf, spec.crs, shapefile=fmt == "shp")
    path.unlink(missing_ok=True)
    if fmt == "shp":
        _write_zipped_shapefile(frame, path, layer)
    else:
        options = {"RFC7946": "YES"} if fmt == "geojson" else {}
        pyogrio.write_dataframe(
            frame, path, layer=layer, driver=spec.driver, promote_to_multi=True, layer_options=options
        )
    return path


def recode_areas(areas: gpd.GeoDataFrame, recode: dict[str, tuple[str, str]], *,
                 dissolve: bool = True) -> gpd.GeoDataFrame:
    """Give some areas a new code and name, and with ``dissolve`` merge those that then share a code.

    Parameters
    ----------
    areas : GeoDataFrame
        Columns ``code``, ``name``, ``properties`` and geometry; not modified.
    recode : dict
        Old code: (new code, new name).
    dissolve : bool
        Merge the areas sharing a code afterwards (see :func:`dissolve_codes`).

    Returns
    -------
    GeoDataFrame

    Examples
    --------
    >>> from shapely.geometry import box
    >>> old = gpd.GeoDataFrame({"code": ["E07000163", "E07000164"], "name": ["Craven", "Hambleton"],
    ...                         "properties": [{}, {}]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...                        crs=STORAGE_CRS)
    >>> merged = recode_areas(old, {c: ("E06000065", "North Yorkshire") for c in old["code"]})
    >>> merged[["code", "name"]].to_dict("records"), merged.geometry[0].area
    ([{'code': 'E06000065', 'name': 'North Yorkshire'}], 2.0)
    """
    out = areas.copy()
    out["name"] = [recode[code][1] if code in recode else name for code, name in zip(areas["code"], areas["name"])]
    out["code"] = [recode[code][0] if code in recode else code for code in areas["code"]]
    return dissolve_codes(out) if dissolve else out


def dissolve_codes(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Merge the areas that share a code into one, in order of first appearance.

    Each merged area takes the first name of its code, the properties whose
    value is the same in all its parts, ``parts`` (how many features were
    merged), ``members`` (the codes they had, before any :func:`recode_areas`:
    what a set dissolved from the same features nests in by code), and the
    union of their geometry as a valid MultiPolygon.

    Parameters
    ----------
    areas : GeoDataFrame
        Columns ``code``, ``name``, ``properties`` (dicts) and geometry; not modified.

    Returns
    -------
    GeoDataFrame
        One row per code, in the same CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lsoas = gpd.GeoDataFrame({"code": ["E06000017", "E06000017"], "name": ["Rutland", "Rutland"],
    ...                           "properties": [{"lsoa": "A", "region": "EM"}, {"lsoa": "B", "region": "EM"}]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=STORAGE_CRS)
    >>> merged = dissolve_codes(lsoas)
    >>> merged[["code", "name", "properties"]].to_dict("records")
    [{'code': 'E06000017', 'name': 'Rutland', 'properties': {'region': 'EM', 'parts': 2, 'members': ['E06000017']}}]
    >>> merged.geometry[0].geom_type, merged.geometry[0].area
    ('MultiPolygon', 2.0)
    """
    codes = pd.Series(areas["code"].to_numpy(dtype=object))
    groups = codes.groupby(codes, sort=False).indices
    geoms = np.asarray(areas.geometry.array, dtype=object)
    names = areas["name"].to_numpy(dtype=object)
    props = list(areas["properties"]) if "properties" in areas else [{}] * len(areas)
    rows = []
    for code, members in groups.items():
        first = {k: v for k, v in (props[members[0]] or {}).items() if k not in ("parts", "members")}
        same = {key: value for key, value in first.items()
                if all((props[i] or {}).get(key) == value for i in members[1:])}
        parts = sum((props[i] or {}).get("parts", 1) for i in members)
        made_of = sorted({m for i in members for m in (props[i] or {}).get("members", [codes[i]])})
        rows.append({"code": code, "name": names[members[0]],
                     "properties": same | {"parts": parts, "members": made_of}})
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # GEOS releases the GIL
        merged = np.asarray(list(pool.map(_union, (geoms[m] for m in groups.values()))), dtype=object)
    single = shapely.get_type_id(merged) == shapely.GeometryType.POLYGON
    if single.any():
        merged[single] = shapely.multipolygons(merged[single], indices=np.arange(int(single.sum())))
    return gpd.GeoDataFrame(rows, geometry=list(merged), crs=areas.crs)


#: Up to this many parts, the full union is quicker than the coverage union and its mending (a county from its
#: districts: 1.0 s against 4.3 s for Kent); beyond it, slower (a district from its LSOAs: 1.2 s against 0.6 s).
_FEW = 32


def _union(parts: np.ndarray) -> shapely.Geometry:
    """The union of many areas that tile a region: GEOS's coverage union (fast, for areas sharing their edges
    exactly; where its rings touch themselves, mended by a zero buffer), kept when valid and its area is within
    a millionth of its parts' summed area (no overlap lost), else the full union."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) <= _FEW:
        return shapely.union_all(parts)
    try:
        union = shapely.coverage_union_all(parts)
        if not union.is_valid:
            union = shapely.buffer(union, 0)
        polygonal = shapely.get_type_id(union) in (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
        if polygonal and union.is_valid and abs(union.area - shapely.area(parts).sum()) <= 1e-6 * union.area:
            return union
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(parts)


# --- geometry -------------------------------------------------------------------------------

#: Features per share of a layer whose geometry is checked on threads at once (GEOS releases the GIL while it
#: validates); a smaller layer is checked in one piece.
_SHARE = 5000
_CHECKERS = min(2, os.cpu_count() or 1)


def _share_starts(geoms: np.ndarray, count: int) -> list[int]:
    """Where each of ``count`` shares of the features starts, and (last) their number: shares of about equal
    coordinates, not features, as GEOS's time goes with the coordinates (England's first 16,422 LSOAs hold
    1.10 million, the last 0.80: 0.24 s CPU against 0.15 when halved by features, 0.20 against 0.19 so).

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> _share_starts(np.array([Point(0, 0).buffer(1, 64), box(0, 0, 1, 1), box(0, 0, 1, 1)]), 2)
    [0, 1, 3]
    >>> _share_starts(np.array([box(0, 0, 1, 1)] * 4), 2)
    [0, 2, 4]
    """
    if count < 2 or len(geoms) < 2:
        return [0, len(geoms)]
    work = np.cumsum(shapely.get_num_coordinates(geoms) + 1)  # + 1: no feature is checked for nothing
    cuts = np.clip(np.searchsorted(work, work[-1] * np.arange(1, count) / count) + 1, 1, len(geoms) - 1)
    return list(dict.fromkeys([0, *cuts.tolist()])) + [len(geoms)]


def _normalised(
    frame: gpd.GeoDataFrame,
    source: LayerSource,
    codes: list[str | None],
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray | None, list[Problem], list[Problem]]:
    """:func:`~boundaries.geometry.normalise` of the whole layer, its shares checked on threads at once: the
    geometry (None when a feature cannot be used), the repairs, and the problems, each numbered by its
    feature in the whole layer and ``progress`` told of the features checked in all."""
    total = len(frame)
    starts = _share_starts(np.asarray(frame.geometry.array), max(1, min(_CHECKERS, total // _SHARE)))
    checked = dict.fromkeys(starts[:-1], 0)
    lock = threading.Lock()

    def check(start: int, stop: int) -> tuple[np.ndarray | None, list[Problem], list[Problem]]:
        def advance(done: int, _share: int) -> None:
            with lock:
                checked[start] = done
                if progress is not None:
                    progress(sum(checked.values()), total)

        try:
            areas, repairs = normalise(frame.iloc[start:stop], file=source.file, layer=source.layer,
                                       codes=codes[start:stop], progress=advance)
        except BoundaryError as err:
            return None, [], err.problems
        return np.asarray(areas.geometry.array, dtype=object), repairs, []

    with ThreadPoolExecutor(max_workers=len(checked)) as pool:
        shares = list(pool.map(check, starts[:-1], starts[1:]))
    repairs, problems = ([replace(p, feature=p.feature + start) for start, share in zip(starts, shares)
                          for p in share[i]] for i in (1, 2))
    if problems:
        return None, [], problems
    return np.concatenate([geoms for geoms, _, _ in shares]), repairs, []


# --- codes, names and attributes -------------------------------------------------------


def _name_text(value: object) -> str:
    return "" if is_blank(value) else str(value).strip()


def _names(values: list, codes: list[str]) -> list[str]:
    """Each area's name, or its code where the name is blank; text (the usual case) without per-value checks."""
    if all(type(value) is str for value in values):
        return [value.strip() or code for value, code in zip(values, codes)]
    return [_name_text(value) or code for value, code in zip(values, codes)]


def _code_problems(
    codes: list[str | None], code_field: str, source: LayerSource
) -> tuple[list[Problem], list[Problem]]:
    """Problems with the codes: (features with no code, codes used more than once)."""
    blank = [
        Problem(source.file, source.layer, i + 1, None, f"has no code (field '{code_field}' is blank)")
        for i, code in enumerate(codes)
        if code is None
    ]
    repeated = {code for code, count in Counter(codes).items() if count > 1 and code is not None}
    features: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        if code in repeated:
            features.setdefault(code, []).append(i + 1)
    duplicated = [
        Problem(
            source.file,
            source.layer,
            None,
            code,
            f"code used by {len(numbers)} features: {', '.join(map(str, numbers))} (codes must be unique)",
        )
        for code, numbers in features.items()
    ]
    return blank, duplicated


def _summary(blank: list[Problem], duplicated: list[Problem], geometry: list[Problem]) -> str:
    counts = [
        (len(blank), "feature has no code", "features have no code"),
        (len(duplicated), "code is used more than once", "codes are used more than once"),
        (
            len({p.feature for p in geometry}),
            "feature has unusable geometry",
            "features have unusable geometry",
        ),
    ]
    return "; ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)


def _attribute_columns(
    raw: gpd.GeoDataFrame, code_field: str, name_field: str | None, dataset: str
) -> list[str]:
    """The columns kept as properties: not code, name or geometry, not all blank, not KML styling."""
    skip = {code_field, name_field, raw.geometry.name}
    if dataset.lower().endswith(".kml"):
        skip |= KML_STYLE_FIELDS
    return [column for column in raw.columns if column not in skip and not raw[column].isna().all()]


def _properties(frame: pd.DataFrame) -> list[dict]:
    columns = {column: _json_values(frame[column]) for column in frame.columns}
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())] if names else [{} for _ in range(len(frame))]


def _json_values(column: pd.Series) -> list:
    """:func:`_json_value` of each value of a column; text and plain numbers without the per-value checks."""
    values = column.tolist()
    if column.dtype.kind in "iub":
        return values
    if column.dtype.kind == "f":
        return [None if value != value else value for value in values]  # NaN is not equal to itself
    if all(type(value) is str for value in values):
        return values
    return [_json_value(value) for value in values]


def _json_value(value: object) -> object:
    """A value as something ``json.dumps`` accepts."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(item) for item in value]
    if is_blank(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (datetime.date, datetime.time)):  # includes datetime and pandas Timestamp
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --- writing -----------------------------------------------------------------------------


def _export_frame(gdf: gpd.GeoDataFrame, crs: str, *, shapefile: bool) -> gpd.GeoDataFrame:
    data: dict[str, list] = {
        "code": [str(code) for code in gdf["code"]],
        "name": [str(name) for name in gdf["name"]],
    }
    if "properties" in gdf.columns:
        rows = [value if isinstance(value, dict) else {} for value in gdf["properties"]]
        keys = list(dict.fromkeys(key for row in rows for key in row))
        taken = {column.lower() for column in data} | RESERVED_FIELDS
        for key in keys:
            column = _field_name(str(key), taken, shapefile)
            taken.add(column.lower())
            data[column] = [_flat_value(row.get(key)) for row in rows]
    if shapefile:
        _check_shapefile_text(data)
    frame = gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs=gdf.crs)
    return frame if CRS(crs).equals(frame.crs) else frame.to_crs(crs)


def _field_name(key: str, taken: set[str], shapefile: bool) -> str:
    """A field name for a property that clashes with no other (10 characters for shapefiles)."""
    limit = SHAPEFILE_NAME_CHARS if shapefile else None
    base = key if key.lower() not in RESERVED_FIELDS else f"{key}_"
    candidate = base[:limit]
    number = 1
    while candidate.lower() in taken:
        suffix = f"_{number}"
        candidate = (base[: limit - len(suffix)] if limit else base) + suffix
        number += 1
    return candidate


def _flat_value(value: object) -> object:
    return json.dumps(value) if isinstance(value, (dict, list, tuple)) else value


def _check_shapefile_text(data: dict[str, list]) -> None:
    for column, values in data.items():
        for i, value in enumerate(values):
            size = len(value.encode("utf-8")) if isinstance(value, str) else 0
            if size > SHAPEFILE_TEXT_BYTES:
                raise BoundaryError(
                    f"area {data['code'][i]}: field '{column}' holds {size} bytes of text, more than "
                    f"a shapefile can hold ({SHAPEFILE_TEXT_BYTES}); export as GeoPackage instead"
                )


def _write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shp = Path(folder) / f"{layer}.shp"
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", promote_to_multi=True, encoding="UTF-8")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, arcname=part.name)
