"""The aggregation engine: counts sum, rates are recomputed, scores are population-weighted."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from layers.aggregate import aggregate, aggregate_many
from layers.weights import area_weights, centroid_weights, lookup_weights


@pytest.fixture
def nested():
    """Four LSOAs in two wards, plus a ward with no LSOAs."""
    return lookup_weights(
        {"L1": "W1", "L2": "W1", "L3": "W2", "L4": "W2"},
        target_codes=["W1", "W2", "W3"],
        source_unit="LSOA",
    )


def test_counts_are_summed_and_say_so(nested):
    out = aggregate(nested, "count", value=[10, 20, 5, 7])
    assert out.loc["W1", "value"] == 30 and out.loc["W2", "value"] == 12
    assert out.loc["W1", "method"] == "Sum of 2 LSOAs (exact nesting)"
    assert np.isnan(out.loc["W3", "value"]) and out.loc["W3", "method"] == "No LSOAs fall in this area"
    assert out.loc["W3", "sources"] == 0


def test_proportions_are_recomputed_from_sums_never_averaged(nested):
    out = aggregate(nested, "proportion", numerator=[1, 90, 0, 0], denominator=[10, 100, 1, 1], per=100)
    assert out.loc["W1", "value"] == pytest.approx(100 * 91 / 110)  # not the mean of 10% and 90%
    assert out.loc["W1", ["numerator", "denominator"]].tolist() == [91, 110]
    assert out.loc["W1", "method"] == "Recomputed from summed numerators and denominators of 2 LSOAs (exact nesting)"


def test_rates_use_their_multiplier_and_require_one(nested):
    out = aggregate(nested, "rate", numerator=[3, 5, 1, 1], denominator=[1000, 3000, 500, 500], per=1000)
    assert out.loc["W1", "value"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="needs per="):
        aggregate(nested, "rate", numerator=[1, 1, 1, 1], denominator=[1, 1, 1, 1])


def test_scores_and_ranks_are_population_weighted_means(nested):
    out = aggregate(nested, "score", value=[40.0, 10.0, 5.0, 5.0], population=[1000, 3000, 1, 1])
    assert out.loc["W1", "value"] == pytest.approx((40 * 1000 + 10 * 3000) / 4000)
    assert out.loc["W1", "denominator"] == 4000
    assert out.loc["W1", "method"] == "Population-weighted mean of 2 LSOA scores (exact nesting)"
    ranks = aggregate(nested, "rank", value=[100, 300, 1, 1], population=[1, 3, 1, 1])
    assert ranks.loc["W1", "value"] == 250 and "LSOA ranks" in ranks.loc["W1", "method"]
    with pytest.raises(ValueError, match="population-weighted mean: pass population="):
        aggregate(nested, "score", value=[1, 2, 3, 4])


def test_deciles_give_the_decile_of_the_median_resident(nested):
    out = aggregate(nested, "decile", value=[1, 9, 3, 4], population=[600, 400, 100, 100])
    assert out.loc["W1", "value"] == 1  # 60% of residents live in decile 1: not the mean (4.2)
    assert out.loc["W2", "value"] == 3  # exactly half in decile 3: the median resident is in it
    with pytest.raises(ValueError, match="whole numbers from 1 to 10"):
        aggregate(nested, "decile", value=[0.5, 9, 3, 4], population=[1, 1, 1, 1])


def test_missing_values_stay_missing_and_are_explained(nested):
    out = aggregate(nested, "count", value=[10, np.nan, 5, 7], population=[100, 300, 1, 1])
    assert np.isnan(out.loc["W1", "value"]) and np.isnan(out.loc["W1", "numerator"])
    assert out.loc["W1", "missing"] == 1 and out.loc["W1", "coverage"] == pytest.approx(0.25)
    assert out.loc["W1", "method"].endswith("1 of 2 LSOAs without data (75% of the weight), so no figure")
    assert out.loc["W2", "value"] == 12  # a complete ward is unaffected
    relaxed = aggregate(nested, "score", value=[10, np.nan, 5, 7], population=[900, 100, 1, 1], min_coverage=0.8)
    assert relaxed.loc["W1", "value"] == 10 and relaxed.loc["W1", "coverage"] == pytest.approx(0.9)
    assert relaxed.loc["W1", "method"].endswith("1 of 2 LSOAs without data (10% of the weight), figure from the rest")
    strict = aggregate(nested, "score", value=[10, np.nan, 5, 7], population=[500, 500, 1, 1], min_coverage=0.8)
    assert np.isnan(strict.loc["W1", "value"]) and "needs 80% coverage" in strict.loc["W1", "method"]


def test_series_inputs_are_matched_by_code_and_absent_codes_count_as_missing(nested):
    values = pd.Series({"L4": 7, "L3": 5, "L1": 10})  # no L2
    out = aggregate(nested, "count", value=values)
    assert out.loc["W2", "value"] == 12 and np.isnan(out.loc["W1", "value"])
    with pytest.raises(ValueError, match="3 count values for 4 source areas"):
        aggregate(nested, "count", value=[1, 2, 3])
    with pytest.raises(ValueError, match="counts cannot be negative"):
        aggregate(nested, "count", value=[1, -2, 3, 4])
    with pytest.raises(ValueError, match="unknown indicator type"):
        aggregate(nested, "median", value=[1, 2, 3, 4])


def test_apportioned_counts_conserve_totals_and_describe_the_split():
    crs = "EPSG:27700"
    src = gpd.GeoDataFrame({"code": ["A", "B", "C"]}, crs=crs,
                           geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)])
    tgt = gpd.GeoDataFrame({"code": ["X", "Y"]}, crs=crs, geometry=[box(0, 0, 15, 10), box(15, 0, 30, 10)])
    w = area_weights(src, tgt, source_unit="LSOA")
    out = aggregate(w, "count", value=[100, 60, 40])
    assert out.loc["X", "value"] == pytest.approx(130) and out.loc["Y", "value"] == pytest.approx(70)
    assert out["value"].sum() == pytest.approx(200, rel=1e-15)
    assert out.loc["X", "method"] == "Sum of 2 LSOAs (apportioned by area of overlap, 1 of them split)"
    rate = aggregate(w, "proportion", numerator=[10, 30, 20], denominator=[100, 60, 40])
    assert rate.loc["Y", "value"] == pytest.approx((15 + 20) / (30 + 40))
    best = aggregate(centroid_weights(src, tgt, source_unit="LSOA"), "count", value=[100, 60, 40])
    assert best.loc["X", "method"] == "Sum of 2 LSOAs (best fit by representative point)"


def test_many_indicators_at_once_give_the_same_figures_as_one_at_a_time(nested):
    values = pd.DataFrame(
        {"people": [1.0, 2.0, 3.0, 4.0], "homes": [5.0, np.nan, 1.0, 1.0]}, index=["L4", "L3", "L2", "L1"]
    )
    together = aggregate_many(nested, "count", values,
                              population=pd.Series([1, 2, 3, 4], index=["L1", "L2", "L3", "L4"]))
    for name in values.columns:
        alone = aggregate(nested, "count", value=values[name], population=[1, 2, 3, 4])
        pd.testing.assert_frame_equal(together[name], alone, check_names=False)
    assert together.loc["W1", ("homes", "value")] == 2.0 and np.isnan(together.loc["W2", ("homes", "value")])
    shares = aggregate_many(
        nested,
        "proportion",
        pd.DataFrame({"a": [1, 1, 1, 3]}),
        denominators=pd.DataFrame({"a": [2, 2, 2, 4]}),
        per=100,
    )
    assert shares.loc["W2", ("a", "value")] == pytest.approx(100 * 4 / 6)
    with pytest.raises(ValueError, match="needs denominators="):
        aggregate_many(nested, "rate", pd.DataFrame({"a": [1, 1, 1, 1]}), per=10)


def test_borough_imd_score_from_lsoas_matches_the_published_figure(iod2019):
    """18.083: IoD2019 File 10, via humaniverse/IMD data-raw/imd_england_lad.csv (see test_imd.py)."""
    cwac = iod2019[iod2019["Local Authority District code (2019)"] == "E06000050"]
    codes = cwac["LSOA code (2011)"]
    w = lookup_weights(dict.fromkeys(codes, "E06000050"), source_unit="LSOA")
    out = aggregate(
        w,
        "score",
        value=cwac.set_index("LSOA code (2011)")["Index of Multiple Deprivation (IMD) Score"],
        population=cwac.set_index("LSOA code (2011)")["Total population: mid 2015 (excluding prisoners)"],
    )
    assert round(out.loc["E06000050", "value"], 3) == 18.083
    assert out.loc["E06000050", "method"] == "Population-weighted mean of 212 LSOA scores (exact nesting)"
