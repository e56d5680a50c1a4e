"""Confidence intervals and benchmarking, checked against published worked cases.

Sources of expected values:
* Wilson score intervals: Newcombe RG, "Two-sided confidence intervals for the single proportion:
  comparison of seven methods", Statistics in Medicine 1998;17:857-872, Table I, method 3 (score
  method without continuity correction) — the examples 81/263, 15/148, 0/20 and 1/29; the same
  method and examples as Newcombe & Altman in "Statistics with Confidence" (2000), which OHID's
  Fingertips technical guidance (Basic statistics: Proportions) and PHEindicatormethods cite.
* Exact Poisson limits: the standard tables of exact 95% limits for a Poisson count (Garwood 1936,
  reproduced e.g. in Armitage & Berry, which the Fingertips guidance for rates cites): 0 -> (0, 3.689),
  1 -> (0.0253, 5.572), 3 -> (0.619, 8.767), 9 -> (4.115, 17.08).
* Byar's method: formula as given in Fingertips technical guidance (Basic statistics: Rates), and
  PHE's "Technical Guide: Confidence Intervals" (25 May 2018): "for 95% confidence intervals, Byar's
  method is within 0.2% of the exact value for numerators of 10 or more"; Fingertips switches from
  the exact method to Byar's at a count of 10 (PHEindicatormethods R/Rates.R: ``if_else(x < 10, qchisq...``).
* Deciles: the IoD2019 deciles published in File 7 (../shared/data), recomputed from the ranks.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from layers.intervals import (
    Interval,
    benchmark,
    byars,
    compare,
    count_interval,
    exact_poisson,
    national_decile,
    polarity_of,
    quantile_groups,
    quintiles,
    rate_interval,
    wilson,
    z_value,
)


def test_z_values_for_fingertips_levels():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(99.8) == pytest.approx(3.090232, abs=1e-6)
    with pytest.raises(ValueError, match="confidence must be"):
        z_value(0.3)


@pytest.mark.parametrize(
    ("x", "n", "lower", "upper"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0000, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_reproduces_newcombe_1998_worked_examples(x, n, lower, upper):
    ci = wilson(x, n, 0.95)
    assert (round(ci.lower, 4), round(ci.upper, 4)) == (lower, upper)
    assert ci.value == x / n and ci.method == "Wilson" and ci.confidence == 0.95


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_wilson_agrees_with_scipys_independent_implementation(confidence):
    rng = np.random.default_rng(3)
    n = rng.integers(1, 5000, 200)
    x = (rng.uniform(0, 1, 200) * (n + 1)).astype(int).clip(0, n)
    ci = wilson(x, n, confidence)
    for k, (xi, ni) in enumerate(zip(x, n, strict=True)):
        ref = stats.binomtest(int(xi), int(ni)).proportion_ci(confidence_level=confidence, method="wilson")
        assert ci.lower[k] == pytest.approx(ref.low, abs=1e-12)
        assert ci.upper[k] == pytest.approx(ref.high, abs=1e-12)


def test_wilson_handles_edges_and_refuses_nonsense():
    ci = wilson([0, 5, 7], [0, 5, 10])
    assert np.isnan(ci.value[0]) and np.isnan(ci.lower[0])
    assert ci.upper[1] == 1.0 and ci.lower[1] < 1.0
    assert wilson(30, 100, 0.998).lower < wilson(30, 100, 0.95).lower  # 99.8% is wider
    assert wilson(30, 100).scaled(100).value == pytest.approx(30.0)
    with pytest.raises(ValueError, match="exceeds its denominator"):
        wilson(11, 10)


@pytest.mark.parametrize(
    ("x", "lower", "upper"), [(0, 0.0, 3.689), (1, 0.0253, 5.572), (3, 0.619, 8.767), (9, 4.115, 17.08)]
)
def test_exact_poisson_limits_match_the_published_tables(x, lower, upper):
    lo, up = exact_poisson(x, 0.95)
    decimals = len(str(upper).split(".")[1])
    assert round(lo, 4 if x == 1 else 3) == lower and round(up, decimals) == upper


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_exact_poisson_limits_satisfy_their_definition(confidence):
    alpha = 1 - confidence
    for x in range(1, 10):
        lo, up = exact_poisson(x, confidence)
        assert stats.poisson.sf(x - 1, lo) == pytest.approx(alpha / 2, rel=1e-9)  # P(X >= x | lower)
        assert stats.poisson.cdf(x, up) == pytest.approx(alpha / 2, rel=1e-9)  # P(X <= x | upper)


def test_byars_is_within_the_published_accuracy_of_the_exact_limits_from_ten_up():
    x = np.arange(10, 5001)
    b_lo, b_up = byars(x, 0.95)
    e_lo, e_up = exact_poisson(x, 0.95)
    assert np.max(np.abs(b_lo / e_lo - 1)) < 0.002
    assert np.max(np.abs(b_up / e_up - 1)) < 0.002
    # the formula itself, by hand for 65 events
    z = stats.norm.ppf(0.975)
    lo, up = byars(65)
    assert lo == pytest.approx(65 * (1 - 1 / (9 * 65) - z / (3 * np.sqrt(65))) ** 3)
    assert up == pytest.approx(66 * (1 - 1 / (9 * 66) + z / (3 * np.sqrt(66))) ** 3)


def test_counts_switch_from_exact_to_byars_at_ten():
    ci = count_interval([0, 9, 10, 250, np.nan], 0.998)
    assert ci.method.tolist() == ["Exact", "Exact", "Byar's", "Byar's", ""]
    assert ci.lower[1] == pytest.approx(exact_poisson(9, 0.998)[0])
    assert ci.lower[2] == pytest.approx(byars(10, 0.998)[0])
    assert ci.lower[0] == 0.0 and np.isnan(ci.lower[4])
    with pytest.raises(ValueError, match="must not be negative"):
        count_interval(-1)


def test_rates_divide_the_count_limits_by_the_denominator():
    ci = rate_interval([4, 120], [2000, 60000], per=100_000)
    lo, up = exact_poisson(4)
    assert ci.value.tolist() == pytest.approx([200.0, 200.0])
    assert ci.lower[0] == pytest.approx(lo / 2000 * 100_000) and ci.upper[0] == pytest.approx(up / 2000 * 100_000)
    assert ci.lower[1] == pytest.approx(byars(120)[0] / 60000 * 100_000)
    assert ci.upper[0] - ci.lower[0] > ci.upper[1] - ci.lower[1]  # fewer events, wider interval


def test_comparison_respects_polarity_and_missing_values():
    assert compare((5.0, 7.0), 4.0, "high_is_good") == "better"
    assert compare((5.0, 7.0), 4.0, "RAG - Low is good") == "worse"
    assert compare((5.0, 7.0), 8.0, "low_is_good") == "better"
    assert compare((5.0, 7.0), 7.0, "high_is_good") == "similar"  # touching the benchmark is not significant
    assert compare((5.0, 7.0), 9.0, "no_judgement") == "lower"
    assert compare((np.nan, 7.0), 4.0, "high_is_good") == "not compared"
    assert compare((5.0, 7.0), np.nan) == "not compared"
    ci = Interval(np.array([1.0, 2.0]), np.array([0.5, 1.9]), np.array([1.5, 2.1]), 0.95, "Wilson")
    assert compare(ci, 1.2, "no_judgement").tolist() == ["similar", "higher"]
    assert compare(ci, 1.8, "no_judgement").tolist() == ["lower", "higher"]
    assert polarity_of("Higher is better") == "high_is_good"
    with pytest.raises(ValueError, match="unknown polarity"):
        compare((1, 2), 1.5, "sideways")


def test_benchmark_against_borough_and_england_at_both_levels():
    x, n = np.array([30, 45, 60]), np.array([100, 100, 100])
    at95 = benchmark(wilson(x, n, 0.95), borough=0.45, england=0.40, polarity="high_is_good")
    assert at95["vs_borough"].tolist() == ["worse", "similar", "better"]
    assert at95["vs_england"].tolist() == ["worse", "similar", "better"]
    at998 = benchmark(wilson(x, n, 0.998), borough=0.45, polarity="high_is_good")
    assert at998["vs_borough"].tolist() == ["similar", "similar", "similar"]  # 99.8% is stricter
    assert at998["vs_england"].tolist() == ["not compared"] * 3


def test_quintiles_and_groups():
    assert quintiles([3, 1, 2, 5, 4, 9, 8, 7, 6, 10]).tolist() == [2, 1, 1, 3, 2, 5, 4, 4, 3, 5]
    assert quintiles([1, 2, 3, 4, 5], ascending=False).tolist() == [5, 4, 3, 2, 1]
    groups = quantile_groups([1.0, np.nan, 1.0, 2.0], 2)
    assert groups[0] == groups[2] == 1 and np.isnan(groups[1]) and groups[3] == 2


def test_national_deciles_reproduce_the_published_iod2019_deciles(iod2019):
    n = len(iod2019)
    assert n == 32_844
    for stem in ["Index of Multiple Deprivation (IMD)", "Income", "Employment", "Crime", "Living Environment"]:
        rank = iod2019[f"{stem} Rank (where 1 is most deprived)"]
        published = iod2019[f"{stem} Decile (where 1 is most deprived 10% of LSOAs)"]
        assert (national_decile(rank, n) == published).all(), stem
        assert (quantile_groups(rank, 10) == published).all(), stem
