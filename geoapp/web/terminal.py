"""What every `geoapp` command shares: the console and its progress bars, the store made ready, the load
report printed, and the exit code 2 for input that cannot be used."""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from boundaries.errors import BoundaryError
from layers.catalogue import CatalogueError

from ..errors import AtlasError
from ..loading.load import LoadReport, Reporter
from ..loading.manifest import ManifestError
from ..storage.indicators import describe_report
from .db import database

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


def progress_bar() -> Progress:
    """Progress bars on standard error, kept once done."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def ready_db():
    """The app's store, its schema migrated to the latest."""
    db = database()
    db.upgrade()
    return db


def print_report(report: LoadReport) -> None:
    """What a load stored, set by set."""
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


def fail(error: Exception):
    """Stop the command with the error and the promise that nothing was stored."""
    raise click.ClickException(f"{error}\nNothing was stored.")


class BadInput(click.ClickException):
    """Input that cannot be checked at all: exit code 2."""

    exit_code = 2


def read_table(path: Path, what: str, first=(), second=()) -> tuple[pd.DataFrame, list[str]]:
    """A CSV's rows as text, and its two key columns: named ones if found, else the first two."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise BadInput(f"{path.name} cannot be read as the CSV of {what}: {error}") from None
    if table.shape[1] < 2 or table.empty:
        raise BadInput(f"{path.name} needs a header and at least one row of two columns ({what}); "
                       f"it has {table.shape[1]} column(s) and {len(table)} row(s)")
    lower = {str(column).strip().lower(): column for column in table.columns}
    named = [next((lower[c] for c in choices if c in lower), None) for choices in (first, second)]
    return table, named if None not in named else list(table.columns[:2])


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; exit code 2 for one without '='."""
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"{option} {value!r}: write it as {option} NAME=VALUE")
        out[key.strip()] = rest.strip()
    return out


def plain_text(text) -> str:
    """Text from a file made safe for a terminal: control characters shown as spaces."""
    return "".join(c if c.isprintable() else " " for c in str(text))
