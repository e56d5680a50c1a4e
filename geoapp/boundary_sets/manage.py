"""Changing a boundary set's details, and deleting a set when nothing else depends on it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..storage import audit, boundary_sets, locks
from ..storage.models import SERVICE_TYPES, Area, BoundarySet, IndicatorValue, Proposal

# The details an officer may change, with their longest length (None: no limit). The geometry does
# not change, so neither does the set's version.
EDITABLE = {"name": 200, "vintage": 40, "source": None, "licence": None}


class FormInvalid(InvalidInput):
    """A form with problems in named fields; ``fields`` maps each field to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("The form has problems: nothing was changed.", details=list(fields.values()))
        self.fields = fields


def edit_details(session: Session, bset: BoundarySet, form: Mapping, *, actor: str,
                 user_id: int | None) -> dict[str, str | None]:
    """Change the editable details given in ``form``; audit what changed and return the new values."""
    bset = _locked(session, bset)
    values = {f: (str(form[f]).strip() or None) for f in EDITABLE if f in form}
    problems = {}
    if "name" in values and values["name"] is None:
        problems["name"] = "Give the set a name."
    if "service_type" in form:
        values["service_type"] = str(form["service_type"]).strip() or None
        if bset.kind != "service":
            problems["service_type"] = "Only a set of service areas says which service it is for."
        elif values["service_type"] not in SERVICE_TYPES:
            problems["service_type"] = f"Choose which service these areas are for ({', '.join(SERVICE_TYPES)})."
    for field, limit in EDITABLE.items():
        if limit and len(values.get(field) or "") > limit:
            problems[field] = f"The {field} can be at most {limit} characters long."
    if problems:
        raise FormInvalid(problems)
    before = {f: getattr(bset, f) for f, value in values.items() if getattr(bset, f) != value}
    after = {f: values[f] for f in before}
    if after:
        for field, value in after.items():
            setattr(bset, field, value)
        audit.record(session, actor=actor, user_id=user_id, action="edit", entity_type="boundary_set",
                     entity_id=bset.id, before=before, after=after)
    return after


def _locked(session: Session, bset: BoundarySet) -> BoundarySet:
    """The set, with its id's lock held to the end of the transaction (the lock replacing it takes too), read
    again; NotFound when it was deleted meanwhile."""
    locks.serialize(session, f"boundary-set:{bset.id}")
    found = session.get(BoundarySet, bset.id, populate_existing=True)
    if found is None:
        raise NotFound(f"The boundary set '{bset.id}' has just been deleted by someone else.")
    return found


@dataclass
class DeleteImpact:
    """What deleting a set would remove, and what stops it."""

    areas: int
    indicator_values: int
    sets_built_from_it: list[BoundarySet]
    sets_superseded: list[BoundarySet]
    proposals: list[Proposal]

    @property
    def blockers(self) -> list[str]:
        """Why the set cannot be deleted, one line per reason (empty: it can)."""
        lines = [f"The set '{s.name}' ({s.id}) is built from its areas." for s in self.sets_built_from_it]
        lines += [f"It supersedes the older set '{s.name}' ({s.id})." for s in self.sets_superseded]
        lines += [f"The proposal '{p.name}' ({p.status}) uses it." for p in self.proposals]
        return lines


def delete_impact(session: Session, bset: BoundarySet) -> DeleteImpact:
    """Count what deleting ``bset`` removes and list the sets and proposals that depend on it."""
    in_set = select(Area.id).where(Area.set_id == bset.id)
    return DeleteImpact(
        areas=session.scalar(select(func.count()).select_from(Area).where(Area.set_id == bset.id)),
        indicator_values=session.scalar(select(func.count()).select_from(IndicatorValue)
                                        .where(IndicatorValue.area_id.in_(in_set))),
        sets_built_from_it=list(session.scalars(select(BoundarySet).where(BoundarySet.built_from == bset.id)
                                                .order_by(BoundarySet.id))),
        sets_superseded=list(session.scalars(select(BoundarySet).where(BoundarySet.superseded_by == bset.id)
                                             .order_by(BoundarySet.id))),
        proposals=list(session.scalars(select(Proposal).where(or_(Proposal.block_set_id == bset.id,
                                                                  Proposal.container_set_id == bset.id))
                                       .order_by(Proposal.name))),
    )


def delete_set(session: Session, bset: BoundarySet, *, actor: str, user_id: int | None) -> DeleteImpact:
    """Delete a set with its areas, their links and indicator values, or refuse if anything depends on it."""
    bset = _locked(session, bset)
    impact = delete_impact(session, bset)
    if impact.blockers:
        raise Conflict(f"The boundary set '{bset.name}' cannot be deleted while other data depends on it. "
                       "Delete or change those first.", details=impact.blockers)
    before = boundary_sets.set_summary(bset) | {"areas": impact.areas}
    session.delete(bset)
    session.flush()
    audit.record(session, actor=actor, user_id=user_id, action="delete", entity_type="boundary_set",
                 entity_id=before["id"], before=before)
    return impact
