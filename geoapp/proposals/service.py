"""Proposals and their versions in the store: create, change, duplicate, delete, save and restore.

Saves are optimistic: each names the version it was based on, and the proposal's version is bumped only
if it is still that one, so a stale save is refused (409) rather than overwriting another officer's work.
"""
from __future__ import annotations

from datetime import UTC

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..auth.roles import can
from ..errors import Conflict, InvalidInput, NotFound
from ..storage import audit, boundary_sets
from ..storage.models import Area, Proposal, ProposalDraft, ProposalShare, ProposalVersion, User, utcnow

BLOCK_KINDS = ("ward", "lsoa", "parish")
SETTINGS = ("tolerance", "forums_per_container", "indicators", "seed_forums", "area")
#: Unknown area codes named in a refusal before "and N more".
NAMED_CODES = 10
#: How the editor names the forums a proposal starts with: after their container ("Chester 1", placed in
#: Chester), or numbered F1, F2... and tied to none.
SEED_FORUMS = ("container", "numbered")


class StaleSave(Conflict):
    """A save based on a version that another save has since replaced."""

    def __init__(self, message: str, *, current_version: int, details: list[str]):
        super().__init__(message, details=details)
        self.current_version = current_version


def summary(proposal: Proposal) -> dict:
    """The public description of a proposal (no versions)."""
    return {"id": proposal.id, "name": proposal.name, "description": proposal.description,
            "block_set": proposal.block_set_id, "container_set": proposal.container_set_id,
            "settings": proposal.settings or {}, "status": proposal.status, "published": proposal.published,
            "owner_id": proposal.owner_id, "version": proposal.version,
            "created_at": proposal.created_at.isoformat() if proposal.created_at else None}


def version_summary(version: ProposalVersion, users: dict[int, str] | None = None) -> dict:
    return {"number": version.number, "note": version.note, "saved_by": (users or {}).get(version.saved_by),
            "saved_at": version.saved_at.isoformat() if version.saved_at else None,
            "blocks": len(version.assignment or {}), "forums": len(set((version.assignment or {}).values()))}


def list_proposals(session: Session) -> list[Proposal]:
    return list(session.scalars(select(Proposal).order_by(Proposal.name, Proposal.id)))


def get_proposal(session: Session, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"There is no proposal number {proposal_id}.")
    return proposal


def create_proposal(session: Session, *, name: str, user: User, description: str | None = None,
                    block_set_id: str | None = None, container_set_id: str | None = None,
                    settings: dict | None = None, assignment: dict | None = None, forums: dict | None = None,
                    note: str = "Created") -> Proposal:
    """Store a new proposal (blocks default to the wards, containers to the APBs), with a first version
    when an assignment is given."""
    block_set_id, container_set_id = resolve_sets(session, block_set_id, container_set_id)
    proposal = Proposal(name=_name(name), description=description or None, block_set_id=block_set_id,
                        container_set_id=container_set_id,
                        settings=_settings(settings or {}, session, container_set_id),
                        owner_id=user.id, version=0)
    session.add(proposal)
    session.flush()
    audit.record(session, actor=user.email, user_id=user.id, action="create", entity_type="proposal",
                 entity_id=proposal.id, after=summary(proposal))
    if assignment is not None:
        save_version(session, proposal.id, assignment=assignment, forums=forums, note=note,
                     expected_version=0, user=user)
    return proposal


def area_choices(session: Session, set_ids) -> dict[str, list[tuple[str, str]]]:
    """The (code, name) of every area of each of these sets, by name: what a proposal's area is chosen from."""
    rows = session.execute(select(Area.set_id, Area.code, Area.name).where(Area.set_id.in_(list(set_ids)))
                           .order_by(Area.set_id, Area.name, Area.code)).all()
    found: dict[str, list[tuple[str, str]]] = {}
    for set_id, code, name in rows:
        found.setdefault(set_id, []).append((code, name or code))
    return found


def resolve_sets(session: Session, block_set_id: str | None, container_set_id: str | None) -> tuple[str, str]:
    """The block and container sets chosen, by default the current wards and APBs; checked to exist."""
    current = boundary_sets.list_sets(session)
    blocks = boundary_sets.get_set(session, block_set_id or _first(current, "ward"))
    if blocks.kind not in BLOCK_KINDS:
        raise InvalidInput(f"Blocks must be wards, LSOAs or parishes; '{blocks.id}' is a set of {blocks.kind}.")
    return blocks.id, boundary_sets.get_set(session, container_set_id or _first(current, "apb")).id


def update_proposal(session: Session, proposal_id: int, *, user: User, **changes) -> Proposal:
    """Rename, describe, publish or change the settings of a proposal."""
    proposal = get_proposal(session, proposal_id)
    before = summary(proposal)
    if "name" in changes:
        proposal.name = _name(changes["name"])
    if "description" in changes:
        proposal.description = changes["description"] or None
    if "published" in changes:
        proposal.published = bool(changes["published"])
    if "settings" in changes:
        proposal.settings = _settings((proposal.settings or {}) | (changes["settings"] or {}), session,
                                      proposal.container_set_id)
    session.flush()
    audit.record(session, actor=user.email, user_id=user.id, action="update", entity_type="proposal",
                 entity_id=proposal.id, before=before, after=summary(proposal))
    return proposal


def duplicate(session: Session, proposal_id: int, *, user: User, name: str | None = None,
              assignment: dict | None = None, forums: dict | None = None, note: str | None = None) -> Proposal:
    """A copy of a proposal whose first version is its latest one, or the assignment given (save as copy)."""
    source = get_proposal(session, proposal_id)
    latest = latest_version(session, source.id)
    if assignment is None and latest is not None:
        assignment, forums = latest.assignment, latest.forums
    return create_proposal(session, name=name or f"Copy of {source.name}", user=user,
                           description=source.description, block_set_id=source.block_set_id,
                           container_set_id=source.container_set_id, settings=dict(source.settings or {}),
                           assignment=assignment, forums=forums,
                           note=note or f"Copied from proposal {source.id} version {source.version}")


def delete_proposal(session: Session, proposal_id: int, *, user: User) -> dict:
    proposal = get_proposal(session, proposal_id)
    before = summary(proposal)
    session.delete(proposal)
    session.flush()
    audit.record(session, actor=user.email, user_id=user.id, action="delete", entity_type="proposal",
                 entity_id=proposal_id, before=before)
    return before


def save_version(session: Session, proposal_id: int, *, assignment: dict, forums: dict | None, note: str | None,
                 expected_version: int, user: User) -> ProposalVersion:
    """Store the next version if the proposal is still at ``expected_version``; else raise :class:`StaleSave`."""
    assignment = clean_assignment(assignment)
    get_proposal(session, proposal_id)
    bumped = session.execute(update(Proposal).where(Proposal.id == proposal_id,
                                                    Proposal.version == expected_version)
                             .values(version=Proposal.version + 1)
                             .execution_options(synchronize_session=False))
    if bumped.rowcount != 1:
        _refuse_stale(session, proposal_id, expected_version)
    version = ProposalVersion(proposal_id=proposal_id, number=expected_version + 1, assignment=assignment,
                              forums=_forums(forums or {}), note=(note or "").strip() or None, saved_by=user.id)
    session.add(version)
    session.flush()
    session.expire(session.get(Proposal, proposal_id), ["version"])
    audit.record(session, actor=user.email, user_id=user.id, action="save", entity_type="proposal",
                 entity_id=proposal_id, after=version_summary(version, {user.id: user.email}))
    return version


def list_versions(session: Session, proposal_id: int) -> list[ProposalVersion]:
    """Every version of a proposal, newest first."""
    return list(session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id)
                                .order_by(ProposalVersion.number.desc())))


def get_version(session: Session, proposal_id: int, number: int) -> ProposalVersion:
    version = session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id,
                                                           ProposalVersion.number == number))
    if version is None:
        raise NotFound(f"Proposal {proposal_id} has no version {number}.")
    return version


def latest_version(session: Session, proposal_id: int) -> ProposalVersion | None:
    return next(iter(list_versions(session, proposal_id)), None)


def restore_version(session: Session, proposal_id: int, number: int, *, expected_version: int,
                    user: User) -> ProposalVersion:
    """Save an old version again as the newest (the versions in between are kept)."""
    old = get_version(session, proposal_id, number)
    return save_version(session, proposal_id, assignment=old.assignment, forums=old.forums,
                        note=f"Restored version {number}", expected_version=expected_version, user=user)


def shared_with(session: Session, proposal_id: int) -> list[int]:
    """Ids of the users a proposal is shared with."""
    return list(session.scalars(select(ProposalShare.user_id).where(ProposalShare.proposal_id == proposal_id)
                                .order_by(ProposalShare.user_id)))


def share(session: Session, proposal_id: int, user_ids, *, user: User) -> list[int]:
    """Share the proposal with exactly these users (active accounts), so they may read it; audited."""
    get_proposal(session, proposal_id)
    try:
        wanted = sorted({int(i) for i in user_ids})
    except (TypeError, ValueError):
        raise InvalidInput("Choose the people to share with from the list.") from None
    found = set(session.scalars(select(User.id).where(User.id.in_(wanted), User.active.is_(True))))
    if set(wanted) - found:
        raise InvalidInput(f"There is no active account numbered {', '.join(map(str, sorted(set(wanted) - found)))}.")
    before = shared_with(session, proposal_id)
    session.execute(delete(ProposalShare).where(ProposalShare.proposal_id == proposal_id,
                                                ProposalShare.user_id.not_in(wanted)))
    session.add_all(ProposalShare(proposal_id=proposal_id, user_id=i) for i in wanted if i not in before)
    session.flush()
    if before != wanted:
        audit.record(session, actor=user.email, user_id=user.id, action="share", entity_type="proposal",
                     entity_id=proposal_id, before={"shared_with": before}, after={"shared_with": wanted})
    return wanted


def readers(session: Session) -> list[User]:
    """Active accounts a proposal can be shared with: everyone signed up who cannot already see them all."""
    return [u for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.name))
            if can(u.role, "read") and not can(u.role, "edit_proposals")]


def user_names(session: Session, ids) -> dict[int, str]:
    """Names of the users with ``ids``."""
    ids = {i for i in ids if i is not None}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def _refuse_stale(session: Session, proposal_id: int, expected_version: int):
    newer = session.scalars(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id,
                                                          ProposalVersion.number > expected_version)
                            .order_by(ProposalVersion.number)).all()
    current = session.scalar(select(Proposal.version).where(Proposal.id == proposal_id))
    if not newer:
        raise StaleSave(f"There is no version {expected_version} to save over: the proposal is at version "
                        f"{current}. Reload it.", current_version=current, details=[])
    names = user_names(session, [v.saved_by for v in newer])
    details = [f"Version {v.number} saved by {names.get(v.saved_by, 'someone')} at "
               f"{v.saved_at:%Y-%m-%d %H:%M}" + (f": {v.note}" if v.note else "") for v in newer]
    who = ", ".join(sorted({names.get(v.saved_by, "someone") for v in newer})) or "someone"
    raise StaleSave(f"Your changes were based on version {expected_version}, but {who} has saved since "
                    f"(now version {current}). Nothing of yours was saved: reload the proposal to see their "
                    "changes, or save yours as a copy.", current_version=current, details=details)


def _first(sets, kind: str) -> str:
    found = next((s.id for s in sets if s.kind == kind), None)
    if found is None:
        raise InvalidInput(f"No boundary set of kind '{kind}' is loaded: choose the sets to use.")
    return found


def _name(name) -> str:
    name = str(name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("A proposal needs a name of 1 to 200 characters.")
    return name


def _settings(settings: dict, session: Session, container_set_id: str) -> dict:
    """The settings checked; ``area`` (container codes the proposal covers) against the container set."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise InvalidInput(f"Unknown settings: {', '.join(sorted(unknown))} (known: {', '.join(SETTINGS)}).")
    tolerance = settings.get("tolerance", 0.05)
    if not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise InvalidInput("The tolerance must be a number from 0 up to 1 (0.05: ±5%).")
    count = settings.get("forums_per_container")
    counts = count.values() if isinstance(count, dict) else [] if count is None else [count]
    if not all(isinstance(c, int) and c > 0 for c in counts):
        raise InvalidInput("Forums per container must be a whole number, one per container code, or none.")
    indicators = settings.get("indicators") or []
    if not isinstance(indicators, list) or not all(isinstance(i, str) for i in indicators):
        raise InvalidInput("Indicators must be a list of indicator ids.")
    seed = settings.get("seed_forums")
    if seed is not None and seed not in SEED_FORUMS:
        raise InvalidInput(f"Forums start either named after their container or numbered ({', '.join(SEED_FORUMS)}).")
    area = _area(session, container_set_id, settings.get("area"))
    return {"tolerance": float(tolerance), "forums_per_container": count, "indicators": indicators} \
        | ({"seed_forums": seed} if seed else {}) | ({"area": area} if area else {})


def _area(session: Session, container_set_id: str, area) -> list[str] | None:
    """The container codes a proposal covers, in code order; None (every container, as by default) when none
    or all of them are chosen. Raises InvalidInput naming the codes that are not areas of the container set."""
    if area is None or area == []:
        return None
    if not isinstance(area, list) or not all(isinstance(code, str) for code in area):
        raise InvalidInput("The proposal's area must be a list of the codes of the areas it covers.")
    chosen = {code.strip() for code in area if code.strip()}
    known = set(boundary_sets.area_codes(session, container_set_id))
    unknown = sorted(chosen - known)
    if unknown:
        more = f" and {len(unknown) - NAMED_CODES} more" if len(unknown) > NAMED_CODES else ""
        raise InvalidInput(f"{len(unknown)} of the codes chosen for the proposal's area "
                           f"{'is' if len(unknown) == 1 else 'are'} not areas of the set '{container_set_id}': "
                           f"{', '.join(unknown[:NAMED_CODES])}{more}. Nothing was stored.")
    return None if not chosen or chosen == known else sorted(chosen)


def clean_assignment(assignment) -> dict:
    """An assignment sent by a client, checked and trimmed: block code to forum code."""
    if not isinstance(assignment, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in assignment.items()):
        raise InvalidInput("The assignment must map each block code to a forum code (both text).")
    return {k.strip(): v.strip() for k, v in assignment.items() if k.strip() and v.strip()}


def clean_forums(forums) -> dict:
    """Forums sent by a client, checked: forum code to its name, colour and whether it is locked."""
    return _forums(forums)


def _forums(forums) -> dict:
    """Forum code to its name, colour and container (the code of the APB it is drawn for; text) and whether it
    is locked against changes."""
    if not isinstance(forums, dict) or not all(isinstance(f, dict) for f in forums.values()):
        raise InvalidInput("Forums must map each forum code to its name, colour and whether it is locked.")
    return {str(code): {k: str(v) for k, v in f.items() if k in ("name", "colour", "container") and v}
            | ({"locked": True} if f.get("locked") is True else {}) for code, f in forums.items()}


# ------------------------------------------------------------------------------------------------ drafts

def get_draft(session: Session, proposal_id: int, user_id: int) -> ProposalDraft | None:
    """The user's unsaved changes to the proposal, if any are kept."""
    return session.get(ProposalDraft, (proposal_id, user_id))


def keep_draft(session: Session, proposal_id: int, *, user: User, assignment, forums,
               base_version) -> ProposalDraft:
    """Keep (replace) the user's unsaved changes: not a version, not audited, seen by no one else."""
    get_proposal(session, proposal_id)
    try:
        base = int(base_version)
    except (TypeError, ValueError):
        raise InvalidInput("Say which version the changes are based on (base_version).") from None
    draft = get_draft(session, proposal_id, user.id)
    if draft is None:
        draft = ProposalDraft(proposal_id=proposal_id, user_id=user.id)
        session.add(draft)
    draft.assignment = clean_assignment(assignment)
    draft.forums = _forums(forums or {})
    draft.base_version = base
    draft.saved_at = utcnow()
    session.flush()
    return draft


def discard_draft(session: Session, proposal_id: int, user_id: int) -> bool:
    """Drop the user's unsaved changes (after a save, or when they choose to); True if there were some."""
    return session.execute(delete(ProposalDraft).where(ProposalDraft.proposal_id == proposal_id,
                                                       ProposalDraft.user_id == user_id)).rowcount > 0


def draft_summary(draft: ProposalDraft) -> dict:
    return {"base_version": draft.base_version, "assignment": draft.assignment, "forums": draft.forums,
            "saved_at": _aware(draft.saved_at).isoformat() if draft.saved_at else None,
            "blocks": len(draft.assignment or {})}


def _aware(moment):
    """A stored time with its zone (SQLite gives back UTC times without one)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
