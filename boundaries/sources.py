"""Where a boundary layer lives: files, zipped shapefiles, layers, and damaged files.

:func:`find_layer` turns a path and an optional layer name into something GDAL
can open, refusing unsupported files and ambiguous layer choices;
:func:`check_readable` reports a damaged file with GDAL's own words.
"""

from __future__ import annotations

import logging
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fiona
import fiona.errors
import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.errors

from boundaries.errors import BoundaryError, Problem

SUPPORTED_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml")

#: What pyogrio raises when GDAL cannot open or read a file.
READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)

_SHP_HEADER_BYTES = 100


@dataclass(frozen=True)
class LayerSource:
    """One layer of a boundary file, as GDAL opens it.

    Attributes
    ----------
    file : str
        The file's name, for messages.
    dataset : str
        The path GDAL opens (a ``/vsizip/`` path for a shapefile inside a zip).
    layer : str
        The layer's name.
    gdal_layer : str or None
        What to pass GDAL as the layer (None: the dataset's only layer).
    damage : str or None
        Why the file is known to be damaged, if it is.
    """

    file: str
    dataset: str
    layer: str
    gdal_layer: str | None
    damage: str | None


def layer_names(path: str | Path) -> list[str]:
    """Return the names of the layers in a boundary file.

    A shapefile has one layer, named after the file; a zip has one per
    shapefile inside (named after the shapefile, or its path in the zip when
    two share a name).

    Raises
    ------
    BoundaryError
        If the file is missing, of an unsupported kind, or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "wards.geojson"
    >>> _ = path.write_text('{"type": "FeatureCollection", "features": []}')
    >>> layer_names(path)
    ['wards']
    """
    path = _checked_path(path)
    if path.suffix.lower() == ".zip":
        return list(_zip_members(path))
    return _gdal_layers(path)


def find_layer(path: str | Path, layer: str | None = None) -> LayerSource:
    """Locate one layer of a boundary file.

    Parameters
    ----------
    path : str or Path
        A file with one of ``SUPPORTED_SUFFIXES``.
    layer : str, optional
        Required when the file holds more than one layer.

    Raises
    ------
    BoundaryError
        If the file is missing, unsupported or unreadable, or the layer is not
        in it, or there are several layers and none was chosen (listing them).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "wards.geojson"
    >>> _ = path.write_text('{"type": "FeatureCollection", "features": []}')
    >>> source = find_layer(path)
    >>> source.file, source.layer, source.damage
    ('wards.geojson', 'wards', None)
    """
    path = _checked_path(path)
    if path.suffix.lower() == ".zip":
        members = _zip_members(path)
        name = _pick_layer(path.name, list(members), layer)
        member = members[name]
        with zipfile.ZipFile(path) as archive:
            _check_parts(path.name, member, archive.namelist())
            with archive.open(member) as shp:
                header = shp.read(_SHP_HEADER_BYTES)
            size = archive.getinfo(member).file_size
        damage = _shapefile_damage(f"{path.name} ({member})", header, size)
        return LayerSource(path.name, f"/vsizip/{path.resolve()}/{member}", name, None, damage)
    name = _pick_layer(path.name, _gdal_layers(path), layer)
    damage = None
    if path.suffix.lower() == ".shp":
        _check_parts(path.name, path.name, [p.name for p in path.parent.iterdir()])
        with path.open("rb") as shp:
            damage = _shapefile_damage(path.name, shp.read(_SHP_HEADER_BYTES), path.stat().st_size)
    return LayerSource(path.name, str(path), name, name, damage)


def check_readable(frame: gpd.GeoDataFrame, source: LayerSource, where: str) -> None:
    """Raise if the layer read into ``frame`` came from a damaged file.

    A file is damaged when a shapefile is shorter than its header says, or
    when GDAL reports errors reading a feature's geometry (GDAL's messages are
    collected through fiona, feature by feature, only for features that came
    back without geometry).

    Raises
    ------
    BoundaryError
        Saying the file is damaged, with one problem per unreadable feature
        quoting GDAL.

    Examples
    --------
    >>> import tempfile
    >>> from shapely.geometry import box
    >>> path = Path(tempfile.mkdtemp()) / "wards.shp"
    >>> pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:27700"), path)
    >>> _ = path.write_bytes(path.read_bytes()[:120])
    >>> source = find_layer(path)
    >>> check_readable(pyogrio.read_dataframe(path), source, "wards.shp")
    Traceback (most recent call last):
    ...
    boundaries.errors.BoundaryError: wards.shp is truncated: its header says 236 bytes but ...
    """
    missing = set(np.flatnonzero(frame.geometry.isna().to_numpy()).tolist())
    messages = _gdal_messages(source, missing) if missing else {}
    if source.damage is None and not messages:
        return
    headline = source.damage or f"{where}: GDAL could not read the geometry of {len(messages)} features"
    problems = [
        Problem(source.file, source.layer, position + 1, None, f"GDAL says: {message}")
        for position, message in sorted(messages.items())
    ]
    raise BoundaryError(f"{headline}. The file is damaged; export it again from the source.", problems)


def _checked_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BoundaryError(
            f"{path.name}: files ending in '{path.suffix}' are not supported; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise BoundaryError(f"{path.name}: no such file ({path})")
    return path


def _gdal_layers(path: Path) -> list[str]:
    try:
        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except READ_ERRORS as err:
        raise BoundaryError(f"{path.name} cannot be read (is the file damaged?). GDAL says: {err}") from err


def _zip_members(path: Path) -> dict[str, str]:
    """Map layer name to the path of each shapefile inside a zip (macOS resource forks ignored)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as err:
        raise BoundaryError(f"{path.name} is not a readable zip archive: {err}") from err
    shapefiles = [
        name
        for name in names
        if name.lower().endswith(".shp")
        and not name.startswith("__MACOSX/")
        and not PurePosixPath(name).name.startswith("._")
    ]
    if not shapefiles:
        raise BoundaryError(
            f"{path.name} holds no shapefile (.shp); it contains: {', '.join(names) or 'nothing'}"
        )
    stems = [PurePosixPath(name).stem for name in shapefiles]
    if len(set(stems)) == len(stems):
        return dict(zip(stems, shapefiles))
    return {name[: -len(".shp")]: name for name in shapefiles}


#: The files a shapefile cannot be read without, besides its .shp, and what each holds.
SHAPEFILE_PARTS = {".shx": "the index of its shapes", ".dbf": "its attributes: the area codes and names"}


def _check_parts(file: str, shp: str, names: list[str]) -> None:
    """Refuse a shapefile whose .shx or .dbf is missing, naming the missing files (any case of suffix).

    >>> _check_parts("wards.zip", "wards.shp", ["wards.shp", "wards.shx", "wards.prj"])
    Traceback (most recent call last):
    ...
    boundaries.errors.BoundaryError: wards.zip: the shapefile wards.shp has no wards.dbf (its attributes: the area
    codes and names). A shapefile is several files with one name: .shp (the shapes), .shx (their index), .dbf (the
    attributes) and .prj (the coordinate system); keep them together (in one zip).
    """
    stem = shp[: -len(".shp")]
    present = {name.lower() for name in names}
    missing = [suffix for suffix in SHAPEFILE_PARTS if (stem + suffix).lower() not in present]
    if missing:
        what = " or ".join(f"{PurePosixPath(stem).name}{suffix} ({SHAPEFILE_PARTS[suffix]})" for suffix in missing)
        raise BoundaryError(
            f"{file}: the shapefile {PurePosixPath(shp).name} has no {what}. A shapefile is several files with one "
            "name: .shp (the shapes), .shx (their index), .dbf (the attributes) and .prj (the coordinate system); "
            "keep them together (in one zip)."
        )


def _pick_layer(file: str, layers: list[str], layer: str | None) -> str:
    if not layers:
        raise BoundaryError(f"{file} has no layers")
    if layer is None:
        if len(layers) > 1:
            raise BoundaryError(
                f"{file} has {len(layers)} layers: {', '.join(layers)} — choose one with --layer"
            )
        return layers[0]
    if layer not in layers:
        raise BoundaryError(f"{file} has no layer '{layer}'; its layers are: {', '.join(layers)}")
    return layer


def _shapefile_damage(label: str, header: bytes, size: int) -> str | None:
    """Compare a .shp file's size with the length its header declares."""
    if len(header) < _SHP_HEADER_BYTES:
        return f"{label} is truncated: it is {size} bytes long, shorter than a shapefile header (100 bytes)"
    declared = struct.unpack(">i", header[24:28])[0] * 2  # big-endian, in 16-bit words
    if size < declared:
        return (
            f"{label} is truncated: its header says {declared} bytes but the file has {size} "
            "(an incomplete copy or download?)"
        )
    return None


class _Collect(logging.Handler):
    """Keep the messages logged while it is attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _gdal_messages(source: LayerSource, positions: set[int]) -> dict[int, str]:
    """GDAL's errors while reading the features at ``positions`` (0-based), via fiona."""
    handler = _Collect()
    logger = logging.getLogger("fiona._env")  # fiona logs GDAL's errors here
    logger.addHandler(handler)
    messages = {}
    last = max(positions)
    try:
        with fiona.open(source.dataset, layer=source.gdal_layer) as features:
            for position, _feature in enumerate(features):
                if position in positions and handler.messages:
                    messages[position] = "; ".join(handler.messages)
                handler.messages.clear()
                if position >= last:
                    break
    except fiona.errors.FionaError:
        pass  # fiona cannot open it either: the layer-level message is all there is
    finally:
        logger.removeHandler(handler)
    return messages
