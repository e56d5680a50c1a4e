"""Two forum proposals, or two versions of one, gathered from the store and compared: the blocks in
different forums (:func:`layers.proposal_comparison.differences`), and each one's statistics and rules.

The blueprint serves the page (``/proposals/compare``) and its JSON twin (``/proposals/compare.json``), both
with query arguments ``a``, ``va``, ``b`` and ``vb``.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from layers.proposal_comparison import differences, forum_label, matched_colours, natural_key, summary_sentence
from layers.proposals import forum_colours, own_colours

from ..errors import AtlasError, InvalidInput, NotFound
from ..storage import boundary_sets
from ..storage.models import MAX_ID, Proposal, ProposalVersion, User
from . import service
from .access import visible, visible_proposals
from .engine import area_of, check_proposal, in_area, proposal_layer


@dataclass
class Side:
    """One side of a comparison: a proposal and one of its versions."""

    letter: str
    proposal: Proposal
    version: ProposalVersion


def choose(session: Session, letter: str, proposal_id, number, user: User | None) -> Side:
    """The proposal (if ``user`` may see it) and its version ``number`` (default the latest)."""
    proposal = visible(session, _whole(proposal_id, letter.lower(), "proposal number"), user)
    if number in (None, ""):
        version = service.latest_version(session, proposal.id)
        if version is None:
            raise NotFound(f"Proposal {letter}, '{proposal.name}', has no saved version to compare yet.")
    else:
        version = service.get_version(session, proposal.id, _whole(number, f"v{letter.lower()}", "version number"))
    return Side(letter, proposal, version)


def resolve(session: Session, args: dict, user: User | None) -> tuple[Side, Side]:
    """Both sides from the arguments a, va, b and vb (None: not given); a proposal compared with itself, no
    versions named, is its last two versions (A the earlier)."""
    if not args["a"] or not args["b"]:
        raise InvalidInput("Choose the two proposals to compare: a and b (proposal numbers), with va and vb for "
                           "their versions (default: the latest).")
    va, vb = args["va"], args["vb"]
    if va is None and vb is None and _whole(args["a"], "a", "proposal number") == _whole(args["b"], "b",
                                                                                          "proposal number"):
        latest = visible(session, _whole(args["a"], "a", "proposal number"), user).version
        if latest > 1:
            va, vb = latest - 1, latest
    return choose(session, "A", args["a"], va, user), choose(session, "B", args["b"], vb, user)


def compare(session: Session, a: Side, b: Side) -> dict:
    """Both sides checked, and their differences when they share a block set: the facts of the page."""
    sides = {side.letter: _side(session, side) for side in (a, b)}
    comparable = a.proposal.block_set_id == b.proposal.block_set_id
    out = {"a": sides["A"], "b": sides["B"], "comparable": comparable, "reason": None, "differences": None,
           "summary": None, "unit": "block", "notes": []}
    if not comparable:
        out["reason"] = (f"A is drawn from {_set_words(session, a.proposal.block_set_id)} and B from "
                         f"{_set_words(session, b.proposal.block_set_id)}, so they cannot be compared block by "
                         "block. Their statistics and rules are shown side by side below.")
        out["summary"] = "A and B are drawn from different building blocks: only their statistics can be compared."
        return out
    layers = [proposal_layer(session, side.proposal, counted=False)[0] for side in (a, b)]
    labels, people, place = {}, {}, {}
    for layer in reversed(layers):  # A's words win where both areas hold a block
        labels |= dict(zip(layer.codes, layer.labels))
        people |= dict(zip(layer.codes, layer.population))
        place |= {code: (layer.names[i], layer.container_names[layer.container[i]]
                         if layer.container[i] >= 0 else None) for i, code in enumerate(layer.codes)}
    found = differences(in_area(layers[0], a.version.assignment), in_area(layers[1], b.version.assignment),
                        labels, names_a=_names(a.version.forums), names_b=_names(b.version.forums),
                        weights=people)
    for row in found["moved"]:
        row["name"], row["container_name"] = place.get(row["code"], (row["code"], None))
    out["differences"] = found
    out["b"]["colours"] = matched_colours(out["a"]["colours"], out["b"]["colours"], found["matches"],
                                          own=own_colours(b.version.forums))
    out["unit"] = layers[0].block_unit
    out["summary"] = summary_sentence(found, layers[0].block_unit)
    if a.proposal.container_set_id != b.proposal.container_set_id:
        out["notes"].append("A and B place their forums in different sets of areas (APBs): each one's rules "
                            "are checked against its own.")
    if a.proposal.id != b.proposal.id and (a.proposal.settings or {}) != (b.proposal.settings or {}):
        out["notes"].append("A and B have different settings (tolerance, forums per APB, area): each one's rules "
                            "are checked under its own settings.")
    if area_of(a.proposal) != area_of(b.proposal):
        out["notes"].append("A and B cover different areas: each one's blocks are counted only within its own "
                            "area.")
    if a.proposal.id == b.proposal.id and a.version.number == b.version.number:
        out["notes"].append("A and B are the same version of the same proposal.")
    return out


def choices(session: Session, user: User | None) -> list[dict]:
    """The proposals ``user`` may compare: id, name, latest version and whether published."""
    return [{"id": p.id, "name": p.name, "version": p.version, "published": p.published}
            for p in visible_proposals(session, user)]


def tables(found: dict) -> tuple[dict, dict]:
    """Each side's forums in the order that reads across (``rows``), and which optional ``columns``
    (councillors, IMD score) either side fills; each side gets its ``score`` (the IMD score's id, or None)."""
    found["a"]["score"] = _score(found["a"]["check"])
    found["b"]["score"] = _score(found["b"]["check"])
    rows = {"a": _aligned(found, "a"), "b": _aligned(found, "b")}
    every = rows["a"] + rows["b"]
    columns = {"councillors": any(f["councillors"] is not None for f in every),
               "score": bool(found["a"]["score"] or found["b"]["score"])}
    return rows, columns


def map_sides(found: dict) -> dict:
    """What the page's map script needs besides the GeoJSON URLs: both assignments with their forum labels
    and colours, the blocks that differ and the word for a block."""
    def side(key):
        found_side = found[key]
        names = _names(found_side["forums"])
        labels = {code: forum_label(code, names.get(code)) for code in set(found_side["assignment"].values())}
        return {"assignment": found_side["assignment"], "labels": labels, "colours": found_side["colours"]}

    return {"a": side("a"), "b": side("b"), "differs": [m["code"] for m in found["differences"]["moved"]],
            "unit": found["unit"]}


def chosen(found: dict) -> dict:
    """The query arguments naming the two versions compared."""
    return {"a": found["a"]["proposal"]["id"], "va": found["a"]["version"]["number"],
            "b": found["b"]["proposal"]["id"], "vb": found["b"]["version"]["number"]}


def _side(session: Session, side: Side) -> dict:
    proposal, version = side.proposal, side.version
    names = service.user_names(session, [version.saved_by])
    report = check_proposal(session, proposal, version.assignment, version.forums)
    order = [f["code"] for f in report["forums"]]
    return {"letter": side.letter, "proposal": service.summary(proposal),
            "version": service.version_summary(version, names),
            "latest": version.number == proposal.version,
            "saved_on": f"{version.saved_at.day} {version.saved_at:%B %Y, %H:%M}" if version.saved_at else None,
            "title": f"{proposal.name}, version {version.number}",
            "assignment": version.assignment or {}, "forums": version.forums or {},
            "colours": forum_colours(version.forums, order), "check": report}


def _aligned(found: dict, key: str) -> list[dict]:
    """A side's forums in the order of the correspondence (B's beside the forums of A they match, so the two
    tables read across), or by code when the two cannot be compared block by block."""
    forums = found[key]["check"]["forums"]
    if not found["differences"]:
        return sorted(forums, key=lambda f: natural_key(f["code"]))
    order = {row[key]: k for k, row in enumerate(found["differences"]["forums"]) if row[key] is not None}
    return sorted(forums, key=lambda f: (order.get(f["code"], len(order)), natural_key(f["code"])))


def _score(report: dict) -> str | None:
    """The id of the IMD average score among the report's indicators, if there is one."""
    return next((m["id"] for m in report.get("indicators", []) if m["id"].endswith("_average_score")), None)


def _names(forums) -> dict[str, str]:
    return {code: f["name"] for code, f in (forums or {}).items() if isinstance(f, dict) and f.get("name")}


def _set_words(session: Session, set_id: str) -> str:
    try:
        found = boundary_sets.get_set(session, set_id)
    except AtlasError:
        return f"the set '{set_id}'"
    return f"{found.name} ('{found.id}')"


def _whole(value, name: str, what: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a {what} (a whole number), not '{value}'.") from None
    if number < 1:
        raise InvalidInput(f"{name} must be a {what} of 1 or more, not {number}.")
    if number > MAX_ID:
        raise InvalidInput(f"{name}: there is no {what} {number}.")
    return number
