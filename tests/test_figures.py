"""The figures service on real Cheshire West and Chester data, on SQLite and PostGIS."""
from __future__ import annotations

import numpy as np
import pytest

from geoapp import figures
from geoapp.storage import boundary_sets, postcodes
from geoapp.storage.indicators import load_values
from layers.figures import latest_period
from layers.intervals import wilson

INCOME = "imd2019-income-rate"


@pytest.fixture
def session(cwac_app):
    with cwac_app.extensions["atlas_db"].transaction() as session:
        yield session


def test_apb_income_deprivation_is_summed_numerators_over_summed_denominators(session):
    result = figures.figures(session, "apb", [INCOME])[INCOME]
    wards = figures.figures(session, "wards", [INCOME])[INCOME].table
    apbs = boundary_sets.load_areas(session, "apb")
    table = result.table
    assert len(table) == 5
    for code, props in zip(apbs["code"], apbs["properties"]):
        parts = wards.loc[props["blocks"]]  # an APB is its wards: their numerators and denominators summed
        assert table.loc[code, "numerator"] == pytest.approx(parts["numerator"].sum(), rel=1e-12)
        assert table.loc[code, "denominator"] == pytest.approx(parts["denominator"].sum(), rel=1e-12)
        assert table.loc[code, "value"] == pytest.approx(parts["numerator"].sum() / parts["denominator"].sum())
        assert abs(table.loc[code, "value"] - parts["value"].mean()) > 1e-5  # never the mean of the rates
    assert "split by the postcodes in each area" in result.weights and result.weights.endswith("summed from wards")
    # the whole borough: 36,161.484 income-deprived people of 333,949 (the IoD2019 denominators)
    assert result.borough["code"] == "E06000050"
    assert result.borough["value"] == pytest.approx(36161.484 / 333949, rel=1e-9)
    assert result.borough["denominator"] == 333949
    assert table["denominator"].sum() == pytest.approx(333949, rel=1e-12)  # every person in one APB
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
    result = figures.figures(session, "lad", ["population-total"])["population-total"]
    lsoa_total = load_values(session, "lsoa", ["population-total"])["value"].sum()
    assert lsoa_total == 343823  # ONS mid-2020
    assert result.table["value"].tolist() == [343823.0]
    assert result.period == "mid-2020"
    assert result.table["method"].iloc[0] == "Sum of 212 LSOAs (exact nesting)"
    assert result.table["interval_method"].iloc[0] == "Byar's"
    assert result.table["lower"].iloc[0] < 343823 < result.table["upper"].iloc[0]
    # a count grows with an area's size: never compared with the borough's total
    assert result.table["comparison"].iloc[0] == "not compared"
    assert any("not compared" in note for note in result.notes)


def test_every_figure_carries_method_source_period_and_geography(session):
    ids = [INCOME, "population-total", "imd2019-score", "imd2019-imd-decile", "iod2025-imd-score"]
    periods = {"population-total": "mid-2020", "iod2025-imd-score": "2025"}
    sources = {"population-total": "ONS mid-2020", "iod2025-imd-score": "English Indices of Deprivation 2025"}
    for set_id in ("apb", "wards", "lad", "msoa", "lsoa", "lsoa2021"):
        for indicator_id, result in figures.figures(session, set_id, ids).items():
            payload = result.as_dict()
            assert payload["geography"]["id"] == set_id
            assert payload["period"] == periods.get(indicator_id, "2019")
            assert payload["source"].startswith(sources.get(indicator_id, "English Indices of Deprivation 2019"))
            assert "Open Government Licence" in payload["licence"]
            assert payload["areas"] and all(row["method"] for row in payload["areas"])


def test_a_blank_indicator_is_missing_not_zero(session):
    result = figures.figures(session, "apb", ["imd2019-crime-score"])["imd2019-crime-score"]
    assert result.table["value"].isna().all()
    assert result.borough["value"] is None
    rows = result.as_dict()["areas"]
    assert [row["value"] for row in rows] == [None] * 5
    assert all("without data" in row["method"] and "so no figure" in row["method"] for row in rows)
    assert set(result.table["comparison"]) == {"not compared"}


def test_scores_are_weighted_by_the_population_their_catalogue_declares(session):
    """IoD2019 scores are weighted by the IoD2019 denominators (File 6), as MHCLG weights them; the ONS mid-2020
    estimates are each area's population but weight no IoD figure."""
    result = figures.figures(session, "lad", ["imd2019-score"])["imd2019-score"]
    values = load_values(session, "lsoa", ["imd2019-score"]).set_index("code")["value"]
    pop = load_values(session, "lsoa", ["iod2019-population-total"]).set_index("code")["value"]
    expected = (values * pop[values.index]).sum() / pop.sum()
    assert result.table["value"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert round(result.table["value"].iloc[0], 3) == 18.083  # IoD2019 File 10
    assert result.table["value"].iloc[0] != pytest.approx(values.mean(), rel=1e-3)
    assert "Weighted by total population (IoD denominator) (mid-2015)." in result.notes


def test_weights_are_cached_by_both_sets_versions(session):
    lsoa, msoa = boundary_sets.get_set(session, "lsoa"), boundary_sets.get_set(session, "msoa")
    built = figures.weights_for(session, lsoa, msoa)  # figures may be read as kept, without weights
    key = figures.weights_key("lsoa", figures.set_version(lsoa), "msoa", figures.set_version(msoa), "auto",
                              figures.store_id(session), postcodes.state(session))
    assert key.startswith(f"lsoa@{lsoa.version}.") and f">msoa@{msoa.version}." in key
    assert figures.WEIGHTS.get(key) is built
    assert built.method == "nested" and built.shape == (212, 47)
    assert figures.weights_for(session, lsoa, msoa) is built


def test_sets_that_lsoas_do_not_nest_in_split_each_lsoa_by_its_postcodes(session):
    result = figures.figures(session, "sub-icb", ["population-total"])["population-total"]
    assert "split by the postcodes in each area" in result.weights
    # the borough's people are shared out among the sub-ICB locations, none lost and none gained
    assert result.table["value"].sum(min_count=1) == 343823
    wards = figures.figures(session, "wards", ["population-total"])["population-total"]
    assert wards.table["value"].sum() == 343823 and (wards.table["value"] % 1 == 0).all()


def test_an_lsoa_of_2021_gets_the_2019_figures_through_the_lookup(session):
    """IoD2019 (2011 LSOAs) on the 2021 LSOAs: unchanged LSOAs keep their own figure."""
    result = figures.figures(session, "lsoa2021", ["imd2019-score"])["imd2019-score"].table["value"]
    own = load_values(session, "lsoa", ["imd2019-score"]).set_index("code")["value"]
    assert result["E01018308"] == own["E01018308"]  # unchanged (U) between 2011 and 2021
    assert "through the published lookup" in figures.figures(
        session, "lsoa2021", ["imd2019-score"])["imd2019-score"].weights


def test_latest_period():
    assert latest_period(["mid-2015", "2019"]) == "2019"
    assert latest_period(["2022/23", "2023/24"]) == "2023/24"
    assert latest_period([]) is None
