"""The cheaper checks of an import decide as the full ones did: the code field chosen, and a layer checked on
threads in shares of equal coordinates still numbering every problem by its feature in the whole layer."""

import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.affinity import translate
from shapely.geometry import LineString, Point, Polygon

from boundaries.errors import BoundaryError
from boundaries.fields import choose_fields
from boundaries.io import _share_starts, read_boundaries

BOW_TIE = Polygon([(340000, 366000), (340200, 366200), (340200, 366000), (340000, 366200)])


@pytest.mark.parametrize(
    "columns, code_field",
    [
        # unique values win, GSS-looking or not (the GSS test is then never run)
        ({"lad_code": ["E06000050", "E06000050"], "ward_code": ["W1", "W2"]}, "ward_code"),
        # none unique: the GSS-looking one wins the tie
        ({"ward_code": ["W1", "W1"], "lad_code": ["E06000050", "E06000050"]}, "lad_code"),
        # both unique, neither GSS: the one named 'code', then the first
        ({"ref_code": ["r1", "r2"], "code": ["a", "b"]}, "code"),
        ({"a_cd": ["x", "y"], "b_cd": ["p", "q"]}, "a_cd"),
        # both unique and GSS: the first
        ({"lsoa11cd": ["E01000001", "E01000002"], "msoa11cd": ["E02000001", "E02000002"]}, "lsoa11cd"),
        # codes compared stripped: ' W1' and 'W1' are the same code, so ward_code is not unique
        ({"ward_code": [" W1", "W1"], "lad_code": ["E06000050", "E06000051"]}, "lad_code"),
        # no field named as a code: one whose values are unique GSS codes
        ({"id": ["1", "1"], "area": ["E05000001", "E05000002"]}, "area"),
    ],
)
def test_code_field_chosen(columns, code_field):
    assert choose_fields(pd.DataFrame(columns))[0] == code_field


def test_no_code_field_among_fields_neither_unique_nor_gss():
    with pytest.raises(BoundaryError, match="cannot tell which field holds the area codes"):
        choose_fields(pd.DataFrame({"id": ["1", "1"], "area": ["x", "y"]}))


def test_shares_hold_equal_coordinates_and_problems_keep_their_feature_numbers(tmp_path, make_areas):
    """12,000 areas, the first 2,000 detailed (257 points each) and the rest squares: the first share ends
    well before the middle, and problems on both sides of the cut are numbered in the whole layer."""
    cells = {f"E0{i:07d}": (i % 100, i // 100) for i in range(12_000)}
    areas = make_areas(cells)
    areas.loc[:1_999, "geometry"] = [Point(p.centroid.x, p.centroid.y).buffer(40, 64)
                                     for p in areas.geometry[:2_000]]
    starts = _share_starts(np.asarray(areas.geometry.array), 2)
    assert len(starts) == 3 and 1_000 < starts[1] < 2_000
    cut = starts[1]
    bad = [cut - 1, cut, 11_999]
    areas.loc[bad, "geometry"] = [translate(BOW_TIE, 0, -400 * (k + 1)) for k in range(3)]
    path = tmp_path / "lsoa.gpkg"
    pyogrio.write_dataframe(areas, path, layer="lsoa")
    calls = []
    result = read_boundaries(path, progress=lambda done, total: calls.append(done))
    assert [(p.feature, p.code) for p in result.repairs] == [(i + 1, f"E0{i:07d}") for i in bad]
    assert result.areas.geometry.is_valid.all() and calls[-1] == 12_000
    areas.loc[[cut - 1, cut], "geometry"] = [LineString([(0, 0), (1, 1)]), LineString([(2, 2), (3, 3)])]
    pyogrio.write_dataframe(areas, path, layer="lsoa")
    with pytest.raises(BoundaryError) as caught:
        read_boundaries(path)
    assert [str(p) for p in caught.value.problems] == [
        f"lsoa.gpkg, layer 'lsoa', feature {i + 1} (code E0{i:07d}): is a LineString, not a polygon"
        for i in (cut - 1, cut)
    ]
