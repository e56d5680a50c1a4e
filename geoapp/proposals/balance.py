"""Whether a proposal's forum count and tolerance can be met with whole blocks in each container.

For each container (APB) with a number of forums set, :func:`boundaries.balance.best_split` finds the most
even split of its blocks into that many forums in one piece; the editor says where the tolerance cannot be
met and how close whole wards can come. Answers are kept per prepared layer and settings.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from boundaries.balance import best_split

from ..caches import MISSING, LRUCache
from ..storage.models import Proposal
from .engine import proposal_layer

#: Answers kept (layer, counts, tolerance), least recently used dropped.
_ANSWERS = LRUCache("forum balance answers", 32)


def feasibility(session: Session, proposal: Proposal) -> dict:
    """For each container of the proposal's area with a forum count: can every forum be within tolerance, and
    the best possible.

    Returns ``{"tolerance", "block_unit", "container_unit", "containers": [...]}``; each container has
    ``code``, ``name``, ``forums`` (the count set), ``blocks``, ``population``, ``ideal``, ``possible``
    (False when no split into that many forums in one piece exists), ``best_deviation`` (largest deviation
    of the best split; None when impossible), ``within`` (True when the best is within tolerance),
    ``exact`` (False when found by a heuristic or a search cut short: a better split may exist) and
    ``split`` (block codes of each forum of the best split).
    """
    settings = proposal.settings or {}
    tolerance = float(settings.get("tolerance", 0.05))
    counts = settings.get("forums_per_container")
    layer, _ = proposal_layer(session, proposal, counted=False)  # the containers of its area only
    wanted = _wanted(counts, layer.container_codes)
    key = (id(layer), tuple(wanted), tolerance)
    held = _ANSWERS.get(key)
    if held is not MISSING:
        return held[1]
    found = {"tolerance": tolerance, "block_unit": layer.block_unit, "container_unit": layer.container_unit,
             "containers": [_container(layer, j, count, tolerance) for j, count in enumerate(wanted) if count]}
    _ANSWERS.put(key, (layer, found))  # the layer is held so that its id is not reused while the key lives
    return found


def _wanted(counts, container_codes) -> list[int]:
    if isinstance(counts, dict):
        return [int(counts.get(code) or 0) for code in container_codes]
    return [int(counts or 0)] * len(container_codes)


def _container(layer, j: int, count: int, tolerance: float) -> dict:
    members = np.flatnonzero(layer.container == j)
    position = {int(b): k for k, b in enumerate(members)}
    edges = [(position[int(a)], position[int(b)]) for a, b in layer.edges
             if int(a) in position and int(b) in position]
    population = [float(p) if np.isfinite(p) else 0.0 for p in layer.population[members]]
    split = best_split(population, edges, count)
    possible = split.possible
    return {"code": layer.container_codes[j], "name": layer.container_names[j], "forums": count,
            "blocks": len(members), "population": round(sum(population)), "ideal": split.ideal,
            "possible": possible, "best_deviation": split.deviation if possible else None,
            "within": bool(possible and split.deviation <= tolerance + 1e-9), "exact": split.exact,
            "split": [[layer.codes[int(members[i])] for i in part] for part in split.parts]}
