"""A shape drawn on the proposal map turned into blocks by best fit: a block is taken when at least half
of its area lies inside the shape; blocks only partly covered are reported, not taken."""
from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..storage import boundary_sets
from ..storage.models import Proposal
from .engine import UNIT_WORDS, area_of, proposal_layer

#: Share of a block's area the shape must cover for the block to be taken.
TAKEN = 0.5
#: Covered shares below this are treated as touching edges, not partial cover.
TOUCHING = 0.01


def blocks_in_shape(session: Session, proposal: Proposal, shape: shapely.MultiPolygon) -> dict:
    """The blocks of the proposal's block set (within its area) that ``shape`` (EPSG:27700) best fits.

    Returns ``blocks`` (codes taken, by code), ``partial`` (code, name and share of each block covered
    by 1% up to half), ``unit`` and ``rule`` (the sentence saying how blocks were chosen).
    Raises InvalidInput when the shape covers no block at all.
    """
    kind = boundary_sets.get_set(session, proposal.block_set_id).kind
    unit = UNIT_WORDS.get(kind, kind)
    within = None if area_of(proposal) is None else list(proposal_layer(session, proposal, counted=False)[0].codes)
    areas = boundary_sets.load_areas(session, proposal.block_set_id, within)
    geoms = areas.geometry.values
    near = shapely.intersects(geoms, shape)
    share = np.zeros(len(areas))
    covered = shapely.area(shapely.intersection(geoms[near], shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        share[near] = np.where(shapely.area(geoms[near]) > 0, covered / shapely.area(geoms[near]), 0.0)
    taken = share >= TAKEN
    partly = (share >= TOUCHING) & ~taken
    if not partly.any() and not taken.any():
        raise InvalidInput(f"The shape covers no {unit} of this proposal: draw it over the {unit}s on the map.")
    return {"blocks": areas["code"][taken].tolist(),
            "partial": [{"code": code, "name": name, "share": round(float(s), 4)}
                        for code, name, s in zip(areas["code"][partly], areas["name"][partly], share[partly])],
            "unit": unit,
            "rule": f"A {unit} is taken when at least half of its area lies inside the shape."}
