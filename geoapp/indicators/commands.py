"""The `geoapp import-indicators` command: an indicator catalogue into the store."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..loading.load import LoadReport, import_indicators
from ..web.terminal import FAILURES, ConsoleReporter, fail, print_report, progress_bar, ready_db


@click.command("import-indicators", help="Import an indicator catalogue (TOML metadata naming a CSV/XLSX).")
@click.argument("catalogue", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "set_id", required=True, help="The boundary set whose area codes the table uses.")
@with_appcontext
def import_indicators_command(catalogue: Path, set_id: str):
    db = ready_db()
    report = LoadReport()
    try:
        with progress_bar() as progress, db.transaction() as session:
            import_indicators(session, catalogue, set_id, actor="cli", reporter=ConsoleReporter(progress),
                              report=report)
    except FAILURES as error:
        fail(error)
    click.echo(f"Imported {catalogue.name}:")
    print_report(report)


COMMANDS = (import_indicators_command,)
