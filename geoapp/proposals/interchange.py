"""Proposals in and out: block-assignment CSV both ways, and the forums as GeoPackage, GeoJSON or Shapefile
(the PDF map is :mod:`geoapp.proposals.pdf`)."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.io import EXPORT_FORMATS, write_boundaries
from layers.proposals import coloured

from ..csv_safe import write_csv
from ..errors import InvalidInput, NotFound
from ..storage import boundary_sets
from ..storage.models import Area, Proposal, ProposalVersion, User
from . import service
from .engine import STATISTICS, area_assignment, area_of, check_proposal, proposal_layer

BLOCK_COLUMNS = ("block_code", "block", "code", "ward_code", "ward", "lsoa_code", "geoid")
FORUM_COLUMNS = ("forum", "forum_code", "laf", "laf_code", "group", "group_code", "district")


def assignment_csv(version: ProposalVersion | None, assignment: dict | None = None) -> str:
    """The block-assignment CSV of a version (or of ``assignment``, its blocks within the proposal's area):
    block_code, forum, forum_name (by block code)."""
    assignment = (version.assignment if version else {}) if assignment is None else assignment
    forums = version.forums if version else {}
    rows = [[block, forum, (forums.get(forum) or {}).get("name", "")]
            for block, forum in sorted(assignment.items())]
    return write_csv(rows, ["block_code", "forum", "forum_name"])


def forum_areas(session: Session, proposal: Proposal, version: ProposalVersion | None) -> gpd.GeoDataFrame:
    """Each forum of a version dissolved from its blocks, with its statistics and colour as properties."""
    assignment = version.assignment if version else {}
    forums = version.forums if version else {}
    report = check_proposal(session, proposal, assignment, forums)
    assignment = area_assignment(session, proposal, assignment)
    blocks = boundary_sets.load_areas(session, proposal.block_set_id, codes=sorted(assignment))
    blocks["forum"] = blocks["code"].map(assignment)
    shapes = blocks[["forum", "geometry"]].dissolve("forum")
    rows = []
    for forum in report["forums"]:
        properties = {k: forum[k] for k in STATISTICS} | {f"ind_{k}": v for k, v in forum["indicators"].items()}
        properties["colour"] = (forums.get(forum["code"]) or {}).get("colour")
        rows.append({"code": forum["code"], "name": forum["name"], "properties": properties,
                     "geometry": shapes.geometry.get(forum["code"])})
    return gpd.GeoDataFrame(rows, columns=["code", "name", "properties", "geometry"], geometry="geometry",
                            crs=blocks.crs)


def file_stem(proposal: Proposal, version: ProposalVersion | None) -> str:
    """The name of a version's files, without suffix: proposal-<id>-v<number>."""
    return f"proposal-{proposal.id}-v{version.number if version else proposal.version}"


def export_file(session: Session, proposal: Proposal, fmt: str) -> tuple[bytes, str, str]:
    """A file of the proposal's latest version: (data, media type, file name).

    ``fmt``: csv (the block assignment) or one of :data:`boundaries.io.EXPORT_FORMATS` (the forums with
    their statistics); the PDF is drawn by the blueprint from :func:`geoapp.proposals.pdf.facts`.
    """
    version = service.latest_version(session, proposal.id)
    stem = file_stem(proposal, version)
    if fmt == "csv":
        kept = area_assignment(session, proposal, version.assignment if version else {})
        return assignment_csv(version, kept).encode("utf-8"), "text/csv", f"{stem}.csv"
    if fmt not in EXPORT_FORMATS:
        raise NotFound(f"Unknown export format '{fmt}'; use csv, pdf or one of "
                       f"{', '.join(sorted(EXPORT_FORMATS))}.")
    spec = EXPORT_FORMATS[fmt]
    with tempfile.TemporaryDirectory(prefix="atlas-proposal-") as workdir:
        path = write_boundaries(forum_areas(session, proposal, version), Path(workdir) / f"{stem}{spec.suffix}",
                                fmt, layer="forums")
        return path.read_bytes(), spec.media_type, path.name


def import_assignment(session: Session, data: bytes, *, filename: str, user: User, name: str | None = None,
                      block_set_id: str | None = None, container_set_id: str | None = None,
                      large_sets: frozenset[str] = frozenset()):
    """Start a proposal from a block-assignment CSV; returns (proposal, report).

    The report lists codes not among the blocks (``unknown``), blocks not in the file (``missing``) and
    blocks listed more than once (``repeated``; the first row counts). When the block set is one of
    ``large_sets`` (a national store's), the proposal covers only the containers holding the file's blocks
    (its ``area``, in the report too) and ``missing`` counts only the blocks within them.
    Nothing is stored when no code matches a block.
    """
    table = _read(data, filename)
    lower = {str(c).strip().lower(): c for c in table.columns}
    block, forum = (next((lower[c] for c in choices if c in lower), default)
                    for choices, default in ((BLOCK_COLUMNS, table.columns[0]), (FORUM_COLUMNS, table.columns[1])))
    forum_name = lower.get("forum_name")
    block_set_id, container_set_id = service.resolve_sets(session, block_set_id, container_set_id)
    known = set(session.scalars(select(Area.code).where(Area.set_id == block_set_id)))
    rows = table[table[block].str.strip().ne("") & table[forum].str.strip().ne("")]
    codes = rows[block].str.strip()
    report = {"rows": len(table), "matched": int(codes.isin(known).sum()),
              "unknown": sorted(set(codes) - known), "missing": sorted(known - set(codes)),
              "blank": int(len(table) - len(rows)), "repeated": sorted(set(codes[codes.duplicated()]))}
    if report["matched"] == 0:
        raise InvalidInput(f"{filename}: none of its {len(codes)} block codes is one of the blocks "
                           f"({block_set_id}); nothing was stored.",
                           details=[f"Unknown code: {c}" for c in report["unknown"][:20]])
    kept = rows[codes.isin(known) & ~codes.duplicated()]  # a block listed twice keeps its first forum
    area = (sorted(set(boundary_sets.main_containers(session, block_set_id, sorted(set(kept[block].str.strip())),
                                                     container_set_id).values()))
            if block_set_id in large_sets else None)
    proposal = service.create_proposal(session, name=name or Path(filename).stem or "Imported proposal",
                                       user=user, block_set_id=block_set_id, container_set_id=container_set_id,
                                       settings={"area": area} if area else None)
    if area_of(proposal) is not None:
        layer = proposal_layer(session, proposal, counted=False)[0]
        report |= {"area": list(area_of(proposal)),
                   "missing": sorted(set(layer.codes) - layer.outside - set(codes))}
    assignment = dict(zip(kept[block].str.strip(), kept[forum].str.strip()))
    forums = {} if forum_name is None else {f.strip(): {"name": n.strip()} for f, n in
                                            zip(kept[forum], kept[forum_name]) if n.strip()}
    # every forum gets a colour here: a forum stored with a name but no colour was drawn as if in none
    forums = coloured(forums, dict.fromkeys(assignment.values()))
    service.save_version(session, proposal.id, assignment=assignment, forums=forums,
                         note=f"Imported from {filename}", expected_version=0, user=user)
    return proposal, report


def _read(data: bytes, filename: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InvalidInput(f"{filename} cannot be read as a CSV of block code and forum: {error}") from None
    if table.shape[1] < 2 or table.empty:
        raise InvalidInput(f"{filename} needs a header and at least one row of block code and forum.")
    return table
