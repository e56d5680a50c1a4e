"""Loading boundary files and whole-area manifests into the store, all or nothing."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from boundaries.crs import STORAGE_CRS
from boundaries.errors import GroupingError
from boundaries.grouping import dissolve_groups
from boundaries.io import dissolve_codes, read_boundaries, recode_areas
from layers.catalogue import read_catalogue, read_values

from ..comparators import StandIn, fill_blank_populations, load_comparator, stand_in_population
from ..errors import InvalidInput
from ..groups.imports import importer
from ..storage import boundary_sets, postcodes
from ..storage.db import Database
from ..storage.groups import add_groups
from ..storage.indicators import save_catalogue
from ..storage.lookups import save_lookup
from .manifest import BoundaryEntry, GroupingEntry, GroupsEntry, Manifest, ManifestError, PostcodesEntry

Progress = Callable[[int, int], None]


@dataclass
class LoadReport:
    """What a load stored: areas per set, repairs made, links recorded."""

    sets: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, list[str]] = field(default_factory=dict)
    links: int = 0
    groups: int = 0
    indicators: dict[str, dict] = field(default_factory=dict)
    postcodes: int = 0
    lookups: list[dict] = field(default_factory=list)
    comparators: dict[str, dict] = field(default_factory=dict)


class Reporter:
    """Receives progress from a load; the CLI shows it, tests and views may ignore it."""

    def step(self, message: str) -> None:
        """A new step has started."""

    def progress(self, label: str) -> Progress | None:
        """A callback for per-feature progress of the step ``label``, or None."""
        return None


def import_boundary_file(session: Session, entry: BoundaryEntry, *, actor: str, replace: bool,
                         fictional: bool, reporter: Reporter, report: LoadReport, read: dict | None = None):
    """Read, check and store one boundary file; returns the stored areas as a GeoDataFrame.

    ``read`` keeps layers dissolved by the codes read, for the entries of one load that dissolve the same
    features (the districts, then the counties recoded from them)."""
    reporter.step(f"Reading {entry.file.name} as '{entry.id}' ({entry.kind})")
    recode = {k: tuple(v) for k, v in entry.recode.items()} if entry.recode else None
    if entry.dissolve:
        key = (entry.file, entry.layer, entry.code_field, entry.name_field, entry.crs, entry.where)
        read = {} if read is None else read
        if key not in read:
            read[key] = read_boundaries(entry.file, layer=entry.layer, code_field=entry.code_field,
                                        name_field=entry.name_field, crs=entry.crs, where=entry.where,
                                        dissolve=True, progress=reporter.progress(entry.id))
        result = read[key] if not recode else dataclasses.replace(read[key],
                                                                  areas=recode_areas(read[key].areas, recode))
    else:
        result = read_boundaries(entry.file, layer=entry.layer, code_field=entry.code_field,
                                 name_field=entry.name_field, crs=entry.crs, where=entry.where,
                                 dissolve=entry.dissolve, progress=reporter.progress(entry.id), recode=recode)
    if entry.also:
        more = read_boundaries(entry.also["file"], layer=entry.also.get("layer"), where=entry.also.get("where"),
                               code_field=entry.also["code_field"], crs=entry.crs, dissolve=True)
        merged = dissolve_codes(pd.concat([result.areas, more.areas.assign(name=None)], ignore_index=True))
        merged["name"] = merged["name"].fillna(merged["code"])
        result = dataclasses.replace(result, areas=merged, repairs=result.repairs + more.repairs)
    repairs = [str(p) for p in result.repairs]
    import_report = {"file": entry.file.name, "layer": result.layer, "source_crs": result.source_crs,
                     "code_field": result.code_field, "name_field": result.name_field,
                     "features": result.feature_count, "repairs": repairs}
    if entry.where:
        import_report["where"] = entry.where
    if entry.nests_in:
        import_report["nests_in"] = dict(entry.nests_in)
    if entry.dissolve:
        import_report["dissolved"] = f"{result.feature_count} features merged into {len(result.areas)} by code"
    if entry.also:
        import_report["also"] = {k: str(v) if k != "file" else Path(v).name for k, v in entry.also.items()}
    reporter.step(f"Storing {len(result.areas)} areas of '{entry.id}'")
    boundary_sets.save_set(session, result.areas, actor=actor, replace=replace, report=import_report,
                           id=entry.id, kind=entry.kind, name=entry.name, vintage=entry.vintage,
                           source=entry.source, licence=entry.licence, fictional=fictional,
                           service_type=entry.service_type)
    report.sets[entry.id] = len(result.areas)
    report.repairs[entry.id] = repairs
    return result.areas


def build_grouping(session: Session, entry: GroupingEntry, blocks, *, actor: str, replace: bool,
                   fictional: bool, reporter: Reporter, report: LoadReport) -> None:
    """Dissolve groups of blocks (wards into APBs) and store them as a set built from the blocks."""
    reporter.step(f"Building '{entry.id}' from groups of '{entry.blocks}' in {entry.file.name}")
    table = pd.read_csv(entry.file, dtype=str, keep_default_na=False)
    missing = [c for c in (entry.block_field, entry.group_code_field, entry.group_name_field)
               if c not in table.columns]
    if missing:
        raise GroupingError(f"{entry.file.name}: column(s) {', '.join(missing)} not found; the file has "
                            f"{', '.join(table.columns)}.")
    groups = dissolve_groups(blocks, table, block_field=entry.block_field,
                             group_field=entry.group_code_field, name_field=entry.group_name_field)
    groups = groups.assign(properties=[{"blocks": list(codes)} for codes in groups["block_codes"]])
    boundary_sets.save_set(session, groups, actor=actor, replace=replace,
                           report={"file": entry.file.name, "blocks": entry.blocks},
                           id=entry.id, kind=entry.kind, name=entry.name, vintage=entry.vintage,
                           source=entry.source, licence=entry.licence, fictional=fictional,
                           built_from=entry.blocks)
    report.sets[entry.id] = len(groups)


def load_groups(session: Session, entry: GroupsEntry, *, actor: str, fictional: bool,
                reporter: Reporter, report: LoadReport) -> None:
    """Store a list of community groups: through the group importer when the entry maps its columns,
    else as a CSV that carries coordinates in the vocabulary's words (the demo's list)."""
    reporter.step(f"Adding community groups from {entry.file.name}")
    if entry.mapping is not None:
        _import_groups(session, entry, actor=actor, fictional=fictional, reporter=reporter, report=report)
        return
    table = pd.read_csv(entry.file, dtype=str, keep_default_na=False)
    fields = {entry.name_field: "name", entry.type_field: "group_type", entry.themes_field: "themes",
              entry.serves_field: "serves", entry.postcode_field: "postcode"}
    wanted = [f for f in (entry.x_field, entry.y_field, *fields) if f]
    missing = [f for f in wanted if f not in table.columns]
    if missing:
        raise ManifestError(f"{entry.file.name}: column(s) {', '.join(missing)} not found; the file has "
                            f"{', '.join(table.columns)}.")
    xy = table[[entry.x_field, entry.y_field]].apply(pd.to_numeric, errors="coerce")
    bad = xy.isna().any(axis=1)
    if bad.any():
        rows = ", ".join(str(i + 2) for i in bad[bad].index[:10])
        raise ManifestError(f"{entry.file.name}: rows {rows} have no usable coordinates in "
                            f"{entry.x_field}/{entry.y_field}.")
    frame = table.rename(columns={k: v for k, v in fields.items() if k})[
        [v for k, v in fields.items() if k]]
    for column in ("themes", "serves"):
        if column in frame:
            frame[column] = [[t.strip() for t in value.split(";") if t.strip()] for value in frame[column]]
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy.iloc[:, 0], xy.iloc[:, 1]),
                              crs=entry.crs).to_crs(STORAGE_CRS)
    report.groups += add_groups(session, points, actor=actor, source=entry.source, licence=entry.licence,
                                fictional=fictional)


def _import_groups(session: Session, entry: GroupsEntry, *, actor: str, fictional: bool,
                   reporter: Reporter, report: LoadReport) -> None:
    table = importer.read_table(entry.file, sheet=entry.sheet)
    mapping = importer.Mapping(fields=dict(entry.mapping), type_map=dict(entry.type_map or {}),
                               default_type=entry.default_type, source=entry.source, licence=entry.licence)
    checked = importer.check(session, table, mapping)
    try:
        importer.load(session, checked, actor=actor, load_good=entry.load_good, fictional=fictional,
                      decisions={d.line: entry.duplicates for d in checked.duplicates})
    except importer.ImportRefused as error:
        raise ManifestError(f"{entry.file.name}: {error.message} Fix the rows or set load_good = true.\n"
                            + "\n".join(error.details[:20])) from None
    skipped = f", {checked.skipped} duplicate(s) skipped" if checked.skipped else ""
    refused = f", {len(checked.refused)} refused row(s) left out" if checked.refused else ""
    reporter.step(f"{checked.rows_read} rows read: {checked.loaded} group(s) added{skipped}{refused}")
    report.groups += checked.loaded


def import_indicators(session: Session, catalogue_path, set_id: str, *, actor: str, reporter: Reporter,
                      report: LoadReport, file: Path | None = None, stand_in: StandIn | None = None) -> dict:
    """Read, check and store an indicator catalogue's values for the areas of one boundary set.

    ``file`` reads the catalogue's columns from another table; ``stand_in`` fills the populations the table
    leaves blank (see :func:`geoapp.comparators.fill_blank_populations`), and the catalogue's source says for
    how many of the set's areas."""
    reporter.step(f"Reading indicators from {Path(file or catalogue_path).name} for '{set_id}'")
    catalogue = read_catalogue(catalogue_path)
    if file is not None:
        catalogue = dataclasses.replace(catalogue, file=Path(file))
    values = read_values(catalogue)
    boundary_sets.get_set(session, set_id)
    if stand_in is not None:
        population = stand_in_population(stand_in, catalogue, values)
        values, filled = fill_blank_populations(catalogue, values, population)
        codes = set(boundary_sets.area_codes(session, set_id))
        used = len(filled & codes)
        if used:
            catalogue = dataclasses.replace(catalogue, source=(
                f"{catalogue.source}; for {used:,} of the {len(codes):,} areas, whose table has no population, "
                f"populations and denominators from {population['note']}"))
    result = save_catalogue(session, catalogue, values, set_id=set_id, actor=actor)
    report.indicators[catalogue.id] = result
    return result


def load_postcodes(session: Session, entry: PostcodesEntry, *, actor: str, reporter: Reporter,
                   report: LoadReport) -> None:
    """Store a table of postcodes as `geoapp import-postcodes` does; a bad row stops the whole load."""
    reporter.step(f"Storing postcodes from {entry.file.name}")
    try:
        stored = postcodes.load(session, entry.file, actor=actor, licence=entry.licence)
    except InvalidInput as error:
        raise ManifestError("\n".join([error.message, *error.details[:20]])) from None
    reporter.step(f"{stored['stored']:,} postcodes stored ({stored['without_coordinates']:,} without coordinates)")
    report.postcodes += stored["stored"]


def load_manifest(db: Database, manifest: Manifest, *, replace: bool = False, actor: str = "cli",
                  reporter: Reporter | None = None) -> LoadReport:
    """Load every file a manifest names in one transaction: on any error nothing is stored."""
    reporter = reporter or Reporter()
    report = LoadReport()
    with db.transaction() as session:
        for entry in manifest.postcodes:  # first, so groups can be placed by postcode
            load_postcodes(session, entry, actor=actor, reporter=reporter, report=report)
        stored, read = {}, {}
        for entry in manifest.boundaries:
            stored[entry.id] = import_boundary_file(session, entry, actor=actor, replace=replace,
                                                    fictional=manifest.fictional, reporter=reporter,
                                                    report=report, read=read)
        for entry in manifest.groupings:
            build_grouping(session, entry, stored[entry.blocks], actor=actor, replace=replace,
                           fictional=manifest.fictional, reporter=reporter, report=report)
        for entry in manifest.groups:
            load_groups(session, entry, actor=actor, fictional=manifest.fictional, reporter=reporter,
                        report=report)
        for entry in manifest.indicators:
            import_indicators(session, entry.catalogue, entry.set, actor=actor, reporter=reporter, report=report,
                              file=entry.file, stand_in=entry.stand_in)
        for entry in manifest.lookups:
            reporter.step(f"Storing the lookup {entry.file.name} from '{entry.from_set}' to '{entry.to_set}'")
            table = pd.read_csv(entry.file, dtype=str, keep_default_na=False)
            report.lookups.append(save_lookup(session, table, from_set=entry.from_set, to_set=entry.to_set,
                                              from_column=entry.from_column, to_column=entry.to_column,
                                              change_column=entry.change_column, name=entry.file.name,
                                              actor=actor))
        for entry in manifest.comparators:
            reporter.step(f"Working out {entry.name}'s figures from {entry.file.name}")
            found = load_comparator(session, entry, actor=actor)
            report.comparators[entry.file.name] = {"name": entry.name, "indicators": found.indicators,
                                                   "with_value": found.with_value, "districts": found.districts,
                                                   "notes": found.notes}
        reporter.step("Linking areas with the areas that contain them")
        report.links = boundary_sets.link_all(session, list(report.sets), step=reporter.step)
    return report
