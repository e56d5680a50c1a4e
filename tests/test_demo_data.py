"""The fictional demo borough: deterministic, plausible, and nested exactly where it should be."""
from __future__ import annotations

import math
import re
import tomllib

import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geoapp.loading.demo import GROUP_TYPES, THEMES, _toml, generate_borough, write_demo
from layers.catalogue import read_catalogue, read_values

SEED = 2009
LAYERS = ("lad", "wards", "lsoa", "parishes", "service")


@pytest.fixture(scope="module")
def borough():
    return generate_borough(SEED)


def geoms(frame) -> np.ndarray:
    return np.asarray(frame.geometry.values, dtype=object)


def rel_close(a: float, b: float, rel: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel)


def rook_graph(frame) -> nx.Graph:
    """Codes as nodes; an edge where two areas share a boundary of positive length."""
    g = geoms(frame)
    graph = nx.Graph()
    graph.add_nodes_from(frame["code"])
    left, right = shapely.STRtree(g).query(g, predicate="intersects")
    keep = left < right
    shared = shapely.length(shapely.intersection(shapely.boundary(g[left[keep]]),
                                                 shapely.boundary(g[right[keep]])))
    codes = frame["code"].to_numpy()
    graph.add_edges_from((codes[a], codes[b]) for a, b, s in zip(left[keep], right[keep], shared) if s > 0)
    return graph


def town_ward_codes(borough) -> set[str]:
    table = borough.apb_wards
    return set(table.loc[~table["apb_name"].str.startswith("Rural"), "ward_code"])


def test_same_seed_gives_identical_output(borough):
    again = generate_borough(SEED)
    for layer in LAYERS + ("groups",):
        ours, theirs = getattr(borough, layer), getattr(again, layer)
        pd.testing.assert_frame_equal(pd.DataFrame(ours.drop(columns="geometry")),
                                      pd.DataFrame(theirs.drop(columns="geometry")))
        assert shapely.to_wkb(geoms(ours)).tolist() == shapely.to_wkb(geoms(theirs)).tolist(), layer
    pd.testing.assert_frame_equal(borough.apb_wards, again.apb_wards)
    pd.testing.assert_frame_equal(borough.indicators, again.indicators)
    assert borough.indicator_metadata == again.indicator_metadata


def test_another_seed_gives_another_borough(borough):
    other = generate_borough(7)
    assert other.lad.geometry.iloc[0].area != borough.lad.geometry.iloc[0].area
    assert other.wards["name"].tolist() != borough.wards["name"].tolist()


def test_counts_codes_and_names(borough):
    assert len(borough.lad) == 1
    assert borough.lad["code"].iloc[0] == "X06000001"
    assert borough.lad["name"].iloc[0].endswith("(fictional)")
    assert 38 <= len(borough.wards) <= 42
    assert 140 <= len(borough.lsoa) <= 160
    assert 15 <= len(borough.parishes) <= 25
    assert 3 <= len(borough.service) <= 4
    assert 100 <= len(borough.groups) <= 140
    for layer, prefix in (("wards", "X05"), ("lsoa", "X01"), ("parishes", "X04"), ("service", "X99")):
        frame = getattr(borough, layer)
        assert frame["code"].str.fullmatch(prefix + r"\d{6}").all(), layer
        assert frame["code"].is_unique and frame["name"].is_unique, layer
        assert frame.crs.to_epsg() == 27700, layer
    assert borough.lsoa["name"].str.fullmatch(r".+ 001[A-Z]").all()
    ward_names = dict(zip(borough.wards["code"], borough.wards["name"]))
    assert all(name.startswith(ward_names[ward] + " ")
               for name, ward in zip(borough.lsoa["name"], borough.lsoa["ward_code"]))
    assert borough.parishes["name"].str.endswith((" Parish", " Town Council")).all()


def test_geometries_are_valid_single_polygons(borough):
    for layer in LAYERS:
        g = geoms(getattr(borough, layer))
        assert shapely.is_valid(g).all(), layer
        assert (shapely.get_type_id(g) == 3).all(), f"{layer} has non-Polygon geometry"
        assert (shapely.area(g) > 10_000).all(), f"{layer} has a sliver"


def test_outline_is_a_plausible_inland_borough(borough):
    outline = borough.lad.geometry.iloc[0]
    x0, y0, x1, y1 = outline.bounds
    assert 500e6 <= outline.area <= 900e6
    assert 25_000 <= x1 - x0 <= 35_000 and 25_000 <= y1 - y0 <= 35_000
    assert 300_000 < x0 < x1 < 550_000 and 150_000 < y0 < y1 < 450_000  # the English Midlands
    assert outline.area / outline.convex_hull.area < 0.99  # not a circle or a square


def test_wards_tile_the_outline(borough):
    outline = borough.lad.geometry.iloc[0]
    wards = geoms(borough.wards)
    assert rel_close(shapely.area(wards).sum(), outline.area)
    assert rel_close(shapely.union_all(wards).area, outline.area)
    assert shapely.coverage_is_valid(shapely.GeometryCollection(list(wards)))
    assert nx.is_connected(rook_graph(borough.wards))


def test_lsoas_nest_exactly_in_their_wards(borough):
    wards = borough.wards.set_index("code").geometry
    assert set(borough.lsoa["ward_code"]) == set(wards.index)
    for code, ward_code, geom in zip(borough.lsoa["code"], borough.lsoa["ward_code"], borough.lsoa.geometry):
        assert geom.within(wards[ward_code]), code
    for ward_code, group in borough.lsoa.groupby("ward_code"):
        assert rel_close(group.area.sum(), wards[ward_code].area), ward_code
    lsoa = geoms(borough.lsoa)
    assert rel_close(shapely.area(lsoa).sum(), borough.lad.geometry.iloc[0].area)
    assert shapely.coverage_is_valid(shapely.GeometryCollection(list(lsoa)))
    per_ward = borough.lsoa.groupby("ward_code").size()
    town = per_ward.index.isin(list(town_ward_codes(borough)))
    assert per_ward[town].mean() > per_ward[~town].mean()  # denser town wards hold more LSOAs


def test_parishes_cover_the_countryside_without_nesting_in_wards(borough):
    parishes, wards = geoms(borough.parishes), geoms(borough.wards)
    outline = borough.lad.geometry.iloc[0]
    union = shapely.union_all(parishes)
    assert rel_close(shapely.area(parishes).sum(), union.area)  # no overlaps
    assert shapely.difference(union, outline).area < 1.0
    assert 0.4 * outline.area < union.area < 0.95 * outline.area  # rural part only
    central = borough.wards.loc[borough.wards["name"] == "Ashvale Central"].geometry.iloc[0]
    assert shapely.intersection(central, union).area < 1.0  # the towns are unparished
    # Parishes are drawn independently of wards: several cut across ward boundaries.
    crossing = 0
    for parish in parishes:
        overlap = shapely.area(shapely.intersection(parish, wards))
        crossing += (overlap > 0.02 * parish.area).sum() >= 2
    assert crossing >= 3


def test_police_neighbourhoods_cover_the_borough_and_follow_wards_roughly(borough):
    service, wards = geoms(borough.service), geoms(borough.wards)
    area = borough.lad.geometry.iloc[0].area
    assert rel_close(shapely.area(service).sum(), area)
    assert rel_close(shapely.union_all(service).area, area)
    best_share = np.array([shapely.area(shapely.intersection(ward, service)).max() / ward.area
                           for ward in wards])
    assert (best_share > 0.999).mean() >= 0.5  # mostly whole wards...
    assert (best_share < 0.999).sum() >= 1  # ...but not exactly
    assert borough.service["name"].str.endswith("Neighbourhood").all()


def test_apbs_are_five_contiguous_groups_of_wards(borough):
    table = borough.apb_wards
    assert list(table.columns) == ["ward_code", "ward_name", "apb_id", "apb_name"]
    assert sorted(table["ward_code"]) == sorted(borough.wards["code"])  # every ward exactly once
    assert table["ward_code"].is_unique
    assert table["apb_id"].nunique() == 5 and table["apb_name"].nunique() == 5
    assert (table.groupby("apb_id")["apb_name"].nunique() == 1).all()
    assert table["apb_id"].str.fullmatch(r"[a-z0-9-]+").all()
    names = set(table["apb_name"])
    assert "Ashvale Town" in names
    assert sum(name.startswith("Rural ") for name in names) == 2
    graph = rook_graph(borough.wards)
    for apb, members in table.groupby("apb_name"):
        assert nx.is_connected(graph.subgraph(members["ward_code"])), apb


def test_groups_are_plausible_points(borough):
    groups = borough.groups
    for column in ("name", "group_type", "themes", "serves", "size", "postcode", "easting", "northing",
                   "lsoa_code"):
        assert column in groups.columns
    assert groups["name"].is_unique
    assert set(groups["group_type"]) <= set(GROUP_TYPES)
    assert len(GROUP_TYPES) == 8 and "tenants' and residents' association" in GROUP_TYPES
    assert all(set(themes.split("; ")) <= set(THEMES) for themes in groups["themes"])
    assert set(groups["size"]) <= {"small", "medium", "large"}
    assert (groups["size"] == "small").mean() > 0.6
    assert groups["postcode"].str.fullmatch(r"AV\d{1,2} \d[A-Z]{2}").all()
    lsoa = borough.lsoa.set_index("code").geometry
    assert all(lsoa[code].intersects(point) for code, point in zip(groups["lsoa_code"], groups.geometry))
    assert (groups.geometry.x == groups["easting"]).all() and (groups.geometry.y == groups["northing"]).all()
    # More groups per square kilometre in the (unparished) towns than in the parished countryside.
    others = groups.loc[groups["group_type"] != "town or parish council"]
    parished = shapely.union_all(geoms(borough.parishes))
    rural = shapely.intersects(parished, others.geometry.values)
    rural_area = parished.area
    town_area = borough.lad.area.iloc[0] - rural_area
    assert (~rural).sum() / town_area > 2 * rural.sum() / rural_area


def test_indicators_are_consistent_counts(borough):
    data = borough.indicators
    assert list(data["code"]) == list(borough.lsoa["code"])
    counts = ["population", "population_0_15", "working_age_population", "population_65_plus",
              "income_deprived", "employment_deprived"]
    for column in counts:
        assert pd.api.types.is_integer_dtype(data[column]), column
        assert (data[column] >= 0).all(), column
    assert data["population"].between(800, 2500).all()
    assert (data["population_0_15"] + data["working_age_population"] + data["population_65_plus"]
            == data["population"]).all()
    assert (data["income_deprived"] <= data["population"]).all()
    assert (data["employment_deprived"] <= data["working_age_population"]).all()
    assert data["imd_score"].between(0, 80).all()


def test_indicators_have_a_spatial_pattern(borough):
    centres = borough.wards.loc[borough.wards["name"].str.endswith(" Central")]
    assert len(centres) == 3
    towns = shapely.get_coordinates(shapely.point_on_surface(geoms(centres)))
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms(borough.lsoa)))
    distance = np.hypot(*(xy[:, None, :] - towns[None]).transpose(2, 0, 1)).min(axis=1)
    data = borough.indicators
    assert np.corrcoef(data["imd_score"], distance)[0, 1] < -0.3  # deprivation in the towns
    older = data["population_65_plus"] / data["population"]
    assert np.corrcoef(older, distance)[0, 1] > 0.3  # older people in the countryside


def test_indicator_metadata_describes_every_column(borough):
    meta = {m["id"]: m for m in borough.indicator_metadata}
    assert set(borough.indicators.columns) - {"code"} <= set(meta)
    keys = {"id", "title", "description", "theme", "type", "numerator", "denominator", "polarity", "unit",
            "source", "period", "licence", "role"}
    for m in meta.values():
        assert set(m) == keys
        assert m["type"] in {"count", "proportion", "score"}
        assert m["polarity"] in {"higher is worse", "higher is better", "neither"}
        assert f"seed {SEED}" in m["source"] and "Fictional" in m["source"]
        if m["type"] == "proportion":
            assert m["numerator"] in meta and m["denominator"] in meta
    assert meta["imd_score"]["polarity"] == "higher is worse"
    assert meta["population"]["role"] == "population" and meta["population_65_plus"]["role"] == "age band"


def test_write_demo_writes_a_manifest_and_its_files(tmp_path, borough):
    manifest_path = write_demo(tmp_path / "demo", seed=SEED)
    assert manifest_path == tmp_path / "demo" / "manifest.toml"
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["area"]["name"] == "Ashvale (fictional)" and manifest["area"]["fictional"] is True
    assert any("Not a real place" in line for line in manifest["area"]["attribution"])
    ids = {b["id"]: b for b in manifest["boundaries"]}
    assert set(ids) == {"lad", "wards", "lsoa", "parishes", "police"}
    assert {b["kind"] for b in ids.values()} == {"lad", "ward", "lsoa", "parish", "service"}
    for entry in manifest["boundaries"]:
        path = manifest_path.parent / entry["file"]
        info = pyogrio.read_info(path, layer=entry["layer"])
        assert info["features"] == len(getattr(borough, entry["layer"])), entry["id"]
        assert {"code", "name"} <= set(info["fields"]) and info["crs"] == "EPSG:27700"
    (grouping,) = manifest["groupings"]
    assert grouping["blocks"] == "wards" and grouping["kind"] == "apb"
    apb = pd.read_csv(manifest_path.parent / grouping["file"], dtype=str)
    pd.testing.assert_frame_equal(apb, borough.apb_wards)
    (groups_entry,) = manifest["groups"]
    assert groups_entry["file"] == "groups.csv" and groups_entry["crs"] == "EPSG:27700"
    groups = pd.read_csv(manifest_path.parent / groups_entry["file"])
    assert {"easting", "northing", "postcode", "lsoa_code"} <= set(groups.columns)
    assert len(groups) == len(borough.groups)
    assert len(pd.read_csv(manifest_path.parent / "indicators.csv")) == len(borough.lsoa)
    (indicators,) = manifest["indicators"]
    assert indicators["set"] == "lsoa"
    catalogue = read_catalogue(manifest_path.parent / indicators["catalogue"])
    assert [spec.id for spec in catalogue.indicators] == [m["id"] for m in borough.indicator_metadata]
    assert catalogue.fictional and len(read_values(catalogue)) == len(borough.lsoa) * len(catalogue.indicators)
    # Writing again into the same directory replaces the files.
    assert write_demo(tmp_path / "demo", seed=SEED) == manifest_path
    wards = pyogrio.read_info(manifest_path.parent / "demo.gpkg", layer="wards")
    assert wards["features"] == len(borough.wards)


@pytest.mark.parametrize("text", ['plain', 'quote " and backslash \\', "new\nline\ttab", "café \x7f \x01"])
def test_toml_strings_round_trip(text):
    assert tomllib.loads(f"x = {_toml(text)}")["x"] == text
    assert re.fullmatch(r'".*"', _toml(text), flags=re.S)
