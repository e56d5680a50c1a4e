"""The filters of the consultation pages, read from a query string, with what is wrong said plainly."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.groups import THEMES

from ..storage import boundary_sets
from ..storage.models import Area
from .service import METHODS, parse_date
from .timeline import default_period

#: Kinds of set the map opens on, in order of preference.
MAP_KINDS = ("ward", "apb", "laf", "parish", "msoa", "lsoa", "service", "lad")


@dataclass
class Filters:
    """What the pages show: activities by theme, method, organiser and period; the map's set; one area."""

    since: date
    until: date
    set_id: str | None
    theme: str | None = None
    method: str | None = None
    organiser: str | None = None
    area: str | None = None
    include_borough: bool = False
    problems: list[str] = field(default_factory=list)

    def service_args(self) -> dict:
        return {"theme": self.theme, "method": self.method, "organiser": self.organiser}

    def query(self, **changes) -> dict:
        """The query-string arguments that give these filters (for links and the JSON twin)."""
        args = {"since": self.since.isoformat(), "until": self.until.isoformat(), "set": self.set_id,
                "theme": self.theme, "method": self.method, "organiser": self.organiser, "area": self.area,
                "borough": "1" if self.include_borough else None} | changes
        return {k: v for k, v in args.items() if v}


def read_filters(session: Session, args, today: date) -> Filters:
    """Filters from ``args`` (a request's query string); a value that cannot be used is left out and
    named in ``problems``, and the period falls back to the default (twelve months back, three ahead)."""
    problems = []
    since, until = default_period(today)
    given_since, problem = parse_date(args.get("since"), required=False)
    if problem:
        problems.append(f"From: {problem}")
    given_until, problem = parse_date(args.get("until"), required=False)
    if problem:
        problems.append(f"To: {problem}")
    since, until = given_since or since, given_until or until
    if until < since:
        problems.append(f"To: the end of the period ({until:%d/%m/%Y}) is before its start "
                        f"({since:%d/%m/%Y}); showing the default period.")
        since, until = default_period(today)
    theme = _choice(args.get("theme"), THEMES, "Theme", problems)
    method = _choice(args.get("method"), METHODS, "Method", problems)
    sets = boundary_sets.list_sets(session)
    set_id = (args.get("set") or "").strip() or None
    if set_id and set_id not in {s.id for s in sets}:
        problems.append(f"Areas: there is no boundary set called “{set_id}”; showing the default.")
        set_id = None
    if set_id is None and sets:
        set_id = sorted(sets, key=lambda s: MAP_KINDS.index(s.kind) if s.kind in MAP_KINDS else 99)[0].id
    area = (args.get("area") or "").strip() or None
    if area and set_id and session.scalar(select(Area.id).where(Area.set_id == set_id, Area.code == area)) is None:
        problems.append(f"Activities reaching: the chosen set has no area “{area}”; showing activity anywhere.")
        area = None
    return Filters(since=since, until=until, set_id=set_id, theme=theme, method=method,
                   organiser=(args.get("organiser") or "").strip() or None, area=area,
                   include_borough=(args.get("borough") or "") in ("1", "true", "on", "yes"), problems=problems)


def _choice(value, allowed, label: str, problems: list[str]) -> str | None:
    value = (value or "").strip()
    if value and value not in allowed:
        problems.append(f"{label}: “{value}” is not one of the choices; showing every {label.lower()}.")
        return None
    return value or None
