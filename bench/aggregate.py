"""Time apportioning ten indicators by area: tobler against the atlas's own engine, in the same run.

tobler runs where the peers keep it, ``../shared/peers/tobler_baseline.py`` in the peers' venv
(``$PEERS_TMP/venv-gis``, made by ../shared/peers/setup.sh): ``area_interpolate(..., allocate_total=False)``
(an edge LSOA keeps only the share of its total inside the targets, as in the atlas) and a float64
``geopandas.overlay`` + groupby-sum, whose per-target totals it writes at full precision.  This script
then runs the atlas engine on the same frames and the same ten variables (the baseline's: four
IoD2019 mid-2015 population counts and six population-weighted sums, per LSOA):

* *cold*: weights built (``layers.weights.area_weights``) and all ten indicators aggregated
  (``layers.aggregate.aggregate_many``), nothing cached: timed once before tobler runs and once after;
* *warm*: weights cached, the ten indicators aggregated again (best of 5).

Agreement: for every target and variable, ``|atlas - overlay| / |overlay|`` (targets the overlay gives 0
count by absolute difference), and ``|atlas - overlay| / max(|overlay|, 1)`` as tobler_baseline.py measures
(a ward that gets only a sliver of an LSOA has a total of a hundred-thousandth of a person, whose last digits
depend on how each library cuts nearly parallel edges); the largest of each is printed, with the second
for tobler (whose area table is float32, so about 1e-7 is its floor).  Pairs: Cheshire West and
Chester's 212 LSOAs -> 45 wards, and England's 32,844 LSOAs -> 7,681 2013 wards.  The load average is
printed before and after.

Run: .venv/bin/python bench/aggregate.py [--borough-only] [--tobler-runs 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layers.aggregate import aggregate_many  # noqa: E402 - the project is importable only once ROOT is on sys.path
from layers.weights import WeightsCache, area_weights, weights_key  # noqa: E402 - as above, after sys.path

SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
PEERS = SHARED / "peers"
PEERS_TMP = Path(os.environ.get("PEERS_TMP") or Path(os.environ.get("TMPDIR") or "/tmp") / "atlas-peers")
GIS_PY = PEERS_TMP / "venv-gis" / "bin" / "python"

# The baseline's ten variables (tobler_baseline.load_iod), rebuilt here from the same IoD2019 columns.
POP = {
    "pop_total": "Total population: mid 2015 (excluding prisoners)",
    "pop_0_15": "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
    "pop_16_59": "Population aged 16-59: mid 2015 (excluding prisoners)",
    "pop_60_plus": "Older population aged 60 and over: mid 2015 (excluding prisoners)",
}
WEIGHTED = {
    "pop_x_imd_score": "Index of Multiple Deprivation (IMD) Score",
    "pop_x_imd_rank": "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "pop_x_income_rank": "Income Rank (where 1 is most deprived)",
    "pop_x_employment_rank": "Employment Rank (where 1 is most deprived)",
    "pop_x_health_rank": "Health Deprivation and Disability Rank (where 1 is most deprived)",
}
DECILE = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"
SCALES = {  # source gpkg, layer, code column; target gpkg, layer, code column
    "cwac": (DATA / "cheshire_west_and_chester.gpkg", "lsoa", "code",
             DATA / "cheshire_west_and_chester.gpkg", "wards", "code"),
    "england": (DATA / "england" / "lsoa2011.gpkg", "lsoa2011", "lsoa11cd",
                DATA / "england" / "wards.gpkg", "wards2013", "wd13cd"),
}


def variables(iod: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """The ten extensive variables per LSOA, indexed by code in the order of ``codes``."""
    table = iod.set_index("LSOA code (2011)").reindex(codes.astype(str))
    out = pd.DataFrame({short: table[column].astype("float64") for short, column in POP.items()})
    for short, column in WEIGHTED.items():
        out[short] = out["pop_total"] * table[column]
    out["pop_in_imd_decile1"] = out["pop_total"] * (table[DECILE] == 1)
    if out.isna().any().any():
        raise SystemExit("an LSOA has no IoD2019 row: the variables would not match the baseline's")
    return out


def load_average() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_peers(scales: list[str], runs: int, out: Path) -> pd.DataFrame:
    """Run tobler and the overlay in the peers' venv; their timing lines as a frame."""
    if not GIS_PY.exists():
        raise SystemExit(f"no peers venv at {GIS_PY}: run `source {PEERS / 'setup.sh'}; peers_venv_gis` first")
    command = [str(GIS_PY), str(PEERS / "tobler_baseline.py"), "--scales", ",".join(scales), "--runs", str(runs),
               "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    for line in lines:
        if line.startswith("#"):
            print("  peers" + line[1:])
    header = lines.index("method,scale,median_s,min_s,max_s")
    rows = [line.split(",") for line in lines[header + 1:] if line]
    return pd.DataFrame(rows, columns=lines[header].split(",")).astype({"median_s": float, "min_s": float})


def max_relative_difference(result: pd.DataFrame, reference: pd.DataFrame, floor: float = 0.0) -> float:
    """Largest |result - reference| / max(|reference|, floor) over targets and variables (absolute where both
    the reference and the floor are 0)."""
    ours = result.reindex(index=reference.index, columns=reference.columns).to_numpy(dtype=float)
    ref = reference.to_numpy(dtype=float)
    diff = np.abs(ours - ref)
    scale = np.maximum(np.abs(ref), floor)
    mask = scale > 0
    worst = np.max(diff[mask] / scale[mask]) if mask.any() else 0.0
    stray = np.max(diff[~mask]) if (~mask).any() else 0.0
    return float(max(worst, stray))


def peer_totals(path: Path, scale: str, method: str, columns) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"target_id": str})
    table = table[(table["scale"] == scale) & (table["method"] == method)]
    return table.set_index("target_id")[list(columns)]


def engine(source, target, scode, tcode, values, key, cache):
    weights = area_weights(source, target, source_code=scode, target_code=tcode, source_unit="LSOA", key=key)
    cache.put(weights)
    return warm_engine(weights, values)


def warm_engine(weights, values):
    return aggregate_many(weights, "count", values).xs("value", axis=1, level=1)


def timed(fn, *args, repeat: int = 1):
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return result, best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borough-only", action="store_true", help="skip the England-wide case")
    parser.add_argument("--tobler-runs", type=int, default=1, help="timed runs of tobler after its warm-up")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no shared data at {DATA}", file=sys.stderr)
        return 1
    scales = ["cwac"] if args.borough_only else ["cwac", "england"]
    iod = pd.read_csv(DATA / "england" / "iod2019_file7_partial.csv")
    frames = {}
    for scale in scales:
        sg, sl, scode, tg, tl, tcode = SCALES[scale]
        source = gpd.read_file(sg, layer=sl, engine="pyogrio")[[scode, "geometry"]]
        target = gpd.read_file(tg, layer=tl, engine="pyogrio")[[tcode, "geometry"]]
        frames[scale] = (source, target, scode, tcode, variables(iod, source[scode]))

    print(f"# start: {load_average()}  cpus {os.cpu_count()}")
    before = {}
    for scale, (source, target, scode, tcode, values) in frames.items():
        _, before[scale] = timed(engine, source, target, scode, tcode, values, "x", WeightsCache())
    print(f"# atlas cold before the peers: {load_average()}")
    with tempfile.TemporaryDirectory() as scratch:
        totals = Path(scratch) / "totals.csv"
        peers = run_peers(scales, args.tobler_runs, totals)
        print(f"# peers done: {load_average()}")
        rows = []
        for scale, (source, target, scode, tcode, values) in frames.items():
            cache = WeightsCache()
            key = weights_key(scale, 1, tcode, 1, "area")
            cold_result, cold = timed(engine, source, target, scode, tcode, values, key, cache)
            warm_result, warm = timed(warm_engine, cache.get(key), values, repeat=5)
            reference = peer_totals(totals, scale, "geopandas_overlay_groupby", values.columns)
            tobler = peer_totals(totals, scale, "tobler_area_interpolate", values.columns)
            ours = pd.DataFrame(cold_result.to_numpy(), index=list(cache.get(key).target_codes),
                                columns=values.columns)
            warm_frame = pd.DataFrame(warm_result.to_numpy(), index=ours.index, columns=values.columns)
            diff = max(max_relative_difference(ours, reference), max_relative_difference(warm_frame, reference))
            floored = max(max_relative_difference(ours, reference, 1.0),
                          max_relative_difference(warm_frame, reference, 1.0))
            grand = float(np.max(np.abs(ours.sum() - reference.sum()) / np.abs(reference.sum())))
            t_tob = float(peers.loc[(peers.method == "tobler_area_interpolate") & (peers.scale == scale),
                                    "median_s"].iloc[0])
            t_ovl = float(peers.loc[(peers.method == "geopandas_overlay_groupby") & (peers.scale == scale),
                                    "median_s"].iloc[0])
            rows.append({"case": scale, "sources": len(source), "targets": len(target), "tobler_s": t_tob,
                         "overlay_s": t_ovl, "cold_before_s": before[scale], "cold_after_s": cold, "warm_s": warm,
                         "cold_x": t_tob / max(before[scale], cold), "warm_x": t_tob / warm,
                         "rel_diff_overlay": diff, "rel_diff_overlay_floor1": floored,
                         "grand_total_rel_diff": grand,
                         "tobler_rel_diff_floor1": max_relative_difference(tobler, reference, 1.0)})
    print(f"# end: {load_average()}")
    print("# cold_x uses the slower of the two cold runs. Differences from the overlay, per target and variable:\n"
          "# rel_diff_overlay = max |atlas - overlay| / |overlay|; _floor1 = / max(|overlay|, 1), the peers' measure\n"
          "# (a ward whose total is a sliver of a person is compared in absolute terms); grand_total = over all\n"
          "# targets' sums; tobler_rel_diff_floor1 = tobler against the overlay, the peers' measure")
    summary = pd.DataFrame(rows).set_index("case")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
