"""Block layers for proposals, prepared from the store once and cached, and proposals checked against them."""
from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd
from sqlalchemy.orm import Session

from layers.imd import DOMAINS, TOTAL_POPULATION
from layers.proposals import BlockLayer, check, imd_measures, indicator_measure, prepare_blocks

from .. import figures
from ..storage import boundary_sets, councillors
from ..storage.indicators import list_indicators, load_values, values_version
from ..storage.models import Proposal

#: Words for a kind of block or container in messages.
UNIT_WORDS = {"lsoa": "LSOA", "msoa": "MSOA", "apb": "APB", "laf": "LAF", "lad": "borough", "service": "area"}
#: Layers by store, set versions, indicator import and indicators (least recently used dropped).
CACHE_SIZE = 16
_LAYERS: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def prepare_layer(session: Session, blocks_id: str, within_id: str, *, councillors=None,
                  indicator_ids=()) -> tuple[BlockLayer, list[str]]:
    """Prepare the blocks from the store: population and IMD measures from the LSOA set's values.

    Returns the layer and notes on what it lacks (no LSOAs, no population, LSOAs in no block).
    """
    block_set, container_set = (boundary_sets.get_set(session, i) for i in (blocks_id, within_id))
    units = {"block_unit": UNIT_WORDS.get(block_set.kind, block_set.kind),
             "container_unit": UNIT_WORDS.get(container_set.kind, container_set.kind)}
    blocks, containers = (boundary_sets.load_areas(session, s.id) for s in (block_set, container_set))
    source = _lsoa_set(session)
    if source is None:
        return prepare_blocks(blocks, containers, councillors=councillors, **units), \
            ["No LSOA set is loaded: forums have no population or indicator figures."]

    def values(indicator_id):
        frame = load_values(session, source.id, [indicator_id])
        frame = frame[frame["period"] == figures.latest_period(frame["period"])]
        return frame.set_index("code")[["value", "numerator", "denominator"]]

    stored = {i.id: i for i in list_indicators(session)}
    population_id = next((i for i in figures.POPULATION_IDS if i in stored), None)
    population = values(population_id)["value"] if population_id else None
    imd = DOMAINS["IMD"]
    iod = pd.DataFrame({column: values(i.id)["value"] for i in stored.values()
                        for column in (imd.score, imd.rank, imd.decile) if i.source_column == column})
    if population is not None:
        iod[TOTAL_POPULATION] = population
    measures = [m for m in imd_measures(iod) if m.numerator.notna().any()]
    for indicator_id in indicator_ids:
        indicator = figures.get_indicator(session, indicator_id)
        measures.append(indicator_measure(indicator.id, indicator.title, indicator.type, values(indicator.id),
                                          population=population, per=indicator.multiplier,
                                          unit=indicator.unit or ""))
    layer = prepare_blocks(blocks, containers, small_areas=boundary_sets.load_areas(session, source.id),
                           population=population, measures=measures, councillors=councillors, **units)
    notes = [] if population is not None else ["No population is loaded: the population rule cannot pass."]
    if layer.unassigned_small_areas:
        notes.append(f"{len(layer.unassigned_small_areas)} LSOAs lie in no block and are left out: "
                     f"{', '.join(layer.unassigned_small_areas[:5])}")
    return layer, notes


def cached_layer(session: Session, blocks_id: str, within_id: str,
                 indicator_ids=()) -> tuple[BlockLayer, list[str]]:
    """:func:`prepare_layer` (no councillors), kept per store, set versions, indicator import and indicators."""
    return _cached(_layer_key(session, blocks_id, within_id, indicator_ids),
                   lambda: prepare_layer(session, blocks_id, within_id, indicator_ids=tuple(indicator_ids)))


def counted_layer(session: Session, blocks_id: str, within_id: str,
                  indicator_ids=()) -> tuple[BlockLayer, list[str]]:
    """:func:`cached_layer` with the block set's stored councillor counts (kept until they change)."""
    def build():
        layer, notes = cached_layer(session, blocks_id, within_id, indicator_ids)
        counts = councillors.counts(session, blocks_id)
        return layer.with_councillors(counts), notes + ([] if counts else [
            f"No councillor counts are entered for {blocks_id}: forums have no councillor totals."])

    key = (_layer_key(session, blocks_id, within_id, indicator_ids), councillors.version(session, blocks_id))
    return _cached(key, build)


def _layer_key(session: Session, blocks_id: str, within_id: str, indicator_ids) -> tuple:
    loaded = boundary_sets.list_sets(session)  # one query for the three sets the layer is made from
    by_id = {s.id: s for s in loaded}
    sets = [by_id.get(i) or boundary_sets.get_set(session, i) for i in (blocks_id, within_id)]
    source = next((s for s in loaded if s.kind == "lsoa"), None)
    return (figures.store_id(session), *((s.id, figures.set_version(s)) for s in sets),
            figures.set_version(source) if source else None, values_version(session), tuple(indicator_ids))


def _cached(key, build):
    with _LOCK:
        if key in _LAYERS:
            _LAYERS.move_to_end(key)
            return _LAYERS[key]
    found = build()
    with _LOCK:
        _LAYERS[key] = found
        while len(_LAYERS) > CACHE_SIZE:
            _LAYERS.popitem(last=False)
    return found


def check_proposal(session: Session, proposal: Proposal, assignment: dict, forums: dict | None = None) -> dict:
    """Statistics and rules of ``assignment`` (block code to forum) under the proposal's settings.

    ``forums`` maps forum codes to {"name", "colour"}; the result is that of
    :func:`layers.proposals.check` with the layer's ``notes`` and ``indicators``.
    """
    settings = proposal.settings or {}
    layer, notes = counted_layer(session, proposal.block_set_id, proposal.container_set_id,
                                 settings.get("indicators") or ())
    names = {code: f["name"] for code, f in (forums or {}).items() if isinstance(f, dict) and f.get("name")}
    report = check(layer, assignment, tolerance=settings.get("tolerance", 0.05),
                   forums_per_container=settings.get("forums_per_container"), names=names)
    return report | {"notes": notes,
                     "indicators": [{"id": m.id, "label": m.label, "unit": m.unit} for m in layer.measures]}


def _lsoa_set(session: Session):
    return next((s for s in boundary_sets.list_sets(session) if s.kind == "lsoa"), None)
