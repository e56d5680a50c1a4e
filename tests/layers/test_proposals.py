"""Forum proposals: statistics and rules on hand-built squares, and on the real wards and LSOAs of CWAC."""

from __future__ import annotations

import math
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse
from shapely.geometry import MultiPolygon, box

from layers.aggregate import aggregate
from layers.imd import TOTAL_POPULATION, summarise
from layers.proposals import (
    FORUM_COLOURS,
    RULES,
    check,
    coloured,
    forum_colours,
    imd_measures,
    indicator_measure,
    prepare_blocks,
    rules,
    statistics,
)
from layers.weights import Weights, centroid_weights

KM = 1000.0


def frame(boxes: dict[str, object]) -> gpd.GeoDataFrame:
    """Blocks or containers from code -> box (or polygon), in km on British National Grid."""
    geoms = [g if isinstance(g, MultiPolygon) else MultiPolygon([g]) for g in boxes.values()]
    return gpd.GeoDataFrame({"code": list(boxes), "name": [c.upper() for c in boxes]}, geometry=geoms,
                            crs="EPSG:27700")


def square(x: float, y: float = 0.0, size: float = 1.0):
    return box(x * KM, y * KM, (x + size) * KM, (y + size) * KM)


#: Two rows of four 1 km squares (a-d on top of e-h), west and east containers of two columns each,
#: and an island block "i" far out in the east container.
GRID = {c: square(k % 4, 1 - k // 4) for k, c in enumerate("abcdefgh")} | {"i": square(10)}
HALVES = {"west": box(0, 0, 2 * KM, 2 * KM),
          "east": MultiPolygon([box(2 * KM, 0, 4 * KM, 2 * KM), square(10)])}
PEOPLE = {"a": 100, "b": 100, "c": 100, "d": 100, "e": 100, "f": 100, "g": 100, "h": 100, "i": 200}
COUNTS = {"west": 2, "east": 3}


@pytest.fixture(scope="module")
def grid():
    blocks = frame(GRID)
    return prepare_blocks(blocks, frame(HALVES), small_areas=blocks, population=pd.Series(PEOPLE),
                          councillors=dict.fromkeys("abcdefgh", 2), block_unit="ward", container_unit="APB")


def rule(result, rule_id):
    return next(r for r in result["rules"] if r["rule"] == rule_id)


def forum(result, code):
    return next(f for f in result["forums"] if f["code"] == code)


SOUND = {"a": "w1", "e": "w1", "b": "w2", "f": "w2", "c": "e1", "d": "e1", "g": "e2", "h": "e2", "i": "e3"}


def test_coloured_gives_every_forum_a_colour_not_yet_taken():
    forums = {"a": {"name": "A", "colour": "#1d70b8"}, "b": {"name": "B"}}
    found = coloured(forums, ["a", "b", "c"])
    assert found["a"]["colour"] == "#1d70b8"
    assert found["b"]["colour"] == "#d4351c" and found["c"] == {"name": "c", "colour": "#00703c"}
    assert forums["b"] == {"name": "B"}  # the forums given are not changed


def test_every_palette_colour_taken_starts_the_palette_again():
    taken = {f"f{k}": {"colour": c} for k, c in enumerate(FORUM_COLOURS)}
    assert coloured(taken, ["new"])["new"]["colour"] == FORUM_COLOURS[0]
    assert forum_colours({}, [f"F{k}" for k in range(14)])["F13"] == FORUM_COLOURS[1]


def test_polsby_popper_of_a_square_and_a_one_by_four_rectangle():
    blocks = frame({c: square(k) for k, c in enumerate("pqrs")})
    layer = prepare_blocks(blocks, frame({"all": box(0, 0, 4 * KM, KM)}))
    alone = statistics(layer, {c: c for c in "pqrs"})
    assert [f["polsby_popper"] for f in alone] == pytest.approx([math.pi / 4] * 4, rel=1e-12)
    (row,) = statistics(layer, dict.fromkeys("pqrs", "row"))
    assert row["area_km2"] == pytest.approx(4.0) and row["perimeter_km"] == pytest.approx(10.0)
    assert row["polsby_popper"] == pytest.approx(4 * math.pi * 4 / 10**2, rel=1e-12)  # 4πA/P² = 4π/25


def test_a_sound_proposal_passes_every_rule(grid):
    result = check(grid, SOUND, forums_per_container=COUNTS, names={"w1": "West one"})
    assert result["passed"], [r["message"] for r in result["rules"] if not r["passed"]]
    assert [r["rule"] for r in result["rules"]] == list(RULES)
    assert rule(result, "within_one_container")["title"] == "Each forum lies wholly within one APB"
    w1 = forum(result, "w1")
    assert w1 | {"indicators": None} == {
        "code": "w1", "name": "West one", "container": "west", "container_name": "WEST", "blocks": ["a", "e"],
        "block_count": 2, "population": 200, "ideal": 200.0, "deviation": 0.0, "within_tolerance": True,
        "councillors": 4, "area_km2": pytest.approx(2.0), "perimeter_km": pytest.approx(6.0),
        "polsby_popper": pytest.approx(4 * math.pi * 2 / 36), "pieces": 1, "indicators": None}
    assert forum(result, "e3")["councillors"] is None  # the island's count is unknown, not 0
    assert statistics(grid, list(SOUND.items())) == statistics(grid, SOUND)


def test_a_detached_forum_and_an_island_are_named(grid):
    result = check(grid, SOUND | {"a": "w2", "h": "w2", "c": "w1", "i": "w1"})
    contiguous = rule(result, "contiguous")
    assert not contiguous["passed"] and contiguous["forums"] == ["w2", "w1"]
    assert (forum(result, "w1")["pieces"], forum(result, "w2")["pieces"]) == (3, 2)
    # Highlighted: the blocks outside each forum's largest piece.
    assert {p["forum"]: p["blocks"] for p in contiguous["problems"]} == {"w2": ["h"], "w1": ["e", "i"]}
    message = contiguous["message"]
    assert "forum w2 is in 2 pieces: its main part (A (a), B (b), F (f)) and detached part (H (h))" in message
    assert "forum w1 is in 3 pieces" in message and "(I (i), an island with no neighbouring ward)" in message


def test_forums_across_two_containers_and_split_blocks_are_reported():
    blocks = frame({"a": square(0), "b": square(1), "s": square(1.4, 1), "c": square(2), "d": square(3)})
    halves = frame({"west": box(0, 0, 2 * KM, 2 * KM), "east": box(2 * KM, 0, 4 * KM, 2 * KM)})  # s: 60% west
    layer = prepare_blocks(blocks, halves, container_unit="APB")
    assert layer.split.tolist() == [False, False, True, False, False]
    result = check(layer, {"a": "x", "b": "x", "s": "x", "c": "x", "d": "y"})
    within = rule(result, "within_one_container")
    assert not within["passed"] and within["forums"] == ["x"] and set(within["blocks"]) == {"c", "s"}
    assert "forum x is mostly in APB WEST (west) but C (c) is in APB EAST (east)" in within["message"]
    assert "S (s) 60%" in within["message"]
    assert forum(result, "x")["container"] == "west"


def test_completeness_names_missing_doubled_and_unknown_blocks(grid):
    pairs = [(b, f) for b, f in SOUND.items() if b not in ("c", "d")]
    pairs += [("c", ""), ("a", "w2"), ("zz1", "w1"), ("", "w1"), ("zz2", "e1")]
    result = check(grid, pairs)
    complete = rule(result, "complete")
    assert not complete["passed"] and set(complete["blocks"]) == {"c", "d", "a"}
    assert "2 wards are in no forum: C (c), D (d)" in complete["message"]
    assert "A (a) is in more than one forum: w1, w2" in complete["message"]
    assert "2 codes are not wards of this set: zz1, zz2" in complete["message"]
    assert "1 row has no ward code" in complete["message"]
    assert "e1" not in [f["code"] for f in result["forums"]]  # a forum named only with unknown codes


def test_population_within_tolerance_of_the_ideal():
    blocks = frame({c: square(k) for k, c in enumerate("pqrs")})
    people = pd.Series({"p": 100, "q": 110, "r": 95, "s": 95})
    layer = prepare_blocks(blocks, frame({"all": box(0, 0, 4 * KM, KM)}), small_areas=blocks, population=people)
    split = {"p": "one", "q": "one", "r": "two", "s": "two"}  # 210 and 190 around an ideal of 200
    at_five = check(layer, split, tolerance=0.05)
    assert [f["deviation"] for f in at_five["forums"]] == pytest.approx([0.05, -0.05])
    assert rule(at_five, "population")["passed"]
    tight = rule(check(layer, split, tolerance=0.04), "population")
    assert not tight["passed"] and tight["forums"] == ["one", "two"]
    assert "forum one has 210 people, 5.0% above the ideal of 200 for container ALL (all) (tolerance ±4.0%)" \
        in tight["message"]
    wanted = check(layer, split, forums_per_container={"all": 4})
    assert [f["ideal"] for f in wanted["forums"]] == [100.0, 100.0]  # the ideal follows the count set


def test_forum_counts_per_container(grid):
    assert rule(check(grid, SOUND), "forum_count")["message"] == "No forum count is set for any APB."
    result = check(grid, SOUND, forums_per_container={"west": 3})
    counts = rule(result, "forum_count")
    assert not counts["passed"]
    assert counts["message"] == "APB WEST (west) should have 3 forums but has 2 (w1, w2)"
    assert rule(check(grid, SOUND, forums_per_container=COUNTS), "forum_count")["passed"]
    with pytest.raises(ValueError, match="not containers"):
        check(grid, SOUND, forums_per_container={"north": 1})


def test_unknown_population_fails_the_population_rule_and_councillors_are_checked():
    blocks = frame({"a": square(0), "b": square(1)})
    layer = prepare_blocks(blocks, frame({"all": box(0, 0, 2 * KM, KM)}))
    result = check(layer, {"a": "x", "b": "x"})
    assert forum(result, "x")["population"] is None and forum(result, "x")["within_tolerance"] is None
    assert not rule(result, "population")["passed"]
    with pytest.raises(ValueError, match="not one of the blocks"):
        prepare_blocks(blocks, frame({"all": box(0, 0, 2 * KM, KM)}), councillors={"zz": 3})


def test_indicator_measures_follow_the_aggregation_rules():
    values = pd.DataFrame({"value": [1.0, 3.0], "numerator": [np.nan, np.nan], "denominator": [np.nan] * 2},
                          index=["a", "b"])
    score = indicator_measure("s", "Score", "score", values, population=pd.Series({"a": 1.0, "b": 3.0}))
    assert (score.numerator / score.denominator).tolist() == [1.0, 3.0]
    assert indicator_measure("c", "Count", "count", values).numerator.tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="cannot be made from sums"):
        indicator_measure("d", "Decile", "decile", values)


# ------------------------------------------------------------------------------------ real data


@pytest.fixture(scope="module")
def cwac_iod(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "cheshire_west_and_chester_imd2019.csv").set_index("LSOA code (2011)")


def random_groupings(codes, seed, groups=7):
    rng = np.random.default_rng(seed)
    return dict(zip(codes, (f"f{k}" for k in rng.integers(0, groups, len(codes)))))


@pytest.mark.parametrize("blocks_layer", ["wards", "lsoa"])
def test_perimeter_from_shared_edges_equals_the_union_perimeter(cwac, blocks_layer):
    blocks = cwac[blocks_layer]
    layer = prepare_blocks(blocks, cwac["apbs"])
    geometry = dict(zip(blocks["code"], blocks.geometry))
    for seed in range(4):
        assignment = random_groupings(blocks["code"], seed)
        for found in statistics(layer, assignment):
            union = shapely.union_all([geometry[c] for c in found["blocks"]])
            assert found["perimeter_km"] * KM == pytest.approx(union.length, rel=1e-6)
            assert found["area_km2"] * KM**2 == pytest.approx(union.area, rel=1e-9)


def test_forum_figures_are_exact_sums_over_whole_lsoas(cwac, cwac_iod):
    income = cwac_iod["Income Score (rate)"] * cwac_iod[TOTAL_POPULATION]
    measures = [*imd_measures(cwac_iod),
                indicator_measure("income", "Income deprivation", "proportion",
                                  pd.DataFrame({"numerator": income, "denominator": cwac_iod[TOTAL_POPULATION]}))]
    layer = prepare_blocks(cwac["wards"], cwac["apbs"], small_areas=cwac["lsoa"],
                           population=cwac_iod[TOTAL_POPULATION], measures=measures)
    assert layer.unassigned_small_areas == ()
    assignment = random_groupings(cwac["wards"]["code"], 11, groups=9)
    found = {f["code"]: f for f in statistics(layer, assignment)}

    # The same LSOAs, best fit to wards directly, then grouped into forums.
    to_wards = centroid_weights(cwac["lsoa"], cwac["wards"])
    forums = sorted(set(assignment.values()))
    grouping = sparse.csr_matrix((np.ones(len(assignment)), (
        [to_wards.target_codes.index(c) for c in assignment], [forums.index(f) for f in assignment.values()])),
        shape=(len(to_wards.target_codes), len(forums)))
    to_forums = Weights(to_wards.matrix @ grouping, to_wards.source_codes, forums, "centroid", source_unit="LSOA")
    imd = summarise(cwac_iod, to_forums, domains=["IMD"]).set_index("area")
    direct = aggregate(to_forums, "proportion", numerator=income, denominator=cwac_iod[TOTAL_POPULATION])
    for code in forums:
        assert found[code]["population"] == pytest.approx(imd.loc[code, "population"], rel=1e-12)
        assert found[code]["indicators"]["imd_average_score"] == pytest.approx(
            imd.loc[code, "average_score"], rel=1e-12)
        assert found[code]["indicators"]["imd_most_deprived_10pc"] == pytest.approx(
            imd.loc[code, "proportion_most_deprived_10pc"], rel=1e-12)
        assert found[code]["indicators"]["income"] == pytest.approx(direct.loc[code, "value"], rel=1e-12)
    assert sum(f["population"] for f in found.values()) == cwac_iod[TOTAL_POPULATION].sum()


def test_a_borough_of_wards_is_checked_well_within_50_ms(cwac, cwac_iod):
    layer = prepare_blocks(cwac["wards"], cwac["apbs"], small_areas=cwac["lsoa"],
                           population=cwac_iod[TOTAL_POPULATION], measures=imd_measures(cwac_iod))
    lookup = cwac["apb_wards"]
    assignment = dict(zip(lookup["ward_code"], lookup["apb_id"]))
    assert check(layer, assignment, forums_per_container=1)["passed"]
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        check(layer, assignment, forums_per_container=1)
        timings.append(time.perf_counter() - start)
    assert np.median(timings) < 0.010, f"median {np.median(timings) * 1000:.1f} ms"


def test_rules_alone_match_check(cwac):
    layer = prepare_blocks(cwac["wards"], cwac["apbs"])
    assignment = random_groupings(cwac["wards"]["code"], 3)
    assert rules(layer, assignment) == check(layer, assignment)["rules"]
