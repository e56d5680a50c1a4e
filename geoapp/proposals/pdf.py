"""A forum proposal as an A4 PDF: a map of its forums in their colours, the statistics and the rules.

:func:`facts` gathers what templates/proposals/pdf.html shows (the blueprint renders it) and
:func:`geoapp.printing.write_pdf` has WeasyPrint draw the page, as it draws the profiles' board packs: the
map is an SVG from :func:`layers.charts.area_map` carried as a data: URI, so nothing is fetched and the URL
fetcher refuses any other URL.
"""
from __future__ import annotations

import base64
import textwrap
from datetime import UTC, datetime

import geopandas as gpd
from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from layers import charts
from layers.proposals import forum_colours

from .. import figures
from ..errors import NotFound
from ..profiles import deprivation
from ..storage import boundary_sets
from ..storage.indicators import list_indicators
from ..storage.models import Proposal, ProposalVersion
from . import service
from .engine import UNIT_WORDS, area_of, check_proposal, in_area, proposal_layer

#: How much of each forum colour is kept on the printed map (the rest is white), so labels stay legible.
TINT = 0.6
#: Forums named on the map in full; with more, by code only.
NAMED_FORUMS = 24


def printed_version(session: Session, proposal: Proposal, number: int | None = None) -> ProposalVersion:
    """Version ``number`` of the proposal (default: the latest); NotFound when there is none to print."""
    if number is not None:
        return service.get_version(session, proposal.id, number)
    version = service.latest_version(session, proposal.id)
    if version is None:
        raise NotFound(f"Proposal {proposal.id}, '{proposal.name}', has no saved version to print yet.")
    return version


def facts(session: Session, proposal: Proposal, version: ProposalVersion) -> dict:
    """What the printable page of one version shows (all but the live page's URL): the check, the colours,
    the map as an SVG data: URI, who saved it and when, the sets and the sources."""
    report = check_proposal(session, proposal, version.assignment, version.forums)
    order = [f["code"] for f in report["forums"]]
    palette = forum_colours(version.forums, order)
    fig = forum_map(session, proposal, version, palette)
    svg = "data:image/svg+xml;base64," + base64.b64encode(charts.render(fig, "svg")).decode("ascii")
    block_set, container_set = (boundary_sets.get_set(session, i)
                                for i in (proposal.block_set_id, proposal.container_set_id))
    names = service.user_names(session, [version.saved_by])
    produced = datetime.now(UTC)
    score = next((m for m in report["indicators"] if m["id"].endswith("_average_score")), None)
    settings = proposal.settings or {}
    return {"proposal": proposal, "version": version, "report": report, "colours": palette, "map_svg": svg,
            "saved_by": names.get(version.saved_by), "saved_on": _when(version.saved_at),
            "produced_on": _when(produced), "score": score, "settings": settings, "block_set": block_set,
            "container_set": container_set, "unit": report_unit(block_set), "sources": _sources(session, settings),
            "fictional": block_set.fictional or container_set.fictional,
            "failing": [r for r in report["rules"] if not r["passed"]]}


def forum_map(session: Session, proposal: Proposal, version: ProposalVersion, palette: dict) -> Figure:
    """The forums filled with their colours (tinted for print), the APBs outlined, each forum named."""
    area = area_of(proposal)
    layer = None if area is None else proposal_layer(session, proposal, counted=False)[0]
    assignment = (version.assignment or {}) if layer is None else in_area(layer, version.assignment)
    blocks = boundary_sets.load_areas(session, proposal.block_set_id, None if layer is None else list(layer.codes))
    containers = boundary_sets.load_areas(session, proposal.container_set_id, None if area is None else list(area))
    blocks = blocks.assign(forum=blocks["code"].map(assignment))
    inside = blocks[blocks["forum"].notna()]
    names = {code: (f or {}).get("name") for code, f in (version.forums or {}).items() if isinstance(f, dict)}
    shapes = (inside[["forum", "geometry"]].dissolve("forum").geometry if len(inside)
              else gpd.GeoSeries([], crs=blocks.crs))
    codes = list(shapes.index)
    geoms = list(shapes.values)
    fill = [_tint(palette.get(code)) for code in codes]
    labels = [(names.get(code) or code) if len(codes) <= NAMED_FORUMS else code for code in codes]
    outside = blocks[blocks["forum"].isna()]
    if len(outside):
        geoms.append(outside.geometry.union_all())
        fill.append(None)  # hatched, as no data
        labels.append("No forum")
    forums = gpd.GeoSeries(geoms, crs=blocks.crs)
    fig = charts.area_map(containers if len(containers) else blocks, sub_areas=forums, colours=fill)
    axis = fig.axes[0]
    small = len(forums) > 12
    for geom, label in zip(forums.to_crs(27700), labels):
        if geom is None or geom.is_empty:
            continue
        point = geom.representative_point()
        text = "\n".join(textwrap.wrap(str(label), 16, break_long_words=False, break_on_hyphens=False)[:3])
        axis.text(point.x, point.y, text, ha="center", va="center", fontsize=6.5 if small else 8,
                  color=charts.INK, zorder=7, parse_math=False, clip_on=True,
                  bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.2})
    return fig


def report_unit(block_set) -> str:
    """'ward', 'LSOA' or 'parish': what the blocks are called."""
    return UNIT_WORDS.get(block_set.kind, block_set.kind)


def _tint(colour: str | None) -> str | None:
    """The colour mixed with white (``TINT`` of the colour kept)."""
    if colour is None:
        return None
    rgb = [int(colour[k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(TINT * c + (1 - TINT) * 255):02x}" for c in rgb)


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M} {moment.tzname() or ''}".strip()


def _sources(session: Session, settings: dict) -> list[dict]:
    """Source and licence of every indicator the statistics use: the population, the IMD and those chosen."""
    population = figures.population_indicator(session)
    release = next(iter(deprivation.releases(session)), None)
    chosen = set(settings.get("indicators") or ())
    used = [i for i in list_indicators(session)
            if (population is not None and i.id == population.id) or i.id in chosen
            or (release is not None and i.catalogue == release.id and i.domain == "IMD")]
    found: dict[tuple, list[str]] = {}
    for indicator in used:
        found.setdefault((indicator.source, indicator.licence), []).append(indicator.title)
    return [{"source": source, "licence": licence, "titles": titles} for (source, licence), titles in found.items()]
