"""Bulk import of community groups from a CSV or XLSX list: map the columns, check every row, load.

The steps, the same from the command line, the browser and an area manifest:

1. :func:`~geoapp.groups.imports.tables.read_table` reads the file;
2. :func:`propose_mapping` and :func:`propose_type_map` guess which column holds which field, and which
   group type each word of the type column means; the user may change both (a :class:`Mapping`);
3. :func:`check` cleans each row with :func:`~geoapp.groups.records.clean_record`, places it (from its
   coordinates, else from its postcode in the postcode table) and finds duplicates, in the file and
   among stored groups: an :class:`ImportReport`, nothing stored;
4. :func:`load` stores the ready rows in the caller's transaction, all or nothing: when any row is
   refused nothing is stored unless ``load_good`` is given. Audited.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from pyproj import Transformer
from shapely.geometry import Point
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from layers.groups import GROUP_TYPES, INCOME_BANDS

from ...errors import InvalidInput
from ...storage import audit
from ...storage import postcodes as stored_postcodes
from ...storage.models import CommunityGroup
from ..records import RecordInvalid, clean_record, clean_text
from .tables import Table, UnreadableFile, read_table

__all__ = ["FIELDS", "DECISIONS", "Mapping", "ImportReport", "ImportRefused", "UnreadableFile", "read_table",
           "propose_mapping", "type_words", "propose_type_map", "check", "load", "import_file"]

#: The fields a column can fill, with the words shown to users.
FIELDS = {
    "name": "Name", "description": "Description", "group_type": "Type", "themes": "Themes",
    "serves": "Who it serves", "volunteers": "Volunteers", "paid_staff": "Paid staff",
    "income_band": "Income or income band", "contact_name": "Contact name", "email": "E-mail",
    "phone": "Phone", "website": "Website", "address": "Address", "postcode": "Postcode",
    "charity_number": "Charity number", "easting": "Easting", "northing": "Northing",
    "latitude": "Latitude", "longitude": "Longitude", "last_verified": "Last verified",
}
#: Header words that propose each field (compared after lower-casing and turning _ - . into spaces).
HEADERS = {
    "name": ("name", "group name", "organisation name", "organization name", "organisation", "org name",
             "charity name", "group", "venue name", "venue", "title"),
    "description": ("description", "about", "activities", "summary", "details", "what we do",
                    "charitable objects", "objects"),
    "group_type": ("type", "group type", "organisation type", "category", "kind", "sector"),
    "themes": ("themes", "theme", "partnership themes"),
    "serves": ("serves", "who it serves", "who", "beneficiaries", "client group", "who we help"),
    "volunteers": ("volunteers", "number of volunteers", "volunteer count"),
    "paid_staff": ("paid staff", "staff", "employees", "number of employees", "paid staff count"),
    "income_band": ("income band", "income", "annual income", "latest income", "turnover"),
    "contact_name": ("contact name", "contact", "contact person", "main contact"),
    "email": ("email", "e mail", "email address", "e mail address", "contact email"),
    "phone": ("phone", "telephone", "tel", "phone number", "telephone number", "contact phone"),
    "website": ("website", "web", "url", "web address", "website address", "homepage"),
    "address": ("address", "full address", "street address", "address 1", "address line 1"),
    "postcode": ("postcode", "post code", "postal code", "zip"),
    "charity_number": ("charity number", "registered charity number", "charity no", "reg charity number",
                       "regno", "registration number", "charity registration number"),
    "easting": ("easting", "eastings", "x", "os x", "grid easting"),
    "northing": ("northing", "northings", "y", "os y", "grid northing"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "long", "lon", "lng"),
    "last_verified": ("last verified", "verified", "last checked", "date checked", "last updated", "updated"),
}
#: Other names accepted for a field in ``--map`` and manifests.
ALIASES = {"type": "group_type", "category": "group_type", "lat": "latitude", "long": "longitude",
           "lon": "longitude", "lng": "longitude", "income": "income_band", "who": "serves", "staff": "paid_staff",
           "contact": "contact_name", "e-mail": "email", "charity": "charity_number", "x": "easting",
           "y": "northing", "verified": "last_verified"}
#: What may be done with a row that duplicates another.
DECISIONS = {"keep": "Keep both", "skip": "Skip this row", "merge": "Merge this row into the other"}
#: Words in a type column and the group type they suggest, tried in order.
TYPE_HINTS = (
    (("faith", "church", "chapel", "mosque", "temple", "gurdwara", "synagogue", "parish church", "methodist",
      "baptist", "quaker", "christian", "muslim", "islamic", "hindu", "sikh", "jewish"), "faith group"),
    (("parish council", "town council", "parish", "town or parish"), "town or parish council"),
    (("tenant", "residents"), "tenants' and residents' association"),
    (("library", "libraries", "council service", "statutory", "nhs", "school", "local authority",
      "public service"), "statutory service"),
    (("social enterprise", "cic", "community interest", "co-operative", "cooperative"), "social enterprise"),
    (("charity", "charitable", "cio"), "charity"),
    (("voluntary", "volunteer"), "voluntary group"),
    (("community", "village hall", "community centre", "community venue", "cafe", "café", "club",
      "association", "society"), "community group"),
)
#: Within this distance, in metres, two groups with the same name are the same group.
NEAR_METRES = 50.0
#: Great Britain's extent on the British National Grid, and in latitude and longitude.
BNG_EXTENT = (0.0, 0.0, 700_000.0, 1_300_000.0)
LATLON_EXTENT = (49.8, -8.7, 60.9, 1.9)
INCOME_LIMITS = ((10_000, 0), (100_000, 1), (1_000_000, 2), (10_000_000, 3))
STORED_STATUSES = ("published", "pending")
_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _words(text) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", str(text)).lower().split())


def field_key(name: str) -> str:
    """The field a user's word names (``type`` -> ``group_type``); InvalidInput when none."""
    key = _words(name).replace(" ", "_")
    key = ALIASES.get(name.strip().lower(), ALIASES.get(key, key))
    if key not in FIELDS:
        raise InvalidInput(f"'{name}' is not a field that can be imported; the fields are "
                           f"{', '.join(FIELDS)}.")
    return key


def propose_mapping(columns: list[str]) -> dict[str, str]:
    """Field -> column, guessed from the header: exact header words first, then headers containing them.

    >>> propose_mapping(["Group Name", "category_heuristic", "Post code", "lat"])
    {'name': 'Group Name', 'group_type': 'category_heuristic', 'postcode': 'Post code', 'latitude': 'lat'}
    """
    words = {column: _words(column) for column in columns}
    found: dict[str, str] = {}
    for exact in (True, False):
        for key, choices in HEADERS.items():
            if key in found:
                continue
            for choice in choices:
                column = next((c for c in columns if c not in found.values() and (
                    words[c] == choice if exact else len(choice) > 3 and (
                        words[c].startswith(choice + " ") or words[c].endswith(" " + choice)))), None)
                if column is not None:
                    found[key] = column
                    break
    return {key: found[key] for key in FIELDS if key in found}


def type_words(table: Table, column: str | None) -> list[tuple[str, int]]:
    """The different words in the type column that are not group types, with how many rows use each."""
    if not column:
        return []
    counts: dict[str, int] = {}
    for row in table.rows:
        word = " ".join(row.get(column, "").split())
        if word and _known_type(word) is None:
            counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def propose_type_map(words) -> dict[str, str | None]:
    """A group type for each word of a type column, guessed from what the word contains (None: no guess).

    >>> propose_type_map(["faith", "library", "community_venue", "other"])
    {'faith': 'faith group', 'library': 'statutory service', 'community_venue': 'community group', 'other': None}
    """
    out = {}
    for word in words:
        text = f" {_words(word)} "
        out[word] = next((kind for hints, kind in TYPE_HINTS
                          if any(f" {hint} " in text or (len(hint) > 4 and hint in text) for hint in hints)), None)
    return out


def _known_type(word: str) -> str | None:
    text = " ".join(word.split()).lower()
    return next((t for t in GROUP_TYPES if t == text or t.replace("&", "and") == text), None)


@dataclass
class Mapping:
    """How to read a file: which column holds each field, what the type words mean, where it came from."""

    fields: dict[str, str]
    type_map: dict[str, str] = field(default_factory=dict)
    default_type: str | None = None
    source: str | None = None
    licence: str | None = None

    def checked(self, table: Table) -> Mapping:
        """This mapping with field aliases resolved and words lower-cased; InvalidInput listing every problem."""
        problems, fields = [], {}
        for name, column in self.fields.items():
            try:
                key = field_key(name)
            except InvalidInput as error:
                problems.append(error.message)
                continue
            if column in (None, ""):
                continue
            if column not in table.columns:
                problems.append(f"{FIELDS[key]}: {table.name} has no column '{column}'; its columns are "
                                f"{', '.join(table.columns)}.")
            fields[key] = column
        if "name" not in fields:
            problems.append("Name: choose the column that holds each group's name.")
        for first, second in (("easting", "northing"), ("latitude", "longitude")):
            if (first in fields) != (second in fields):
                problems.append(f"{FIELDS[first]} and {FIELDS[second]}: choose both columns, or neither.")
        type_map = {}
        for word, kind in self.type_map.items():
            if kind in (None, ""):
                continue
            known = _known_type(kind)
            if known is None:
                problems.append(f"Type words: '{word}' is mapped to '{kind}', which is not a group type; the "
                                f"types are {', '.join(GROUP_TYPES)}.")
            type_map[" ".join(str(word).split()).lower()] = known
        default = _known_type(self.default_type) if self.default_type else None
        if self.default_type and default is None:
            problems.append(f"Default type: '{self.default_type}' is not a group type; the types are "
                            f"{', '.join(GROUP_TYPES)}.")
        if problems:
            raise InvalidInput(f"The column mapping for {table.name} needs changing: nothing was checked.",
                               details=problems)
        return Mapping(fields=fields, type_map=type_map, default_type=default, source=self.source,
                       licence=self.licence)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Refusal:
    """A row that cannot be imported, and every reason."""

    line: int
    name: str | None
    reasons: list[str]


@dataclass
class Duplicate:
    """A ready row that looks like a stored group or an earlier row of the file."""

    line: int
    name: str
    postcode: str | None
    of: str  # "stored" or "file"
    match: str  # "name and postcode" or "name, 12 m apart"
    other_name: str
    other_postcode: str | None
    group_id: int | None = None
    other_line: int | None = None
    decision: str = "skip"


@dataclass
class ImportReport:
    """What a file holds and what became of each row: ready, refused (with reasons) or duplicate."""

    file: str
    kind: str
    sheet: str | None
    where: str  # "line" or "row"
    mapping: dict
    rows_read: int
    ready: list[dict] = field(default_factory=list)  # {"line", "record", "point": (x, y), "located_by"}
    refused: list[Refusal] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loaded: int = 0
    skipped: int = 0
    merged: int = 0
    loaded_ids: list[int] = field(default_factory=list)
    done: bool = False

    def as_dict(self) -> dict:
        """Plain data for JSON: the counts, each refused row and each duplicate."""
        return {"file": self.file, "kind": self.kind, "sheet": self.sheet, "mapping": self.mapping,
                "rows_read": self.rows_read, "ready": len(self.ready), "refused": len(self.refused),
                "duplicates": len(self.duplicates), "loaded": self.loaded, "skipped_duplicates": self.skipped,
                "merged": self.merged, "stored": self.done, "notes": self.notes,
                "refused_rows": [asdict(r) for r in self.refused],
                "duplicate_rows": [asdict(d) for d in self.duplicates]}


class ImportRefused(InvalidInput):
    """Rows were refused and ``load_good`` was not given: nothing was stored."""

    def __init__(self, report: ImportReport):
        lines = ", ".join(str(r.line) for r in report.refused[:10])
        more = f" and {len(report.refused) - 10} more" if len(report.refused) > 10 else ""
        super().__init__(f"Nothing was loaded: {len(report.refused)} of the {report.rows_read} rows of "
                         f"{report.file} were refused ({report.where}s {lines}{more}).",
                         details=[f"{report.where} {r.line}: {'; '.join(r.reasons)}" for r in report.refused])
        self.report = report


def normal_name(name: str | None) -> str:
    """A name compared for duplicates: accents, case, punctuation, '&' and a leading 'the' ignored.

    >>> normal_name("The Wednesday Group & The Family get together"), normal_name("St Mary’s Café")
    ('wednesday group and the family get together', 'st marys cafe')
    """
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text.replace("'", "").replace("&", " and ")).split()
    return " ".join(text[1:] if text[:1] == ["the"] else text)


@dataclass
class _Row:
    """One row while it is checked."""

    line: int
    values: dict
    reasons: list[str]
    record: dict | None = None
    point: tuple | None = None  # (easting, northing)
    located_by: str | None = None
    bad_coordinates: bool = False


def check(session: Session, table: Table, mapping: Mapping, *, today: date | None = None) -> ImportReport:
    """Clean, place and compare every row of ``table`` (a date checked may not be after ``today``); stores
    nothing."""
    mapping = mapping.checked(table)
    today = today or date.today()
    report = ImportReport(file=table.name, kind=table.kind, sheet=table.sheet, where=table.where,
                          mapping=mapping.as_dict(), rows_read=len(table.rows), notes=list(table.notes))
    rows = []
    for line, cells in zip(table.lines, table.rows):
        row = _Row(line, {key: cells.get(column, "") for key, column in mapping.fields.items()}, [])
        if line in table.overlong:
            row.reasons.append(f"has {table.overlong[line]} cells but the header names {len(table.columns)} "
                               "columns (a comma or quote out of place?)")
        row.record = _record(row.values, mapping, today, row.reasons)
        _coordinates(row, mapping.fields)
        rows.append(row)
    _place_by_postcode(session, rows, report)
    for row in rows:
        if row.reasons:
            name = row.record["name"] if row.record else _shown(row.values.get("name"))
            report.refused.append(Refusal(row.line, name, row.reasons))
        else:
            report.ready.append({"line": row.line, "record": row.record, "point": row.point,
                                 "located_by": row.located_by})
    report.duplicates = _duplicates(session, report.ready)
    return report


def _shown(text) -> str | None:
    """A refused row's name as safe plain text: control characters out, at most 80 characters."""
    try:
        return clean_text(str(text or "")[:80], 80)
    except ValueError:
        return None


def _record(values: dict, mapping: Mapping, today: date, reasons: list[str]) -> dict | None:
    fields = {key: value for key, value in values.items()
              if key not in ("easting", "northing", "latitude", "longitude")}
    word = " ".join(str(fields.get("group_type", "")).split())
    fields["group_type"] = (_known_type(word) or mapping.type_map.get(word.lower()) or mapping.default_type
                            or word)
    if fields.get("income_band"):
        fields["income_band"] = _income_band(fields["income_band"])
    try:
        record = clean_record(fields, today=today)
    except RecordInvalid as error:
        for key, message in error.fields.items():
            if key == "group_type" and word:
                message = f"'{word[:60]}' is not a group type: map it to one, or choose a default type"
            reasons.append(f"{FIELDS.get(key, key.replace('_', ' ')).lower()}: {message}")
        return None
    record.setdefault("last_verified", None)  # the file's own date or none, never the day of the import
    return record


def _income_band(value: str) -> str:
    """An amount of money ('£12,500', '12500') as its NCVO band; other text unchanged."""
    amount = re.sub(r"[£,\s]", "", str(value))
    try:
        number = float(amount)
    except ValueError:
        return value
    if not math.isfinite(number) or number < 0:
        return value
    index = next((i for limit, i in INCOME_LIMITS if number < limit), len(INCOME_BANDS) - 1)
    return INCOME_BANDS[index]


def _coordinates(row: _Row, columns: dict) -> None:
    """Place the row from its coordinates when it has them: easting/northing first, then latitude/longitude."""
    for x_key, y_key in (("easting", "northing"), ("longitude", "latitude")):
        if x_key not in columns:
            continue
        raw = {k: str(row.values.get(k, "")).strip() for k in (x_key, y_key)}
        if not any(raw.values()):
            continue
        problem = _coordinate_problem(raw, x_key, y_key)
        if problem:
            row.reasons.append(problem)
            row.bad_coordinates = True
            return
        x, y = (float(raw[k].replace(",", "")) for k in (x_key, y_key))
        if x_key == "longitude":
            x, y = (round(v, 1) for v in _TO_BNG.transform(x, y))
        row.point, row.located_by = (x, y), "coordinates"
        return


def _coordinate_problem(raw: dict, x_key: str, y_key: str) -> str | None:
    """What is wrong with a pair of coordinates: missing, not numbers, outside Great Britain; None if fine."""
    if not all(raw.values()):
        return f"only one of {x_key} and {y_key} is given"
    bad = next((k for k in (x_key, y_key) if not _number(raw[k])), None)
    if bad:
        return f"{bad} '{_shown(raw[bad][:20])}' is not a number"
    x, y = (float(raw[k].replace(",", "")) for k in (x_key, y_key))
    pair = f"({_shown(raw[x_key][:20])}, {_shown(raw[y_key][:20])})"
    if x_key == "easting":
        if abs(x) <= 180 and abs(y) <= 90:
            return (f"easting and northing {pair} look like longitude and latitude: map those columns to "
                    "Longitude and Latitude instead")
        if not (BNG_EXTENT[0] <= x <= BNG_EXTENT[2] and BNG_EXTENT[1] <= y <= BNG_EXTENT[3]):
            return f"easting and northing {pair} are outside Great Britain (British National Grid, EPSG:27700)"
        return None
    lon, lat = x, y
    south, west, north, east = LATLON_EXTENT
    if not (south <= lat <= north and west <= lon <= east):
        swapped = south <= lon <= north and west <= lat <= east
        return (f"longitude and latitude {pair} are outside Great Britain"
                + (": are the two columns the wrong way round?" if swapped else ""))
    return None


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text.replace(",", "")))
    except ValueError:
        return False


def _place_by_postcode(session: Session, rows: list[_Row], report: ImportReport) -> None:
    """Place each row without coordinates at its postcode's grid reference, all in one lookup."""
    unplaced = [r for r in rows if r.point is None and not r.bad_coordinates]
    wanted = [(r, stored_postcodes.normalise(_shown(r.values.get("postcode")) or "")) for r in unplaced]
    wanted = [(r, p) for r, p in wanted if p]
    found = (stored_postcodes.lookup(session, [p for _, p in wanted]).to_dict("records")
             if wanted else [])
    for (row, postcode), hit in zip(wanted, found):
        if hit["status"] == "found":
            row.point, row.located_by = (float(hit["easting"]), float(hit["northing"])), "postcode"
            if hit["terminated"] is not None:
                report.notes.append(f"{report.where} {row.line}: postcode {postcode} was terminated in "
                                    f"{hit['terminated']:%B %Y}; its last grid reference was used.")
        elif hit["status"] == "no coordinates":
            row.reasons.append(f"postcode {postcode} has no grid reference in the postcode table")
        else:
            row.reasons.append(f"postcode {postcode} is not in the postcode table")
    for row in unplaced:
        if row.point is None and not str(row.values.get("postcode", "")).strip():
            row.reasons.append("no postcode and no coordinates")
    if wanted and stored_postcodes.count(session) == 0:
        report.notes.append("The postcode table is empty, so no row could be placed by its postcode: load "
                            "postcodes with `geoapp import-postcodes FILE` (e.g. OS Code-Point Open) first.")


def _duplicates(session: Session, ready: list[dict]) -> list[Duplicate]:
    """Ready rows with the name of a stored group or an earlier row, and its postcode or a place within 50 m."""
    stored: dict[str, list] = {}
    rows = session.execute(select(CommunityGroup.id, CommunityGroup.name, CommunityGroup.postcode,
                                  CommunityGroup.location)
                           .where(CommunityGroup.status.in_(STORED_STATUSES)))
    for group_id, name, postcode, location in rows:
        stored.setdefault(normal_name(name), []).append(
            (name, postcode, (location.x, location.y) if location is not None else None, group_id, None))
    earlier: dict[str, list] = {}
    found = []
    for row in ready:
        record, key = row["record"], normal_name(row["record"]["name"])
        for of, pool in (("stored", stored), ("file", earlier)):
            match = next((m for m in (_matches(record, row["point"], other) for other in pool.get(key, ()))
                          if m), None)
            if match:
                (name, postcode, _, group_id, line), how = match
                found.append(Duplicate(row["line"], record["name"], record.get("postcode"), of, how, name,
                                       postcode, group_id=group_id, other_line=line))
                break
        earlier.setdefault(key, []).append((record["name"], record.get("postcode"), row["point"], None,
                                            row["line"]))
    return found


def _matches(record: dict, point, other: tuple):
    name, postcode, where, _, _ = other
    if postcode and record.get("postcode") == postcode:
        return other, "same name and postcode"
    if point and where:
        distance = math.dist(point, where)
        if distance <= NEAR_METRES:
            return other, f"same name, {distance:.0f} m apart"
    return None


def load(session: Session, report: ImportReport, *, actor: str, load_good: bool = False,
         decisions: dict[int, str] | None = None, fictional: bool = False) -> ImportReport:
    """Store the ready rows of a checked report in the caller's transaction, and audit the import.

    ``decisions`` maps a duplicate's line to "keep", "skip" or "merge" (each duplicate's own ``decision``
    otherwise). Raises :class:`ImportRefused` when rows were refused and ``load_good`` is not given.
    """
    if report.refused and not load_good:
        raise ImportRefused(report)
    decisions = decisions or {}
    for duplicate in report.duplicates:
        choice = decisions.get(duplicate.line, duplicate.decision)
        if choice not in DECISIONS:
            raise InvalidInput(f"'{choice}' is not a choice for the duplicate on {report.where} "
                               f"{duplicate.line}; choose {', '.join(DECISIONS)}.")
        duplicate.decision = choice
    by_line = {d.line: d for d in report.duplicates}
    mapping = report.mapping
    source = " — ".join(p for p in (report.file + (f" (sheet {report.sheet})" if report.sheet else ""),
                                    mapping.get("source")) if p)
    licence = mapping.get("licence")
    new_rows, fate = [], {}  # fate: line -> ("new", index) | ("group", id) | None
    merges: dict[int, list[dict]] = {}
    for row in report.ready:
        duplicate = by_line.get(row["line"])
        target = None
        if duplicate and duplicate.decision == "skip":
            fate[row["line"]] = None
            continue
        if duplicate and duplicate.decision == "merge":
            target = ("group", duplicate.group_id) if duplicate.of == "stored" else fate.get(duplicate.other_line)
            if target is None:
                fate[row["line"]] = None
                continue
        if target is None:
            new_rows.append(row["record"] | {"location": Point(row["point"]), "status": "published",
                                             "source": source, "licence": licence, "fictional": fictional})
            fate[row["line"]] = ("new", len(new_rows) - 1)
        elif target[0] == "new":
            new_rows[target[1]] = _merged(new_rows[target[1]], row["record"])
            fate[row["line"]] = target
        else:
            merges.setdefault(target[1], []).append(row["record"])
            fate[row["line"]] = target
    report.skipped = sum(1 for f in fate.values() if f is None)
    report.merged = sum(1 for d in report.duplicates if d.decision == "merge" and fate.get(d.line))
    if new_rows:
        report.loaded_ids = list(session.scalars(insert(CommunityGroup).returning(CommunityGroup.id,
                                                                                  sort_by_parameter_order=True),
                                                 new_rows))
    report.loaded = len(new_rows)
    for group_id, records in merges.items():
        _merge_into(session, group_id, records, actor=actor, source=report.file)
    audit.record(session, actor=actor, action="import", entity_type="community_groups",
                 entity_id=report.file[:100],
                 after={"source": source, "licence": licence, "rows_read": report.rows_read,
                        "ready": len(report.ready), "loaded": report.loaded, "refused": len(report.refused),
                        "refused_lines": [r.line for r in report.refused], "duplicates": len(report.duplicates),
                        "skipped_duplicates": report.skipped, "merged": report.merged,
                        "merged_into": sorted(merges), "load_good": load_good})
    report.done = True
    return report


def _merged(existing: dict, new: dict) -> dict:
    """``existing`` with its blanks filled from ``new``; lists joined; the later verification date kept."""
    out = dict(existing)
    for key, value in new.items():
        if key in ("name", "group_type", "status", "location", "source", "fictional"):
            continue
        if key in ("themes", "serves"):
            joined = list(dict.fromkeys([*(out.get(key) or []), *(value or [])]))
            if key == "serves" and len(joined) > 1:  # "everyone" is only the default when nothing is said
                joined = [v for v in joined if v != "everyone"]
            out[key] = joined
        elif key in ("size", "contact"):
            out[key] = {**(value or {}), **(out.get(key) or {})} or None
        elif key == "last_verified":
            out[key] = max(v for v in (out.get(key), value) if v) if (out.get(key) or value) else None
        elif out.get(key) in (None, "", []):
            out[key] = value
    return out


def _merge_into(session: Session, group_id: int, records: list[dict], *, actor: str, source: str) -> None:
    group = session.get(CommunityGroup, group_id)
    columns = ("description", "address", "website", "postcode", "charity_number", "themes", "serves", "size",
               "contact", "last_verified")
    before = {c: getattr(group, c) for c in columns}
    merged = {c: before[c] for c in columns}
    for record in records:
        merged = _merged(merged, record)
    changed = {c: merged[c] for c in columns if merged[c] != before[c]}
    for column, value in changed.items():
        setattr(group, column, value)
    if changed:
        audit.record(session, actor=actor, action="merge", entity_type="community_groups", entity_id=group_id,
                     before=_plain({c: before[c] for c in changed}),
                     after=_plain(changed | {"from_import": source}))


def _plain(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in values.items()}


def import_file(session: Session, path: str | Path | bytes, mapping: Mapping | None = None, *, actor: str,
                name: str | None = None, sheet: str | None = None, load_good: bool = False,
                duplicates: str = "skip", fictional: bool = False, today: date | None = None) -> ImportReport:
    """Read, check and load a file in the caller's transaction, every duplicate treated as ``duplicates``.

    With no mapping, the proposed one (and proposed type words) is used. Raises UnreadableFile,
    InvalidInput (a bad mapping) or ImportRefused.
    """
    table = read_table(path, name, sheet=sheet)
    mapping = mapping or proposed(table)
    report = check(session, table, mapping, today=today)
    return load(session, report, actor=actor, load_good=load_good, fictional=fictional,
                decisions={d.line: duplicates for d in report.duplicates})


def proposed(table: Table, fields: dict[str, str] | None = None, type_map: dict[str, str] | None = None,
             **extra) -> Mapping:
    """The proposed mapping with the user's changes on top (an empty column unmaps a field)."""
    chosen = propose_mapping(table.columns)
    for name, column in (fields or {}).items():
        chosen[field_key(name)] = column
    words = [w for w, _ in type_words(table, chosen.get("group_type"))]
    types = {w: t for w, t in propose_type_map(words).items() if t}
    types.update({" ".join(str(w).split()).lower(): t for w, t in (type_map or {}).items()})
    return Mapping(fields={k: v for k, v in chosen.items() if v}, type_map=types, **extra)
