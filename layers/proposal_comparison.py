"""Two forum proposals, or two versions of one, compared block by block.

:func:`differences` matches each forum of A with the forum of B it shares the most people (or blocks) with,
so a forum that was only renamed or recoded ("A's F1 is B's North") is recognised, and a block differs only
when it lies in a forum of B that is not the match of its forum in A. :func:`matched_colours` then gives
B's forums their matches' colours, so the same forum looks the same on both sides. Plain mappings in, plain
dicts out.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
from scipy.optimize import linear_sum_assignment

from layers.proposals import FORUM_COLOURS

#: How a forum of A corresponds to one of B, in words for the page.
STATUS_WORDS = {"unchanged": "Unchanged", "renamed": "Same wards, new code or name",
                "changed": "Changed", "only_a": "Only in A", "only_b": "Only in B"}


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
    forums_a, forums_b = sorted(set(a.values()), key=natural_key), sorted(set(b.values()), key=natural_key)
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
    """The comparison in a sentence or two.

    Parameters
    ----------
    found : dict
        What :func:`differences` returns.
    unit : str
        The word for a block.

    Returns
    -------
    str
        How many blocks are in different forums, then how many forums are unchanged, renamed, changed and
        only on one side.

    Examples
    --------
    >>> summary_sentence(differences({"w1": "F1", "w2": "F2"}, {"w1": "F1", "w2": "F1"}))
    '1 of 2 wards is in different forums. Forums: 1 changed and 1 only in A.'
    """
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
    """A forum in words: its name with its code, the code alone when it has no other name.

    Examples
    --------
    >>> forum_label("F1", "North"), forum_label("F2"), forum_label(None)
    ('North (F1)', 'F2', 'no forum')
    """
    if code is None:
        return "no forum"
    return code if not name or name == code else f"{name} ({code})"


def matched_colours(colours_a: Mapping[str, str], colours_b: Mapping[str, str], matches: Mapping[str, str], *,
                    own=()) -> dict[str, str]:
    """B's forum colours, matched to A's so that the same forum looks the same on both sides.

    Parameters
    ----------
    colours_a, colours_b : mapping
        Forum code to colour, on each side.
    matches : mapping
        A's forum code to the forum of B it matches (``differences(...)["matches"]``).
    own : collection of str
        B's forums with a colour of their own: they keep it.

    Returns
    -------
    dict
        B's forum code to colour: a forum without a colour of its own takes the colour of the forum of A
        it matches, and an unmatched one the next palette colour neither side uses yet.

    Examples
    --------
    >>> matched_colours({"F1": "#1d70b8"}, {"North": "#d4351c", "New": "#1d70b8"}, {"F1": "North"})
    {'North': '#1d70b8', 'New': '#d4351c'}
    """
    of_a = {fb: fa for fa, fb in matches.items()}
    out = {fb: colours_a[of_a[fb]] if fb in of_a and fb not in own and of_a[fb] in colours_a else colour
           for fb, colour in colours_b.items()}
    used = set(colours_a.values()) | {out[fb] for fb in out if fb in own or fb in of_a}
    spare = [c for c in FORUM_COLOURS if c not in used]
    for fb in out:
        if fb not in own and fb not in of_a:
            out[fb] = spare.pop(0) if spare else out[fb]
    return out


def natural_key(code: str) -> list:
    """A sort key putting F2 before F10.

    Examples
    --------
    >>> sorted(["F10", "F2", "North"], key=natural_key)
    ['F2', 'F10', 'North']
    """
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", code)]


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
