"""Area manifests: one TOML file naming an area's boundary layers, groupings and data files."""
from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from ..comparators import ComparatorSpec, StandIn
from ..storage.models import BOUNDARY_KINDS, SERVICE_TYPES

SET_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class ManifestError(ValueError):
    """The manifest cannot be used; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class BoundaryEntry:
    """A boundary layer to import: ``[[boundaries]]``; ``service_type`` (kind "service" only) says what service
    its areas are for, one of :data:`geoapp.storage.models.SERVICE_TYPES`."""

    id: str
    kind: str
    name: str
    file: Path
    layer: str | None = None
    code_field: str | None = None
    name_field: str | None = None
    crs: str | None = None
    vintage: str | None = None
    source: str | None = None
    licence: str | None = None
    service_type: str | None = None
    where: str | None = None
    dissolve: bool = False
    recode: dict | None = None
    also: dict | None = None
    nests_in: dict | None = None

    def check(self, where: str) -> None:
        """Raise ManifestError for an unknown kind or service type, or a service type on another kind."""
        if self.kind not in BOUNDARY_KINDS:
            raise ManifestError(f"{where}: kind '{self.kind}' is not one of {', '.join(BOUNDARY_KINDS)}.")
        if not isinstance(self.dissolve, bool):
            raise ManifestError(f"{where}: dissolve must be true or false.")
        if self.dissolve and not self.code_field:
            raise ManifestError(f"{where}: dissolve = true merges the features sharing a code, so it needs "
                                "code_field (the field holding the code of the area each feature is part of).")
        if self.recode is not None and not (isinstance(self.recode, dict) and all(
                isinstance(v, list) and len(v) == 2 and all(isinstance(p, str) for p in v)
                for v in self.recode.values())):
            raise ManifestError(f"{where}: recode must be a table of code = [\"new code\", \"new name\"], e.g. "
                                "E07000163 = [\"E06000065\", \"North Yorkshire\"].")
        if self.also is not None and (not self.dissolve or not isinstance(self.also, dict)
                                      or not {"file", "code_field"} <= set(self.also)
                                      or not set(self.also) <= {"file", "layer", "where", "code_field"}):
            raise ManifestError(f"{where}: also (a second layer whose features are merged into the areas of the same "
                                "code) needs dissolve = true and a table of file, code_field and optionally layer "
                                "and where.")
        if self.nests_in is not None and not (isinstance(self.nests_in, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.nests_in.items())):
            raise ManifestError(f"{where}: nests_in must be a table of set id = field, e.g. nests_in = "
                                "{lad = \"lad24cd\"}: the field of each area holding the code of the area of that "
                                "set it lies in.")
        if self.service_type is None:
            return
        if self.kind != "service":
            raise ManifestError(f"{where}: service_type is only for sets of kind \"service\"; this set is "
                                f"kind \"{self.kind}\". Remove service_type or set kind = \"service\".")
        if not isinstance(self.service_type, str) or self.service_type not in SERVICE_TYPES:
            raise ManifestError(f"{where}: service_type '{self.service_type}' is not one of "
                                f"{', '.join(SERVICE_TYPES)}.")


@dataclass(frozen=True)
class GroupingEntry:
    """Areas built from groups of another set's areas (APBs from wards): ``[[groupings]]``."""

    id: str
    kind: str
    name: str
    blocks: str
    file: Path
    block_field: str = "block_code"
    group_code_field: str = "group_code"
    group_name_field: str = "group_name"
    vintage: str | None = None
    source: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class GroupsEntry:
    """A list of community groups: ``[[groups]]``.

    With ``mapping`` (field = column, e.g. ``{name = "name", postcode = "postcode"}``) the file, CSV or XLSX,
    goes through the group importer: every row checked, placed by its coordinates or postcode, duplicates
    of stored groups skipped (``duplicates``), and the whole load refused when any row is refused unless
    ``load_good``. ``type_map`` turns the words of the type column into group types; ``default_type`` is
    the type of the rest. Without ``mapping``, a CSV with coordinates is stored as it is (the demo's list).
    """

    file: Path
    source: str
    x_field: str = "easting"
    y_field: str = "northing"
    crs: str = "EPSG:27700"
    name_field: str = "name"
    type_field: str = "group_type"
    themes_field: str | None = "themes"
    serves_field: str | None = "serves"
    postcode_field: str | None = "postcode"
    licence: str | None = None
    mapping: dict | None = None
    type_map: dict | None = None
    default_type: str | None = None
    sheet: str | None = None
    duplicates: str = "skip"
    load_good: bool = False

    def check(self, where: str) -> None:
        """Raise ManifestError when the importer's keys are not the right kinds of value."""
        for key in ("mapping", "type_map"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, dict)
                                      or not all(isinstance(v, str) for v in value.values())):
                raise ManifestError(f"{where}: {key} must be a table of text, e.g. {key} = {{name = \"name\"}}.")
        if self.type_map is not None and self.mapping is None:
            raise ManifestError(f"{where}: type_map needs a mapping of the file's columns too.")
        if self.duplicates not in ("skip", "keep", "merge"):
            raise ManifestError(f"{where}: duplicates '{self.duplicates}' must be skip, keep or merge.")
        if not isinstance(self.load_good, bool):
            raise ManifestError(f"{where}: load_good must be true or false.")


@dataclass(frozen=True)
class IndicatorsEntry:
    """An indicator catalogue (TOML metadata naming a CSV/XLSX table) for a boundary set: ``[[indicators]]``.

    ``file`` reads the catalogue's indicators from another table with the same columns (England's File 7
    for a generic catalogue); ``stand_in`` (``[indicators.weighting_population]``, as for comparators) gives
    the population of the areas whose own denominators are blank in the table, and the catalogue's source
    says for how many it stood in."""

    catalogue: Path
    set: str
    file: Path | None = None
    stand_in: StandIn | None = None


@dataclass(frozen=True)
class LookupEntry:
    """A published lookup between two sets' codes (ONS LSOA 2011 to 2021): ``[[lookups]]``; only the rows
    whose codes are areas of both sets are kept."""

    file: Path
    from_set: str
    to_set: str
    from_column: str
    to_column: str
    change_column: str | None = None


@dataclass(frozen=True)
class PostcodesEntry:
    """A table of postcodes and grid references (Code-Point Open, ONSPD or the Atlas's CSV): ``[[postcodes]]``,
    with the credit lines its licence asks for."""

    file: Path
    licence: str | None = None


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    code: str | None = None
    fictional: bool = False
    attribution: tuple[str, ...] = ()
    boundaries: tuple[BoundaryEntry, ...] = field(default_factory=tuple)
    groupings: tuple[GroupingEntry, ...] = field(default_factory=tuple)
    groups: tuple[GroupsEntry, ...] = field(default_factory=tuple)
    indicators: tuple[IndicatorsEntry, ...] = field(default_factory=tuple)
    postcodes: tuple[PostcodesEntry, ...] = field(default_factory=tuple)
    lookups: tuple[LookupEntry, ...] = field(default_factory=tuple)
    comparators: tuple[ComparatorSpec, ...] = field(default_factory=tuple)


def _entry(cls, table: dict, where: str, base: Path):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(unknown)}; expected some of "
                            f"{', '.join(sorted(known))}.")
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in table]
    if missing:
        raise ManifestError(f"{where}: missing required key(s) {', '.join(missing)}.")
    values = dict(table)
    path_key = "catalogue" if cls is IndicatorsEntry else "file"
    values[path_key] = (base / values[path_key]).resolve()
    if not values[path_key].exists():
        raise ManifestError(f"{where}: file not found: {values[path_key]}")
    if cls is GroupsEntry:
        entry = cls(**values)
        entry.check(where)
        return entry
    if cls is IndicatorsEntry:
        if values.get("file") is not None:
            values["file"] = _existing(base / values["file"], where)
        if values.get("stand_in") is not None:
            values["stand_in"] = _stand_in(values["stand_in"], where, base)
        return cls(**values)
    if cls in (PostcodesEntry, LookupEntry):
        return cls(**values)
    if not SET_ID.match(str(values["id"])):
        raise ManifestError(f"{where}: id '{values['id']}' must be lower-case letters, digits, '-' or '_'.")
    if cls is BoundaryEntry:
        if isinstance(values.get("also"), dict) and "file" in values["also"]:
            values["also"] = dict(values["also"], file=_existing(base / values["also"]["file"], where))
        entry = cls(**values)
        entry.check(where)
        return entry
    if values["kind"] not in BOUNDARY_KINDS:
        raise ManifestError(f"{where}: kind '{values['kind']}' is not one of {', '.join(BOUNDARY_KINDS)}.")
    return cls(**values)


def read_manifest(path: str | Path) -> Manifest:
    """Parse and check a manifest; file paths in it are relative to the manifest itself."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"Manifest not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from None
    area = data.get("area")
    if not isinstance(area, dict) or "name" not in area:
        raise ManifestError(f"{path}: needs an [area] table with at least a name.")
    unknown = sorted(set(data) - {"area", "boundaries", "groupings", "groups", "indicators", "postcodes", "lookups",
                                  "comparators"})
    if unknown:
        raise ManifestError(f"{path}: unknown table(s) {', '.join(unknown)}.")
    base = path.resolve().parent
    boundaries = tuple(_entry(BoundaryEntry, t, f"{path}, [[boundaries]] #{i} ({t.get('id', '?')})", base)
                       for i, t in enumerate(data.get("boundaries", []), 1))
    groupings = tuple(_entry(GroupingEntry, t, f"{path}, [[groupings]] #{i} ({t.get('id', '?')})", base)
                      for i, t in enumerate(data.get("groupings", []), 1))
    groups = tuple(_entry(GroupsEntry, t, f"{path}, [[groups]] #{i}", base)
                   for i, t in enumerate(data.get("groups", []), 1))
    indicators = tuple(_entry(IndicatorsEntry, _renamed(t, "weighting_population", "stand_in"),
                              f"{path}, [[indicators]] #{i}", base)
                       for i, t in enumerate(data.get("indicators", []), 1))
    postcodes = tuple(_entry(PostcodesEntry, t, f"{path}, [[postcodes]] #{i}", base)
                      for i, t in enumerate(data.get("postcodes", []), 1))
    lookups = tuple(_entry(LookupEntry, t, f"{path}, [[lookups]] #{i}", base)
                    for i, t in enumerate(data.get("lookups", []), 1))
    comparators = tuple(_comparator(t, f"{path}, [[comparators]] #{i}", base)
                        for i, t in enumerate(data.get("comparators", []), 1))
    ids = [e.id for e in boundaries + groupings]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ManifestError(f"{path}: boundary set id(s) used twice: {', '.join(duplicated)}.")
    for entry in indicators:
        if entry.set not in ids:
            raise ManifestError(f"{path}, indicators {entry.catalogue.name}: set '{entry.set}' is not a "
                                "boundary set id in this manifest.")
    for entry in lookups:
        for set_id in (entry.from_set, entry.to_set):
            if set_id not in ids:
                raise ManifestError(f"{path}, lookup {entry.file.name}: set '{set_id}' is not a boundary set id in "
                                    "this manifest.")
    catalogues = {e.catalogue for e in indicators}
    for entry in comparators:
        if entry.catalogue not in catalogues:
            raise ManifestError(f"{path}, comparator {entry.file.name}: its catalogue {entry.catalogue.name} is not "
                                "loaded by an [[indicators]] entry of this manifest.")
    for entry in groupings:
        if entry.blocks not in {b.id for b in boundaries}:
            raise ManifestError(f"{path}, grouping '{entry.id}': blocks '{entry.blocks}' is not a "
                                "[[boundaries]] id in this manifest.")
    return Manifest(path=path, name=area["name"], code=area.get("code"),
                    fictional=bool(area.get("fictional", False)),
                    attribution=tuple(area.get("attribution", ())),
                    boundaries=boundaries, groupings=groupings, groups=groups, indicators=indicators,
                    postcodes=postcodes, lookups=lookups, comparators=comparators)


def _comparator(table: dict, where: str, base: Path) -> ComparatorSpec:
    """``[[comparators]]``: a catalogue over a wider table, with an optional ``weighting_population`` table."""
    table = dict(table)
    stand_in = table.pop("weighting_population", None)
    known = {f.name for f in fields(ComparatorSpec)} - {"stand_in"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {', '.join(unknown)}; expected some of "
                            f"{', '.join(sorted(known | {'weighting_population'}))}.")
    for key in ("catalogue", "file"):
        if key not in table:
            raise ManifestError(f"{where}: missing required key {key}.")
        table[key] = _existing(base / table[key], where)
    if stand_in is not None:
        table["stand_in"] = _stand_in(stand_in, where, base)
    return ComparatorSpec(**table)


def _renamed(table: dict, old: str, new: str) -> dict:
    """A table with one key renamed (the manifest's words to the entry's field), unless it has the new one."""
    if old not in table or new in table:
        return table
    table = dict(table)
    table[new] = table.pop(old)
    return table


def _stand_in(stand_in, where: str, base: Path) -> StandIn:
    """``weighting_population``: a population standing in where a table's own is blank."""
    if not isinstance(stand_in, dict):
        raise ManifestError(f"{where}: weighting_population must be a table.")
    wanted = {f.name for f in fields(StandIn)}
    unknown = sorted(set(stand_in) - wanted)
    missing = sorted(f.name for f in fields(StandIn) if f.default is MISSING and f.name not in stand_in)
    if unknown or missing:
        raise ManifestError(f"{where}, weighting_population: " + "; ".join(
            ([f"unknown key(s) {', '.join(unknown)}"] if unknown else [])
            + ([f"missing key(s) {', '.join(missing)}"] if missing else [])) + ".")
    if not isinstance(stand_in["columns"], dict):
        raise ManifestError(f"{where}, weighting_population: columns must be a table of role = column(s).")
    stand_in = dict(stand_in, file=_existing(base / stand_in["file"], where))
    if stand_in.get("lookup"):
        stand_in["lookup"] = _existing(base / stand_in["lookup"], where)
    return StandIn(**stand_in)


def _existing(path: Path, where: str) -> Path:
    path = path.resolve()
    if not path.exists():
        raise ManifestError(f"{where}: file not found: {path}")
    return path
