"""The `geoapp db`, `load`, `demo` and `import-postcodes` commands: the store's schema and what is loaded into it."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..consultations.demo import add_demo_consultations
from ..errors import AtlasError
from ..storage import postcodes
from ..web.terminal import FAILURES, BadInput, ConsoleReporter, fail, print_report, progress_bar, ready_db
from .demo import write_demo
from .england import UnknownArea, england
from .load import load_manifest
from .manifest import read_manifest
from .onboard import default_data_folder, onboard


@click.group("db", cls=AppGroup, help="Manage the store's schema.")
def db_group():
    pass


@db_group.command("upgrade", help="Create or migrate the tables to the latest schema.")
def db_upgrade():
    ready_db()
    click.echo(f"Schema is up to date ({current_app.config['DATABASE_URL'].split('@')[-1]}).")


@click.command("load", help="Load every file an area manifest (TOML) names, all or nothing.")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace boundary sets that already exist.")
@with_appcontext
def load_command(manifest: Path, replace: bool):
    db = ready_db()
    try:
        parsed = read_manifest(manifest)
        with progress_bar() as progress:
            report = load_manifest(db, parsed, replace=replace, reporter=ConsoleReporter(progress))
    except FAILURES as error:
        fail(error)
    click.echo(f"Loaded {parsed.name} from {manifest}:")
    print_report(report)


@click.command("onboard", help="Write an editable manifest for an English district or unitary authority (E06, E07, "
                                "E08, E09), a county (E10: its districts, with the county above them) or, with --all, "
                                "every district of England, from the shared England files, and load it.")
@click.argument("code", required=False)
@click.option("--all", "everything", is_flag=True, help="Every district of England into one store.")
@click.option("--manifest", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the manifest (default: onboard/CODE.toml in the instance folder).")
@click.option("--replace", is_flag=True, help="Replace boundary sets that already exist.")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=default_data_folder,
              show_default="../shared/data/england beside the checkout",
              help="The folder of England's shared files.")
@click.option("--list", "listing", is_flag=True, help="List the codes and names (holding CODE, when given).")
@with_appcontext
def onboard_command(code: str | None, everything: bool, manifest: Path | None, replace: bool, data: Path,
                    listing: bool):
    try:
        if listing:
            for row in england(data).listing(code):
                click.echo("  ".join(part for part in row if part))
            return
        if everything == bool(code):
            raise BadInput("Give one district or county code, or --all (not both).")
        db = ready_db()
        start = time.perf_counter()
        with progress_bar() as progress:
            done = onboard(db, data, None if everything else code, manifest, instance=current_app.instance_path,
                           replace=replace, reporter=ConsoleReporter(progress))
    except UnknownArea as error:
        raise BadInput(f"{error}\nNothing was stored.") from None
    except FAILURES as error:
        fail(error)
    click.echo(f"Onboarded {done.name} ({done.code}, {len(done.districts)} district"
               f"{'s' if len(done.districts) != 1 else ''}) in {time.perf_counter() - start:.1f} s.")
    click.echo(f"Manifest: {done.manifest} (edit it, then `geoapp load {done.manifest} --replace`)")
    for note in done.notes:
        click.echo(f"  note: {note}")
    print_report(done.report)


@click.command("demo", help="Generate the fictional demo borough and load it.")
@click.option("--seed", default=2009, show_default=True, type=int)
@click.option("--replace", is_flag=True, help="Replace demo sets that already exist.")
@with_appcontext
def demo_command(seed: int, replace: bool):
    directory = Path(current_app.instance_path) / "demo"
    manifest = write_demo(directory, seed=seed)
    click.echo(f"Generated the fictional demo borough in {directory}")
    load_command.callback(manifest, replace)
    with ready_db().transaction() as session:
        added = add_demo_consultations(session)
    click.echo(f"  {added} fictional consultation and engagement activities")


@click.command("import-postcodes", help="Store postcodes with their grid references from OS Code-Point Open "
                                        "(CSV or its zip), the ONS Postcode Directory or the Atlas's CSV.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--licence", help="The credit lines the file's licence asks for (Code-Point Open's and the "
                                "ONSPD's usual attribution when not given); shown in every page's footer.")
@with_appcontext
def import_postcodes_command(file: Path, licence: str | None):
    db = ready_db()
    start = time.perf_counter()
    try:
        with db.transaction() as session:
            report = postcodes.load(session, file, actor="cli", licence=licence)
            total = postcodes.count(session)
    except AtlasError as error:
        raise BadInput("\n".join([str(error), *error.details])) from None
    click.echo(f"Imported {report['source']} ({report['layout']}) in {time.perf_counter() - start:.1f} s:")
    click.echo(f"  rows read: {report['rows_read']:,}")
    click.echo(f"  stored: {report['stored']:,} ({report['replaced']:,} of them replacing stored rows)")
    click.echo(f"  without coordinates: {report['without_coordinates']:,}")
    click.echo(f"  terminated: {report['terminated']:,}")
    for note in report["notes"]:
        click.echo(f"  note: {note}")
    click.echo(f"The store now holds {total:,} postcodes.")


COMMANDS = (db_group, load_command, onboard_command, demo_command, import_postcodes_command)
