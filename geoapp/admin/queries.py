"""The administration pages' queries: users, APB choices, and the audit log filtered and paged."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..storage.models import Area, AuditEntry, BoundarySet, User

LONDON = ZoneInfo("Europe/London")
PER_PAGE = 50


def users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(func.lower(User.name), User.id)))


def apb_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every area partnership board in the current boundary sets."""
    rows = session.execute(select(Area.code, Area.name).join(BoundarySet)
                           .where(BoundarySet.kind == "apb", BoundarySet.superseded_by.is_(None))
                           .order_by(Area.name))
    return [tuple(row) for row in rows]


def emails_of(session: Session, user_ids: set[int]) -> dict[int, str]:
    """The e-mail addresses of the given users, by id (removed users are absent)."""
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all())


def audit_facets(session: Session) -> dict[str, list[str]]:
    """The entity types and actions that occur in the log, for the filter menus."""
    return {name: list(session.scalars(select(column).distinct().order_by(column)))
            for name, column in (("entity_types", AuditEntry.entity_type), ("actions", AuditEntry.action))}


def _london_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log is narrowed to; empty fields do not filter."""

    entity_type: str = ""
    action: str = ""
    actor: str = ""
    entity_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> tuple[AuditFilters, list[str]]:
        """Read the filters from query arguments; unreadable dates are dropped and reported."""
        problems, dates = [], {}
        for key, label in (("date_from", "From"), ("date_to", "To")):
            text = args.get(key, "").strip()
            try:
                dates[key] = date.fromisoformat(text) if text else None
            except ValueError:
                problems.append(f"{label} date: enter a date as YYYY-MM-DD, for example 2025-04-01.")
                dates[key] = None
        if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
            problems.append("The 'from' date is after the 'to' date, so nothing could match.")
        text = {key: args.get(key, "").strip() for key in ("entity_type", "action", "actor", "entity_id")}
        return cls(**text, **dates), problems

    def args(self) -> dict[str, str]:
        """The filters as query arguments, leaving out empty ones."""
        return {key: str(value) for key, value in asdict(self).items() if value}

    def statement(self) -> Select:
        """The filtered entries, newest first."""
        query = select(AuditEntry)
        if self.entity_type:
            query = query.where(AuditEntry.entity_type == self.entity_type)
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor:
            query = query.where(AuditEntry.actor.icontains(self.actor, autoescape=True))
        if self.entity_id:
            query = query.where(AuditEntry.entity_id == self.entity_id)
        if self.date_from:
            query = query.where(AuditEntry.at >= _london_midnight_utc(self.date_from))
        if self.date_to:
            query = query.where(AuditEntry.at < _london_midnight_utc(self.date_to + timedelta(days=1)))
        return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    number: int
    pages: int
    total: int


def audit_page(session: Session, filters: AuditFilters, number: int) -> AuditPage:
    """Page ``number`` of the filtered log (the last page when there are fewer)."""
    query = filters.statement()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(-(-total // PER_PAGE), 1)
    number = min(max(number, 1), pages)
    entries = session.scalars(query.limit(PER_PAGE).offset((number - 1) * PER_PAGE)).all()
    return AuditPage(list(entries), number, pages, total)


def user_history(session: Session, user_id: int, limit: int = 10) -> list[AuditEntry]:
    """The latest changes to one user's account."""
    return list(session.scalars(AuditFilters(entity_type="user", entity_id=str(user_id)).statement().limit(limit)))


def audit_entries(session: Session, filters: AuditFilters):
    """Every entry the filters choose, newest first, read as they are iterated."""
    return session.scalars(filters.statement())
