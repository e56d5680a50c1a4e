"""Indicator catalogues: a metadata file (TOML) naming a table of values (CSV or XLSX) keyed by area code.

A catalogue is read and checked here, with no database: the result is a list of indicator definitions and
one long table of values (indicator, code, period, value, numerator, denominator), missing values kept
missing. Storing it, and matching the codes with a boundary set, is the caller's job.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

THEMES = (
    "Children & Young People",
    "Safer & Stronger Communities",
    "Healthier Communities & Older People",
    "Economic Development & Enterprise",
    "Sustainable Communities & Transport",
    "Population",
    "Deprivation",
)
TYPES = ("count", "proportion", "rate", "score", "rank", "decile")
POLARITIES = ("higher is better", "higher is worse", "neither")


class CatalogueError(ValueError):
    """A catalogue cannot be used; the message names the file, the indicator and the problem."""

    def __init__(self, message: str, problems: list[str] | tuple = ()):
        self.message = message
        self.problems = list(problems)
        lines = [message] + [f"  - {p}" for p in self.problems[:10]]
        if len(self.problems) > 10:
            lines.append(f"  ... and {len(self.problems) - 10} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of a catalogue: what it is and which columns hold it."""

    id: str
    title: str
    theme: str
    type: str
    polarity: str
    column: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    multiplier: float | None = None
    description: str | None = None
    unit: str | None = None
    period: str | None = None
    source: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """A catalogue's metadata, its indicators and the path of its table."""

    path: Path
    id: str
    title: str
    file: Path
    code_column: str
    source: str
    licence: str
    period: str | None = None
    period_column: str | None = None
    sheet: str | None = None
    boundary_set: str | None = None
    fictional: bool = False
    indicators: tuple[IndicatorSpec, ...] = field(default_factory=tuple)


def _check_spec(spec: IndicatorSpec, where: str) -> list[str]:
    problems = []
    if spec.theme not in THEMES:
        problems.append(f"{where}: theme '{spec.theme}' is not one of {'; '.join(THEMES)}")
    if spec.type not in TYPES:
        problems.append(f"{where}: type '{spec.type}' is not one of {', '.join(TYPES)}")
    if spec.polarity not in POLARITIES:
        problems.append(f"{where}: polarity '{spec.polarity}' is not one of {', '.join(POLARITIES)}")
    if spec.column is None and spec.numerator is None:
        problems.append(f"{where}: give a value column, or a numerator (and denominator) column")
    if spec.type in ("proportion", "rate") and spec.denominator is None:
        problems.append(f"{where}: a {spec.type} needs its denominator column, so that it can be "
                        "recomputed from summed numerators and denominators")
    if spec.type == "rate" and not spec.multiplier:
        problems.append(f"{where}: a rate needs its multiplier (e.g. 1000 for a rate per 1,000)")
    return problems


def read_catalogue(path: str | Path) -> Catalogue:
    """Read and check a catalogue's metadata; the table's path is relative to the metadata file.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "values.csv").write_text("code,pop\\nE01000001,1500\\n")
    >>> _ = (folder / "c.toml").write_text('''
    ... [catalogue]
    ... id = "demo"
    ... title = "Demo"
    ... file = "values.csv"
    ... code_column = "code"
    ... period = "2024"
    ... source = "Made up"
    ... licence = "None"
    ... [[indicators]]
    ... id = "population"
    ... title = "Population"
    ... theme = "Population"
    ... type = "count"
    ... polarity = "neither"
    ... column = "pop"
    ... ''')
    >>> [spec.id for spec in read_catalogue(folder / "c.toml").indicators]
    ['population']
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"Catalogue not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    head = data.get("catalogue")
    if not isinstance(head, dict):
        raise CatalogueError(f"{path}: needs a [catalogue] table")
    known = {f.name for f in fields(Catalogue)} - {"path", "indicators"}
    problems = [f"[catalogue]: unknown key '{k}'" for k in sorted(set(head) - known)]
    problems += [f"[catalogue]: missing '{k}'" for k in ("id", "title", "file", "code_column", "source",
                                                          "licence") if k not in head]
    if "period" not in head and "period_column" not in head:
        problems.append("[catalogue]: give a period (e.g. \"2019\") or a period_column")
    specs = []
    spec_keys = {f.name for f in fields(IndicatorSpec)}
    for number, table in enumerate(data.get("indicators", []), 1):
        where = f"[[indicators]] #{number} ({table.get('id', '?')})"
        unknown = sorted(set(table) - spec_keys)
        missing = [k for k in ("id", "title", "theme", "type", "polarity") if k not in table]
        if unknown or missing:
            problems += [f"{where}: unknown key '{k}'" for k in unknown]
            problems += [f"{where}: missing '{k}'" for k in missing]
            continue
        spec = IndicatorSpec(**table)
        problems += _check_spec(spec, where)
        specs.append(spec)
    ids = [s.id for s in specs]
    problems += [f"indicator id '{i}' is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if not specs and not problems:
        problems.append("no [[indicators]] are defined")
    if problems:
        raise CatalogueError(f"{path}: the catalogue has problems", problems)
    head = dict(head)
    head["file"] = (path.resolve().parent / head["file"]).resolve()
    return Catalogue(path=path, indicators=tuple(specs), **head)


def _read_table(catalogue: Catalogue) -> pd.DataFrame:
    suffix = catalogue.file.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(catalogue.file, dtype=str, keep_default_na=False)
        if suffix in (".xlsx", ".xlsm"):
            return pd.read_excel(catalogue.file, sheet_name=catalogue.sheet or 0, dtype=str,
                                 keep_default_na=False)
    except FileNotFoundError:
        raise CatalogueError(f"{catalogue.path}: the table {catalogue.file} does not exist") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise CatalogueError(f"{catalogue.file.name}: cannot be read as a table: {exc}") from None
    raise CatalogueError(f"{catalogue.file.name}: use a .csv or .xlsx file, not '{suffix}'")


def _numbers(table: pd.DataFrame, column: str, name: str) -> tuple[np.ndarray, list[str]]:
    """A column as floats (blank → NaN) and a problem for each cell that is not a number."""
    text = table[column].astype(str).str.strip().str.replace(",", "", regex=False)
    blank = text.isin(["", "NA", "N/A", "n/a", "-", ".", ":", "*", "x", "..", "NaN", "nan"])
    numbers = pd.to_numeric(text.mask(blank), errors="coerce")
    bad = numbers.isna() & ~blank
    problems = [f"{name}, row {i + 2}, column '{column}': '{table[column].iloc[i]}' is not a number"
                for i in np.flatnonzero(bad.to_numpy())[:20]]
    return numbers.to_numpy(dtype=float), problems


def read_values(catalogue: Catalogue) -> pd.DataFrame:
    """Read the catalogue's table as long values: indicator, code, period, value, numerator, denominator.

    A proportion or rate given only as a value and its denominator gets its numerator back as
    value × denominator / multiplier, so that areas can later be combined from summed parts.
    Blank cells stay missing (NaN), never zero.
    """
    table = _read_table(catalogue)
    name = catalogue.file.name
    named = {catalogue.code_column, catalogue.period_column} - {None}
    for spec in catalogue.indicators:
        named |= {spec.column, spec.numerator, spec.denominator} - {None}
    absent = sorted(c for c in named if c not in table.columns)
    if absent:
        raise CatalogueError(f"{name}: column(s) named in {catalogue.path.name} are not in the table",
                             [f"'{c}' not found" for c in absent]
                             + [f"the table has: {', '.join(map(str, table.columns[:40]))}"])
    codes = table[catalogue.code_column].astype(str).str.strip()
    problems = [f"{name}, row {i + 2}: no area code" for i in np.flatnonzero((codes == "").to_numpy())[:20]]
    periods = (table[catalogue.period_column].astype(str).str.strip() if catalogue.period_column
               else pd.Series(catalogue.period, index=table.index))
    keys = pd.DataFrame({"code": codes, "period": periods})
    duplicated = keys.duplicated(keep=False)
    if duplicated.any():
        problems.append(f"{name}: {int(duplicated.sum())} rows repeat an area code and period, e.g. "
                        f"{keys[duplicated].iloc[0].code}")
    frames = []
    for spec in catalogue.indicators:
        parts = {}
        for role in ("column", "numerator", "denominator"):
            column = getattr(spec, role)
            if column is not None:
                parts[role], found = _numbers(table, column, name)
                problems += found
        scale = spec.multiplier or 1.0
        numerator = parts.get("numerator")
        denominator = parts.get("denominator")
        value = parts.get("column")
        if value is None:
            value = numerator / denominator * scale if denominator is not None else numerator
        elif numerator is None and denominator is not None:
            numerator = value * denominator / scale
        frames.append(pd.DataFrame({
            "indicator": spec.id, "code": codes, "period": spec.period or periods, "value": value,
            "numerator": numerator if numerator is not None else np.nan,
            "denominator": denominator if denominator is not None else np.nan}))
    if problems:
        raise CatalogueError(f"{name}: the values have problems", problems)
    return pd.concat(frames, ignore_index=True)


def match_codes(values: pd.DataFrame, known_codes: set[str]) -> dict:
    """Compare a table's codes with a boundary set's: counts and the first unknown codes.

    >>> match_codes(pd.DataFrame({"code": ["A", "B", "C"]}), {"A", "B"})
    {'matched': 2, 'unknown': 1, 'unknown_examples': ['C'], 'missing': 0}
    """
    codes = set(values["code"])
    unknown = sorted(codes - known_codes)
    return {"matched": len(codes & known_codes), "unknown": len(unknown), "unknown_examples": unknown[:5],
            "missing": len(known_codes - codes)}
