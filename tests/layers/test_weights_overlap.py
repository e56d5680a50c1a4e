"""Areas shared by pairs of polygons measured along their boundaries (layers.overlap), against GEOS's overlay."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from layers import overlap
from layers.weights import area_weights


def blob(rng, n_vertices):
    """A random star-shaped polygon, now and then with a hole."""
    cx, cy = rng.uniform(0, 10, 2)
    radius = rng.uniform(1, 3)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n_vertices))
    reach = radius * rng.uniform(0.5, 1.0, n_vertices)
    shape = Polygon(np.column_stack([cx + reach * np.cos(angles), cy + reach * np.sin(angles)]))
    return shape.difference(Point(cx, cy).buffer(0.3)) if rng.random() < 0.3 else shape


def geos_areas(left, right, rows, cols):
    return shapely.area(shapely.intersection(np.asarray(left)[rows], np.asarray(right)[cols]))


def test_random_polygons_with_holes_and_parts_share_the_area_geos_finds():
    rng = np.random.default_rng(18)
    left = [g for g in (blob(rng, int(rng.integers(3, 80))) for _ in range(160)) if g.is_valid][:150]
    right = [g for g in (blob(rng, int(rng.integers(3, 80))) for _ in range(160)) if g.is_valid][:150]
    left += [MultiPolygon([box(0, 0, 3, 3), box(6, 6, 9, 9)])]  # two parts, one with a shell drawn clockwise
    right += [Polygon([(1, 1), (1, 8), (8, 8), (8, 1)])]
    rows, cols = shapely.STRtree(right).query(left)
    areas, status = overlap.shared_areas(overlap.rings(left), overlap.rings(right), rows, cols)
    reference = geos_areas(left, right, rows, cols)
    measured = status != overlap.DEGENERATE
    assert measured.mean() > 0.99 and len(rows) > 5000
    assert np.abs(areas[measured] - reference[measured]).max() < 1e-9
    assert areas[(rows == 150) & (cols == 150)] == pytest.approx([8.0], abs=1e-12)


def test_containment_is_reported_and_touching_or_shared_edges_are_left_to_geos():
    outer = [box(0, 0, 10, 10)]
    inner = [box(2, 2, 3, 3), box(10, 0, 12, 2), box(0, 0, 5, 5), box(20, 20, 21, 21),
             box(-1, -1, 11, 11), box(0, 0, 10, 10).difference(box(4, 4, 6, 6))]
    rows, cols = np.zeros(len(inner), dtype=int), np.arange(len(inner))
    areas, status = overlap.shared_areas(overlap.rings(outer), overlap.rings(inner), rows, cols)
    assert status.tolist() == [overlap.RIGHT_INSIDE, overlap.DEGENERATE, overlap.DEGENERATE, overlap.MEASURED,
                               overlap.LEFT_INSIDE, overlap.DEGENERATE]
    assert areas[0] == pytest.approx(1.0) and areas[3] == 0.0 and areas[4] == pytest.approx(100.0)


def test_only_polygons_are_flattened():
    assert overlap.rings([box(0, 0, 1, 1), Point(0, 0)]) is None
    assert overlap.rings([Polygon(), box(0, 0, 1, 1)]).geom_start.tolist() == [0, 0, 1]


def test_area_weights_keep_degenerate_pairs_exact_through_geos():
    """Sources sharing edges with the target (an LSOA on its ward's boundary) keep a weight of exactly 1."""
    src = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:27700",
                           geometry=[box(0, 0, 50, 50), box(50, 0, 100, 50), box(90, 40, 110, 60)])
    tgt = gpd.GeoDataFrame({"code": ["t"]}, crs="EPSG:27700", geometry=[box(0, 0, 100, 50)])
    w = area_weights(src, tgt)
    assert w.matrix.toarray()[:, 0].tolist() == [1.0, 1.0, 0.25]


@pytest.mark.slow
def test_englands_lsoas_apportioned_to_its_wards_agree_with_the_overlay_pair_by_pair(data_dir, england_lsoas):
    """Every pair of England's 32,844 LSOAs and 7,681 2013 wards that the boundary measure settles agrees with
    GEOS's float64 overlay to within a billionth of the LSOA's area."""
    lsoas = england_lsoas.geometry.to_numpy()
    wards = gpd.read_file(data_dir / "england" / "wards.gpkg", layer="wards2013", engine="pyogrio").geometry.to_numpy()
    rows, cols = shapely.STRtree(wards).query(lsoas, predicate="intersects")
    areas, status = overlap.shared_areas(overlap.rings(lsoas), overlap.rings(wards), rows, cols, workers=2)
    crossing = np.flatnonzero(status == overlap.MEASURED)
    assert (status == overlap.DEGENERATE).sum() < 200 and len(crossing) > 90_000
    reference = geos_areas(lsoas, wards, rows[crossing], cols[crossing])
    assert (np.abs(areas[crossing] - reference) / shapely.area(lsoas[rows[crossing]])).max() < 1e-9


def test_the_boroughs_lsoas_apportioned_to_its_wards_as_the_overlay_does(cwac):
    """Cheshire West and Chester's 212 LSOAs to its 45 wards: weights equal to a float64 overlay's shares."""
    lsoa, wards = cwac["lsoa"][["code", "geometry"]], cwac["wards"][["code", "geometry"]]
    w = area_weights(lsoa, wards, source_unit="LSOA")
    pieces = gpd.overlay(lsoa, wards, how="intersection", keep_geom_type=True)
    shares = pieces.area.to_numpy() / lsoa.set_index("code").area.reindex(pieces["code_1"]).to_numpy()
    ours = np.asarray(w.matrix[[w.source_codes.index(c) for c in pieces["code_1"]],
                               [w.target_codes.index(c) for c in pieces["code_2"]]]).ravel()
    assert len(pieces) > 212 and np.abs(ours - shares).max() < 1e-9
