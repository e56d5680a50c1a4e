"""The `geoapp import-boundaries` and `export` commands: boundary files in and out of the store (`geoapp sets`
lists the sets from :mod:`.listing.commands`, without these commands' readers and loaders)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from boundaries.io import EXPORT_FORMATS, write_boundaries

from ..loading.load import LoadReport, import_boundary_file
from ..loading.manifest import BoundaryEntry
from ..storage import boundary_sets
from ..storage.boundary_sets import link_all
from ..storage.models import BOUNDARY_KINDS, SERVICE_TYPES
from ..web.terminal import FAILURES, ConsoleReporter, fail, print_report, progress_bar, ready_db


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
    if fields["service_type"] and fields["kind"] != "service":
        raise click.BadParameter(f"a service type is only for sets of kind 'service', not '{fields['kind']}'.",
                                 param_hint="'--service-type'")
    db = ready_db()
    report = LoadReport()
    entry = BoundaryEntry(id=set_id, file=file.resolve(), **fields)
    try:
        with progress_bar() as progress, db.transaction() as session:
            reporter = ConsoleReporter(progress)
            import_boundary_file(session, entry, actor="cli", replace=replace, fictional=False,
                                 reporter=reporter, report=report)
            reporter.step("Linking areas with the areas that contain them")
            report.links = link_all(session, [set_id])
    except FAILURES as error:
        fail(error)
    click.echo(f"Imported {file.name}:")
    print_report(report)


@click.command("export", help="Export a boundary set as GeoPackage, GeoJSON or zipped Shapefile.")
@click.argument("set_id")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), default="gpkg")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(set_id: str, fmt: str, out: Path):
    db = ready_db()
    try:
        with db.session() as session:
            areas = boundary_sets.load_areas(session, boundary_sets.get_set(session, set_id).id)
    except FAILURES as error:
        raise click.ClickException(str(error)) from None
    path = write_boundaries(areas[["code", "name", "properties", "geometry"]], out, fmt, layer=set_id)
    click.echo(f"Wrote {len(areas)} areas of '{set_id}' to {path}")


COMMANDS = (import_boundaries_command, export_command)
