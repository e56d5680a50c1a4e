"""Time and peak memory of ``layers.alignment.measure`` against the plain geopandas way.

Cases: Cheshire West and Chester's 212 LSOAs against its 45 wards (with and without postcodes) and its
five APBs (wards dissolved by ../shared/data/cwac_apb_wards.csv) against the NHS sub-ICB locations;
then all 32,844 England LSOAs (2011) against the 7,681 2013 wards, without postcodes. Population: the
IoD2019 mid-2015 population denominators (File 6 columns of england/iod2019_file7_partial.csv).

For each case it prints

* ``measure()``: wall time, the peak resident memory added while it ran (Linux VmHWM, reset through
  /proc/self/clear_refs; includes GEOS) and the peak of Python/numpy allocations (tracemalloc), and the
  time of each step (``cut``, ``piece_population``, ``align``, ``covered_share``);
* the plain way: ``geopandas.overlay(how="intersection")`` of A and B, a second overlay of those pieces
  with the LSOAs to give each piece its share of LSOA population by area, a third of each set with the
  LSOAs for each area's total, then ``groupby`` for the matrix and the best fit; with tobler's
  ``area_interpolate`` (``allocate_total=False``) in place of the second overlay when tobler is
  installed (``pip install -e .[bench]``);
* the ratio of the two times and the largest difference of any share (matrix both ways, best-fit
  share) between them: they must agree, both split by area.

``--profile`` adds a cProfile of ``cut`` on the largest case (the 15 costliest functions).

Run: .venv/bin/python bench/alignment.py [--borough-only] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from boundaries.alignment import align, cut  # noqa: E402
from layers.alignment import _covered_by_pieces, covered_share, measure, own_piece_population, piece_population  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
POPULATION = "Total population: mid 2015 (excluding prisoners)"

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tobler.area_weighted import area_interpolate
except ImportError:
    area_interpolate = None


def rss_peak_kb() -> int | None:
    """The process's peak resident memory (VmHWM), or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def profiled_run(fn, repeat: int = 1, *, traced: bool = True):
    """Run ``fn``: its result, best wall time (s), most RSS added at the peak (MB) and the tracemalloc peak (MB).

    The timed runs go without tracemalloc (which slows every allocation); one more run measures
    Python/numpy allocations when ``traced``.
    """
    best, rss, result = float("inf"), float("nan"), None
    for _ in range(repeat):
        reset = reset_rss_peak()
        before = rss_peak_kb()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        after = rss_peak_kb()
        if reset and before is not None and after is not None:
            rss = np.nanmax([rss, (after - before) / 1024])
    peak = float("nan")
    if traced:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result, best, rss, peak


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def steps(a, b, small, population, points, small_side=None) -> dict:
    """The time of each step of measure(), run one by one."""
    pieces, t_cut = timed(lambda: cut(a, b))
    if small_side:
        people, t_people = timed(lambda: own_piece_population(pieces, small_side, population, points=points))
        _, t_cover = timed(lambda: [_covered_by_pieces(pieces, side, small_side) for side in ("a", "b")])
    else:
        people, t_people = timed(lambda: piece_population(pieces, small, population, points=points))
        _, t_cover = timed(lambda: (covered_share(a, small), covered_share(b, small)))
    _, t_align = timed(lambda: align(pieces, list(a["code"]), list(b["code"]), population=people.values))
    return {"cut": t_cut, "piece_population": t_people, "align": t_align, "covered_share": t_cover,
            "pieces": len(pieces), "slivers": int(pieces["sliver"].sum())}


def _by_area(pieces: gpd.GeoDataFrame, small: gpd.GeoDataFrame, population: pd.Series, keys: list[str]):
    """Population of each group of ``keys`` from the LSOAs by area of overlap (the plain way)."""
    lsoa = small[["code", "geometry"]].rename(columns={"code": "_lsoa"})
    bits = gpd.overlay(pieces, lsoa, how="intersection", keep_geom_type=True)
    share = bits.area.to_numpy() / bits["_lsoa"].map(lsoa.set_index("_lsoa").area).to_numpy()
    bits["population"] = share * bits["_lsoa"].map(population).fillna(0.0).to_numpy()
    return bits.groupby(keys)["population"].sum()


def plain_tobler(pieces: gpd.GeoDataFrame, small: gpd.GeoDataFrame, population: pd.Series, keys: list[str]):
    source = small[["code", "geometry"]].assign(population=small["code"].map(population).fillna(0.0).to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = area_interpolate(source, pieces[[*keys, "geometry"]], extensive_variables=["population"],
                                 allocate_total=False)
    return pd.Series(found["population"].to_numpy(), index=pd.MultiIndex.from_frame(pieces[keys])) \
        .groupby(level=list(range(len(keys)))).sum()


def plain(a, b, small, population, *, people=_by_area) -> dict:
    """The matrix and best fits the plain way: overlays, population by area, groupby."""
    left = a[["code", "geometry"]].rename(columns={"code": "a_code"})
    right = b[["code", "geometry"]].rename(columns={"code": "b_code"})
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pair = people(pieces, small, population, ["a_code", "b_code"])
    total_a = people(left, small, population, ["a_code"])
    total_b = people(right, small, population, ["b_code"])
    matrix = pair.rename("population").reset_index()
    matrix["a_population_share"] = matrix["population"] / matrix["a_code"].map(total_a)
    matrix["b_population_share"] = matrix["population"] / matrix["b_code"].map(total_b)
    fits = {}
    for side, other in (("a", "b"), ("b", "a")):
        best = matrix.sort_values(f"{side}_population_share", ascending=False).drop_duplicates(f"{side}_code")
        fits[side] = best.set_index(f"{side}_code")[[f"{other}_code", f"{side}_population_share"]]
        fits[side].columns = ["best_fit", "share"]
    return {"matrix": matrix, "fits": fits}


def largest_difference(ours, theirs: dict) -> tuple[float, int]:
    """Largest difference of any share (matrix both ways, best-fit share) and the number of best fits that differ."""
    pairs = ours.pairs[ours.pairs["a_code"].notna() & ours.pairs["b_code"].notna()]
    mine = pairs.set_index(["a_code", "b_code"])[["a_population_share", "b_population_share"]]
    other = theirs["matrix"].set_index(["a_code", "b_code"])[["a_population_share", "b_population_share"]]
    joined = mine.add_suffix("_ours").join(other.add_suffix("_plain"), how="outer").fillna(0.0)
    worst = max(np.abs(joined[f"{s}_population_share_ours"] - joined[f"{s}_population_share_plain"]).max()
                for s in ("a", "b"))
    differ = 0
    for side in ("a", "b"):
        fit = (ours.a_fit if side == "a" else ours.b_fit).set_index("code")
        fit = fit[(fit["population"].fillna(0) > 0) & fit["best_fit"].notna()]
        peer = theirs["fits"][side].reindex(fit.index)
        worst = max(worst, np.abs(fit["share"] - peer["share"].fillna(0.0)).max())
        # a different best fit only counts when the shares are not tied
        differ += int(((fit["best_fit"] != peer["best_fit"]) & (np.abs(fit["share"] - peer["share"]) > 1e-9)).sum())
    return float(worst), differ


def run_case(label: str, a, b, small, population, points=None, *, compare: bool = True, repeat: int = 3,
             traced: bool = True, small_side: str | None = None) -> dict:
    with_points = f", {len(points):,} postcodes" if points is not None else ", no postcodes"
    print(f"\n{label}: {len(a):,} x {len(b):,} areas; {len(small):,} LSOAs{with_points}")
    (pieces, fit, people), t_ours, rss, traced = profiled_run(
        lambda: measure(a, b, small=small, population=population, points=points, small_side=small_side), repeat,
        traced=traced)
    print(f"  measure()                       {t_ours:9.2f} s   peak RSS +{rss:8.0f} MB   traced peak {traced:7.0f} MB")
    print(f"    {len(pieces):,} pieces ({int(pieces['sliver'].sum()):,} slivers); scores A in B "
          f"{fit.scores['a_in_b']:.4f}, B in A {fit.scores['b_in_a']:.4f}; unplaced {people.unplaced:,.1f}")
    parts = steps(a, b, small, population, points, small_side)
    print("    steps: " + ", ".join(f"{k} {parts[k]:.2f} s" for k in ("cut", "piece_population", "align",
                                                                       "covered_share")))
    row = {"case": label, "measure_s": t_ours, "rss_mb": rss, "traced_mb": traced, **{
        f"{k}_s": parts[k] for k in ("cut", "piece_population", "align", "covered_share")}}
    if not compare:
        return row
    theirs, t_plain, rss_plain, traced_plain = profiled_run(lambda: plain(a, b, small, population), repeat,
                                                            traced=traced)
    diff, differ = largest_difference(fit, theirs)
    print(f"  plain overlay + groupby         {t_plain:9.2f} s   peak RSS +{rss_plain:8.0f} MB   traced peak "
          f"{traced_plain:7.0f} MB")
    print(f"    largest difference of a share {diff:.2e}; best fits differing (not tied): {differ}")
    print(f"  plain / measure() time          {t_plain / t_ours:9.2f}x")
    row |= {"plain_s": t_plain, "plain_rss_mb": rss_plain, "ratio": t_plain / t_ours, "max_share_diff": diff,
            "best_fit_differ": differ}
    if area_interpolate is not None:
        theirs, t_tobler = timed(lambda: plain(a, b, small, population, people=plain_tobler))
        diff_t, _ = largest_difference(fit, theirs)
        print(f"  tobler area_interpolate way     {t_tobler:9.2f} s   ratio {t_tobler / t_ours:.2f}x   "
              f"largest difference {diff_t:.2e}")
        row |= {"tobler_s": t_tobler, "tobler_ratio": t_tobler / t_ours}
    return row


def read(path: Path, layer: str, code: str) -> gpd.GeoDataFrame:
    frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    return frame[[code, "geometry"]].rename(columns={code: "code"}).astype({"code": str})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borough-only", action="store_true", help="skip the England-wide case")
    parser.add_argument("--profile", action="store_true", help="profile cut() on the largest case")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no shared data at {DATA}", file=sys.stderr)
        return 1
    if area_interpolate is None:
        print("tobler is not installed (pip install -e .[bench]): its variant of the plain way is left out")
    iod = pd.read_csv(DATA / "england" / "iod2019_file7_partial.csv", usecols=["LSOA code (2011)", POPULATION])
    population = iod.set_index("LSOA code (2011)")[POPULATION].astype(float)

    gpkg = DATA / "cheshire_west_and_chester.gpkg"
    lsoa, wards = read(gpkg, "lsoa", "code"), read(gpkg, "wards", "code")
    apb_wards = pd.read_csv(DATA / "cwac_apb_wards.csv", dtype=str)
    apbs = (wards.merge(apb_wards[["ward_code", "apb_id"]], left_on="code", right_on="ward_code")
            .dissolve(by="apb_id", as_index=False)[["apb_id", "geometry"]].rename(columns={"apb_id": "code"}))
    sub_icb = read(DATA / "service_areas.gpkg", "nhs_sub_icb_locations_2022", "code")
    table = pd.read_csv(DATA / "postcodes_cheshire.csv", usecols=["easting", "northing"]).dropna()
    postcodes = gpd.GeoDataFrame(geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs=27700)
    xmin, ymin, xmax, ymax = lsoa.total_bounds
    postcodes = postcodes.cx[xmin:xmax, ymin:ymax]

    rows = [
        run_case("CWAC LSOAs x wards", lsoa, wards, lsoa, population, small_side="a"),
        run_case("CWAC LSOAs x wards, postcodes", lsoa, wards, lsoa, population, postcodes, compare=False,
                 small_side="a"),
        run_case("CWAC APBs x sub-ICB locations", apbs, sub_icb, lsoa, population),
        run_case("CWAC APBs x sub-ICB locations, postcodes", apbs, sub_icb, lsoa, population, postcodes,
                 compare=False),
    ]
    largest = (lsoa, wards)
    if not args.borough_only:
        england = read(DATA / "england" / "lsoa2011.gpkg", "lsoa2011", "lsoa11cd")
        ewards = read(DATA / "england" / "wards.gpkg", "wards2013", "wd13cd")
        rows.append(run_case("England LSOAs x 2013 wards", england, ewards, england, population, repeat=1,
                             traced=False, small_side="a"))
        largest = (england, ewards)
    print("\nsummary (times: best of 3 runs on the borough, one run for England, where tracemalloc is not run)")
    summary = pd.DataFrame(rows).set_index("case")
    if "max_share_diff" in summary:
        summary["max_share_diff"] = summary["max_share_diff"].map(lambda v: "" if pd.isna(v) else f"{v:.1e}")
    print(summary.round(3).to_string())
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        cut(*largest)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
        print(f"\ncProfile of cut() on {len(largest[0]):,} x {len(largest[1]):,} areas")
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
