"""The figures service on real Cheshire West and Chester data, on SQLite and PostGIS."""
from __future__ import annotations

import numpy as np
import pytest

from geoapp import figures as F
from geoapp.alignment import service, tables
from geoapp.storage import boundary_sets
from geoapp.storage.indicators import load_values
from layers.intervals import wilson

INCOME = "imd2019-income-rate"


@pytest.fixture
def session(cwac_app):
    with cwac_app.extensions["atlas_db"].transaction() as session:
        yield session


def _lsoas_by_apb(session) -> dict[str, str]:
    """Each LSOA's APB from the best-fit lookup the alignment pages export (the engine must use the same)."""
    lookup = tables.lookup(service.measure_sets(session, "lsoa", "apb", ignore_slivers=True))
    return dict(zip(lookup["LSOA11CD"], lookup["APB19CD"]))


def test_apb_income_deprivation_is_summed_numerators_over_summed_denominators(session):
    result = F.figures(session, "apb", [INCOME])[INCOME]
    values = load_values(session, "lsoa", [INCOME], "2019").set_index("code")
    values["apb"] = values.index.map(_lsoas_by_apb(session))
    assert values["apb"].notna().all() and len(values) == 212
    sums = values.groupby("apb")[["numerator", "denominator"]].sum()
    expected = sums["numerator"] / sums["denominator"]
    means = values.groupby("apb")["value"].mean()
    table = result.table
    assert sorted(table.index) == sorted(expected.index) and len(table) == 5
    np.testing.assert_allclose(table.loc[expected.index, "value"], expected, rtol=1e-12)
    np.testing.assert_allclose(table.loc[expected.index, "denominator"], sums["denominator"], rtol=1e-12)
    # never the mean of the LSOA rates: for these APBs the two differ
    assert (abs(table.loc[means.index, "value"] - means) > 1e-4).any()
    # the whole borough: 36,161.484 income-deprived people of 333,949
    assert result.borough["code"] == "E06000050"
    assert result.borough["value"] == pytest.approx(36161.484 / 333949, rel=1e-9)
    assert result.borough["denominator"] == 333949
    # Wilson 95% limits from the summed parts, around the value
    ci = wilson(table["numerator"].to_numpy(), table["denominator"].to_numpy())
    np.testing.assert_allclose(table["lower"], ci.lower)
    np.testing.assert_allclose(table["upper"], ci.upper)
    assert (table["lower"] < table["value"]).all() and (table["value"] < table["upper"]).all()
    assert set(table["interval_method"]) == {"Wilson"}
    # higher is worse: an APB whose interval lies wholly above the borough is "worse"
    above = table["lower"] > result.borough["value"]
    below = table["upper"] < result.borough["value"]
    assert above.any() and below.any()
    assert (table.loc[above, "comparison"] == "worse").all()
    assert (table.loc[below, "comparison"] == "better").all()
    assert result.display_factor == 100


def test_borough_population_is_the_sum_of_lsoa_populations(session):
    result = F.figures(session, "lad", ["population-total"])["population-total"]
    lsoa_total = load_values(session, "lsoa", ["population-total"])["value"].sum()
    assert lsoa_total == 333949
    assert result.table["value"].tolist() == [333949.0]
    assert result.period == "mid-2015"
    assert result.table["method"].iloc[0] == "Sum of 212 LSOAs (exact nesting)"
    assert result.table["interval_method"].iloc[0] == "Byar's"
    assert result.table["lower"].iloc[0] < 333949 < result.table["upper"].iloc[0]
    # a count grows with an area's size: never compared with the borough's total
    assert result.table["comparison"].iloc[0] == "not compared"
    assert any("not compared" in note for note in result.notes)


def test_every_figure_carries_method_source_period_and_geography(session):
    ids = [INCOME, "population-total", "imd2019-score", "imd2019-imd-decile", "imd2019-crime-score"]
    for set_id in ("apb", "wards", "lad", "msoa", "lsoa"):
        for indicator_id, result in F.figures(session, set_id, ids).items():
            payload = result.as_dict()
            assert payload["geography"]["id"] == set_id
            assert payload["period"] == ("mid-2015" if indicator_id.startswith("population") else "2019")
            assert payload["source"].startswith("English Indices of Deprivation 2019")
            assert "Open Government Licence" in payload["licence"]
            assert payload["areas"] and all(row["method"] for row in payload["areas"])


def test_a_blank_indicator_is_missing_not_zero(session):
    result = F.figures(session, "apb", ["imd2019-crime-score"])["imd2019-crime-score"]
    assert result.table["value"].isna().all()
    assert result.borough["value"] is None
    rows = result.as_dict()["areas"]
    assert [row["value"] for row in rows] == [None] * 5
    assert all("without data" in row["method"] and "so no figure" in row["method"] for row in rows)
    assert set(result.table["comparison"]) == {"not compared"}


def test_scores_are_population_weighted(session):
    result = F.figures(session, "lad", ["imd2019-score"])["imd2019-score"]
    values = load_values(session, "lsoa", ["imd2019-score"]).set_index("code")["value"]
    pop = load_values(session, "lsoa", ["population-total"]).set_index("code")["value"]
    expected = (values * pop[values.index]).sum() / pop.sum()
    assert result.table["value"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert result.table["value"].iloc[0] != pytest.approx(values.mean(), rel=1e-3)


def test_weights_are_cached_by_both_sets_versions(session):
    F.figures(session, "msoa", [INCOME])
    lsoa, msoa = boundary_sets.get_set(session, "lsoa"), boundary_sets.get_set(session, "msoa")
    key = F.weights_key("lsoa", F.set_version(lsoa), "msoa", F.set_version(msoa), "auto", F.store_id(session))
    assert key.startswith(f"lsoa@{lsoa.version}.") and f">msoa@{msoa.version}." in key
    assert key in F.WEIGHTS
    cached = F.WEIGHTS.get(key)
    assert cached.method == "nested" and cached.shape == (212, 47)
    F.figures(session, "msoa", ["population-total"])
    assert F.WEIGHTS.get(key) is cached


def test_sets_that_lsoas_do_not_nest_in_are_apportioned_by_area(session):
    result = F.figures(session, "sub-icb", ["population-total"])["population-total"]
    assert "apportioned by area of overlap" in result.weights
    # the borough's LSOAs are shared out among the sub-ICB locations, never gained
    assert result.table["value"].sum(min_count=1) <= 333949 + 1e-6


def test_latest_period():
    assert F.latest_period(["mid-2015", "2019"]) == "2019"
    assert F.latest_period(["2022/23", "2023/24"]) == "2023/24"
    assert F.latest_period([]) is None
