"""The `geoapp alignment` and `geoapp lookup` commands: how two stored boundary sets fit, and their lookup.

Both read through :func:`.service.measure_sets` and :mod:`.tables`, so the command line prints the same
figures as the alignment page and its downloads.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from boundaries.alignment import SLIVER_WIDTH_M

from ..csv_safe import write_csv
from ..errors import AtlasError, NotFound
from ..web.db import database
from . import tables
from .service import MAX_SLIVER_WIDTH, SetAlignment, measure_sets, percent


class BadSets(click.ClickException):
    """Sets or settings that cannot be measured (an unknown set, the same set twice): exit code 2."""

    exit_code = 2


def _measure(set_a: str, set_b: str, sliver_width: float, ignore_slivers: bool) -> SetAlignment:
    db = database()
    db.upgrade()
    try:
        with db.session() as session:
            return measure_sets(session, set_a, set_b, sliver_width=sliver_width, ignore_slivers=ignore_slivers)
    except AtlasError as error:
        hint = ["Run 'geoapp sets' to list the boundary sets in the store."] if isinstance(error, NotFound) else []
        raise BadSets("\n".join([error.message, *error.details, *hint])) from None


def _sliver_options(command):
    command = click.option("--ignore-slivers", is_flag=True,
                           help="Leave slivers out of every share, best fit and score.")(command)
    return click.option("--sliver-width", type=click.FloatRange(0, MAX_SLIVER_WIDTH), default=SLIVER_WIDTH_M,
                        show_default=True, metavar="M",
                        help="Pieces thinner than this on average (metres) are slivers: noise where two "
                             "boundaries drawn at different generalisations follow the same line.")(command)


def _plain(text) -> str:
    """Text from a boundary file made safe for a terminal: control characters shown as spaces."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def _print_table(head: list[str], rows: list[list[str]], right: set[int]) -> None:
    """Columns padded to their widest cell: numbers (the columns in ``right``) right-aligned, text left."""
    widths = [max(len(row[k]) for row in [head, *rows]) for k in range(len(head))]
    for row in [head, *rows]:
        click.echo("  " + "  ".join(cell.rjust(w) if k in right else cell.ljust(w)
                                    for k, (cell, w) in enumerate(zip(row, widths))).rstrip())


def _print_worst(result: SetAlignment, side: str, worst: int) -> None:
    own, other = (result.a, result.b) if side == "a" else (result.b, result.a)
    rows = tables.fits(result, side)[:worst]
    click.echo(f"\nWorst-fitting {len(rows)} of {_plain(own['name'])} (best fit in {_plain(other['name'])}):")
    if not rows:
        return
    head = ["code", "name", "best fit", "best-fit name", "in best fit", "outside", "by", "partners", "population",
            "covered"]
    _print_table(head, [[_plain(r["code"]), _plain(r["name"] or ""), _plain(r["best_fit"] or "—"),
                         _plain(r["best_fit_name"] or "none"), percent(r["share"]), percent(r["outside"]),
                         r["by"], str(r["partners"]),
                         "—" if r["population"] is None else f"{r['population']:,.0f}", percent(r["covered"])]
                        for r in rows], right={4, 5, 7, 8, 9})


def _print_result(result: SetAlignment, worst: int) -> None:
    summary = tables.summary(result, worst=0)
    scores, slivers = summary["scores"], summary["slivers"]
    a, b = (_plain(result.a["name"]), result.a["id"]), (_plain(result.b["name"]), result.b["id"])
    click.echo(f"{a[0]} ({a[1]}) and {b[0]} ({b[1]})")
    click.echo(_plain(summary["sentence"]))
    click.echo("\nAlignment scores (share in the best fit):")
    _print_table(["", "by population", "by area"],
                 [[f"{a[0]} with {b[0]}", percent(scores["a_in_b"]), percent(scores["a_in_b_by_area"])],
                  [f"{b[0]} with {a[0]}", percent(scores["b_in_a"]), percent(scores["b_in_a_by_area"])]],
                 right={1, 2})
    fate = "left out of the shares" if result.ignore_slivers else "counted in the shares"
    population = "no population" if slivers["population"] is None else f"population {slivers['population']:,.0f}"
    click.echo(f"\nSlivers (thinner than {result.sliver_width:g} m): {slivers['count']:,} pieces, "
               f"{slivers['area_km2']:.3f} km², {population}; {fate}.")
    if worst:
        _print_worst(result, "a", worst)
        _print_worst(result, "b", worst)
    click.echo("\nDefinitions:")
    for line in summary["definitions"]:
        click.echo(f"  - {_plain(line)}")


@click.command("alignment", help="How well two boundary sets fit each other: the relationship, the "
                                     "alignment score both ways (by population and by area), slivers and the "
                                     "worst-fitting areas. --json prints the full result with the matrix.")
@click.argument("set_a")
@click.argument("set_b")
@_sliver_options
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True, metavar="N",
              help="List the N worst-fitting areas of each set.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the summary, every area's fit both ways and the overlap matrix.")
@with_appcontext
def alignment_command(set_a: str, set_b: str, sliver_width: float, ignore_slivers: bool, worst: int,
                          as_json: bool):
    result = _measure(set_a, set_b, sliver_width, ignore_slivers)
    if as_json:
        full = tables.summary(result, worst=worst) | {
            "fits": {"a": tables.fits(result, "a"), "b": tables.fits(result, "b")},
            "matrix": tables.matrix(result)}
        click.echo(json.dumps(full, indent=2, allow_nan=False, ensure_ascii=False))
    else:
        _print_result(result, worst)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to a temporary file beside ``path``, then rename it: all or nothing."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's owner-only mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.command("lookup", help="Write the best-fit lookup from one boundary set to another as CSV in the layout "
                              "of ONS lookups (e.g. LSOA11CD, LSOA11NM, WD19CD, WD19NM, ObjectId): each area "
                              "of FROM_SET with the area of TO_SET holding most of its population.")
@click.argument("from_set")
@click.argument("to_set")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The CSV file to write.")
@click.option("--shares", is_flag=True,
              help="Add SHARE (of the area in its best fit) and BY (population or area) columns.")
@_sliver_options
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@with_appcontext
def lookup_command(from_set: str, to_set: str, out: Path, shares: bool, sliver_width: float,
                   ignore_slivers: bool, force: bool):
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; add --force to overwrite it.")
    if not out.parent.is_dir():
        raise click.ClickException(f"There is no folder {out.parent} to write {out.name} in.")
    result = _measure(from_set, to_set, sliver_width, ignore_slivers)
    table = tables.lookup(result, "a_to_b", shares=shares)
    text = write_csv(table.astype(object).where(table.notna(), None).values.tolist(), header=list(table.columns))
    try:
        _write_atomically(out, text)
    except OSError as error:
        raise click.ClickException(f"Could not write {out}: {error.strerror or error}. Nothing was written.") from None
    unmatched = int(table.iloc[:, 2].isna().sum())
    a, b = _plain(result.a["name"]), _plain(result.b["name"])
    click.echo(f"Wrote {len(table):,} rows ({a} to {b}) to {out}")
    click.echo(f"  {unmatched:,} area{'s' if unmatched != 1 else ''} of {a} had no partner in {b} "
               f"(blank {table.columns[2]})." if unmatched else f"  Every area has a partner in {b}.")


COMMANDS = (alignment_command, lookup_command)
