"""The `geoapp prepare` command: work out what profiles read and keep it in the store, before the first request."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from ..storage import boundary_sets
from ..web.terminal import FAILURES, fail, ready_db
from .prepare import prepare_profiles


@click.command("prepare", help="Work out what profiles read (weights, figures, deprivation, service alignments, group "
                                "coverage, and the related areas of every district or county) for every boundary "
                                "set, or the sets named, and keep it in the store.")
@click.argument("set_ids", nargs=-1)
@with_appcontext
def prepare_command(set_ids: tuple[str, ...]):
    db = ready_db()
    start = time.perf_counter()
    try:
        with db.transaction() as session:
            unknown = sorted(set(set_ids) - {s.id for s in boundary_sets.list_sets(session)})
            if unknown:
                raise click.ClickException(f"No boundary set called {', '.join(unknown)}: nothing was prepared.")
            took = prepare_profiles(session, list(set_ids) or None)
    except FAILURES as error:
        fail(error)
    for set_id, seconds in took.items():
        click.echo(f"  {set_id:<24} {seconds:7.1f} s")
    click.echo(f"Prepared {len(took)} set{'s' if len(took) != 1 else ''} in {time.perf_counter() - start:.1f} s.")


COMMANDS = (prepare_command,)
