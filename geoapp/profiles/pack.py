"""The board pack: an area's profile as a printable A4 PDF, drawn by WeasyPrint.

Its first page is a briefing (:mod:`geoapp.profiles.briefing`); the profile's detail follows. The print
template (templates/profiles/pack.html, rendered by the view with :func:`pack_context`) carries its own CSS and
the profile's charts (SVG from :mod:`layers.charts`) as data: URIs, so nothing is fetched: the URL fetcher
refuses any other URL.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from layers.profile import Profile

from ..credits import Credit, dataset_credits
from ..printing import write_pdf
from . import charts
from .briefing import briefing


def board_pack(html: str) -> bytes:
    """The board pack's HTML (see :func:`pack_context`) as a PDF."""
    return write_pdf(html, "PDF board packs")


def pack_context(session: Session, profile: Profile) -> dict:
    """What templates/profiles/pack.html shows besides the live profile's URL: the profile, its charts as data:
    URIs of SVG images, the briefing, every source line and when it was produced."""
    svgs = charts.inline(session, profile)
    produced = datetime.fromisoformat(profile.produced)
    targets = [f"target-{n}" in svgs for n in range(len(profile.targets))]
    return {"p": profile, "svgs": svgs, "charts": {"targets": targets}, "brief": briefing(profile),
            "sources": source_lines(profile, dataset_credits(session)),
            "produced_on": f"{produced.day} {produced:%B %Y}",
            "produced_at": f"{produced:%H:%M} {produced.tzname() or ''}".strip()}


def source_lines(profile: Profile, credits: list[Credit]) -> list[str]:
    """Every line of the pack's sources and licences, in the order printed: the figures' sources with their
    periods and licences, placement notes, the area's boundaries, then every loaded dataset's credit line
    (:func:`geoapp.credits.dataset_credits`) with the datasets it is for."""
    lines = []
    for source in profile.sources:
        periods = f" ({', '.join(source.periods)})" if source.periods else ""
        if source.not_available:
            lines.append(f"{source.source}{periods}.")
        else:
            lines.append(f"Source: {source.source}{periods}. {source.licence or 'Licence not stated.'}")
    lines += profile.notes
    own = profile.area.set
    vintage = f" ({own['vintage']})" if own["vintage"] else ""
    lines.append(f"Boundaries: {own['name']}{vintage}. Source: {own['source'] or 'not stated'}. "
                 f"{own['licence'] or 'Licence not stated.'}")
    lines += [f"{credit.text} (for: {'; '.join(credit.datasets)})" for credit in credits]
    return lines
