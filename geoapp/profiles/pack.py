"""The board pack: an area's profile as a printable A4 PDF, drawn by WeasyPrint.

Its first page is a briefing (:mod:`geoapp.profiles.briefing`); the profile's detail follows. The print
template (templates/profiles/pack.html) carries its own CSS and the profile's charts (SVG from
:mod:`layers.charts`) as data: URIs, so nothing is fetched: the URL fetcher refuses any other URL.
"""
from __future__ import annotations

import base64
from datetime import datetime

from flask import render_template, url_for
from sqlalchemy.orm import Session

from layers.charts import render

from ..errors import ServiceUnavailable
from ..credits import Credit, dataset_credits
from ..storage import boundary_sets
from . import charts, deprivation
from .briefing import briefing

NEEDS = ("PDF board packs need WeasyPrint and Pango "
         "(apt-get install libpango-1.0-0 libpangoft2-1.0-0)")


def board_pack(session: Session, profile: dict) -> bytes:
    """The profile of a stored area as a PDF (needs a request context, for the live profile's URL)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: Pango's libraries are missing
        raise ServiceUnavailable(NEEDS) from error
    from weasyprint.urls import URLFetcher  # WeasyPrint 68 and later

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=False)
    return HTML(string=pack_html(session, profile), base_url=None, url_fetcher=fetcher).write_pdf()


def pack_html(session: Session, profile: dict) -> str:
    """The board pack as one self-contained HTML document (charts as data: URIs of SVG images)."""
    area = profile["area"]
    svgs = {}
    for name in charts.names(profile):
        fig = charts.figure(session, profile, name)
        if fig is not None:
            svgs[name] = "data:image/svg+xml;base64," + base64.b64encode(render(fig, "svg")).decode("ascii")
    produced = datetime.fromisoformat(profile["produced"])
    targets = [f"target-{n}" in svgs for n in range(len(profile.get("targets") or []))]
    return render_template("profiles/pack.html", p=profile, svgs=svgs, charts={"targets": targets},
                           brief=briefing(profile, borough_deprivation(session, profile)),
                           sources=source_lines(profile, dataset_credits(session)),
                           produced_on=f"{produced.day} {produced:%B %Y}",
                           produced_at=f"{produced:%H:%M} {produced.tzname() or ''}".strip(),
                           live_url=url_for("profiles.show", set_id=area["set"]["id"], code=area["code"],
                                            _external=True))


def borough_deprivation(session: Session, profile: dict) -> dict | None:
    """The borough's deprivation section, as its own profile has it (``None`` for the borough itself)."""
    borough, area = profile["borough"], profile["area"]
    if not profile["deprivation"] or not borough or (borough["set"], borough["code"]) == (area["set"]["id"],
                                                                                       area["code"]):
        return None
    return deprivation.for_area(session, boundary_sets.get_set(session, borough["set"]), borough["code"])


def source_lines(profile: dict, credits: list[Credit]) -> list[str]:
    """Every line of the pack's sources and licences, in the order printed: the figures' sources with their
    periods and licences, placement notes, the area's boundaries, then every loaded dataset's credit line
    (:func:`geoapp.credits.dataset_credits`) with the datasets it is for."""
    lines = []
    for source in profile["sources"]:
        periods = f" ({', '.join(source['periods'])})" if source["periods"] else ""
        if source.get("not_available"):
            lines.append(f"{source['source']}{periods}.")
        else:
            lines.append(f"Source: {source['source']}{periods}. {source['licence'] or 'Licence not stated.'}")
    lines += profile["notes"] or []
    own = profile["area"]["set"]
    vintage = f" ({own['vintage']})" if own["vintage"] else ""
    lines.append(f"Boundaries: {own['name']}{vintage}. Source: {own['source'] or 'not stated'}. "
                 f"{own['licence'] or 'Licence not stated.'}")
    lines += [f"{credit.text} (for: {'; '.join(credit.datasets)})" for credit in credits]
    return lines
