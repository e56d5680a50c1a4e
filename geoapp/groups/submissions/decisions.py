"""The third-sector editors' decisions on groups sent in: edit, approve (publish, or copy an update onto its
group), reject with a reason, merge a duplicate into the group it repeats, archive a published group.

Every change is audited in the caller's transaction; :func:`outcome_mail` words the e-mail that tells the
submitter what happened.
"""
from __future__ import annotations

from datetime import UTC, date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...auth.mail import Mail
from ...errors import Conflict, InvalidInput, NotFound
from ...storage import audit, locks
from ...storage.models import CommunityGroup, User, utcnow
from ..records import RecordInvalid, clean_text
from .sending import ENTITY, RECORD_FIELDS, get_group, prepare, snapshot

#: Fields an update request leaves unchanged when it does not give them (the public form never shows them).
KEEP_WHEN_BLANK = ("contact",)
#: The fields that together say where a group works.
SERVED = ("serves_scope", "served_area_codes", "served_area")

_LONDON = ZoneInfo("Europe/London")
#: Any status: the group a decision also changes is locked as it is; the decision checks its status.
_ANY = ("pending", "published", "rejected", "merged", "archived")
#: What each status says about a decided record, for the editor who comes second.
DECIDED = {"published": "approved", "rejected": "rejected", "merged": "merged into another group",
           "archived": "archived", "pending": "still waiting for a decision"}


def _claim(session: Session, groups: dict[int, tuple[str, ...]]) -> list[CommunityGroup]:
    """Lock the groups (id: the statuses each must still have) in order of id and read them again.

    Exactly one of two editors deciding at once gets the lock while the record is as they saw it; the
    other waits, then finds it decided and is told by whom and when (Conflict), and nothing is changed.
    """
    found = {}
    for group_id in sorted(groups):
        group = get_group(session, group_id)
        if not locks.claim(session, CommunityGroup, group.id, CommunityGroup.status.in_(groups[group_id])):
            session.refresh(group)
            raise Conflict(_taken(session, group) + " Nothing was changed: reload the queue to see it now.")
        found[group_id] = session.get(CommunityGroup, group.id, populate_existing=True)
    return [found[group_id] for group_id in groups]


def _taken(session: Session, group: CommunityGroup) -> str:
    """What happened to a record since the editor opened it."""
    state = DECIDED.get(group.status, group.status)
    if group.reviewed_at is None:
        return f"'{group.name}' is {state}."
    who = session.scalar(select(User.name).where(User.id == group.reviewed_by)) if group.reviewed_by else None
    at = _aware(group.reviewed_at).astimezone(_LONDON)
    return f"'{group.name}' has been {state} by {who or 'another editor'} at {at:%H:%M} on {at.day} {at:%B %Y}."


def reviewer(session: Session, group: CommunityGroup) -> User | None:
    """The editor who last decided on ``group``, or None."""
    return session.get(User, group.reviewed_by) if group.reviewed_by else None


def _aware(moment):
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def revision(group: CommunityGroup) -> str:
    """A token of the record as shown in a form (its last change), so a save over a newer change is refused."""
    return _aware(group.updated_at).isoformat() if group.updated_at else ""


def _pending(session: Session, group_id) -> CommunityGroup:
    (group,) = _claim(session, {_id(group_id): ("pending",)})
    return group


def _id(group_id) -> int:
    try:
        return int(group_id)
    except (TypeError, ValueError):
        raise NotFound(f"There is no community group number {group_id}.") from None


def _review(group: CommunityGroup, editor: User, note: str | None = None) -> None:
    group.reviewed_by, group.reviewed_at = editor.id, utcnow()
    group.review_note = note


def _audit(session, editor: User, action: str, group: CommunityGroup, before: dict, **extra) -> None:
    audit.record(session, actor=editor.email, user_id=editor.id, action=action, entity_type=ENTITY,
                 entity_id=group.id, before=before, after=snapshot(group) | extra)


def edit(session: Session, group_id, editor: User, fields: dict, *, seen: str | None = None) -> CommunityGroup:
    """Change a pending or published record with an editor's form; raises RecordInvalid (nothing changed).

    ``seen`` is the :func:`revision` the form was opened at: when given and the record has changed since
    (another editor saved or decided it), the edit is refused with Conflict rather than undoing theirs.
    """
    (group,) = _claim(session, {_id(group_id): ("pending", "published")})
    if seen is not None and seen != revision(group):
        raise Conflict(f"'{group.name}' has been changed by another editor since you opened it: nothing of "
                       "yours was saved. Reload it to see their changes, then make yours again.")
    prepared = prepare(session, fields, current=group)
    before = snapshot(group)
    for key, value in prepared.items():
        setattr(group, key, value)
    _audit(session, editor, "edit", group, before)
    return group


def approve(session: Session, group_id, editor: User, edits: dict | None = None) -> CommunityGroup:
    """Publish a pending group (verified today), or copy an update request onto its group; returns the
    published group. A group without a point on the map is refused."""
    updates = get_group(session, group_id).updates_group_id  # fixed when sent: both are locked, by id
    claimed = {_id(group_id): ("pending",)} | ({updates: _ANY} if updates is not None else {})
    group = _claim(session, claimed)[0]
    if edits:
        edit(session, group_id, editor, edits)
    if group.updates_group_id is None:
        if group.location is None:
            raise InvalidInput(f"'{group.name}' has no point on the map: give a postcode in the postcode table "
                               "or place a pin (longitude and latitude), save, then approve.")
        before = snapshot(group)
        group.status, group.last_verified = "published", date.today()
        _review(group, editor)
        _audit(session, editor, "approve", group, before)
        return group
    target = get_group(session, group.updates_group_id)
    if target.status != "published":
        raise Conflict(f"The group this update is for, '{target.name}', is {target.status}: reject the update, "
                       "or merge it into another group.")
    location = group.location or (target.location if group.postcode == target.postcode else None)
    if location is None:
        raise InvalidInput(f"The update moves '{target.name}' to postcode {group.postcode or '(none)'}, which has "
                           "no point on the map: place a pin (longitude and latitude), save, then approve.")
    before_target, before = snapshot(target), snapshot(group)
    for key in RECORD_FIELDS:
        value = getattr(group, key)
        if key in KEEP_WHEN_BLANK and not value:
            continue
        if key == "contact":
            value = (target.contact or {}) | value
        setattr(target, key, value)
    target.location, target.last_verified = location, date.today()
    group.status, group.merged_into = "merged", target.id
    _review(group, editor)
    _audit(session, editor, "approve_update", target, before_target, update_request=group.id)
    _audit(session, editor, "approve", group, before)
    return target


def reject(session: Session, group_id, editor: User, reason: str) -> CommunityGroup:
    """Turn down a pending record, with the reason the submitter is told."""
    try:
        reason = clean_text(reason, 1000)
    except ValueError as error:
        raise RecordInvalid({"reason": str(error)}, "The rejection") from None
    if not reason:
        raise RecordInvalid({"reason": "is needed: the submitter is told why"}, "The rejection")
    group = _pending(session, group_id)
    before = snapshot(group)
    group.status = "rejected"
    _review(group, editor, reason)
    _audit(session, editor, "reject", group, before)
    return group


def merge(session: Session, group_id, into_id, editor: User) -> CommunityGroup:
    """Merge a pending duplicate into the group it repeats: fields that group lacks are filled from it.
    Returns the group merged into."""
    if _id(group_id) == _id(into_id):
        raise InvalidInput("A group cannot be merged into itself: choose another group.")
    group, target = _claim(session, {_id(group_id): ("pending",), _id(into_id): _ANY})
    if target.status not in ("published", "pending"):
        raise Conflict(f"'{target.name}' is {target.status}: merge into a published or pending group.")
    before_target, before = snapshot(target), snapshot(group)
    filled = []
    for key in RECORD_FIELDS:
        mine, theirs = getattr(group, key), getattr(target, key)
        if key in SERVED:  # where a group works is one answer: taken whole, or not at all
            if target.serves_scope is None and group.serves_scope is not None:
                setattr(target, key, mine)
                filled += [key] if mine is not None else []
        elif key in ("contact", "size") and mine and theirs:
            extra = {k: v for k, v in mine.items() if k not in theirs}
            if extra:
                setattr(target, key, theirs | extra)
                filled += [f"{key}.{k}" for k in extra]
        elif _blank(theirs) and not _blank(mine):
            setattr(target, key, mine)
            filled.append(key)
    if target.status == "published":
        target.last_verified = date.today()
    group.status, group.merged_into = "merged", target.id
    _review(group, editor, f"Merged into group {target.id}.")
    _audit(session, editor, "merge_into", target, before_target, merged_from=group.id, filled=filled)
    _audit(session, editor, "merge", group, before, filled=filled)
    return target


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, list, dict)):
        return not value
    return False


def archive(session: Session, group_id, editor: User, reason: str | None = None) -> CommunityGroup:
    """Take a published group off the map (it has closed, or cannot be reached); the record is kept."""
    try:
        reason = clean_text(reason, 1000)
    except ValueError as error:
        raise RecordInvalid({"reason": str(error)}, "The archiving") from None
    group = get_group(session, group_id)
    if group.status != "published":
        raise Conflict(_taken(session, group) + " Only published groups can be archived; nothing was changed.")
    (group,) = _claim(session, {group.id: ("published",)})
    before = snapshot(group)
    group.status = "archived"
    _review(group, editor, reason)
    _audit(session, editor, "archive", group, before)
    return group


# ----------------------------------------------------------------------------------------------------------
# Telling the submitter

def outcome_mail(record: CommunityGroup, published: CommunityGroup | None = None, *,
                 link: str | None = None) -> Mail | None:
    """The e-mail telling the submitter what was decided, or None without an address or a decision.

    ``published`` is the group the record now lives in (an update's or a duplicate's group); ``link`` the
    address of the map.
    """
    if not record.submitter_email or record.status not in ("published", "rejected", "merged"):
        return None
    name = " ".join(record.name.split())
    where = f"\n\nSee it on the map: {link}" if link else ""
    if record.status == "published":
        subject = "Your group is on the Partnership Atlas"
        body = f"Thank you for telling us about {name}. An editor has checked it and it is now on the map.{where}"
    elif record.status == "rejected":
        subject = "Your group was not added to the Partnership Atlas"
        body = (f"Thank you for telling us about {name}. An editor has read it and did not add it to the "
                f"map, for this reason:\n\n{record.review_note}\n\nYou are welcome to send it again with "
                "the changes the editor asks for.")
    elif record.updates_group_id is not None and published is not None and published.id == record.updates_group_id:
        subject = "Your changes are on the Partnership Atlas"
        body = f"Thank you for the changes to {name}. An editor has checked them and made them.{where}"
    else:
        other = " ".join((published.name if published is not None else name).split())
        subject = "Your group was already on the Partnership Atlas"
        body = (f"Thank you for telling us about {name}. It was already on the map as {other}, so an editor "
                f"has added the details we did not have to that entry.{where}")
    return Mail(to=record.submitter_email, subject=subject,
                body=f"Hello,\n\n{body}\n\nPartnership Atlas editors\n\n(You gave this address when you sent "
                     "the group in; we use it only to tell you the outcome.)")
