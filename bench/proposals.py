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

Then the same clicks as the editor sends them: POST /proposals/<id>/check.json through the Flask app on
a store holding the example Cheshire West and Chester manifest (SQLite, and PostGIS when a server
answers), wards as blocks: the request's wall time and the process's CPU time, p50 / p95 / max.

Run: .venv/bin/python bench/proposals.py [--clicks 500] [--requests 200]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profiles import CWAC_MANIFEST, drop_store, fresh_store, make_app, postgis_available  # noqa: E402
from geoapp.auth import accounts  # noqa: E402
from geoapp.loading.load import load_manifest  # noqa: E402
from geoapp.loading.manifest import read_manifest  # noqa: E402
from geoapp.storage import boundary_sets  # noqa: E402
from layers.imd import TOTAL_POPULATION  # noqa: E402
from layers.proposals import check, imd_measures, indicator_measure, prepare_blocks  # noqa: E402

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


def requests(backend: str, count: int, tmp: Path, seed: int = 2019) -> None:
    """Time ``count`` check.json requests, each after one ward moves to a neighbouring ward's forum."""
    name = "atlas_bench_proposals"
    db = fresh_store(backend, name, tmp)
    try:
        load_manifest(db, read_manifest(CWAC_MANIFEST), actor="bench")
        with db.transaction() as session:
            accounts.create_user(session, email="bench@example.org", name="Bench", role="officer",
                                 password="bench password 2019", actor="bench")
        with db.session() as session:
            wards = boundary_sets.load_areas(session, "wards")
            apbs = boundary_sets.load_areas(session, "apb")
        client = make_app(db, tmp).test_client()
        signed = client.post("/sign-in", data={"email": "bench@example.org", "password": "bench password 2019",
                                               "csrf_token": _token(client)})
        if signed.status_code != 302:
            raise SystemExit(f"could not sign in: {signed.status_code}")
        token = _token(client)  # the session's token after signing in
        headers = {"Accept": "application/json", "X-CSRFToken": token}
        made = client.post("/proposals/", json={"name": "bench", "settings": {"forums_per_container": 1,
                                                                                "tolerance": 0.1}}, headers=headers)
        if made.status_code != 201:
            raise SystemExit(f"could not create a proposal: {made.get_data(as_text=True)[:300]}")
        url = f"/proposals/{made.get_json()['id']}/check.json"
        owner = [apbs["code"][apbs.geometry.intersection(w).area.argmax()] for w in wards.geometry]
        forum = dict(zip(wards["code"], owner))
        touching = {c: list(wards["code"][wards.geometry.touches(g)]) for c, g in zip(wards["code"], wards.geometry)}
        rng = np.random.default_rng(seed)
        codes = list(forum)
        first_start = time.perf_counter()
        client.post(url, json={"assignment": forum}, headers=headers)
        first = (time.perf_counter() - first_start) * 1000
        gc.collect()
        gc.freeze()
        wall, cpu = np.empty(count), np.empty(count)
        for k in range(count):
            block = codes[rng.integers(len(codes))]
            near = touching[block]
            if near:
                forum[block] = forum[near[rng.integers(len(near))]]
            start, cpu_start = time.perf_counter(), time.process_time()
            answer = client.post(url, json={"assignment": forum}, headers=headers)
            wall[k], cpu[k] = (time.perf_counter() - start) * 1000, (time.process_time() - cpu_start) * 1000
            if answer.status_code != 200 or len(answer.get_json()["forums"]) != len(set(forum.values())):
                raise SystemExit(f"check.json answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
        gc.unfreeze()
        print(f"{backend:<8} {len(codes):>4} {first:>10.1f} {np.percentile(wall, 50):>8.2f} "
              f"{np.percentile(wall, 95):>8.2f} {wall.max():>8.2f} {np.percentile(cpu, 50):>8.2f} "
              f"{np.percentile(cpu, 95):>8.2f}  p95 {np.percentile(wall, 95) / AIM_MS:.1%} of the 50 ms aim")
    finally:
        drop_store(backend, name, db)


def _token(client) -> str:
    page = client.get("/sign-in").get_data(as_text=True)
    return page.split('name="csrf-token" content="')[1].split('"')[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
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
        gc.unfreeze()
    print(f"\nPOST check.json through the app, wards as blocks ({args.requests} requests)")
    print(f"{'store':<8} {'n':>4} {'first ms':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu50':>8} {'cpu95':>8}")
    backends = ["sqlite"] + (["postgis"] if postgis_available() is None else [])
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        for backend in backends:
            requests(backend, args.requests, Path(tmp))


if __name__ == "__main__":
    main()
