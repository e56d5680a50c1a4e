"""Adopting a proposal: its forums become the official LAF boundary set; the previous one is kept as a vintage."""
from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.grouping import dissolve_groups

from ..errors import Conflict, InvalidInput
from ..storage import audit, boundary_sets, locks
from ..storage.models import BoundarySet, User
from . import service
from .engine import check_proposal
from .interchange import STATISTICS


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
    set_id = f"laf-p{proposal.id}-v{version.number}"
    if session.get(BoundarySet, set_id) is not None:
        raise Conflict(f"Version {version.number} of '{proposal.name}' is already adopted as '{set_id}'.")
    blocks_set = boundary_sets.get_set(session, proposal.block_set_id)
    blocks = boundary_sets.load_areas(session, blocks_set.id)
    table = pd.DataFrame([(b, f, (version.forums.get(f) or {}).get("name")) for b, f in version.assignment.items()],
                         columns=["block_code", "group_code", "group_name"])
    forums = dissolve_groups(blocks[["code", "name", "geometry"]], table)
    stats = {f["code"]: f for f in report["forums"]}
    forums["properties"] = [{k: stats[code][k] for k in STATISTICS} | {"blocks": blocks_codes, "proposal": proposal.id}
                            for code, blocks_codes in zip(forums["code"], forums["block_codes"])]
    previous = session.scalars(select(BoundarySet).where(BoundarySet.kind == "laf",
                                                         BoundarySet.superseded_by.is_(None))).all()
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
