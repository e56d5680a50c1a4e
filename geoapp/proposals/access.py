"""Who may see a proposal: officers (edit_proposals) every one; anyone else those published, their own and
those shared with them."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..auth.roles import ANONYMOUS, can
from ..errors import Forbidden, SignInNeeded
from ..storage.models import Proposal, User
from . import service


def may_see(session: Session, proposal: Proposal, user: User | None) -> bool:
    """Whether ``user`` (None: nobody signed in) may see the proposal."""
    if can(user.role if user is not None else ANONYMOUS, "edit_proposals") or proposal.published:
        return True
    return user is not None and (proposal.owner_id == user.id
                                 or user.id in service.shared_with(session, proposal.id))


def visible(session: Session, proposal_id: int, user: User | None) -> Proposal:
    """The proposal, if ``user`` may see it; NotFound, SignInNeeded or Forbidden otherwise."""
    proposal = service.get_proposal(session, proposal_id)
    if not may_see(session, proposal, user):
        if user is None:
            raise SignInNeeded("Sign in to see this proposal: it is not published.")
        raise Forbidden("This proposal is not published, not yours and not shared with you.")
    return proposal


def visible_proposals(session: Session, user: User | None) -> list[Proposal]:
    """Every proposal ``user`` may see, by name."""
    return [p for p in service.list_proposals(session) if may_see(session, p, user)]
