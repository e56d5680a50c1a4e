"""The pure profile builder: a typed Profile from a hand-built input, with nothing read."""
from __future__ import annotations

import doctest
import subprocess
import sys
from dataclasses import FrozenInstanceError, replace

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

import layers.profile
import layers.profile_input
from layers.profile import RELEASES_CAVEAT, build_profile, default_rank, ranked_group
from layers.profile_input import (
    FigureReading,
    ParentArea,
    ProfileInput,
    RankingReading,
    TrendReading,
    parent_of,
    relations,
    touching,
)

CATALOGUE = {"description": "", "unit": "%", "source": "Survey 2024", "licence": "OGL", "theme": "Health",
             "catalogue": "survey", "role": None, "series": None, "domain": None}


def reading(indicator_id, *, value, lower=None, upper=None, type_="proportion", polarity="lower is better",
            **more) -> FigureReading:
    fields = {"id": indicator_id, "indicator": CATALOGUE | {"title": indicator_id.title(), "type": type_,
                                                            "polarity": polarity} | more.pop("indicator", {}),
              "available": True, "period": "2024", "periods": ("2024",), "display_factor": 100.0,
              "weights": "Sum of 4 LSOAs (exact nesting)", "placement": (),
              "own": {"value": value, "lower": lower, "upper": upper, "comparison": "better"},
              "borough": {"code": "B1", "name": "Borough", "value": 0.3, "lower": 0.29, "upper": 0.31},
              "england": None, "values": np.array([0.1, 0.2, 0.3, 0.4])}
    return FigureReading(**(fields | more))


def profile_input(*figures, **more) -> ProfileInput:
    return ProfileInput(**({"code": "W1", "name": "Holdon", "kind": "ward", "kind_name": "Ward",
                            "set": {"id": "wards", "name": "Wards"}, "area_m2": 4_000_000.0,
                            "bounds": (0.04, 0.0, 2000.0, 2000.0), "produced": "2025-01-01T00:00:00+00:00",
                            "figures": figures, "borough_set": "lad",
                            "groups": {"based": {"all": 3, "small": 1, "by_theme": {"Health": 3, "Sport": 0}}},
                            } | more))


def test_a_profile_is_built_from_its_input_alone():
    smoking = reading("smoking", value=0.2, lower=0.18, upper=0.22,
                      parent={"value": 0.15, "lower": 0.14, "upper": 0.16})
    older = reading("smoking_2019", value=0.25, latest=False, indicator={"series": "smoking"})
    empty = reading("unavailable", value=None, available=False)
    parent = ParentArea("apb", "APBs", "apb", "A1", "North")
    population = {"value": 4000.0, "period": "2024", "indicator": "population", "title": "People",
                  "source": "ONS", "licence": "OGL", "method": "summed"}
    children = reading("children", value=1000.0, type_="count", polarity="neither",
                       indicator={"role": "age band", "catalogue": "ons"})
    profile = build_profile(profile_input(smoking, older, empty, children, parent=parent, population=population,
                                          population_catalogue="ons",
                                          empty_indicators=(("nothing", "Nothing", "survey"),)))
    assert profile.area.area_km2 == 4.0 and profile.area.bounds == (0.0, 0.0, 2000.0, 2000.0)
    assert profile.borough.code == "B1" and profile.borough.set == "lad" and profile.england is None
    assert [i.id for i in profile.indicators] == ["smoking", "children"]  # the latest of each series, available
    item = profile.indicators[0]
    assert (item.compared_with_borough, item.compared_with_parent) == ("better", "worse")
    assert item.parent.value == 0.15 and item.spine.median == pytest.approx(0.25)
    assert profile.key_facts.density == 1000.0
    assert [(b.id, b.share) for b in profile.key_facts.age_bands] == [("children", 0.25)]
    assert profile.groups["count"] == 3 and profile.groups["by_theme"] == {"Health": 3}
    assert profile.sources[-1].not_available == ("nothing",) and "Nothing (survey)" in profile.sources[-1].source
    assert profile.method == "Sum of 4 LSOAs (exact nesting)" and profile.stored
    with pytest.raises(FrozenInstanceError):
        profile.method = "changed"


def test_a_trend_across_releases_carries_the_caveat_and_one_period_has_none():
    points = (TrendReading("2019", "imd_2019", "iod2019", "IoD2019", 20.0, None, None, 18.0, None),
              TrendReading("2025", "imd", "iod2025", "IoD2025", 22.0, None, None, 19.0, None))
    across = reading("imd", value=22.0, type_="score", trend=points)
    single = reading("smoking", value=0.2, trend=points[:1])
    profile = build_profile(profile_input(across, single, releases=frozenset({"iod2019", "iod2025"})))
    imd, smoking = profile.indicators
    assert [p.period for p in imd.trend] == ["2019", "2025"] and imd.trend_caveat == RELEASES_CAVEAT
    assert smoking.trend is None and smoking.trend_caveat is None
    same_release = build_profile(profile_input(replace(across, trend=tuple(replace(p, catalogue="iod2025")
                                                                          for p in points))))
    assert same_release.indicators[0].trend_caveat is None


def test_sub_areas_are_ranked_highest_first_with_the_unknown_last():
    rows = ({"code": "a", "name": "A", "value": 1.0}, {"code": "b", "name": "B", "value": None},
            {"code": "c", "name": "C", "value": 3.0})
    ranking = RankingReading("lsoa", "LSOAs", {"id": "imd", "title": "IMD"}, "2025", 1.0, rows)
    profile = build_profile(profile_input(ranking=ranking))
    assert [r.code for r in profile.sub_areas.rows] == ["c", "a", "b"]


def test_the_default_ranking_prefers_the_imd_score_then_a_judged_rate():
    rate = reading("rate", value=0.1)
    neutral = reading("neutral", value=0.1, polarity="neither")
    imd = reading("imd", value=30.0, type_="score", indicator={"domain": "IMD"})
    assert default_rank([neutral, rate, imd]) == "imd"
    assert default_rank([neutral, rate]) == "rate"
    assert default_rank([neutral]) == "neutral"


def test_related_areas_parent_and_neighbours_come_from_geometry():
    shape = box(0, 0, 100, 100)
    wards = gpd.GeoDataFrame({"code": ["W1", "W2", "W3"], "name": ["In", "Also in", "Edge"]},
                             geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100), box(95, 0, 200, 100)])
    apbs = gpd.GeoDataFrame({"code": ["A1"], "name": ["North"]}, geometry=[box(-10, -10, 500, 500)])
    related = relations(shape, [("wards", "Wards", "ward", wards), ("apb", "APBs", "apb", apbs)])
    assert [(a.code, a.relation) for a in related[0].areas] == [("W1", "contains"), ("W2", "contains"),
                                                               ("W3", "overlaps")]
    assert related[1].areas[0].relation == "within" and related[1].kind_name == "Area Partnership Board"
    assert parent_of("laf", related, {"laf": 3, "apb": 4}).code == "A1"
    assert parent_of("apb", related, {"laf": 3, "apb": 4}) is None
    assert ranked_group(related).set == "wards"
    others = gpd.GeoDataFrame({"code": ["N", "F"], "name": ["Near", "Far"]},
                              geometry=[box(100.5, 0, 150, 50), box(300, 0, 400, 50)])
    assert [n.code for n in touching(shape, others)] == ["N"]


def test_areas_placed_by_code_are_not_measured_against_the_shape():
    """Codes decide where they place an area (1 inside, 2 holding the area, -1 outside), whatever the lines;
    geometry decides the rest."""
    shape = box(0, 0, 100, 100)
    wards = gpd.GeoDataFrame({"code": ["In", "Out", "Unknown"], "name": ["a", "b", "c"]},
                             geometry=[box(0, 0, 50, 101), box(50, 0, 100, 100), box(60, 0, 160, 100)])
    county = gpd.GeoDataFrame({"code": ["C"], "name": ["County"]}, geometry=[box(1, 1, 500, 500)])
    placed = np.array([1, -1, 0], dtype=np.int8)
    related = relations(shape, [("wards", "Wards", "ward", wards, placed),
                                ("county", "Counties", "county", county, np.array([2], dtype=np.int8))])
    found = {a.code: (a.relation, a.share_of_it, a.share_of_this) for a in related[0].areas}
    # "In" juts out of the shape by a metre yet is counted wholly inside; "Out" lies inside by its lines but in
    # another area by its code; "Unknown" is measured: 40% of it lies inside
    assert found == {"In": ("contains", 1.0, 0.505), "Unknown": ("overlaps", 0.4, 0.4)}
    assert [(a.code, a.relation, a.share_of_this) for a in related[1].areas] == [("C", "within", 1.0)]


def test_the_profile_core_imports_no_flask_storage_or_shell():
    code = ("import sys, layers.profile, layers.profile_input; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy', 'geoapp'}))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


@pytest.mark.parametrize("module", [layers.profile, layers.profile_input])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_the_spine_matches_numpy_percentiles_exactly():
    rng = np.random.default_rng(7)
    for n in (3, 4, 5, 11, 45, 222, 1001):
        values = rng.normal(size=n) * 1e3
        values[rng.integers(0, n, size=n // 4)] = np.nan
        finite = values[np.isfinite(values)]
        if finite.size < 3:
            continue
        found = layers.profile.spine(values)
        assert [found.minimum, found.q25, found.median, found.q75, found.maximum] == \
            np.percentile(finite, [0, 25, 50, 75, 100]).tolist()
