"""The `geoapp import-groups` command: a list of community groups checked, placed and loaded."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from ...errors import AtlasError
from ...web.terminal import BadInput, pairs, plain_text, ready_db
from . import importer


def _print_group_import(report, mapping) -> None:
    where = report.where
    click.echo(f"{plain_text(report.file)}" + (f", sheet '{plain_text(report.sheet)}'" if report.sheet else "")
               + f": {report.rows_read} rows read")
    click.echo("Columns: " + ", ".join(f"{key} <- {plain_text(column)}" for key, column in mapping.fields.items()))
    if mapping.type_map or mapping.default_type:
        words = [f"{plain_text(w)} -> {t}" for w, t in mapping.type_map.items()]
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
        name = f" ({plain_text(refusal.name)})" if refusal.name else ""
        click.echo(f"    {where} {refusal.line}{name}: {plain_text('; '.join(refusal.reasons))}")
    click.echo(f"  duplicates: {len(report.duplicates)}")
    for dup in report.duplicates:
        other = (f"stored group {dup.group_id} '{plain_text(dup.other_name)}'" if dup.of == "stored"
                 else f"{where} {dup.other_line} '{plain_text(dup.other_name)}'")
        fate = {"skip": "skipped", "keep": "kept as well", "merge": "merged into it"}[dup.decision]
        fate = fate if report.done else f"would be {fate}"
        click.echo(f"    {where} {dup.line} '{plain_text(dup.name)}': {dup.match} as {other}: {fate}")
    for note in report.notes:
        click.echo(f"  note: {plain_text(note)}")
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
    try:
        table = importer.read_table(file, sheet=sheet)
        mapping = importer.proposed(table, pairs(maps, "--map"), pairs(type_maps, "--type-map"),
                                    default_type=default_type, source=source, licence=licence)
        mapping = mapping.checked(table)
    except AtlasError as error:
        raise BadInput("\n".join([str(error), *error.details])) from None
    db = ready_db()
    with db.transaction() as session:
        report = importer.check(session, table, mapping)
        with contextlib.suppress(importer.ImportRefused):  # nothing was written; the report lists the refused rows
            importer.load(session, report, actor="cli", load_good=load_good,
                          decisions={d.line: duplicates for d in report.duplicates})
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        _print_group_import(report, mapping)
    click.get_current_context().exit(1 if report.refused else 0)


COMMANDS = (import_groups_command,)
