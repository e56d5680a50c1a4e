"""The `geoapp proposal-check` and `import-councillors` commands: a proposal of forums checked from a CSV,
and councillors per ward stored."""
from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd
from flask.cli import with_appcontext

from layers.proposals import check

from ..errors import AtlasError
from ..storage import councillors as stored_councillors
from ..web.terminal import BadInput, read_table, ready_db
from .engine import prepare_layer
from .interchange import BLOCK_COLUMNS, FORUM_COLUMNS


def _forum_counts(value: str | None) -> int | dict[str, int] | None:
    """``--forums-per-container``: one number for every container, or a CSV of container code and count."""
    if value is None:
        return None
    if value.strip().isdigit():
        return int(value)
    path = Path(value)
    if not path.is_file():
        raise BadInput(f"--forums-per-container must be a whole number or a CSV file; '{value}' is neither")
    table, (code, count) = read_table(path, "container code and forum count")
    if not table[count].str.strip().str.isdigit().all():
        raise BadInput(f"{path.name}: every forum count must be a whole number")
    return dict(zip(table[code].str.strip(), table[count].astype(int)))


def _councillor_counts(path: Path | None) -> dict[str, float | None] | None:
    if path is None:
        return None
    table, (code, count) = read_table(path, "block code and councillor count", BLOCK_COLUMNS)
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
    table, (block, forum) = read_table(assignment, "block code and forum", BLOCK_COLUMNS, FORUM_COLUMNS)
    name = next((c for c in table.columns if str(c).strip().lower() == "forum_name"), None)
    names = dict(zip(table[forum].str.strip(), table[name].str.strip())) if name else {}
    counts = _forum_counts(forum_counts)
    db = ready_db()
    try:
        with db.session() as session:
            counts_given = _councillor_counts(councillors)
            layer, notes = prepare_layer(session, blocks_id, within_id, indicator_ids=indicator_ids,
                                         councillors=stored_councillors.counts(session, blocks_id)
                                         if counts_given is None else counts_given)
        report = check(layer, zip(table[block], table[forum]), tolerance=tolerance,
                       forums_per_container=counts, names={k: v for k, v in names.items() if v})
    except (ValueError, AtlasError) as error:
        raise BadInput(str(error)) from None
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
    db = ready_db()
    try:
        with db.transaction() as session:
            report = stored_councillors.store(session, set_id,
                                              stored_councillors.read_csv(file.read_bytes(), file.name),
                                              actor="cli", source=file.name)
    except AtlasError as error:
        raise BadInput("\n".join([str(error), *error.details])) from None
    click.echo(f"{file.name}: councillor counts of {report['changed']} area(s) of {set_id} set, "
               f"{report['cleared']} cleared.")


COMMANDS = (proposal_check_command, import_councillors_command)
