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

from layers.imd import DOMAINS

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
#: What an indicator may be declared to be, beyond its own figure (``role = ...``), and what for.
ROLES = {
    "population": "the total population: weights the catalogue's scores, ranks and deciles; with "
                  "population_estimates, each area's population",
    "working-age population": "weights the Employment domain of the Indices of Deprivation",
    "children population": "weights IDACI (children aged 0-15)",
    "older population": "weights IDAOPI (people aged 60 and over)",
    "age band": "the residents of one age band, shown as the population by age",
}
#: Roles a catalogue may give to one indicator only.
SINGLE_ROLES = ("population", "working-age population", "children population", "older population")
#: Types aggregated as population-weighted means: a catalogue holding one must declare its population.
WEIGHTED_TYPES = ("score", "rank", "decile")


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
    column: str | tuple[str, ...] | None = None
    numerator: str | tuple[str, ...] | None = None
    denominator: str | tuple[str, ...] | None = None
    multiplier: float | None = None
    description: str | None = None
    unit: str | None = None
    period: str | None = None
    source: str | None = None
    licence: str | None = None
    role: str | None = None
    domain: str | None = None
    series: str | None = None

    @property
    def measure(self) -> str | None:
        """For an Indices of Deprivation domain: "score", "rank" or "decile" (a rate is the domain's score)."""
        if self.domain is None:
            return None
        return self.type if self.type in ("rank", "decile") else "score"


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
    population_estimates: bool = False
    national_areas: int | None = None
    indicators: tuple[IndicatorSpec, ...] = field(default_factory=tuple)

    def role(self, role: str) -> IndicatorSpec | None:
        """The indicator declared with ``role`` (one of :data:`SINGLE_ROLES`), or None."""
        return next((spec for spec in self.indicators if spec.role == role), None)


def _check_spec(spec: IndicatorSpec, where: str) -> list[str]:
    problems = []
    for role in ("column", "numerator", "denominator"):
        part = getattr(spec, role)
        if part is not None and (not columns_of(part) or not all(isinstance(c, str) and c for c in columns_of(part))):
            problems.append(f"{where}: {role} must name a column, or a list of columns to add up")
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
    if spec.role is not None and spec.role not in ROLES:
        problems.append(f"{where}: role '{spec.role}' is not one of {'; '.join(ROLES)}")
    elif spec.role is not None and spec.type != "count":
        problems.append(f"{where}: a {spec.role} is a count of people; give it type = \"count\"")
    if spec.domain is not None and spec.domain not in DOMAINS:
        problems.append(f"{where}: domain '{spec.domain}' is not one of {', '.join(DOMAINS)}")
    elif spec.domain is not None and spec.type not in ("score", "proportion", "rank", "decile"):
        problems.append(f"{where}: an Indices of Deprivation domain is a score (or a proportion for a rate), "
                        f"a rank or a decile, not a {spec.type}")
    return problems


def _check_roles(specs: list[IndicatorSpec], head: dict) -> list[str]:
    """Problems with the roles and domains a catalogue declares: each once, and the populations it needs."""
    problems = []
    for role in SINGLE_ROLES:
        holders = [s.id for s in specs if s.role == role]
        if len(holders) > 1:
            problems.append(f"{len(holders)} indicators are declared the {role} ({', '.join(holders)}); "
                            "declare one")
    weighted = [s.id for s in specs if s.type in WEIGHTED_TYPES]
    if weighted and not any(s.role == "population" for s in specs):
        listed = ", ".join(weighted[:5]) + (f" and {len(weighted) - 5} more" if len(weighted) > 5 else "")
        problems.append(f"{listed} {'is' if len(weighted) == 1 else 'are'} averaged weighted by population, "
                        "but no indicator is declared the population: add role = \"population\" to the "
                        "indicator holding the total population")
    seen: dict[tuple[str, str], str] = {}
    for spec in specs:
        if spec.domain is None or spec.domain not in DOMAINS:
            continue
        pair = (spec.domain, spec.measure)
        if pair in seen:
            problems.append(f"{spec.domain} {spec.measure} is declared twice ({seen[pair]}, {spec.id})")
        seen.setdefault(pair, spec.id)
        role = DOMAINS[spec.domain].role
        if role != "population" and not any(s.role == role for s in specs):
            problems.append(f"{spec.id}: the {spec.domain} domain is weighted by the {role}, and no indicator "
                            f"is declared it: add role = \"{role}\" to that indicator")
    if seen and not head.get("national_areas"):
        problems.append("[catalogue]: Indices of Deprivation domains need national_areas, the number of "
                        "small areas ranked nationally (32844 for IoD2019, 33755 for IoD2025)")
    if head.get("population_estimates") and not any(s.role == "population" for s in specs):
        problems.append("[catalogue]: population_estimates = true, but no indicator is declared the population")
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
        table = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
        spec = IndicatorSpec(**table)
        problems += _check_spec(spec, where)
        specs.append(spec)
    ids = [s.id for s in specs]
    problems += [f"indicator id '{i}' is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += _check_roles(specs, head)
    if not specs and not problems:
        problems.append("no [[indicators]] are defined")
    if problems:
        raise CatalogueError(f"{path}: the catalogue has problems", problems)
    head = dict(head)
    head["file"] = (path.resolve().parent / head["file"]).resolve()
    return Catalogue(path=path, indicators=tuple(specs), **head)


def columns_of(part) -> list[str]:
    """The table columns one indicator field names: one column, or several to be added up.

    >>> columns_of("All Ages"), columns_of(("0", "1", "2")), columns_of(None)
    (['All Ages'], ['0', '1', '2'], [])
    """
    if part is None:
        return []
    return [part] if isinstance(part, str) else list(part)


def column_label(part) -> str | None:
    """One field's columns in a few words, for the indicator's metadata.

    >>> column_label("All Ages"), column_label(tuple(str(age) for age in range(16)))
    ('All Ages', 'sum of 16 columns: 0 … 15')
    """
    names = columns_of(part)
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    return f"sum of {len(names)} columns: {names[0]} … {names[-1]}"


def _read_table(catalogue: Catalogue, named: set[str]) -> pd.DataFrame:
    """The table's columns the catalogue names (numbers parsed as they are read; codes kept as text)."""
    suffix = catalogue.file.suffix.lower()
    try:
        if suffix == ".csv":
            header = pd.read_csv(catalogue.file, nrows=0).columns
            text = {c: str for c in (catalogue.code_column, catalogue.period_column) if c}
            table = pd.read_csv(catalogue.file, usecols=lambda c: c in named, dtype=text, keep_default_na=False)
            table.attrs["all_columns"] = list(header)
            return table
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
    raw = table[column]
    numbers = pd.to_numeric(raw, errors="coerce")
    unread = numbers.isna().to_numpy()
    if unread.any():  # blanks, suppression marks, thousands separators, stray text: look at those cells only
        text = raw[unread].astype(str).str.strip().str.replace(",", "", regex=False)
        blank = text.isin(["", "NA", "N/A", "n/a", "-", ".", ":", "*", "x", "..", "NaN", "nan"])
        again = pd.to_numeric(text.mask(blank), errors="coerce")
        numbers = numbers.copy()
        numbers[unread] = again
        bad = np.zeros(len(raw), dtype=bool)
        bad[np.flatnonzero(unread)] = (again.isna() & ~blank).to_numpy()
    else:
        bad = unread
    problems = [f"{name}, row {i + 2}, column '{column}': '{raw.iloc[i]}' is not a number"
                for i in np.flatnonzero(bad)[:20]]
    return numbers.to_numpy(dtype=float), problems


def read_values(catalogue: Catalogue) -> pd.DataFrame:
    """Read the catalogue's table as long values: indicator, code, period, value, numerator, denominator.

    A proportion or rate given only as a value and its denominator gets its numerator back as
    value × denominator / multiplier, so that areas can later be combined from summed parts.
    Blank cells stay missing (NaN), never zero.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     table = Path(folder) / "values.csv"
    ...     _ = table.write_text("code,adults,smokers,deaths\\nE01000001,1000,200,5.0\\nE01000002,800,,2.5\\n")
    ...     health = "Healthier Communities & Older People"
    ...     catalogue = Catalogue(path=Path(folder) / "c.toml", id="demo", title="Demo", file=table,
    ...         code_column="code", source="Made up", licence="None", period="2024", indicators=(
    ...         IndicatorSpec("smoking", "Adults who smoke", health, "proportion", "higher is worse",
    ...                       numerator="smokers", denominator="adults"),
    ...         IndicatorSpec("deaths", "Deaths per 1,000 adults", health, "rate", "higher is worse",
    ...                       column="deaths", denominator="adults", multiplier=1000)))
    ...     values = read_values(catalogue)
    >>> values
      indicator       code period  value  numerator  denominator
    0   smoking  E01000001   2024    0.2      200.0       1000.0
    1   smoking  E01000002   2024    NaN        NaN        800.0
    2    deaths  E01000001   2024    5.0        5.0       1000.0
    3    deaths  E01000002   2024    2.5        2.0        800.0
    """
    name = catalogue.file.name
    named = {catalogue.code_column, catalogue.period_column} - {None}
    for spec in catalogue.indicators:
        named |= {c for part in (spec.column, spec.numerator, spec.denominator) for c in columns_of(part)}
    table = _read_table(catalogue, named)
    absent = sorted(c for c in named if c not in table.columns)
    if absent:
        columns = table.attrs.get("all_columns", list(table.columns))
        raise CatalogueError(f"{name}: column(s) named in {catalogue.path.name} are not in the table",
                             [f"'{c}' not found" for c in absent]
                             + [f"the table has: {', '.join(map(str, columns[:40]))}"])
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
    parsed: dict[str, tuple[np.ndarray, list[str]]] = {}

    def numbers(column: str) -> tuple[np.ndarray, list[str]]:
        if column not in parsed:
            parsed[column] = _numbers(table, column, name)
        return parsed[column]

    for spec in catalogue.indicators:
        parts = {}
        for role in ("column", "numerator", "denominator"):
            column = getattr(spec, role)
            if column is not None:
                summed = [numbers(c) for c in columns_of(column)]
                parts[role] = np.sum([numbers for numbers, _ in summed], axis=0)  # NaN when any part is blank
                problems += [problem for _, found in summed for problem in found if problem not in problems]
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
