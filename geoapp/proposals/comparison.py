"""Two forum proposals, or two versions of one, side by side: the blocks in different forums, how the
forums correspond, and each one's statistics and rules.

:func:`differences` is the pure core (plain dicts in, plain dicts out, no Flask, no store): it matches
each forum of A with the forum of B it shares the most people (or blocks) with, so a forum that was only
renamed or recoded ("A's F1 is B's North") is recognised, and a block differs only when it lies in a
forum of B that is not the match of its forum in A. :func:`compare` gathers the two versions from the
store and checks both; the blueprint serves the page (``/proposals/compare``) and its JSON twin
(``/proposals/compare.json``), both with query arguments ``a``, ``va``, ``b`` and ``vb``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from flask import Blueprint, render_template, request, url_for
from scipy.optimize import linear_sum_assignment
from sqlalchemy.orm import Session

from ..web.guard import requires
from ..errors import AtlasError, InvalidInput, NotFound
from ..storage import boundary_sets
from ..storage.models import MAX_ID, Proposal, ProposalVersion
from ..web.db import db_session
from . import service
from .engine import cached_layer, check_proposal
from .views import may_see, visible

bp = Blueprint("proposal_comparison", __name__, url_prefix="/proposals")

#: The forum colours the editor gives forums in turn (geoapp/static/js/atlas-proposal.js).
PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#b58840", "#28a197", "#f499be",
           "#5694ca", "#85994b", "#912b88", "#6f72af")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")

#: How a forum of A corresponds to one of B, in words for the page.
STATUS_WORDS = {"unchanged": "Unchanged", "renamed": "Same wards, new code or name",
                "changed": "Changed", "only_a": "Only in A", "only_b": "Only in B"}


# ------------------------------------------------------------------------------------ the pure core

def differences(assignment_a: Mapping[str, str], assignment_b: Mapping[str, str],
                labels: Mapping[str, str] | None = None, *, names_a: Mapping[str, str] | None = None,
                names_b: Mapping[str, str] | None = None, weights: Mapping[str, float] | None = None) -> dict:
    """The blocks in different forums in A and B, and how A's forums correspond to B's.

    Parameters
    ----------
    assignment_a, assignment_b : mapping
        Block code to forum code. A block missing from one (or with a blank forum) is in no forum there.
    labels : mapping, optional
        Every block of the set, code to label ("Blacon (E05012209)"); the blocks counted are these and
        any others either assignment names. Without it, only the blocks the assignments name.
    names_a, names_b : mapping, optional
        Forum code to name in A and in B.
    weights : mapping, optional
        People per block. A forum code on both sides is one forum when the two share any block; the
        other forums are matched one to one so that the people they share are the most (by the blocks
        they share when no weights are given or the forums share no known people).

    Returns
    -------
    dict
        ``blocks`` (how many compared), ``differing`` (how many in different forums), ``moved`` (one row
        per such block: ``code``, ``label``, ``a`` and ``b`` forum codes or None, ``a_name``, ``b_name``,
        ``change``: "moved", "added" (in no forum in A) or "removed" (in no forum in B)), ``forums`` (one
        row per forum of A and per unmatched forum of B: ``a``, ``b``, names, ``status`` ("unchanged",
        "renamed", "changed", "only_a", "only_b"), ``shared_blocks``, ``shared_weight``, ``blocks_a``,
        ``blocks_b``, ``gained`` and ``lost`` block codes) and ``matches`` (A's forum code to B's).

    Examples
    --------
    >>> found = differences({"w1": "F1", "w2": "F1", "w3": "F2"}, {"w1": "North", "w2": "North", "w3": "North"},
    ...                     names_b={"North": "North"})
    >>> found["matches"], found["differing"], [m["code"] for m in found["moved"]]
    ({'F1': 'North'}, 1, ['w3'])
    >>> [(f["a"], f["b"], f["status"]) for f in found["forums"]]
    [('F1', 'North', 'changed'), ('F2', None, 'only_a')]
    """
    a, b = _clean(assignment_a), _clean(assignment_b)
    names_a, names_b = dict(names_a or {}), dict(names_b or {})
    labels = dict(labels or {})
    blocks = list(dict.fromkeys([*labels, *a, *b]))
    forums_a, forums_b = sorted(set(a.values()), key=_natural), sorted(set(b.values()), key=_natural)
    members_a = {f: {k for k, v in a.items() if v == f} for f in forums_a}
    members_b = {f: {k for k, v in b.items() if v == f} for f in forums_b}
    weight = _weights(weights)

    matches: dict[str, str] = {}
    shared: dict[tuple[str, str], tuple[int, float]] = {}
    if forums_a and forums_b:
        count = np.zeros((len(forums_a), len(forums_b)))
        people = np.zeros_like(count)
        where_b = {f: j for j, f in enumerate(forums_b)}
        index_a = {f: i for i, f in enumerate(forums_a)}
        for block, fa in a.items():
            fb = b.get(block)
            if fb is not None:
                count[index_a[fa], where_b[fb]] += 1
                people[index_a[fa], where_b[fb]] += weight.get(block, 0.0)
        # a code on both sides is one forum wherever the two share a block (the editor keeps codes)
        pairs = [(index_a[f], where_b[f]) for f in forums_a if f in where_b and count[index_a[f], where_b[f]] > 0]
        rest_a = [i for i in range(len(forums_a)) if i not in {p[0] for p in pairs}]
        rest_b = [j for j in range(len(forums_b)) if j not in {p[1] for p in pairs}]
        if rest_a and rest_b:
            # the others by the people they share, the blocks breaking ties (and deciding for unknown people)
            score = people / max(people.sum(), 1.0) + 1e-3 * count / max(count.sum(), 1.0)
            rows, cols = linear_sum_assignment(score[np.ix_(rest_a, rest_b)], maximize=True)
            pairs += [(rest_a[r], rest_b[c]) for r, c in zip(rows, cols)]
        for i, j in sorted(pairs):
            if count[i, j] > 0:
                matches[forums_a[i]] = forums_b[j]
                shared[forums_a[i], forums_b[j]] = (int(count[i, j]), float(people[i, j]))

    moved = []
    for block in blocks:
        fa, fb = a.get(block), b.get(block)
        if fa is None and fb is None:
            continue
        if fa is not None and fb is not None and matches.get(fa) == fb:
            continue
        moved.append({"code": block, "label": labels.get(block, block), "a": fa, "b": fb,
                      "a_name": names_a.get(fa, fa) if fa else None, "b_name": names_b.get(fb, fb) if fb else None,
                      "change": "added" if fa is None else "removed" if fb is None else "moved"})
    moved.sort(key=lambda m: (m["a"] is None, m["a"] or "", m["b"] is None, m["b"] or "", m["label"]))

    rows = []
    for fa in forums_a:
        fb = matches.get(fa)
        row = {"a": fa, "b": fb, "a_name": names_a.get(fa, fa), "b_name": names_b.get(fb, fb) if fb else None,
               "blocks_a": len(members_a[fa]), "blocks_b": len(members_b[fb]) if fb else 0,
               "shared_blocks": shared.get((fa, fb), (0, 0.0))[0], "shared_weight": shared.get((fa, fb), (0, 0.0))[1],
               "gained": sorted(members_b[fb] - members_a[fa]) if fb else [],
               "lost": sorted(members_a[fa] - members_b[fb]) if fb else sorted(members_a[fa])}
        if fb is None:
            row["status"] = "only_a"
        elif members_a[fa] != members_b[fb]:
            row["status"] = "changed"
        elif fa != fb or row["a_name"] != row["b_name"]:
            row["status"] = "renamed"
        else:
            row["status"] = "unchanged"
        rows.append(row)
    for fb in forums_b:
        if fb not in matches.values():
            rows.append({"a": None, "b": fb, "a_name": None, "b_name": names_b.get(fb, fb), "blocks_a": 0,
                         "blocks_b": len(members_b[fb]), "shared_blocks": 0, "shared_weight": 0.0,
                         "gained": sorted(members_b[fb]), "lost": [], "status": "only_b"})
    return {"blocks": len(blocks), "differing": len(moved), "moved": moved, "forums": rows, "matches": matches}


def summary_sentence(found: dict, unit: str = "ward") -> str:
    """'7 of 45 wards are in different forums.' (and what else is worth a sentence)."""
    units = unit if unit.endswith("s") else f"{unit}s"
    n, total = found["differing"], found["blocks"]
    if n == 0:
        text = f"All {total} {units} are in the same forums in A and B."
    else:
        text = f"{n} of {total} {units if total != 1 else unit} {'is' if n == 1 else 'are'} in different forums."
    by = {}
    for row in found["forums"]:
        by[row["status"]] = by.get(row["status"], 0) + 1
    parts = []
    if by.get("unchanged"):
        parts.append(f"{by['unchanged']} {_plural('forum', by['unchanged'])} unchanged")
    if by.get("renamed"):
        parts.append(f"{by['renamed']} with the same {units} under a new code or name")
    if by.get("changed"):
        parts.append(f"{by['changed']} changed")
    if by.get("only_a"):
        parts.append(f"{by['only_a']} only in A")
    if by.get("only_b"):
        parts.append(f"{by['only_b']} only in B")
    if parts:
        text += " Forums: " + _join(parts) + "."
    return text


def forum_label(code: str | None, name: str | None = None) -> str:
    """'North (F1)', or the code alone when the forum has no other name; 'no forum' for None."""
    if code is None:
        return "no forum"
    return code if not name or name == code else f"{name} ({code})"


def colours(forums: Mapping | None, order) -> dict[str, str]:
    """Each forum's colour: its own (a #rrggbb colour) or the editor's palette in turn."""
    own = _own_colours(forums)
    return {code: forums[code]["colour"].lower() if code in own else PALETTE[k % len(PALETTE)]
            for k, code in enumerate(order)}


def _natural(code: str) -> list:
    """A sort key putting F2 before F10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", code)]


def matched_colours(colours_a: Mapping[str, str], colours_b: Mapping[str, str], matches: Mapping[str, str], *,
                    own=()) -> dict[str, str]:
    """B's forum colours, each forum of B without a colour of its own (``own``: those with one) taking the
    colour of the forum of A it matches, and the rest palette colours that neither side uses yet, so the
    same forum looks the same on both sides.

    >>> matched_colours({"F1": "#1d70b8"}, {"North": "#d4351c", "New": "#1d70b8"}, {"F1": "North"})
    {'North': '#1d70b8', 'New': '#d4351c'}
    """
    of_a = {fb: fa for fa, fb in matches.items()}
    out = {fb: colours_a[of_a[fb]] if fb in of_a and fb not in own and of_a[fb] in colours_a else colour
           for fb, colour in colours_b.items()}
    used = set(colours_a.values()) | {out[fb] for fb in out if fb in own or fb in of_a}
    spare = [c for c in PALETTE if c not in used]
    for fb in out:
        if fb not in own and fb not in of_a:
            out[fb] = spare.pop(0) if spare else out[fb]
    return out


def _own_colours(forums) -> set[str]:
    """The forums that have a colour of their own."""
    return {code for code, f in (forums or {}).items()
            if isinstance(f, dict) and isinstance(f.get("colour"), str) and _HEX.match(f["colour"])}


def _clean(assignment) -> dict[str, str]:
    out = {}
    for block, forum in (assignment or {}).items():
        block, forum = str(block).strip(), str(forum or "").strip()
        if block and forum:
            out[block] = forum
    return out


def _weights(weights) -> dict[str, float]:
    out = {}
    for block, value in (weights or {}).items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(value) and value > 0:
            out[str(block).strip()] = value
    return out


def _plural(word: str, n: int) -> str:
    return word if n == 1 else f"{word}s"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ------------------------------------------------------------------------------------ from the store

@dataclass
class Side:
    """One side of a comparison: a proposal and one of its versions."""

    letter: str
    proposal: Proposal
    version: ProposalVersion


def choose(session: Session, letter: str, proposal_id, number) -> Side:
    """The proposal (if the caller may see it) and its version ``number`` (default the latest)."""
    proposal = visible(_whole(proposal_id, letter.lower(), "proposal number"))
    if number in (None, ""):
        version = service.latest_version(session, proposal.id)
        if version is None:
            raise NotFound(f"Proposal {letter}, '{proposal.name}', has no saved version to compare yet.")
    else:
        version = service.get_version(session, proposal.id, _whole(number, f"v{letter.lower()}", "version number"))
    return Side(letter, proposal, version)


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
    layer, _notes = cached_layer(session, a.proposal.block_set_id, a.proposal.container_set_id)
    labels = dict(zip(layer.codes, layer.labels))
    found = differences(a.version.assignment, b.version.assignment, labels,
                        names_a=_names(a.version.forums), names_b=_names(b.version.forums),
                        weights=dict(zip(layer.codes, layer.population)))
    where = {code: i for i, code in enumerate(layer.codes)}
    for row in found["moved"]:
        i = where.get(row["code"])
        row["name"] = layer.names[i] if i is not None else row["code"]
        row["container_name"] = (layer.container_names[layer.container[i]]
                                 if i is not None and layer.container[i] >= 0 else None)
    out["differences"] = found
    out["b"]["colours"] = matched_colours(out["a"]["colours"], out["b"]["colours"], found["matches"],
                                          own=_own_colours(b.version.forums))
    out["unit"] = layer.block_unit
    out["summary"] = summary_sentence(found, layer.block_unit)
    if a.proposal.container_set_id != b.proposal.container_set_id:
        out["notes"].append("A and B place their forums in different sets of areas (APBs): each one's rules "
                            "are checked against its own.")
    if a.proposal.id != b.proposal.id and (a.proposal.settings or {}) != (b.proposal.settings or {}):
        out["notes"].append("A and B have different settings (tolerance, forums per APB): each one's rules are "
                            "checked under its own settings.")
    if a.proposal.id == b.proposal.id and a.version.number == b.version.number:
        out["notes"].append("A and B are the same version of the same proposal.")
    return out


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
            "colours": colours(version.forums, order), "check": report,
            "links": {"editor": url_for("proposals.editor", proposal_id=proposal.id),
                      "json": url_for("proposals.show", proposal_id=proposal.id)}}


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


def _arguments() -> dict:
    """The query arguments a, va, b and vb (blank: not given)."""
    return {k: (request.args.get(k) or "").strip() or None for k in ("a", "va", "b", "vb")}


def _resolve(session: Session, args: dict) -> tuple[Side, Side]:
    """Both sides; a proposal compared with itself, no versions named, is its last two versions (A the earlier)."""
    if not args["a"] or not args["b"]:
        raise InvalidInput("Choose the two proposals to compare: a and b (proposal numbers), with va and vb for "
                           "their versions (default: the latest).")
    va, vb = args["va"], args["vb"]
    if va is None and vb is None and _whole(args["a"], "a", "proposal number") == _whole(args["b"], "b",
                                                                                          "proposal number"):
        latest = visible(_whole(args["a"], "a", "proposal number")).version
        if latest > 1:
            va, vb = latest - 1, latest
    return choose(session, "A", args["a"], va), choose(session, "B", args["b"], vb)


def _choices(session: Session) -> list[dict]:
    return [{"id": p.id, "name": p.name, "version": p.version, "published": p.published}
            for p in service.list_proposals(session) if may_see(p)]


# ------------------------------------------------------------------------------------ the routes

@bp.get("/compare")
@requires("read")
def page():
    """Two proposals (or two versions of one) side by side: a map of the blocks that differ, and both
    ones' forum statistics and rules."""
    session = db_session()
    args = _arguments()
    found, error, status = None, None, 200
    if args["a"] and args["b"]:  # with one side only, the chooser is shown with it filled in
        try:
            found = compare(session, *_resolve(session, args))
        except (InvalidInput, NotFound) as problem:  # not Forbidden nor SignInNeeded: those are the guard's pages
            error, status = problem.message, problem.status
    choices = _choices(session)
    versions = {}
    for key in ("a", "b"):
        chosen = next((c for c in choices if str(c["id"]) == (args[key] or "")), None)
        versions[key] = chosen["version"] if chosen else None
    config = None
    if found is not None and found["comparable"]:
        config = _map_config(session, found)
    rows, columns = None, {}
    if found is not None:
        found["a"]["score"] = _score(found["a"]["check"])
        found["b"]["score"] = _score(found["b"]["check"])
        rows = {"a": _aligned(found, "a"), "b": _aligned(found, "b")}
        every = rows["a"] + rows["b"]
        columns = {"councillors": any(f["councillors"] is not None for f in every),
                   "score": bool(found["a"]["score"] or found["b"]["score"])}
    return render_template("proposals/compare.html", c=found, error=error, args=args, choices=choices,
                           versions=versions, config=config, status_words=STATUS_WORDS, rows=rows,
                           columns=columns,
                           json_url=url_for(".page_json", **{k: v for k, v in args.items() if v}),
                           swap_url=url_for(".page", a=args["b"], va=args["vb"], b=args["a"], vb=args["va"])
                           if args["a"] and args["b"] else None), status


@bp.get("/compare.json")
@requires("read")
def page_json():
    """The comparison of two proposals or versions as JSON: the same facts as the page."""
    session = db_session()
    args = _arguments()
    found = compare(session, *_resolve(session, args))
    found["links"] = {"html": url_for(".page", **_chosen(found)), "json": url_for(".page_json", **_chosen(found))}
    return found


def _aligned(found: dict, key: str) -> list[dict]:
    """A side's forums in the order of the correspondence (B's beside the forums of A they match, so the two
    tables read across), or by code when the two cannot be compared block by block."""
    forums = found[key]["check"]["forums"]
    if not found["differences"]:
        return sorted(forums, key=lambda f: _natural(f["code"]))
    order = {row[key]: k for k, row in enumerate(found["differences"]["forums"]) if row[key] is not None}
    return sorted(forums, key=lambda f: (order.get(f["code"], len(order)), _natural(f["code"])))


def _chosen(found: dict) -> dict:
    return {"a": found["a"]["proposal"]["id"], "va": found["a"]["version"]["number"],
            "b": found["b"]["proposal"]["id"], "vb": found["b"]["version"]["number"]}


def _score(report: dict) -> str | None:
    """The id of the IMD average score among the report's indicators, if there is one."""
    return next((m["id"] for m in report.get("indicators", []) if m["id"].endswith("_average_score")), None)


def _map_config(session: Session, found: dict) -> dict:
    """What the page's script needs: the GeoJSON URLs, both assignments and forum labels, the blocks that differ."""
    a, b = found["a"], found["b"]

    def labels(side):
        names = _names(side["forums"])
        codes = set(side["assignment"].values())
        return {code: forum_label(code, names.get(code)) for code in codes}

    return {"blocks": url_for("map.set_geojson", set_id=a["proposal"]["block_set"]),
            "containers": url_for("map.set_geojson", set_id=a["proposal"]["container_set"]),
            "a": {"assignment": a["assignment"], "labels": labels(a), "colours": a["colours"]},
            "b": {"assignment": b["assignment"], "labels": labels(b), "colours": b["colours"]},
            "differs": [m["code"] for m in found["differences"]["moved"]],
            "unit": found["unit"]}
