"""The `geoapp` command line: set up the store, import and export boundaries, load an area."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from boundaries.errors import BoundaryError
from boundaries.io import EXPORT_FORMATS, write_boundaries
from layers.catalogue import CatalogueError

from .auth import accounts
from .alignment.commands import COMMANDS as ALIGNMENT_COMMANDS
from .auth.roles import ROLES, role_label
from .errors import AtlasError
from .loading import LoadReport, Reporter, load_manifest
from .manifest import BoundaryEntry, ManifestError, read_manifest
from .proposals.interchange import BLOCK_COLUMNS, FORUM_COLUMNS
from .storage import boundary_sets
from .storage.indicators import describe_report
from .storage.models import BOUNDARY_KINDS, SERVICE_TYPES
from .web.db import database

console = Console(stderr=True)
FAILURES = (BoundaryError, ManifestError, AtlasError, CatalogueError)


class ConsoleReporter(Reporter):
    """Prints each step and shows a progress bar for imports of many features."""

    def __init__(self, progress: Progress):
        self.bar = progress

    def step(self, message: str) -> None:
        self.bar.console.print(f"• {message}")

    def progress(self, label: str):
        task = None

        def advance(done: int, total: int) -> None:
            nonlocal task
            if total < 1000:
                return
            if task is None:
                task = self.bar.add_task(f"Checking {label}", total=total)
            self.bar.update(task, completed=done)
        return advance


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _ready_db():
    db = database()
    db.upgrade()
    return db


def _print_report(report: LoadReport) -> None:
    for set_id, count in report.sets.items():
        repairs = report.repairs.get(set_id, [])
        note = f"; {len(repairs)} geometries repaired" if repairs else ""
        click.echo(f"  {set_id}: {count} area{'s' if count != 1 else ''}{note}")
        for line in repairs[:5]:
            click.echo(f"    repaired: {line}")
    for catalogue, result in report.indicators.items():
        click.echo(f"  indicators '{catalogue}':")
        for line in describe_report(result):
            click.echo(f"    {line}")
    for lookup in report.lookups:
        click.echo(f"  lookup {lookup['file']}: {lookup['rows']:,} rows from '{lookup['from_set']}' to "
                   f"'{lookup['to_set']}'")
    for name, found in report.comparators.items():
        click.echo(f"  {found['name']} from {name}: {found['with_value']} of {found['indicators']} figures"
                   + (f", {found['districts']} districts ranked" if found["districts"] else ""))
        for note in found["notes"]:
            click.echo(f"    {note}")
    if report.groups:
        click.echo(f"  {report.groups} community groups")
    if report.links:
        click.echo(f"  {report.links} links between areas and the areas containing them")


def _fail(error: Exception):
    raise click.ClickException(f"{error}\nNothing was stored.")


@click.group("db", cls=AppGroup, help="Manage the store's schema.")
def db_group():
    pass


@db_group.command("upgrade", help="Create or migrate the tables to the latest schema.")
def db_upgrade():
    _ready_db()
    click.echo(f"Schema is up to date ({current_app.config['DATABASE_URL'].split('@')[-1]}).")


@click.command("load", help="Load every file an area manifest (TOML) names, all or nothing.")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace boundary sets that already exist.")
@with_appcontext
def load_command(manifest: Path, replace: bool):
    db = _ready_db()
    try:
        parsed = read_manifest(manifest)
        with _progress() as progress:
            report = load_manifest(db, parsed, replace=replace, reporter=ConsoleReporter(progress))
    except FAILURES as error:
        _fail(error)
    click.echo(f"Loaded {parsed.name} from {manifest}:")
    _print_report(report)


@click.command("import-boundaries", help="Import one boundary file (GPKG, Shapefile or .zip, GeoJSON, KML).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "set_id", required=True, help="Boundary set id, used in URLs (e.g. wards-2019).")
@click.option("--kind", required=True, type=click.Choice(BOUNDARY_KINDS))
@click.option("--name", required=True, help="Name shown to users, e.g. 'Wards (2019)'.")
@click.option("--layer", help="Layer to read, when the file has several.")
@click.option("--code-field", help="Field holding the area codes (detected when omitted).")
@click.option("--name-field", help="Field holding the area names (detected when omitted).")
@click.option("--crs", help="CRS of a file that does not declare one, e.g. EPSG:27700.")
@click.option("--vintage")
@click.option("--source")
@click.option("--licence")
@click.option("--service-type", type=click.Choice(list(SERVICE_TYPES)),
              help="What service the areas are for (only with --kind service), e.g. sub-icb.")
@click.option("--replace", is_flag=True, help="Replace the set if it exists.")
@with_appcontext
def import_boundaries_command(file: Path, set_id: str, replace: bool, **fields):
    from .loading import import_boundary_file
    from .storage.boundary_sets import link_all

    if fields["service_type"] and fields["kind"] != "service":
        raise click.BadParameter(f"a service type is only for sets of kind 'service', not '{fields['kind']}'.",
                                 param_hint="'--service-type'")
    db = _ready_db()
    report = LoadReport()
    entry = BoundaryEntry(id=set_id, file=file.resolve(), **fields)
    try:
        with _progress() as progress, db.transaction() as session:
            reporter = ConsoleReporter(progress)
            import_boundary_file(session, entry, actor="cli", replace=replace, fictional=False,
                                 reporter=reporter, report=report)
            reporter.step("Linking areas with the areas that contain them")
            report.links = link_all(session, [set_id])
    except FAILURES as error:
        _fail(error)
    click.echo(f"Imported {file.name}:")
    _print_report(report)


@click.command("import-indicators", help="Import an indicator catalogue (TOML metadata naming a CSV/XLSX).")
@click.argument("catalogue", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "set_id", required=True, help="The boundary set whose area codes the table uses.")
@with_appcontext
def import_indicators_command(catalogue: Path, set_id: str):
    from .loading import import_indicators

    db = _ready_db()
    report = LoadReport()
    try:
        with _progress() as progress, db.transaction() as session:
            import_indicators(session, catalogue, set_id, actor="cli", reporter=ConsoleReporter(progress),
                              report=report)
    except FAILURES as error:
        _fail(error)
    click.echo(f"Imported {catalogue.name}:")
    _print_report(report)


@click.command("export", help="Export a boundary set as GeoPackage, GeoJSON or zipped Shapefile.")
@click.argument("set_id")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), default="gpkg")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(set_id: str, fmt: str, out: Path):
    db = _ready_db()
    try:
        with db.session() as session:
            areas = boundary_sets.load_areas(session, boundary_sets.get_set(session, set_id).id)
    except FAILURES as error:
        raise click.ClickException(str(error))
    path = write_boundaries(areas[["code", "name", "properties", "geometry"]], out, fmt, layer=set_id)
    click.echo(f"Wrote {len(areas)} areas of '{set_id}' to {path}")


@click.command("sets", help="List the boundary sets in the store.")
@with_appcontext
def sets_command():
    db = _ready_db()
    with db.session() as session:
        counts = boundary_sets.area_counts(session)
        for bset in boundary_sets.list_sets(session):
            click.echo(f"{bset.id:<20} {bset.kind:<8} {counts.get(bset.id, 0):>6} areas  {bset.name}"
                       f"{'  (fictional)' if bset.fictional else ''}")


@click.command("demo", help="Generate the fictional demo borough and load it.")
@click.option("--seed", default=2009, show_default=True, type=int)
@click.option("--replace", is_flag=True, help="Replace demo sets that already exist.")
@with_appcontext
def demo_command(seed: int, replace: bool):
    from .demo import write_demo

    directory = Path(current_app.instance_path) / "demo"
    manifest = write_demo(directory, seed=seed)
    click.echo(f"Generated the fictional demo borough in {directory}")
    load_command.callback(manifest, replace)
    from .consultations.demo import add_demo_consultations
    with _ready_db().transaction() as session:
        added = add_demo_consultations(session)
    click.echo(f"  {added} fictional consultation and engagement activities")


@click.command("create-user", help="Add a user with a role (e.g. the first admin).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--apb", "apb_code", help="The APB code of a board member.")
@click.password_option(help="Prompted for when omitted (at least 12 characters).")
@with_appcontext
def create_user_command(email: str, name: str, role: str, apb_code: str | None, password: str):
    db = _ready_db()
    try:
        with db.transaction() as session:
            user = accounts.create_user(session, email=email, name=name, role=role, password=password,
                                        apb_code=apb_code, actor="cli")
    except FAILURES as error:
        raise click.ClickException(str(error))
    click.echo(f"Created {user.email} ({role_label(role)}).")


@click.command("set-role", help="Change a user's role.")
@click.argument("email")
@click.argument("role", type=click.Choice(list(ROLES)))
@with_appcontext
def set_role_command(email: str, role: str):
    db = _ready_db()
    try:
        with db.transaction() as session:
            user = accounts.find_user(session, email)
            if user is None:
                raise click.ClickException(f"There is no user with the e-mail {email}.")
            accounts.update_user(session, user, actor="cli", role=role)
    except FAILURES as error:
        raise click.ClickException(str(error))
    click.echo(f"{email} is now: {role_label(role)}.")


class BadInput(click.ClickException):
    """Input that cannot be checked at all: exit code 2."""

    exit_code = 2


def _read_table(path: Path, what: str, first=(), second=()) -> tuple[pd.DataFrame, list[str]]:
    """A CSV's rows as text, and its two key columns: named ones if found, else the first two."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise BadInput(f"{path.name} cannot be read as the CSV of {what}: {error}")
    if table.shape[1] < 2 or table.empty:
        raise BadInput(f"{path.name} needs a header and at least one row of two columns ({what}); "
                       f"it has {table.shape[1]} column(s) and {len(table)} row(s)")
    lower = {str(column).strip().lower(): column for column in table.columns}
    named = [next((lower[c] for c in choices if c in lower), None) for choices in (first, second)]
    return table, named if None not in named else list(table.columns[:2])


def _forum_counts(value: str | None) -> int | dict[str, int] | None:
    """``--forums-per-container``: one number for every container, or a CSV of container code and count."""
    if value is None:
        return None
    if value.strip().isdigit():
        return int(value)
    path = Path(value)
    if not path.is_file():
        raise BadInput(f"--forums-per-container must be a whole number or a CSV file; '{value}' is neither")
    table, (code, count) = _read_table(path, "container code and forum count")
    if not table[count].str.strip().str.isdigit().all():
        raise BadInput(f"{path.name}: every forum count must be a whole number")
    return dict(zip(table[code].str.strip(), table[count].astype(int)))


def _councillor_counts(path: Path | None) -> dict[str, float | None] | None:
    if path is None:
        return None
    table, (code, count) = _read_table(path, "block code and councillor count", BLOCK_COLUMNS)
    counts = pd.to_numeric(table[count].str.strip(), errors="coerce")
    if (counts.isna() & table[count].str.strip().ne("")).any():
        raise BadInput(f"{path.name}: every councillor count must be a number (or blank when unknown)")
    return {c: (None if pd.isna(n) else float(n)) for c, n in zip(table[code], counts)}


def _print_proposal(report: dict, layer) -> None:
    labels = {m.id: m.label for m in layer.measures}
    head = ["forum", layer.container_unit, f"{layer.block_unit}s", "population", "ideal", "deviation",
            "councillors", "area km²", "Polsby-Popper", "pieces", *labels.values()]

    def show(value, form="{:,.0f}"):
        return "—" if value is None else form.format(value)

    rows = [[f["name"], f["container_name"] or "—", str(f["block_count"]), show(f["population"]), show(f["ideal"]),
             show(f["deviation"], "{:+.1%}"), show(f["councillors"], "{:g}"), f"{f['area_km2']:.1f}",
             show(f["polsby_popper"], "{:.3f}"), str(f["pieces"]),
             *(show(f["indicators"][i], "{:.3g}") for i in labels)] for f in report["forums"]]
    widths = [max(len(row[k]) for row in [head, *rows]) for k in range(len(head))]
    for row in [head, *rows]:
        click.echo("  ".join(cell.ljust(w) if k < 2 else cell.rjust(w) for k, (cell, w) in
                             enumerate(zip(row, widths))))
    click.echo("")
    for rule in report["rules"]:
        click.echo(f"PASS  {rule['message']}" if rule["passed"] else f"FAIL  {rule['title']}: {rule['message']}")
    for note in report["notes"]:
        click.echo(f"Note: {note}")
    failed = sum(not rule["passed"] for rule in report["rules"])
    click.echo(f"{failed} of {len(report['rules'])} rules failed." if failed else "Every rule passes.")


@click.command("proposal-check", help="Check a proposal of forums (blocks grouped within containers) "
                                      "from a CSV of block code and forum: statistics and rules.")
@click.argument("assignment", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--blocks", "blocks_id", required=True, help="The boundary set of the blocks, e.g. wards.")
@click.option("--within", "within_id", required=True, help="The boundary set each forum must lie in, e.g. apb.")
@click.option("--tolerance", type=click.FloatRange(0, 1, max_open=True), default=0.05, show_default=True,
              help="Largest deviation of a forum's population from the ideal (0.05: ±5%).")
@click.option("--forums-per-container", "forum_counts",
              help="Forums wanted in each container: a number, or a CSV of container code and count.")
@click.option("--councillors", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of block code and councillor count (blocks left out are unknown).")
@click.option("--indicator", "indicator_ids", multiple=True, help="Another indicator to work out per forum.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@with_appcontext
def proposal_check_command(assignment: Path, blocks_id: str, within_id: str, tolerance: float,
                           forum_counts: str | None, councillors: Path | None, indicator_ids: tuple[str, ...],
                           as_json: bool):
    from layers.proposals import check

    from .proposals.engine import prepare_layer
    from .storage import councillors as stored_councillors

    table, (block, forum) = _read_table(assignment, "block code and forum", BLOCK_COLUMNS, FORUM_COLUMNS)
    name = next((c for c in table.columns if str(c).strip().lower() == "forum_name"), None)
    names = dict(zip(table[forum].str.strip(), table[name].str.strip())) if name else {}
    counts = _forum_counts(forum_counts)
    db = _ready_db()
    try:
        with db.session() as session:
            counts_given = _councillor_counts(councillors)
            layer, notes = prepare_layer(session, blocks_id, within_id, indicator_ids=indicator_ids,
                                         councillors=stored_councillors.counts(session, blocks_id)
                                         if counts_given is None else counts_given)
        report = check(layer, zip(table[block], table[forum]), tolerance=tolerance,
                       forums_per_container=counts, names={k: v for k, v in names.items() if v})
    except (ValueError, AtlasError) as error:
        raise BadInput(str(error))
    report = {"assignment": assignment.name, "blocks": blocks_id, "within": within_id, "tolerance": tolerance,
              "forums_per_container": counts, "passed": report["passed"],
              "indicators": [{"id": m.id, "label": m.label} for m in layer.measures],
              "forums": report["forums"], "rules": report["rules"], "notes": notes}
    if as_json:
        click.echo(json.dumps(report, indent=2, allow_nan=False))
    else:
        _print_proposal(report, layer)
    click.get_current_context().exit(0 if report["passed"] else 1)


@click.command("import-councillors", help="Store councillors per ward from a CSV (ward code, councillors).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "set_id", required=True, help="The boundary set (wards) whose codes the file uses.")
@with_appcontext
def import_councillors_command(file: Path, set_id: str):
    from .storage import councillors

    db = _ready_db()
    try:
        with db.transaction() as session:
            report = councillors.store(session, set_id, councillors.read_csv(file.read_bytes(), file.name),
                                       actor="cli", source=file.name)
    except AtlasError as error:
        raise BadInput("\n".join([str(error), *error.details]))
    click.echo(f"{file.name}: councillor counts of {report['changed']} area(s) of {set_id} set, "
               f"{report['cleared']} cleared.")


@click.command("import-postcodes", help="Store postcodes with their grid references from OS Code-Point Open "
                                        "(CSV or its zip), the ONS Postcode Directory or the Atlas's CSV.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--licence", help="The credit lines the file's licence asks for (Code-Point Open's and the "
                                "ONSPD's usual attribution when not given); shown in every page's footer.")
@with_appcontext
def import_postcodes_command(file: Path, licence: str | None):
    from .storage import postcodes

    db = _ready_db()
    start = time.perf_counter()
    try:
        with db.transaction() as session:
            report = postcodes.load(session, file, actor="cli", licence=licence)
            total = postcodes.count(session)
    except AtlasError as error:
        raise BadInput("\n".join([str(error), *error.details]))
    click.echo(f"Imported {report['source']} ({report['layout']}) in {time.perf_counter() - start:.1f} s:")
    click.echo(f"  rows read: {report['rows_read']:,}")
    click.echo(f"  stored: {report['stored']:,} ({report['replaced']:,} of them replacing stored rows)")
    click.echo(f"  without coordinates: {report['without_coordinates']:,}")
    click.echo(f"  terminated: {report['terminated']:,}")
    for note in report["notes"]:
        click.echo(f"  note: {note}")
    click.echo(f"The store now holds {total:,} postcodes.")


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; exit code 2 for one without '='."""
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"{option} {value!r}: write it as {option} NAME=VALUE")
        out[key.strip()] = rest.strip()
    return out


def _plain_text(text) -> str:
    """Text from a file made safe for a terminal: control characters shown as spaces."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def _print_group_import(report, mapping) -> None:
    where = report.where
    click.echo(f"{_plain_text(report.file)}" + (f", sheet '{_plain_text(report.sheet)}'" if report.sheet else "")
               + f": {report.rows_read} rows read")
    click.echo("Columns: " + ", ".join(f"{key} <- {_plain_text(column)}" for key, column in mapping.fields.items()))
    if mapping.type_map or mapping.default_type:
        words = [f"{_plain_text(w)} -> {t}" for w, t in mapping.type_map.items()]
        if mapping.default_type:
            words.append(f"anything else -> {mapping.default_type}")
        click.echo("Types: " + "; ".join(words))
    placed = {}
    for row in report.ready:
        placed[row["located_by"]] = placed.get(row["located_by"], 0) + 1
    click.echo(f"  ready: {len(report.ready)} (" + ", ".join(f"{n} placed by {how}" for how, n in placed.items())
               + ")" if report.ready else "  ready: 0")
    click.echo(f"  refused: {len(report.refused)}")
    for refusal in report.refused:
        name = f" ({_plain_text(refusal.name)})" if refusal.name else ""
        click.echo(f"    {where} {refusal.line}{name}: {_plain_text('; '.join(refusal.reasons))}")
    click.echo(f"  duplicates: {len(report.duplicates)}")
    for dup in report.duplicates:
        other = (f"stored group {dup.group_id} '{_plain_text(dup.other_name)}'" if dup.of == "stored"
                 else f"{where} {dup.other_line} '{_plain_text(dup.other_name)}'")
        fate = {"skip": "skipped", "keep": "kept as well", "merge": "merged into it"}[dup.decision]
        fate = fate if report.done else f"would be {fate}"
        click.echo(f"    {where} {dup.line} '{_plain_text(dup.name)}': {dup.match} as {other}: {fate}")
    for note in report.notes:
        click.echo(f"  note: {_plain_text(note)}")
    if report.done:
        click.echo(f"Loaded {report.loaded} group(s); {report.skipped} duplicate(s) skipped, {report.merged} merged"
                   + (f"; {len(report.refused)} refused row(s) left out." if report.refused else "."))
    else:
        click.echo(f"Nothing was loaded: {len(report.refused)} row(s) were refused. Fix them and run again, or "
                   f"add --load-good to load the {len(report.ready)} good row(s) and leave out the refused ones.")


@click.command("import-groups", help="Import community groups from a CSV or XLSX file: map the columns, place "
                                     "each group by its coordinates or postcode, report every refused row "
                                     "and duplicate. All or nothing unless --load-good. Exit code 0: all "
                                     "loaded; 1: rows refused; 2: the file or options cannot be used.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", help="The sheet of an XLSX file to read (the first when omitted).")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Read FIELD (name, group_type, postcode, easting, latitude, ...) from COLUMN; an empty "
                   "COLUMN reads nothing. Fields left out are proposed from the column names. Repeatable.")
@click.option("--type-map", "type_maps", multiple=True, metavar="WORD=TYPE",
              help="Rows whose type column says WORD get the group type TYPE. Repeatable.")
@click.option("--default-type", help="The group type of rows whose type is blank or a word not mapped.")
@click.option("--source", help="Where the list comes from; stored with each group after the file name.")
@click.option("--licence", help="The list's licence or credit line; stored with each group and shown in "
                                "every page's footer while any of them is published.")
@click.option("--duplicates", type=click.Choice(["skip", "keep", "merge"]), default="skip", show_default=True,
              help="What to do with a row that matches a stored group or an earlier row (same name and "
                   "postcode, or same name within 50 m): skip it, keep both, or fill the other's blanks.")
@click.option("--load-good", is_flag=True, help="Load the good rows even when some are refused (the refused "
                                                "rows are listed and the exit code is still 1).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@with_appcontext
def import_groups_command(file: Path, sheet: str | None, maps: tuple[str, ...], type_maps: tuple[str, ...],
                          default_type: str | None, source: str | None, licence: str | None, duplicates: str,
                          load_good: bool, as_json: bool):
    from .groups import importer

    try:
        table = importer.read_table(file, sheet=sheet)
        mapping = importer.proposed(table, _pairs(maps, "--map"), _pairs(type_maps, "--type-map"),
                                    default_type=default_type, source=source, licence=licence)
        mapping = mapping.checked(table)
    except AtlasError as error:
        raise BadInput("\n".join([str(error), *error.details]))
    db = _ready_db()
    with db.transaction() as session:
        report = importer.check(session, table, mapping)
        try:
            importer.load(session, report, actor="cli", load_good=load_good,
                          decisions={d.line: duplicates for d in report.duplicates})
        except importer.ImportRefused:
            pass  # nothing was written; the report lists the refused rows
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        _print_group_import(report, mapping)
    click.get_current_context().exit(1 if report.refused else 0)


COMMANDS = (db_group, load_command, import_boundaries_command, import_indicators_command, export_command, sets_command, demo_command,
            create_user_command, set_role_command, proposal_check_command, import_councillors_command,
            import_postcodes_command, import_groups_command, *ALIGNMENT_COMMANDS)

