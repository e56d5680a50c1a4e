"""Importing an uploaded boundary file as a set: check the form, keep the file only while it is read."""
from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from boundaries.errors import BoundaryError, Problem
from boundaries.io import list_layers

from ..errors import AtlasError, InvalidInput
from ..loading.load import LoadReport, Reporter, import_boundary_file
from ..loading.manifest import SET_ID, BoundaryEntry, ManifestError
from ..storage import boundary_sets
from ..storage.models import BOUNDARY_KINDS, SERVICE_TYPES, BoundarySet


class Upload(Protocol):
    """An uploaded file as the web hands it over (Werkzeug's FileStorage is one)."""

    filename: str | None

    def save(self, dst: Path) -> None: ...


ACCEPTED = (".gpkg", ".zip", ".geojson", ".json", ".kml")
RESERVED_IDS = {"import"}  # /boundaries/import is the upload form, not a set
OPTIONAL = ("layer", "code_field", "name_field", "crs", "vintage", "source", "licence")
SHOWN_PROBLEMS = 200
#: The command line's words in the core's messages, what the upload form says instead, and the field they name.
FORM_WORDS = (
    ("Name them with --code-field (and --name-field).",
     "Type the field that holds the codes in ‘Code field’ (and the one with the names in ‘Name field’).",
     "code_field"),
    ("— choose one with --layer", "— type the one to import in ‘Layer’.", "layer"),
    ("— pass the CRS explicitly", "— type it in ‘Coordinate reference system’ (for example EPSG:27700), or put the "
                                  "shapefile’s .prj file in the zip.", "crs"),
    ("use --replace to replace it.", "tick ‘Replace the set if it exists’ to replace it.", "set_id"),
)
#: The same for a freehand area's file, whose form has only the file.
FILE_WORDS = (
    ("— choose one with --layer", "— upload a file holding only the area’s layer.", "file"),
    ("— pass the CRS explicitly", "— put the shapefile’s .prj file in the zip, or upload GeoJSON or a GeoPackage.",
     "file"),
)


def for_the_form(message: str, words=FORM_WORDS) -> tuple[str, dict[str, str]]:
    """A core message in the form's words, and the form fields it asks to change (field: what to do)."""
    fields = {}
    for cli, form, field in words:
        if cli in message:
            message = message.replace(cli, form)
            fields[field] = form.lstrip("— ")
    return message, fields


class ImportFailed(InvalidInput):
    """An upload that was not imported, nothing stored: problems with the form, the file, or both.

    ``fields`` maps a form field to what is wrong with it; ``problems`` lists what is wrong in the
    file, each as file, layer, feature, code and message.
    """

    def __init__(self, message: str, *, fields: dict[str, str] | None = None,
                 problems: list[Problem] = (), hide: str = ""):
        shown = [_scrub_problem(p, hide) for p in problems[:SHOWN_PROBLEMS]]
        self.fields = fields or {}
        self.problems = [asdict(p) for p in shown]
        self.more = max(0, len(problems) - SHOWN_PROBLEMS)
        super().__init__(_scrub(message, hide), details=[*self.fields.values(), *map(str, shown)])


@dataclass
class Imported:
    """What an upload stored."""

    set_id: str
    name: str
    file: str
    areas: int
    repairs: int
    version: int

    def message(self) -> str:
        repaired = (f"{self.repairs} geometries were repaired; the import report lists them." if self.repairs
                    else "No geometry needed repair.")
        replaced = f" It replaces version {self.version - 1}." if self.version > 1 else ""
        return f"Imported {self.areas} areas into '{self.name}' from {self.file}. {repaired}{replaced}"


def import_upload(session: Session, upload: Upload | None, form: Mapping, *, actor: str) -> Imported:
    """Check the form, read and store the file as a set and link its areas, in the caller's transaction.

    Raises ImportFailed with every problem found; the caller rolls back.
    """
    fields, filename, replace = _checked_form(session, upload, form)
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as workdir:
        path = Path(workdir) / filename
        upload.save(path)
        entry = BoundaryEntry(file=path, **fields)
        try:
            _check_layer_chosen(entry)
            report = LoadReport()
            import_boundary_file(session, entry, actor=actor, replace=replace, fictional=False,
                                 reporter=Reporter(), report=report)
            boundary_sets.link_all(session, [entry.id])
        except ImportFailed:
            raise
        except BoundaryError as error:
            message, fields = for_the_form(error.message)
            raise ImportFailed(message, fields=fields, problems=error.problems, hide=workdir) from None
        except (ManifestError, AtlasError) as error:
            message, fields = for_the_form(getattr(error, "message", str(error)))
            raise ImportFailed(message, fields=fields, hide=workdir) from None
    bset = boundary_sets.get_set(session, entry.id)
    return Imported(bset.id, bset.name, filename, report.sets[entry.id], len(report.repairs[entry.id]),
                    bset.version)


def _checked_form(session: Session, upload: Upload | None, form: Mapping) -> tuple[dict, str, bool]:
    """The entry's fields, a safe file name and the replace flag; or ImportFailed naming each bad field."""
    value = {k: (form.get(k) or "").strip() for k in ("set_id", "kind", "name", "service_type", *OPTIONAL)}
    replace = str(form.get("replace", "")).lower() in ("on", "1", "true", "yes")
    problems = {}
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if not upload or not upload.filename:
        problems["file"] = "Choose a boundary file to import."
    elif suffix == ".shp":
        problems["file"] = ("A Shapefile must be uploaded as a .zip holding its .shp, .shx, .dbf and .prj "
                            "files together.")
    elif suffix not in ACCEPTED:
        problems["file"] = (f"The Atlas cannot read '{upload.filename}': choose a GeoPackage (.gpkg), a zipped "
                            "Shapefile (.zip), GeoJSON (.geojson or .json) or KML (.kml) file.")
    if not SET_ID.match(value["set_id"]) or value["set_id"] in RESERVED_IDS:
        problems["set_id"] = ("Give the set an id of lower-case letters, digits, '-' or '_' (up to 64, starting "
                              "with a letter or digit), such as wards-2023.")
    elif session.get(BoundarySet, value["set_id"]) is not None and not replace:
        problems["set_id"] = (f"A boundary set with the id '{value['set_id']}' already exists. Tick 'Replace "
                              "the set if it exists' to replace its areas, or choose another id.")
    if value["kind"] not in BOUNDARY_KINDS:
        problems["kind"] = "Choose what kind of areas the file holds."
    elif value["kind"] == "service" and value["service_type"] not in SERVICE_TYPES:
        problems["service_type"] = "Choose which service the areas are for, or 'Other service areas'."
    elif value["kind"] != "service" and value["service_type"]:
        problems["service_type"] = ("A service is only chosen for service areas: choose 'Service area' as the "
                                    "kind, or leave 'Which service' blank.")
    if not value["name"] or len(value["name"]) > 200:
        problems["name"] = "Give the set a name of up to 200 characters, such as Wards (2023)."
    if len(value["vintage"]) > 40:
        problems["vintage"] = "The vintage can be at most 40 characters long."
    if problems:
        raise ImportFailed("Some answers in the form need changing:", fields=problems)
    filename = (secure_filename(Path(upload.filename).stem) or "upload") + suffix
    fields = {"id": value["set_id"], "kind": value["kind"], "name": value["name"],
              "service_type": value["service_type"] or None}
    fields |= {k: value[k] or None for k in OPTIONAL}
    return fields, filename, replace


def _check_layer_chosen(entry: BoundaryEntry) -> None:
    """A file with several layers needs one chosen; say which it has, in the form's words."""
    if entry.layer is None and len(layers := list_layers(entry.file)) > 1:
        raise ImportFailed(f"{entry.file.name} holds {len(layers)} layers.", fields={
            "layer": f"Type the layer to import in 'Layer': one of {', '.join(layers)}."})


def _scrub(text: str, hide: str) -> str:
    """Remove the temporary folder from messages (GDAL quotes full paths)."""
    if not hide:
        return text
    for folder in {hide, str(Path(hide).resolve())}:
        text = text.replace(folder + "/", "")
    return text


def _scrub_problem(problem: Problem, hide: str) -> Problem:
    return Problem(problem.file, problem.layer, problem.feature, problem.code, _scrub(problem.message, hide))
