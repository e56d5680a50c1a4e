"""Adopting a proposal: its forums become the official LAF boundary set; the previous one is kept as a vintage."""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.grouping import dissolve_groups

from ..errors import Conflict, InvalidInput
from ..storage import audit, boundary_sets, locks
from ..storage.models import BoundarySet, Proposal, ProposalVersion, User
from . import service
from .engine import STATISTICS, area_assignment, check_proposal


def adopt(session: Session, proposal_id: int, *, user: User) -> BoundarySet:
    """Store the latest version's forums as a new current "laf" set, superseding any current one.

    Raises InvalidInput listing the failing rules when the proposal is not valid. Adoptions are made one
    at a time (a named lock), so two officers adopting at once leave one current forum set, the later
    superseding the earlier.
    """
    locks.serialize(session, "adopt-forums")
    proposal = service.get_proposal(session, proposal_id)
    session.refresh(proposal)
    version = service.latest_version(session, proposal.id)
    if version is None:
        raise InvalidInput(f"The proposal '{proposal.name}' has no saved version to adopt.")
    report = check_proposal(session, proposal, version.assignment, version.forums)
    failing = [f"{rule['title']}: {rule['message']}" for rule in report["rules"] if not rule["passed"]]
    if failing:
        raise InvalidInput(f"The proposal '{proposal.name}' cannot be adopted: {len(failing)} rule(s) fail.",
                           details=failing)
    set_id = adopted_set_id(proposal, version)
    if session.get(BoundarySet, set_id) is not None:
        raise Conflict(f"Version {version.number} of '{proposal.name}' is already adopted as '{set_id}'.")
    blocks_set = boundary_sets.get_set(session, proposal.block_set_id)
    blocks = boundary_sets.load_areas(session, blocks_set.id)
    table = pd.DataFrame([(b, f, (version.forums.get(f) or {}).get("name"))
                          for b, f in area_assignment(session, proposal, version.assignment).items()],
                         columns=["block_code", "group_code", "group_name"])
    forums = dissolve_groups(blocks[["code", "name", "geometry"]], table)
    stats = {f["code"]: f for f in report["forums"]}
    forums["properties"] = [{k: stats[code][k] for k in STATISTICS} | {"blocks": blocks_codes, "proposal": proposal.id}
                            for code, blocks_codes in zip(forums["code"], forums["block_codes"])]
    previous = current_forum_sets(session)
    actor = user.email
    new = boundary_sets.save_set(
        session, forums[["code", "name", "properties", "geometry"]], actor=actor, id=set_id, kind="laf",
        name=f"Local Area Forums ({proposal.name})", vintage=date.today().isoformat(),
        source=f"Adopted from proposal {proposal.id} '{proposal.name}', version {version.number}",
        licence=blocks_set.licence, fictional=blocks_set.fictional, built_from=blocks_set.id)
    for old in previous:
        old.superseded_by = new.id
    session.flush()
    boundary_sets.link_all(session, [new.id])
    proposal.status = "adopted"
    audit.record(session, actor=actor, user_id=user.id, action="adopt", entity_type="proposal",
                 entity_id=proposal.id, after={"version": version.number, "set": new.id, "forums": len(forums),
                                               "superseded": [s.id for s in previous]})
    return new


def adoption(session: Session, proposal: Proposal, latest: ProposalVersion | None) -> dict:
    """Whether the latest saved version may be adopted: ``allowed``, ``reason`` (when it may not), the
    ``rules`` and the ``version`` number."""
    if latest is None:
        return {"allowed": False, "reason": "Save a version first: only a saved version can be adopted.",
                "rules": [], "version": None}
    report = check_proposal(session, proposal, latest.assignment, latest.forums)
    failing = [rule for rule in report["rules"] if not rule["passed"]]
    reason = None
    if failing:
        reason = (f"Version {latest.number} cannot be adopted: {len(failing)} rule(s) fail. "
                  "Fix them, save, and try again.")
    elif session.get(BoundarySet, adopted_set_id(proposal, latest)) is not None:
        reason = f"Version {latest.number} is already adopted."
    return {"allowed": reason is None, "reason": reason, "rules": report["rules"], "version": latest.number}


def current_forum_sets(session: Session) -> list[BoundarySet]:
    """The LAF sets in use now (none superseded), by id: those an adoption replaces."""
    return list(session.scalars(select(BoundarySet).where(BoundarySet.kind == "laf",
                                                          BoundarySet.superseded_by.is_(None))
                                .order_by(BoundarySet.id)))


def adopted_set_id(proposal: Proposal, version: ProposalVersion) -> str:
    """The id of the LAF set a version becomes when adopted."""
    return f"laf-p{proposal.id}-v{version.number}"
