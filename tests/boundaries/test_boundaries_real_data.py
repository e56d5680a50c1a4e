"""The core on real Cheshire West and Chester boundaries (../shared/data, never copied into the repo)."""

import networkx as nx
import pandas as pd
import pytest
import shapely

from boundaries.adjacency import adjacency_graph, pieces
from boundaries.grouping import check_grouping, dissolve_groups
from boundaries.io import EXPORT_FORMATS, list_layers, read_boundaries, write_boundaries
from boundaries.nesting import best_fit


@pytest.fixture
def gpkg(data_dir):
    return data_dir / "cheshire_west_and_chester.gpkg"


@pytest.fixture
def wards(gpkg):
    return read_boundaries(gpkg, layer="wards").areas


@pytest.fixture
def apb_table(data_dir):
    return pd.read_csv(data_dir / "cwac_apb_wards.csv", dtype=str, keep_default_na=False)


def test_layers_and_wards_read_cleanly(gpkg):
    assert list_layers(gpkg) == ["lad", "wards", "lsoa", "msoa"]
    result = read_boundaries(gpkg, layer="wards")
    assert (result.feature_count, result.code_field, result.name_field, result.source_crs) == (
        45,
        "code",
        "name",
        "EPSG:27700",
    )
    assert result.repairs == []
    assert result.areas["code"].str.match(r"^E050122\d\d$").all()
    assert result.areas["properties"][0]["lad_code"] == "E06000050"
    assert result.areas.loc[result.areas["code"] == "E05012209", "name"].item() == "Blacon"


def test_ward_neighbours_need_no_tolerance(wards):
    touching = adjacency_graph(wards, tolerance=0)
    assert nx.is_connected(touching)
    assert touching.number_of_edges() == 110
    assert set(adjacency_graph(wards, tolerance=1.0).edges) == set(touching.edges)


def test_lsoa_neighbours_need_the_tolerance(gpkg):
    lsoas = read_boundaries(gpkg, layer="lsoa").areas
    touching = {frozenset(edge) for edge in adjacency_graph(lsoas, tolerance=0).edges}
    near_graph = adjacency_graph(lsoas, tolerance=1.0)
    near = {frozenset(edge) for edge in near_graph.edges}
    assert touching < near  # generalised LSOAs leave hairline gaps (under 0.1 m) between neighbours
    assert len(near - touching) == 41
    assert nx.is_connected(near_graph)


def test_five_apbs_dissolve_from_wards_and_cover_the_borough(gpkg, wards, apb_table):
    assert len(apb_table) == 45
    graph = adjacency_graph(wards)
    assert check_grouping(wards, apb_table, block_field="ward_code", group_field="apb_id", graph=graph) == []
    apbs = dissolve_groups(
        wards, apb_table, block_field="ward_code", group_field="apb_id", name_field="apb_name"
    )
    assert sorted(apbs["name"]) == [
        "Chester",
        "Ellesmere Port",
        "Northwich & Rural North",
        "Rural West",
        "Winsford & Rural East",
    ]
    assert sum(len(codes) for codes in apbs["block_codes"]) == 45
    for codes in apbs["block_codes"]:
        assert len(pieces(graph, codes)) == 1
    assert apbs.geometry.is_valid.all() and set(apbs.geom_type) == {"MultiPolygon"}
    lad = read_boundaries(gpkg, layer="lad").areas.geometry[0]
    union = shapely.union_all(apbs.geometry.values)
    assert union.symmetric_difference(lad).area / lad.area < 0.01  # 0.71 % (different generalisations)
    assert sum(apbs.area) == pytest.approx(union.area, rel=1e-9)  # no overlaps between APBs


@pytest.mark.parametrize(("fmt", "tolerance"), [("gpkg", 1e-6), ("geojson", 0.1), ("shp", 1e-6)])
def test_wards_round_trip(tmp_path, wards, fmt, tolerance):
    path = write_boundaries(wards, tmp_path / f"wards{EXPORT_FORMATS[fmt].suffix}", fmt, layer="wards")
    back = read_boundaries(path).areas
    assert list(back["code"]) == list(wards["code"])
    assert list(back["name"]) == list(wards["name"])
    distances = shapely.hausdorff_distance(back.geometry.values, wards.geometry.values)
    assert distances.max() <= tolerance


def test_every_lsoa_fits_a_ward(gpkg, wards):
    lsoas = read_boundaries(gpkg, layer="lsoa").areas
    fit = best_fit(lsoas, wards)
    assert len(fit) == 212
    assert fit["large_code"].notna().all()
    assert set(fit["large_code"]) <= set(wards["code"])
    assert fit["share"].median() > 0.95
