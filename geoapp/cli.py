"""The `geoapp` command line: set up the store, import and export boundaries, load an area."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from boundaries.errors import BoundaryError
from boundaries.io import EXPORT_FORMATS, write_boundaries
from layers.catalogue import CatalogueError

from .auth import accounts
from .auth.roles import ROLES, role_label
from .errors import AtlasError
from .loading import LoadReport, Reporter, load_manifest
from .manifest import BoundaryEntry, ManifestError, read_manifest
from .storage import boundary_sets
from .storage.models import BOUNDARY_KINDS
from .storage.web import database

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
        click.echo(f"  indicators '{catalogue}' for '{result['set']}': {result['indicators']} indicators, "
                   f"{result['values']} values ({result['missing_values']} missing), periods "
                   f"{', '.join(result['periods'])}")
        if result["unknown_codes"]:
            click.echo(f"    {result['unknown_codes']} codes are not areas of '{result['set']}' and were "
                       f"left out, e.g. {', '.join(result['unknown_examples'])}")
        if result["areas_without_values"]:
            click.echo(f"    {result['areas_without_values']} areas of '{result['set']}' have no values")
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
@click.option("--replace", is_flag=True, help="Replace the set if it exists.")
@with_appcontext
def import_boundaries_command(file: Path, set_id: str, replace: bool, **fields):
    from .loading import import_boundary_file
    from .storage.boundary_sets import link_all

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


COMMANDS = (db_group, load_command, import_boundaries_command, import_indicators_command, export_command, sets_command, demo_command,
            create_user_command, set_role_command)


def _create_app():
    from . import create_app
    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=True,
                  help="Partnership Atlas: boundaries, indicators and community groups by area.")
