"""The editors' queue: pending groups and updates with what to check about each, recent decisions, and
published groups found by name."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...storage import postcodes
from ...storage.models import CommunityGroup
from .. import placement
from .duplicates import duplicates, name_index

#: What the sender was told, for each place warning they sent a group in with.
SENDER_TOLD = {"unknown postcode": "the postcode was not in our list of postcodes",
               "no coordinates": "the postcode had no position on the map",
               "outside the borough": "the group was outside the borough"}


def problems_of(session: Session, groups: list[CommunityGroup]) -> dict[int, list[str]]:
    """What an editor should check before deciding on each group (by id): where it is (no point, or a point
    outside the borough), and what the sender was warned of and sent anyway."""
    codes = sorted({g.postcode for g in groups if g.location is None and g.postcode})
    status = dict(zip(codes, postcodes.lookup(session, codes)["status"])) if codes else {}
    out = {}
    for group in groups:
        problems = []
        if group.location is None and not group.postcode:
            problems.append("No postcode or pin was given, so the group has no point on the map: place a pin.")
        elif group.location is None:
            why = {"no coordinates": "has no grid reference in the postcode table",
                   "found": "is in the postcode table now: save the record to place it"}.get(
                status.get(group.postcode), "is not in the postcode table")
            problems.append(f"Postcode {group.postcode} {why}, so the group has no point on the map yet: "
                            "place a pin.")
        elif outside := placement.outside_warning(session, group.location):
            problems.append(outside.for_editor())
        if group.sender_warnings:
            told = " and ".join(SENDER_TOLD.get(key, key) for key in group.sender_warnings)
            problems.append(f"The sender was told {told}, and chose to send it as it was.")
        out[group.id] = problems
    return out


def entries(session: Session) -> list[dict]:
    """The pending records, newest first, each with its problems and possible duplicates."""
    pending = session.scalars(select(CommunityGroup).where(CommunityGroup.status == "pending")
                              .order_by(CommunityGroup.submitted_at.desc(), CommunityGroup.id.desc())).all()
    index = name_index(session)
    wanted = {p.updates_group_id for p in pending if p.updates_group_id}
    targets = {g.id: g for g in session.scalars(select(CommunityGroup).where(CommunityGroup.id.in_(wanted)))} \
        if wanted else {}
    problems = problems_of(session, pending)
    return [{"group": g, "updates": targets.get(g.updates_group_id), "problems": problems[g.id],
             "duplicates": duplicates(session, g, index)} for g in pending]


def recent_decisions(session: Session, limit: int = 20) -> list[CommunityGroup]:
    """The latest records an editor decided on."""
    return session.scalars(select(CommunityGroup).where(CommunityGroup.reviewed_at.is_not(None))
                           .order_by(CommunityGroup.reviewed_at.desc(), CommunityGroup.id.desc())
                           .limit(limit)).all()


def find_groups(session: Session, text: str, limit: int = 30) -> list[CommunityGroup]:
    """Published groups whose name contains ``text`` (any case), for editors looking for one to change."""
    text = " ".join(str(text or "").split())[:100]
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return session.scalars(select(CommunityGroup).where(
        CommunityGroup.status == "published", CommunityGroup.name.ilike(f"%{escaped}%", escape="\\"))
        .order_by(CommunityGroup.name).limit(limit)).all()
