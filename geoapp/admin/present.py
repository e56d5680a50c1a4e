"""How the administration pages show users and audit entries: UK local times, readable diffs, JSON."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ..auth import accounts
from ..auth.roles import ROLES, role_label
from ..storage.models import AuditEntry, User
from .queries import LONDON

CSV_COLUMNS = ("at", "actor", "action", "entity_type", "entity_id", "before", "after")
ACTION_LABELS = {"create": "created", "update": "changed", "delete": "deleted", "import": "imported",
                 "lock": "locked after failed sign-ins", "unlock": "unlocked", "revoke": "revoked",
                 "set_password": "password set"}
ENTITY_LABELS = {"api_token": "API token", "apb": "APB", "laf": "LAF", "lsoa": "LSOA"}
ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


class _Missing:
    """A key absent on one side of a change."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = _Missing()


def as_utc(moment: datetime | None) -> datetime | None:
    """Stored times are UTC; SQLite hands them back without a zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    moment = as_utc(moment)
    return moment.isoformat(timespec="seconds") if moment else None


def local_time(moment: datetime | None) -> str:
    """A time as people in England read it: '3 Jun 2025, 14:05 BST'."""
    moment = as_utc(moment)
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%b %Y, %H:%M %Z}"


@dataclass(frozen=True)
class Change:
    key: str
    before: object
    after: object

    @property
    def added(self) -> bool:
        return self.before is MISSING

    @property
    def removed(self) -> bool:
        return self.after is MISSING


def diff(before: dict | None, after: dict | None) -> list[Change]:
    """The keys whose values differ between ``before`` and ``after``, in the order they were recorded.

    >>> changes = diff({"role": "officer", "name": "Jo"}, {"role": "admin", "name": "Jo", "apb_code": "E1"})
    >>> [(c.key, c.before, c.after) for c in changes]
    [('role', 'officer', 'admin'), ('apb_code', <missing>, 'E1')]
    """
    before, after = before or {}, after or {}
    keys = list(before) + [key for key in after if key not in before]
    return [Change(key, before.get(key, MISSING), after.get(key, MISSING))
            for key in keys if before.get(key, MISSING) != after.get(key, MISSING)]


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " "))


def entity_label(entity_type: str) -> str:
    """'boundary_set' as 'Boundary set', 'api_token' as 'API token'."""
    return ENTITY_LABELS.get(entity_type, entity_type.replace("_", " ").capitalize())


def show_value(value: object, key: str = "") -> str:
    """A recorded value as text for people: yes/no, '(empty)', UK times, role names, JSON for the rest.

    >>> show_value(True), show_value(None), show_value("2025-07-01T09:30:00+00:00"), show_value([1, 2])
    ('yes', '(empty)', '1 Jul 2025, 10:30 BST', '[1, 2]')
    >>> show_value("third_sector_editor", key="role")
    'Third-sector editor'
    """
    if key == "role" and value in ROLES:
        return role_label(value)
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return local_time(_timestamp(value)) or value
    return json.dumps(value, ensure_ascii=False)


def _timestamp(text: str) -> datetime | None:
    """The moment an ISO 8601 text with a time zone names, else None."""
    if not ISO_MOMENT.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def user_summary(user: User) -> dict:
    """A user as the users list shows them, for the JSON twin."""
    return accounts.public_view(user) | {
        "id": user.id, "role_label": role_label(user.role),
        "locked_until": iso(accounts.locked_until(user)),
        "failed_sign_ins": user.failed_sign_ins or 0,
        "password_set": bool(user.password_hash),
        "password_changed_at": iso(user.password_changed_at),
        "created_at": iso(user.created_at)}


def audit_json(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": iso(entry.at), "actor": entry.actor, "action": entry.action,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id,
            "before": entry.before, "after": entry.after}


def audit_csv_row(entry: AuditEntry) -> list:
    """One CSV row: before and after as JSON text, empty when nothing was recorded."""
    record = audit_json(entry)
    for key in ("before", "after"):
        record[key] = "" if record[key] is None else json.dumps(record[key], ensure_ascii=False)
    return [record[column] for column in CSV_COLUMNS]
