"""Postcodes and their grid references, for geocoding offline: loaded from a file, looked up in bulk.

Three layouts are read, told apart by their first line:

- ``code-point``: OS Code-Point Open CSV (no header: postcode, positional quality, easting, northing, ...),
  one file or the product's zip (every ``Data/CSV/*.csv`` in it);
- ``onspd``: the ONS Postcode Directory CSV (header with ``pcds`` or ``pcd``, ``oseast1m``, ``osnrth1m``,
  ``osgrdind``, ``doterm``);
- ``atlas``: the project's CSV (header with ``postcode``, ``easting``, ``northing`` and optionally
  ``positional_quality``), e.g. ``../shared/data/postcodes_cheshire.csv``.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import String, any_, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from . import audit
from .memo import remembered
from .models import Postcode, PostcodeSource, utcnow

#: Rows per INSERT batch.
BATCH = 10_000
#: Rows read from the file at a time.
CHUNK = 250_000
#: Postcodes per IN list of a lookup on SQLite (old builds allow 999 bound parameters).
IN_CHUNK = 900
#: British National Grid extent, metres.
MAX_EASTING, MAX_NORTHING = 700_000, 1_300_000
#: Problems listed in an error's details (all are counted).
LISTED = 20
STATUSES = ("found", "not a postcode", "unknown postcode", "no coordinates")
#: The attribution each product's licence asks for, used when a load names none (the year is the data's:
#: give the exact lines with ``licence`` when you know it). The Atlas's own CSV may come from anywhere.
LICENCES = {
    "code-point": "Contains OS data © Crown copyright and database right; Contains Royal Mail data © Royal Mail "
                  "copyright and database right; Contains National Statistics data © Crown copyright and "
                  "database right (OS Code-Point Open, Open Government Licence v3.0).",
    "onspd": "Source: Office for National Statistics licensed under the Open Government Licence v3.0; Contains "
             "OS data © Crown copyright and database right; Contains Royal Mail data © Royal Mail copyright and "
             "database right; Contains GeoPlace data © Local Government Information House Limited copyright "
             "and database right (ONS Postcode Directory).",
}

_SHAPE = re.compile(r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[0-9][A-Z]{2}")
_SPACE = re.compile(r"\s+")
_NORMAL = re.compile(r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR) [0-9][A-Z]{2}")


def normalise(text) -> str | None:
    """The postcode in upper case with one space before the inward code, or None if it is not one.

    >>> normalise(" cw96lh "), normalise("CH1   1AB"), normalise("CH1")
    ('CW9 6LH', 'CH1 1AB', None)
    """
    if not isinstance(text, str):
        return None
    if _NORMAL.fullmatch(text):
        return text
    compact = _SPACE.sub("", text).upper()
    if not _SHAPE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@dataclass(frozen=True)
class Layout:
    """Where one file layout keeps each field: column names, or positions when it has no header."""

    name: str
    title: str
    postcode: str | int
    easting: str | int
    northing: str | int
    quality: str | int | None = None
    terminated: str | None = None
    no_coordinates: int | None = None  # the quality value meaning "no grid reference"
    header: bool = True


CODE_POINT = Layout("code-point", "OS Code-Point Open", 0, 2, 3, 1, no_coordinates=90, header=False)
_ONSPD_NAMES = {"postcode": ("pcds", "pcd", "pcd2", "pcd7", "pcd8"), "easting": ("oseast1m", "east1m"),
                "northing": ("osnrth1m", "north1m"), "quality": ("osgrdind", "gridind"),
                "terminated": ("doterm",)}
_ATLAS_NAMES = {"postcode": ("postcode",), "easting": ("easting",), "northing": ("northing",),
                "quality": ("positional_quality",)}


def _detect(first: list[str], label: str) -> Layout:
    """The layout whose header (or, for Code-Point, first row) ``first`` is."""
    names = {cell.strip().lower(): cell for cell in first}

    def pick(wanted: dict) -> dict | None:
        found = {key: next((names[c] for c in choices if c in names), None)
                 for key, choices in wanted.items()}
        required = ("postcode", "easting", "northing")
        return found if all(found[key] for key in required) else None

    if columns := pick(_ONSPD_NAMES):
        return Layout("onspd", "ONS Postcode Directory", **columns, no_coordinates=9)
    if columns := pick(_ATLAS_NAMES):
        return Layout("atlas", "the Atlas postcode CSV", **columns, no_coordinates=90)
    if len(first) >= 4 and normalise(first[0]) and all(_number(cell) for cell in first[1:4]):
        return CODE_POINT
    shown = ",".join(first)[:120]
    raise InvalidInput(
        f"Nothing was stored: {label} is not a postcode file this Atlas reads. Expected OS Code-Point Open "
        "(no header; postcode, positional quality, easting, northing, ...), the ONS Postcode Directory "
        "(header with pcds or pcd, oseast1m, osnrth1m) or a CSV with the header postcode, easting, "
        f"northing; its first line is: {shown or '(empty)'}")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text.strip() == ""
    return True


@dataclass
class _Member:
    label: str  # shown in messages: the file, or "zip: member"
    open: object  # () -> binary file object


@contextmanager
def _members(path: Path):
    """The CSV files to read: the file itself, or the Code-Point Open CSVs inside a zip."""
    if not zipfile.is_zipfile(path):
        yield [_Member(path.name, partial(open, path, "rb"))]
        return
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist()
                       if re.search(r"(^|/)data/csv/[^/]+\.csv$", n, re.IGNORECASE))
        if not names:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise InvalidInput(f"Nothing was stored: {path.name} is a zip without Code-Point Open's "
                                   "Data/CSV/*.csv files (or a single CSV).")
        yield [_Member(f"{path.name}: {n}", lambda n=n: archive.open(n)) for n in names]


@contextmanager
def _text(member: _Member):
    with member.open() as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _first_row(member: _Member) -> list[str]:
    try:
        with _text(member) as handle:
            return next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput(f"Nothing was stored: {member.label} is not a UTF-8 CSV file ({error}).") from None


def _chunks(member: _Member, layout: Layout):
    """(first line number, chunk of text columns) for each chunk of the member's rows."""
    wanted = [c for c in (layout.postcode, layout.easting, layout.northing, layout.quality, layout.terminated)
              if c is not None]
    line = 2 if layout.header else 1
    try:
        with _text(member) as handle:
            reader = pd.read_csv(handle, header=0 if layout.header else None, usecols=wanted, dtype=str,
                                 keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                 chunksize=CHUNK)
            for chunk in reader:
                yield line, chunk
                line += len(chunk)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InvalidInput(f"Nothing was stored: {member.label} cannot be read as CSV: "
                           f"{str(error).strip()}") from None


def _parse(chunk: pd.DataFrame, first_line: int, layout: Layout,
           where: str) -> tuple[pd.DataFrame, list[str], int]:
    """The chunk's good rows as typed columns, a problem for each bad row, and how many rows are not blank."""
    def text(column):
        if column is None:
            return pd.Series("", index=chunk.index, dtype=object)
        return chunk[column].fillna("").str.strip().astype(object)

    lines = pd.Series(np.arange(first_line, first_line + len(chunk)), index=chunk.index)
    raw = {key: text(getattr(layout, key))
           for key in ("postcode", "easting", "northing", "quality", "terminated")}
    blank = pd.concat(raw.values(), axis=1).eq("").all(axis=1)
    postcode = pd.Series([normalise(t) for t in raw["postcode"].tolist()], index=chunk.index, dtype=object)
    easting = pd.to_numeric(raw["easting"], errors="coerce")
    northing = pd.to_numeric(raw["northing"], errors="coerce")
    quality = pd.to_numeric(raw["quality"], errors="coerce")
    ended = pd.to_datetime(raw["terminated"], format="%Y%m", errors="coerce")

    problem = pd.Series("", index=chunk.index, dtype=object)

    def flag(mask, message):
        mask = mask & problem.eq("") & ~blank
        if mask.any():
            problem[mask] = [message(i) for i in mask[mask].index]

    flag(postcode.isna(), lambda i: f"'{raw['postcode'][i][:20]}' is not a postcode")
    for key, values in (("easting", easting), ("northing", northing)):
        flag(values.isna() & raw[key].ne(""),
             lambda i, key=key: f"{key} '{raw[key][i][:20]}' is not a number")
    flag(raw["easting"].eq("") != raw["northing"].eq(""), lambda i: "easting and northing must both be "
                                                                     "given or both be blank")
    flag(quality.isna() & raw["quality"].ne("") | quality.mod(1).fillna(0).ne(0) | ~quality.between(0, 99)
         & quality.notna(),
         lambda i: f"positional quality '{raw['quality'][i][:20]}' is not a whole number from 0 to 99")
    flag(ended.isna() & raw["terminated"].ne(""),
         lambda i: f"doterm '{raw['terminated'][i][:20]}' is not a year and month (YYYYMM)")

    none = (raw["easting"].eq("") | quality.eq(layout.no_coordinates) | (easting.eq(0) & northing.eq(0)))
    if layout.name == "onspd":  # the ONSPD gives Northern Ireland's postcodes on the Irish Grid
        none |= postcode.str.startswith("BT", na=False)
    outside = ~none & ~(easting.between(0, MAX_EASTING) & northing.between(0, MAX_NORTHING))
    flag(outside, lambda i: f"({raw['easting'][i][:20]}, {raw['northing'][i][:20]}) is outside the British "
                            "National Grid (EPSG:27700)")
    good = problem.eq("") & ~blank
    rows = pd.DataFrame({"postcode": postcode, "easting": easting.where(~none),
                         "northing": northing.where(~none), "quality": quality,
                         "terminated": ended, "line": lines})[good]
    bad = problem.ne("")
    return rows, (where + lines[bad].astype(str) + ": " + problem[bad]).tolist(), int((~blank).sum())


def _read(path: Path) -> tuple[Layout, pd.DataFrame, int, list[str], int]:
    """The layout, every good row of the file, rows read, the first problems and how many there are."""
    with _members(path) as members:
        return _read_members(path, members)


def _read_members(path: Path, members: list[_Member]) -> tuple[Layout, pd.DataFrame, int, list[str], int]:
    layouts = [_detect(_first_row(m), m.label) for m in members]
    if len(members) > 1 and any(layout is not CODE_POINT for layout in layouts):
        odd = next(m.label for m, layout in zip(members, layouts) if layout is not CODE_POINT)
        raise InvalidInput(f"Nothing was stored: {odd} is not a Code-Point Open CSV like the other files "
                           f"in {path.name}.")
    wheres = [f"{m.label} line " if len(members) > 1 else "line " for m in members]
    frames, listed, problems, read = [], [], 0, 0
    for number, (member, layout) in enumerate(zip(members, layouts)):
        for first_line, chunk in _chunks(member, layout):
            rows, bad, filled = _parse(chunk, first_line, layout, wheres[number])
            read += filled
            problems += len(bad)
            listed += bad[:LISTED - len(listed)]
            frames.append(rows.assign(member=number))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not frame.empty:
        repeated = frame.duplicated("postcode", keep="first")
        if repeated.any():
            first = frame.drop_duplicates("postcode").set_index("postcode")
            problems += int(repeated.sum())
            again = frame.loc[repeated, ["postcode", "line", "member"]].head(LISTED)
            for code, line, number in again.itertuples(index=False):
                listed.append(f"{wheres[number]}{line}: {code} is also on "
                              f"{wheres[first.at[code, 'member']]}{first.at[code, 'line']}")
            listed = listed[:LISTED]
    return layouts[0], frame, read, listed, problems


def load(session: Session, path: str | Path, *, actor: str, licence: str | None = None) -> dict:
    """Store every postcode in the file, replacing rows with the same postcode; all or nothing, audited.

    ``licence`` is the file's credit lines (the product's usual attribution, :data:`LICENCES`, when not
    given), kept in ``postcode_sources`` while any stored postcode comes from the file. Raises InvalidInput
    (naming the lines) for a file that is not one of the layouts or has bad rows.
    Returns {"source", "layout", "rows_read", "stored", "replaced", "without_coordinates",
    "terminated", "notes"}.
    """
    path = Path(path)
    layout, frame, read, listed, problems = _read(path)
    if problems:
        lines = [re.match(r".*?line \d+(?=: )", p).group() for p in listed[:5]]
        more = f" and {problems - len(lines)} more" if problems > len(lines) else ""
        raise InvalidInput(f"Nothing was stored: {path.name} has {problems} bad row(s), at "
                           f"{', '.join(lines)}{more}.", details=listed)
    if frame.empty:
        raise InvalidInput(f"Nothing was stored: {path.name} holds no postcodes.")
    before = count(session)
    loaded_at = utcnow()
    _upsert(session, frame, source=path.name, loaded_at=loaded_at)
    _keep_source(session, path.name, layout, licence or LICENCES.get(layout.name), loaded_at)
    after = count(session)
    irish = int((frame["postcode"].str.startswith("BT") & frame["easting"].isna()).sum()) \
        if layout.name == "onspd" else 0
    report = {"source": path.name, "layout": layout.title, "rows_read": read, "stored": len(frame),
              "replaced": len(frame) - (after - before),
              "without_coordinates": int(frame["easting"].isna().sum()),
              "terminated": int(frame["terminated"].notna().sum()),
              "notes": [f"{irish} Northern Ireland postcodes have Irish Grid references in the ONSPD; they "
                        "are stored without coordinates"] if irish else []}
    audit.record(session, actor=actor, action="import", entity_type="postcodes", entity_id=path.name,
                 before={"postcodes": before}, after={"postcodes": after} | report)
    return report


def _keep_source(session: Session, source: str, layout: Layout, licence: str | None, loaded_at) -> None:
    """Record the file's layout and licence, and forget files none of whose postcodes are left."""
    session.merge(PostcodeSource(source=source, layout=layout.title, licence=licence, loaded_at=loaded_at))
    session.flush()
    session.execute(delete(PostcodeSource).where(
        PostcodeSource.source.not_in(select(Postcode.source).distinct())))


def sources(session: Session) -> list[PostcodeSource]:
    """The files the stored postcodes come from, by name."""
    return list(session.scalars(select(PostcodeSource).order_by(PostcodeSource.source)))


def has_any(session: Session) -> bool:
    """True when at least one postcode is stored."""
    return session.scalar(select(Postcode.postcode).limit(1)) is not None


def _upsert(session: Session, frame: pd.DataFrame, *, source: str, loaded_at) -> None:
    """INSERT ... ON CONFLICT (postcode) DO UPDATE in batches of BATCH rows, straight to the driver.

    PostgreSQL gets one statement per batch (arrays unnested); SQLite an executemany. SQLAlchemy's
    per-row parameter handling would otherwise take most of the time.
    """
    table = Postcode.__table__
    connection = session.connection()
    dialect = connection.dialect
    names = ["postcode", "easting", "northing", "positional_quality", "terminated", "source", "loaded_at"]
    update = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    into = f"INSERT INTO {table.name} ({', '.join(names)})"
    arrays = dialect.name == "postgresql"
    if arrays:
        mark = "%b" if dialect.driver == "psycopg" else "%s"  # psycopg 3 sends %b arrays in binary: faster
        sql = (f"{into} SELECT *, %s, %s FROM unnest({mark}::varchar[], {mark}::float8[], {mark}::float8[], "
               f"{mark}::int[], {mark}::date[]) ON CONFLICT (postcode) DO UPDATE SET {update}")
    else:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        sql = (f"{into} VALUES ({', '.join([mark] * len(names))}) "
               f"ON CONFLICT (postcode) DO UPDATE SET {update}")

    def bound(column: str, values: list) -> list:
        process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return [None if v is None else process(v) for v in values] if process else values

    def floats(values):
        return [None if v != v else float(v) for v in values]

    source, loaded_at = bound("source", [source])[0], bound("loaded_at", [loaded_at])[0]
    for start in range(0, len(frame), BATCH):
        part = frame.iloc[start:start + BATCH]
        columns = (part["postcode"].tolist(), floats(part["easting"].tolist()),
                   floats(part["northing"].tolist()),
                   [None if q != q else int(q) for q in part["quality"].tolist()],
                   bound("terminated", [None if pd.isna(t) else date(t.year, t.month, 1)
                                        for t in part["terminated"].tolist()]))
        if arrays:
            connection.exec_driver_sql(sql, (source, loaded_at, *columns))
        else:
            connection.exec_driver_sql(sql, [(*row, source, loaded_at) for row in zip(*columns)])


def lookup(session: Session, postcodes: Iterable) -> pd.DataFrame:
    """Grid references of the postcodes given, indexed by the text given.

    Columns: postcode (normalised, or None), easting, northing, terminated, status (one of STATUSES).
    """
    given = list(postcodes)
    normal = [normalise(text) for text in given]
    wanted = sorted({p for p in normal if p})
    query = select(Postcode.postcode, Postcode.easting, Postcode.northing, Postcode.terminated)
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, however many postcodes
        parts = [query.where(Postcode.postcode == any_(bindparam("wanted", wanted, type_=ARRAY(String))))]
    else:
        parts = [query.where(Postcode.postcode.in_(wanted[start:start + IN_CHUNK]))
                 for start in range(0, len(wanted), IN_CHUNK)]
    found = {code: values for part in (parts if wanted else []) for code, *values in session.execute(part)}
    missing = (None, None, None)
    rows = [found.get(p, missing) if p else missing for p in normal]
    status = ["not a postcode" if p is None else "unknown postcode" if p not in found
              else "no coordinates" if found[p][0] is None else "found" for p in normal]
    return pd.DataFrame({"postcode": pd.Series(normal, dtype=object),
                         "easting": pd.Series([r[0] for r in rows], dtype=float),
                         "northing": pd.Series([r[1] for r in rows], dtype=float),
                         "terminated": pd.Series([r[2] for r in rows], dtype=object),
                         "status": pd.Series(status, dtype=object)}).set_axis(
        pd.Index(given, dtype=object, name="query"))


def count(session: Session) -> int:
    """How many postcodes the store holds."""
    return session.scalar(select(func.count()).select_from(Postcode))


def state(session: Session) -> str:
    """Changes whenever postcodes are loaded (for cache keys): the files held and the latest load time, read
    from ``postcode_sources`` (a row per file, written by every :func:`load`) rather than by counting postcodes."""
    def read() -> str:
        number, latest = session.execute(select(func.count(), func.max(PostcodeSource.loaded_at))).one()
        return f"{number}@{latest}"

    return remembered(session, "postcodes.state", read)


def live_points(session: Session, bounds: tuple[float, float, float, float]) -> pd.DataFrame:
    """Easting and northing of every live postcode with coordinates inside ``(minx, miny, maxx, maxy)``,
    ordered by easting then northing: the sums made over them do not depend on the order the database
    happens to return rows in (which changes with its query plan)."""
    minx, miny, maxx, maxy = bounds
    query = (select(Postcode.easting, Postcode.northing)
             .where(Postcode.easting.between(minx, maxx), Postcode.northing.between(miny, maxy),
                    Postcode.terminated.is_(None)))
    rows = session.execute(query).all()
    easting = np.array([r[0] for r in rows], dtype=float)
    northing = np.array([r[1] for r in rows], dtype=float)
    order = np.lexsort((northing, easting))
    return pd.DataFrame({"easting": easting[order], "northing": northing[order]})


def outcode_points(session: Session, outcode: str) -> pd.DataFrame:
    """Postcode, easting and northing of every live postcode with coordinates in ``outcode`` (e.g. "CH1")."""
    if not re.fullmatch(r"[A-Z0-9]{2,4}", outcode):
        raise ValueError(f"{outcode!r} is not an outward code")
    query = (select(Postcode.postcode, Postcode.easting, Postcode.northing)
             .where(Postcode.postcode.like(f"{outcode} %"), Postcode.easting.is_not(None),
                    Postcode.terminated.is_(None)).order_by(Postcode.postcode))
    return pd.DataFrame(session.execute(query).all(), columns=["postcode", "easting", "northing"])
