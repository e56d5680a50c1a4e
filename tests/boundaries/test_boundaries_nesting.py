"""Overlaps and best fit between two boundary sets, with known areas."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from boundaries.errors import CRSError
from boundaries.nesting import best_fit, overlaps


def frame(cells, crs="EPSG:27700"):
    return gpd.GeoDataFrame({"code": list(cells)}, geometry=list(cells.values()), crs="EPSG:27700").to_crs(
        crs
    )


@pytest.fixture
def small():
    return frame(
        {
            "s_inside": box(340010, 366010, 340020, 366020),  # wholly inside L1
            "s_split": box(340090, 366000, 340130, 366010),  # 10 m in L1, 30 m in L2
            "s_outside": box(341000, 367000, 341010, 367010),  # in nothing
            "s_touching": box(340200, 366000, 340210, 366010),  # only touches L2's edge
        }
    )


@pytest.fixture
def large():
    return frame({"L1": box(340000, 366000, 340100, 366100), "L2": box(340100, 366000, 340200, 366100)})


def test_overlaps_known_answers(small, large):
    found = overlaps(small, large)
    assert list(found.columns) == ["small_code", "large_code", "share", "area_m2"]
    assert found.to_dict("records") == [
        {"small_code": "s_inside", "large_code": "L1", "share": 1.0, "area_m2": 100.0},
        {"small_code": "s_split", "large_code": "L2", "share": 0.75, "area_m2": 300.0},
        {"small_code": "s_split", "large_code": "L1", "share": 0.25, "area_m2": 100.0},
    ]


def test_min_share_leaves_out_small_pieces(small, large):
    found = overlaps(small, large, min_share=0.5)
    assert list(zip(found["small_code"], found["large_code"])) == [("s_inside", "L1"), ("s_split", "L2")]


def test_containment_skips_the_intersection(small, large, monkeypatch):
    computed = []
    real = shapely.intersection
    monkeypatch.setattr(
        shapely, "intersection", lambda a, b, **kw: computed.append(len(a)) or real(a, b, **kw)
    )
    overlaps(small.iloc[[0]], large)
    assert computed == [0]  # the one candidate pair is a proper containment: nothing intersected


def test_small_area_containing_a_large_one(large):
    big = frame({"big": box(339000, 365000, 342000, 368000)})
    found = overlaps(large, big)
    assert list(found["share"]) == [1.0, 1.0]
    reverse = overlaps(big, large)
    assert list(reverse["area_m2"]) == [10_000.0, 10_000.0]
    assert reverse["share"].tolist() == pytest.approx([10_000 / 9_000_000] * 2)


def test_areas_are_measured_in_british_national_grid(small, large):
    found = overlaps(small.to_crs("EPSG:4326"), large.to_crs("EPSG:4326"))
    assert found["area_m2"].tolist() == pytest.approx([100.0, 300.0, 100.0], rel=1e-6)
    assert found["share"].tolist() == pytest.approx([1.0, 0.75, 0.25], rel=1e-6)


def test_crs_mismatch_is_refused(small, large):
    with pytest.raises(CRSError) as caught:
        overlaps(small.to_crs("EPSG:4326"), large)
    assert "different coordinate reference systems (EPSG:4326 and EPSG:27700)" in str(caught.value)
    with pytest.raises(CRSError, match="the large areas has no coordinate reference system"):
        best_fit(small, large.set_crs(None, allow_override=True))


def test_best_fit_gives_every_small_area_a_row(small, large):
    before = small.copy()
    fit = best_fit(small, large)
    assert fit.to_dict("records") == [
        {"small_code": "s_inside", "large_code": "L1", "share": 1.0},
        {"small_code": "s_split", "large_code": "L2", "share": 0.75},
        {"small_code": "s_outside", "large_code": None, "share": 0.0},
        {"small_code": "s_touching", "large_code": None, "share": 0.0},
    ]
    pd.testing.assert_frame_equal(pd.DataFrame(small), pd.DataFrame(before))


def test_best_fit_tie_goes_to_the_first_code(large):
    straddling = frame({"s": box(340090, 366000, 340110, 366010)})
    assert best_fit(straddling, large[::-1]).to_dict("records") == [
        {"small_code": "s", "large_code": "L1", "share": 0.5}
    ]
