"""Block layers for proposals, prepared from the store once and cached, and proposals checked against them."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from layers.proposals import BlockLayer, Measure, check, imd_measures, indicator_measure, prepare_blocks
from layers.weights import lookup_weights

from .. import figures
from ..caches import LRUCache
from ..profiles import deprivation
from ..storage import boundary_sets, councillors, postcodes
from ..storage.indicators import load_values, values_version
from ..storage.models import Proposal

#: Words for a kind of block or container in messages.
UNIT_WORDS = {"lsoa": "LSOA", "msoa": "MSOA", "apb": "APB", "laf": "LAF", "lad": "borough", "service": "area"}
#: A forum's statistics as an adopted or exported forum carries them in its properties.
STATISTICS = ("container", "container_name", "block_count", "population", "ideal", "deviation",
              "within_tolerance", "councillors", "area_km2", "perimeter_km", "polsby_popper", "pieces")
#: Layers by store, set versions, indicator import and indicators (least recently used dropped).
_LAYERS = LRUCache("prepared block layers", 16)


def prepare_layer(session: Session, blocks_id: str, within_id: str, *, councillors=None,
                  indicator_ids=(), area: tuple[str, ...] | None = None) -> tuple[BlockLayer, list[str]]:
    """Prepare the blocks from the store: each block's population as every page shows it, and the IMD and
    chosen indicators summed to blocks by the figures' own weights (so a forum's figures are its wards'); each
    block in its container as the store links them by code when the sets declare it (official nesting), else
    by best fit.
    With ``area`` (container codes), only the blocks within those containers are prepared (a district of
    England's wards, not all of them): the same layer as the whole one's :meth:`BlockLayer.within`.

    Returns the layer and notes on what it lacks (no population, small areas in no block).
    """
    block_set, container_set = (boundary_sets.get_set(session, i) for i in (blocks_id, within_id))
    units = {"block_unit": UNIT_WORDS.get(block_set.kind, block_set.kind),
             "container_unit": UNIT_WORDS.get(container_set.kind, container_set.kind)}
    blocks, containers = _near(session, block_set.id, container_set.id, area)
    codes = [str(c) for c in blocks["code"]]
    official = boundary_sets.nested_by_code(block_set, blocks, container_set, containers)
    units["nesting"] = None if official is None else dict(zip(official["small_code"], official["large_code"]))

    def done(layer: BlockLayer) -> BlockLayer:
        if area is None:
            return layer
        inside = layer.within(area)
        return replace(inside, outside=frozenset(boundary_sets.area_codes(session, blocks_id)) - set(inside.codes))

    if not figures.small_sets(session):
        return done(prepare_blocks(blocks, containers, councillors=councillors, **units)), \
            ["No LSOA set is loaded: forums have no population or indicator figures."]
    notes = []
    people = figures.population(session, blocks_id)
    if people is None:
        notes.append("No population is loaded: the population rule cannot pass.")
    else:
        notes += people.placement
    measures = []
    release = next(iter(deprivation.releases(session)), None)
    if release is not None:
        source = boundary_sets.get_set(session, release.set_id)
        weights = figures.weights_for(session, source, block_set)
        frame = deprivation.release_frame(session, release)
        for m in imd_measures(frame, n_lsoas=int(release.national_areas)):
            if m.numerator.notna().any():
                measures.append(_to_blocks(m, weights, codes, label=f"{m.label} ({release.title})"))
    for indicator_id in indicator_ids:
        indicator = figures.get_indicator(session, indicator_id)
        source = figures.indicator_set(session, indicator)
        weights = figures.weights_for(session, source, block_set)
        frame = load_values(session, source.id, [indicator.id])
        frame = frame[frame["period"] == figures.latest_period(frame["period"])].set_index("code")
        weighting = figures.weighting_population(session, indicator)
        measure = indicator_measure(indicator.id, indicator.title, indicator.type,
                                    frame[["value", "numerator", "denominator"]],
                                    population=None if weighting is None else weighting[0],
                                    per=indicator.multiplier, unit=indicator.unit or "")
        measures.append(_to_blocks(measure, weights, codes))
    identity = lookup_weights(dict(zip(codes, codes)), source_unit=units["block_unit"])
    layer = prepare_blocks(blocks, containers, weights=identity,
                           population=None if people is None else people.values.reindex(codes),
                           measures=measures, councillors=councillors, **units)
    return done(layer), notes


def _near(session: Session, blocks_id: str, within_id: str, area: tuple[str, ...] | None):
    """The blocks and containers a layer is prepared from: all of them; or, for an area, the blocks meeting the
    box around its containers and every container meeting theirs (so each block's best fit is found among all
    the containers it could lie in)."""
    containers = boundary_sets.load_areas(session, within_id)
    if area is None:
        return boundary_sets.load_areas(session, blocks_id), containers
    chosen = containers[containers["code"].isin(area)]
    blocks, _ = boundary_sets.query_areas(session, blocks_id, bbox=tuple(chosen.total_bounds))
    blocks = blocks[blocks.intersects(chosen.union_all())].reset_index(drop=True)
    if len(blocks):
        containers = containers[containers.intersects(shapely.box(*blocks.total_bounds))].reset_index(drop=True)
    return blocks, containers


def _to_blocks(measure: Measure, weights, codes: list[str], *, label: str | None = None) -> Measure:
    """A measure held for small areas, summed to blocks by the figures' weights (NaN in any part: NaN)."""
    def summed(series):
        if series is None or weights is None:
            return None if series is None else pd.Series(np.nan, index=codes)
        aligned = pd.to_numeric(series.set_axis(series.index.map(str)), errors="coerce")
        totals = weights.apply(aligned.reindex(list(weights.source_codes)).to_numpy(dtype=float))
        return pd.Series(totals, index=list(weights.target_codes)).reindex(codes)

    return Measure(measure.id, label or measure.label, summed(measure.numerator), summed(measure.denominator),
                   measure.per, measure.unit)


def cached_layer(session: Session, blocks_id: str, within_id: str,
                 indicator_ids=(), area: tuple[str, ...] | None = None) -> tuple[BlockLayer, list[str]]:
    """:func:`prepare_layer` (no councillors), kept per store, set versions, indicator import, indicators and
    area (``area``: container codes, only the blocks within those containers)."""
    return _LAYERS.get_or_build((_layer_key(session, blocks_id, within_id, indicator_ids), area),
                                lambda: prepare_layer(session, blocks_id, within_id,
                                                      indicator_ids=tuple(indicator_ids), area=area))


def counted_layer(session: Session, blocks_id: str, within_id: str,
                  indicator_ids=(), area: tuple[str, ...] | None = None) -> tuple[BlockLayer, list[str]]:
    """:func:`cached_layer` with the block set's stored councillor counts (kept until they change)."""
    def build():
        layer, notes = cached_layer(session, blocks_id, within_id, indicator_ids, area)
        counts = councillors.counts(session, blocks_id)
        return layer.with_councillors({code: n for code, n in counts.items() if code in layer.index}), \
            notes + ([] if counts else [
                f"No councillor counts are entered for {blocks_id}: forums have no councillor totals."])

    key = (_layer_key(session, blocks_id, within_id, indicator_ids), area, councillors.version(session, blocks_id))
    return _LAYERS.get_or_build(key, build)


def area_of(proposal: Proposal) -> tuple[str, ...] | None:
    """The container codes a proposal covers (None: every container of its set)."""
    area = (proposal.settings or {}).get("area")
    return tuple(area) if area else None


def proposal_layer(session: Session, proposal: Proposal, *, counted: bool = True) -> tuple[BlockLayer, list[str]]:
    """The layer a proposal is checked against: its blocks within its area, with its indicators (and the
    councillor counts, when ``counted``)."""
    indicators = tuple((proposal.settings or {}).get("indicators") or ())
    build = counted_layer if counted else cached_layer
    return build(session, proposal.block_set_id, proposal.container_set_id, indicators, area_of(proposal))


def in_area(layer: BlockLayer, assignment: dict) -> dict:
    """The assignment without the blocks outside the layer's area."""
    return {block: forum for block, forum in (assignment or {}).items() if block not in layer.outside}


def area_assignment(session: Session, proposal: Proposal, assignment: dict | None) -> dict:
    """The assignment of the blocks within the proposal's area (all of it when the area is every container)."""
    if area_of(proposal) is None:
        return dict(assignment or {})
    return in_area(proposal_layer(session, proposal, counted=False)[0], assignment)


def _layer_key(session: Session, blocks_id: str, within_id: str, indicator_ids) -> tuple:
    loaded = boundary_sets.list_sets(session)  # one query for the sets the layer is made from
    by_id = {s.id: s for s in loaded}
    sets = [by_id.get(i) or boundary_sets.get_set(session, i) for i in (blocks_id, within_id)]
    small = tuple(figures.set_version(s) for s in loaded if s.kind == "lsoa")
    return (figures.store_id(session), *((s.id, figures.set_version(s)) for s in sets), small,
            values_version(session), postcodes.state(session), tuple(indicator_ids))


def check_proposal(session: Session, proposal: Proposal, assignment: dict, forums: dict | None = None) -> dict:
    """Statistics and rules of ``assignment`` (block code to forum) under the proposal's settings, over the
    blocks within its area only (a block outside is neither unassigned nor an error).

    ``forums`` maps forum codes to {"name", "colour"}; the result is that of
    :func:`layers.proposals.check` with the layer's ``notes`` and ``indicators``.
    """
    settings = proposal.settings or {}
    layer, notes = proposal_layer(session, proposal)
    counts = settings.get("forums_per_container")
    if isinstance(counts, dict):  # counts set for containers outside the area are not this check's
        counts = {code: n for code, n in counts.items() if code in layer.container_codes}
    names = {code: f["name"] for code, f in (forums or {}).items() if isinstance(f, dict) and f.get("name")}
    report = check(layer, assignment, tolerance=settings.get("tolerance", 0.05),
                   forums_per_container=counts, names=names)
    return report | {"notes": notes,
                     "indicators": [{"id": m.id, "label": m.label, "unit": m.unit} for m in layer.measures]}
