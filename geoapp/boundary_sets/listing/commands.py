"""The `geoapp sets` command: the boundary sets in the store, read from the sets' index alone (no geometry, no
loaders), so that it starts in well under a second."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ...storage.set_index import area_counts, list_sets
from ...web.db import database


@click.command("sets", help="List the boundary sets in the store.")
@with_appcontext
def sets_command():
    db = database()
    db.upgrade()
    with db.session() as session:
        counts = area_counts(session)
        for bset in list_sets(session):
            click.echo(f"{bset.id:<20} {bset.kind:<8} {counts.get(bset.id, 0):>6} areas  {bset.name}"
                       f"{'  (fictional)' if bset.fictional else ''}")


COMMANDS = (sets_command,)
