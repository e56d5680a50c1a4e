"""Time apportioning ten indicators by area: tobler against the atlas's own engine, cold and warm.

For each pair of boundary sets it prints the time of

* tobler's ``area_interpolate`` (``allocate_total=False``, so an edge LSOA keeps only the share of
  its total inside the targets, as in the atlas), single process as tobler runs by default;
* the atlas engine *cold*: weights built (``layers.weights.area_weights``) and all ten indicators
  aggregated (``layers.aggregate.aggregate_many``);
* the atlas engine *warm*: weights already cached, the ten indicators aggregated again;

and, for tobler and for the engine, the largest relative difference of any target's total of any
indicator from a float64 reference made with ``geopandas.overlay`` (piece area / LSOA area x value,
summed per target).  Pairs: Cheshire West and Chester's 212 LSOAs to its 45 wards and to its five
APBs (wards dissolved by ../shared/data/cwac_apb_wards.csv), and all 32,844 England LSOAs to the
7,681 2013 wards.

Indicators: the five IoD2019 population denominators (File 6), income- and employment-deprived
people (IoD2019 rates x their denominators), the IMD score x population, and two synthetic counts
(seeded Poisson draws), all per LSOA.

Run: .venv/bin/python bench/aggregate.py [--borough-only]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from layers.aggregate import aggregate_many  # noqa: E402 - the project is importable only once ROOT is on sys.path
from layers.weights import WeightsCache, area_weights, weights_key  # noqa: E402 - as above, after sys.path

DATA = ROOT.parent / "shared" / "data"
LSOA_CODE = "LSOA code (2011)"


def indicators(iod: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """Ten count indicators per LSOA, in the order of ``codes``."""
    table = iod.set_index(LSOA_CODE).reindex(codes.astype(str))
    total = table["Total population: mid 2015 (excluding prisoners)"]
    working = table["Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)"]
    rng = np.random.default_rng(2019)
    out = pd.DataFrame(
        {
            "population": total,
            "children_0_15": table["Dependent Children aged 0-15: mid 2015 (excluding prisoners)"],
            "aged_16_59": table["Population aged 16-59: mid 2015 (excluding prisoners)"],
            "aged_60_plus": table["Older population aged 60 and over: mid 2015 (excluding prisoners)"],
            "working_age": working,
            "income_deprived": table["Income Score (rate)"] * total,
            "employment_deprived": table["Employment Score (rate)"] * working,
            "imd_score_x_population": table["Index of Multiple Deprivation (IMD) Score"] * total,
            "synthetic_groups": rng.poisson(3.0, len(table)).astype(float),
            "synthetic_visits": rng.poisson(250.0, len(table)).astype(float),
        }
    )
    out.index = codes.astype(str).to_numpy()
    return out.astype(float)


def overlay_reference(source, target, scode, tcode, values: pd.DataFrame) -> pd.DataFrame:
    src = source[[scode, "geometry"]].rename(columns={scode: "_s"})
    tgt = target[[tcode, "geometry"]].rename(columns={tcode: "_t"})
    pieces = gpd.overlay(src, tgt, how="intersection", keep_geom_type=True)
    src_area = pd.Series(src.area.to_numpy(), index=src["_s"].astype(str))
    share = pieces.area.to_numpy() / src_area.reindex(pieces["_s"].astype(str)).to_numpy()
    contrib = values.reindex(pieces["_s"].astype(str)).to_numpy() * share[:, None]
    totals = pd.DataFrame(contrib, columns=values.columns).groupby(pieces["_t"].astype(str).to_numpy()).sum()
    return totals.reindex(target[tcode].astype(str)).fillna(0.0)


def max_relative_difference(result: pd.DataFrame, reference: pd.DataFrame) -> float:
    ours = result.reindex(index=reference.index, columns=reference.columns).to_numpy(dtype=float)
    ref = reference.to_numpy(dtype=float)
    mask = np.abs(ref) > 0
    diff = np.abs(ours - ref)
    worst = np.max(diff[mask] / np.abs(ref[mask])) if mask.any() else 0.0
    stray = np.max(diff[~mask]) if (~mask).any() else 0.0  # targets the reference gives nothing
    return max(worst, stray)


def timed(fn, repeat: int = 1):
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def engine(weights, values: pd.DataFrame) -> pd.DataFrame:
    out = aggregate_many(weights, "count", values)
    return out.xs("value", axis=1, level=1)


def run_case(label, source, target, scode, tcode, values, *, repeat_small: int) -> dict:
    print(f"\n{label}: {len(source):,} LSOAs -> {len(target):,} areas, {values.shape[1]} indicators")
    reference, t_ref = timed(lambda: overlay_reference(source, target, scode, tcode, values))
    print(f"  geopandas.overlay reference (float64) {t_ref:9.3f} s")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tobler.area_weighted import area_interpolate  # noqa: PLC0415 - tobler warns as it imports; silenced here

        src = source[[scode, "geometry"]].join(values, on=scode)
        tob, t_tob = timed(
            lambda: area_interpolate(
                src, target[[tcode, "geometry"]], extensive_variables=list(values.columns), allocate_total=False
            ),
            repeat_small,
        )
    tob.index = target[tcode].astype(str).to_numpy()
    tob_diff = max_relative_difference(tob[values.columns], reference)
    print(f"  tobler area_interpolate               {t_tob:9.3f} s   max rel diff {tob_diff:.2e}")

    cache = WeightsCache()
    key = weights_key(label, 1, tcode, 1, "area")

    def cold():
        weights = area_weights(source, target, source_code=scode, target_code=tcode, source_unit="LSOA", key=key)
        cache.put(weights)
        return engine(weights, values)

    ours_cold, t_cold = timed(cold, repeat_small)
    ours_warm, t_warm = timed(lambda: engine(cache.get(key), values), 5)
    diff = max(max_relative_difference(ours_cold, reference), max_relative_difference(ours_warm, reference))
    print(f"  atlas engine, cold (weights built)    {t_cold:9.3f} s   max rel diff {diff:.2e}")
    print(f"  atlas engine, warm (weights cached)   {t_warm:9.3f} s")
    print(f"  speed-up over tobler: cold {t_tob / t_cold:6.1f}x, warm {t_tob / t_warm:8.1f}x")
    return {"case": label, "tobler": t_tob, "cold": t_cold, "warm": t_warm, "diff": diff}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borough-only", action="store_true", help="skip the England-wide case")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no shared data at {DATA}", file=sys.stderr)
        return 1
    iod = pd.read_csv(DATA / "england" / "iod2019_file7_partial.csv")

    gpkg = DATA / "cheshire_west_and_chester.gpkg"
    lsoa = gpd.read_file(gpkg, layer="lsoa", engine="pyogrio")
    wards = gpd.read_file(gpkg, layer="wards", engine="pyogrio")
    apb_wards = pd.read_csv(DATA / "cwac_apb_wards.csv", dtype=str)
    apbs = (
        wards.merge(apb_wards[["ward_code", "apb_id"]], left_on="code", right_on="ward_code")
        .dissolve(by="apb_id", as_index=False)[["apb_id", "geometry"]]
        .rename(columns={"apb_id": "code"})
    )
    values = indicators(iod, lsoa["code"])
    rows = [
        run_case("CWAC LSOAs -> wards", lsoa, wards, "code", "code", values, repeat_small=5),
        run_case("CWAC LSOAs -> APBs", lsoa, apbs, "code", "code", values, repeat_small=5),
    ]
    if not args.borough_only:
        england = gpd.read_file(DATA / "england" / "lsoa2011.gpkg", layer="lsoa2011", engine="pyogrio")
        ewards = gpd.read_file(DATA / "england" / "wards.gpkg", layer="wards2013", engine="pyogrio")
        evalues = indicators(iod, england["lsoa11cd"])
        rows.append(run_case("England LSOAs -> wards", england, ewards, "lsoa11cd", "wd13cd", evalues, repeat_small=1))
    print("\nsummary")
    print(pd.DataFrame(rows).set_index("case").round(4).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
