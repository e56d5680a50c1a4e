"""Time one click of the forum editor: statistics and rules after one block changes forum.

Blocks are Cheshire West and Chester's 45 wards, then its 212 LSOAs, within the five APBs (wards
dissolved by ../shared/data/cwac_apb_wards.csv).  The proposal starts as one forum per APB (each
block in its best-fit APB's forum); each click moves one random block into the forum of one of its
neighbours (a random forum for a block without neighbours) and runs ``layers.proposals.check`` with
the IMD average score, the share of LSOAs in the most deprived 10% and income deprivation.  Prints
the one-off preparation time, then p50 / p95 / max of the clicks in ms and as a share of the 50 ms aim.

The loaded data are frozen out of the garbage collector (``gc.freeze``) before the clicks, as a server
should do once its layers are prepared: otherwise the odd click pays for a full collection pass over
every geometry loaded (30-50 ms on this data), which says nothing about the engine.

Run: .venv/bin/python bench/proposals.py [--clicks 500]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layers.imd import TOTAL_POPULATION
from layers.proposals import check, imd_measures, indicator_measure, prepare_blocks

DATA = ROOT.parent / "shared" / "data"
AIM_MS = 50.0


def load():
    gpkg = DATA / "cheshire_west_and_chester.gpkg"
    wards, lsoas = gpd.read_file(gpkg, layer="wards"), gpd.read_file(gpkg, layer="lsoa")
    lookup = pd.read_csv(DATA / "cwac_apb_wards.csv", dtype=str)
    apbs = (wards.merge(lookup, left_on="code", right_on="ward_code").dissolve(by="apb_id", as_index=False)
            [["apb_id", "apb_name", "geometry"]].rename(columns={"apb_id": "code", "apb_name": "name"}))
    iod = pd.read_csv(DATA / "cheshire_west_and_chester_imd2019.csv").set_index("LSOA code (2011)")
    income = pd.DataFrame({"numerator": iod["Income Score (rate)"] * iod[TOTAL_POPULATION],
                           "denominator": iod[TOTAL_POPULATION]})
    measures = [*imd_measures(iod), indicator_measure("income", "Income deprivation", "proportion", income)]
    return {"wards": wards, "LSOAs": lsoas}, apbs, lsoas, iod[TOTAL_POPULATION], measures


def clicks(layer, count: int, seed: int = 2019) -> np.ndarray:
    """Seconds per click over ``count`` random one-block moves."""
    rng = np.random.default_rng(seed)
    forum = np.array([layer.container_codes[c] for c in layer.container], dtype=object)
    neighbours = [[] for _ in layer.codes]
    for i, j in layer.edges:
        neighbours[i].append(j)
        neighbours[j].append(i)
    forums = sorted(set(forum))
    timings = np.empty(count)
    for k in range(count):
        block = rng.integers(len(forum))
        near = neighbours[block]
        forum[block] = forum[near[rng.integers(len(near))]] if near else forums[rng.integers(len(forums))]
        assignment = dict(zip(layer.codes, forum))
        start = time.perf_counter()
        check(layer, assignment, tolerance=0.1, forums_per_container=1)
        timings[k] = time.perf_counter() - start
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=500)
    args = parser.parse_args()
    block_sets, apbs, lsoas, population, measures = load()
    print(f"{'blocks':<8} {'n':>4} {'prepare s':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  share of the 50 ms aim")
    for label, blocks in block_sets.items():
        start = time.perf_counter()
        layer = prepare_blocks(blocks, apbs, small_areas=lsoas, population=population, measures=measures)
        prepared = time.perf_counter() - start
        gc.collect()
        gc.freeze()
        ms = clicks(layer, args.clicks) * 1000
        p50, p95, worst = np.percentile(ms, 50), np.percentile(ms, 95), ms.max()
        print(f"{label:<8} {len(layer.codes):>4} {prepared:>10.3f} {p50:>8.2f} {p95:>8.2f} {worst:>8.2f}  "
              f"p50 {p50 / AIM_MS:.1%}, p95 {p95 / AIM_MS:.1%}, max {worst / AIM_MS:.1%}")


if __name__ == "__main__":
    main()
