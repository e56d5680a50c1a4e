"""Lists of areas to compare: checked (2 to 10 areas that exist, no repeats), saved under a name per user, audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound
from . import audit
from .models import Area, BoundarySet, SavedList

MIN_AREAS, MAX_AREAS = 2, 10
MAX_NAME = 200


def area_names(session: Session, pairs) -> dict[tuple[str, str], str]:
    """The names of those of the (set, code) pairs that are stored areas."""
    wanted: dict[str, set[str]] = {}
    for set_id, code in pairs:
        wanted.setdefault(set_id, set()).add(code)
    names = {}
    for set_id, codes in wanted.items():
        rows = session.execute(select(Area.code, Area.name).where(Area.set_id == set_id, Area.code.in_(codes)))
        names |= {(set_id, code): name for code, name in rows}
    return names


def describe_areas(session: Session, pairs, *, minimum: int = 0) -> list[dict]:
    """The (set, code) pairs as areas (``set``, ``set_name``, ``kind``, ``code``, ``name``), in order.

    Raises :class:`NotFound` naming every unknown set or code, :class:`InvalidInput` for a repeated area,
    more than :data:`MAX_AREAS` or fewer than ``minimum``. The error's ``chosen`` holds the areas that were
    recognised (once each), so that a page can offer them again.
    """
    pairs = [(str(s), str(c)) for s, c in pairs]
    sets = {b.id: b for b in session.scalars(select(BoundarySet).where(BoundarySet.id.in_({s for s, _ in pairs})))}
    names = area_names(session, pairs)
    chosen, unknown, repeated = [], [], []
    for set_id, code in pairs:
        if set_id not in sets:
            unknown.append(f"{set_id}:{code} (there is no boundary set called '{set_id}')")
        elif (set_id, code) not in names:
            unknown.append(f"{set_id}:{code} ({sets[set_id].name} has no area with code '{code}')")
        elif any(a["set"] == set_id and a["code"] == code for a in chosen):
            repeated.append(names[set_id, code])
        else:
            bset = sets[set_id]
            chosen.append({"set": set_id, "set_name": bset.name, "kind": bset.kind, "code": code,
                           "name": names[set_id, code]})
    if unknown:
        error = NotFound(("These areas are" if len(unknown) > 1 else "This area is") + " not in the Atlas: "
                         + "; ".join(unknown) + ".")
    elif repeated:
        error = InvalidInput(f"Each area can be chosen once, but {', '.join(dict.fromkeys(repeated))} "
                             f"{'is' if len(set(repeated)) == 1 else 'are'} chosen more than once.")
    elif len(chosen) > MAX_AREAS:
        error = InvalidInput(f"{len(chosen)} areas are chosen: compare at most {MAX_AREAS} at a time. "
                             f"Remove {len(chosen) - MAX_AREAS}.")
    elif len(chosen) < minimum:
        error = InvalidInput(f"Choose at least {minimum} areas to compare ({len(chosen)} chosen).")
    else:
        return chosen
    error.chosen = chosen
    raise error


def list_fields(saved: SavedList) -> dict:
    """A saved list, JSON-ready."""
    return {"id": saved.id, "name": saved.name, "areas": saved.areas,
            "created_at": saved.created_at.isoformat() if saved.created_at else None,
            "updated_at": saved.updated_at.isoformat() if saved.updated_at else None}


def save_list(session: Session, *, user_id: int, name: str, areas, actor: str) -> SavedList:
    """Save the areas ((set, code) pairs or dicts) under ``name``, replacing the user's list of that name."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the list a name.")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"A list's name can be at most {MAX_NAME} characters long ({len(name)} given).")
    pairs = [(a["set"], a["code"]) if isinstance(a, dict) else tuple(a) for a in areas]
    stored = [{"set": a["set"], "code": a["code"]} for a in describe_areas(session, pairs, minimum=MIN_AREAS)]
    saved = session.scalar(select(SavedList).where(SavedList.user_id == user_id, SavedList.name == name))
    if saved is None:
        saved = SavedList(user_id=user_id, name=name, areas=stored)
        session.add(saved)
        session.flush()
        audit.record(session, actor=actor, user_id=user_id, action="create", entity_type="saved_list",
                     entity_id=str(saved.id), after={"name": name, "areas": stored})
    elif saved.areas != stored:
        before = saved.areas
        saved.areas = stored
        session.flush()
        audit.record(session, actor=actor, user_id=user_id, action="edit", entity_type="saved_list",
                     entity_id=str(saved.id), before={"areas": before}, after={"areas": stored})
    return saved


def list_for_user(session: Session, user_id: int) -> list[SavedList]:
    """The user's lists, by name."""
    return list(session.scalars(select(SavedList).where(SavedList.user_id == user_id).order_by(SavedList.name)))


def get_list(session: Session, list_id: int, user_id: int) -> SavedList:
    """One of the user's lists; another user's list is as missing as one that does not exist."""
    saved = session.get(SavedList, list_id)
    if saved is None or saved.user_id != user_id:
        raise NotFound(f"You have no saved list number {list_id}.")
    return saved


def delete_list(session: Session, list_id: int, *, user_id: int, actor: str) -> dict:
    """Delete one of the user's lists; audited. Returns its fields as they were."""
    saved = get_list(session, list_id, user_id)
    before = list_fields(saved)
    session.delete(saved)
    session.flush()
    audit.record(session, actor=actor, user_id=user_id, action="delete", entity_type="saved_list",
                 entity_id=str(list_id), before={"name": before["name"], "areas": before["areas"]})
    return before
