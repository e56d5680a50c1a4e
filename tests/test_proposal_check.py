"""`geoapp proposal-check`: forums of Cheshire West and Chester wards checked from the command line."""
from __future__ import annotations

import itertools
import json

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest

from boundaries.adjacency import adjacency_graph
from geoapp.storage.models import AuditEntry

#: ONS mid-2020 population of the borough's 212 LSOAs: what the forums of a whole borough add up to.
BOROUGH = 343_823
#: With mid-2020 populations Rural West's six wards split into two contiguous forums at best 18.5% from even
#: (Gowy Rural and Saughall & Mollington against the rest), so a valid two-forum proposal is checked at ±20%.
TOLERANCE = "0.2"


@pytest.fixture(scope="module")
def cwac_wards(shared_data):
    """The ONS ward to APB lookup, the wards' neighbours and their people, estimated independently of the app:
    each LSOA's mid-2020 population split by the ward codes Code-Point Open gives its postcodes."""
    gpkg = shared_data / "cheshire_west_and_chester.gpkg"
    wards = gpd.read_file(gpkg, layer="wards")
    population = pd.read_csv(shared_data / "england" / "lsoa11_population_mid2020_syoa.csv",
                             usecols=["LSOA Code", "All Ages"]).set_index("LSOA Code")["All Ages"]
    codes = pd.read_csv(shared_data / "postcodes_cheshire.csv", dtype=str, keep_default_na=False,
                        usecols=["lsoa11cd", "ward_code", "lad_code"])
    codes = codes[(codes["lad_code"] == "E06000050") & codes["lsoa11cd"].str.startswith("E01")]
    counts = codes.groupby(["lsoa11cd", "ward_code"]).size()
    lsoas = gpd.read_file(gpkg, layer="lsoa")
    unseen = lsoas[~lsoas["code"].isin(counts.index.get_level_values(0))]  # their postcodes are SY ones
    points = unseen.set_geometry(unseen.representative_point())
    placed = gpd.sjoin(points, wards[["code", "geometry"]].rename(columns={"code": "ward"}), predicate="within")
    counts = pd.concat([counts, pd.Series(1, index=pd.MultiIndex.from_arrays([placed["code"], placed["ward"]]))])
    shares = counts / counts.groupby(level=0).transform("sum")
    people = (shares * population.reindex(shares.index.get_level_values(0)).to_numpy()).groupby(level=1).sum()
    lookup = pd.read_csv(shared_data / "cwac_apb_wards.csv", dtype=str)
    return lookup, adjacency_graph(wards), people.reindex(wards["code"]).fillna(0.0).to_dict()


def halves(wards: list[str], graph: nx.Graph, people: dict[str, float]) -> tuple[set, set]:
    """The split of some wards into two contiguous parts with the most even population."""
    total = sum(people[w] for w in wards)
    best = None
    for size in range(1, len(wards)):
        for part in map(set, itertools.combinations(wards[1:], size)):
            rest = set(wards) - part
            if nx.is_connected(graph.subgraph(part)) and nx.is_connected(graph.subgraph(rest)):
                gap = abs(sum(people[w] for w in part) - total / 2)
                if best is None or gap < best[0]:
                    best = (gap, part, rest)
    return best[1], best[2]


@pytest.fixture(scope="module")
def forums(cwac_wards) -> dict[str, str]:
    """Ward code to forum: each APB's wards in two contiguous forums, '<apb>-1' and '<apb>-2'."""
    lookup, graph, people = cwac_wards
    assignment = {}
    for apb, rows in lookup.groupby("apb_id"):
        for k, part in enumerate(halves(list(rows["ward_code"]), graph, people), start=1):
            assignment |= dict.fromkeys(part, f"{apb}-{k}")
    return assignment


@pytest.fixture
def check(cwac_app, tmp_path):
    """Run the command on an assignment (dict or list of pairs) and return the result."""
    runner = cwac_app.test_cli_runner()

    def run(assignment, *options, header="block_code,forum"):
        path = tmp_path / "proposal.csv"
        pairs = assignment.items() if isinstance(assignment, dict) else assignment
        path.write_text("\n".join([header, *(f"{b},{f}" for b, f in pairs)]) + "\n")
        return runner.invoke(args=["proposal-check", str(path), "--blocks", "wards", "--within", "apb",
                                   "--tolerance", TOLERANCE, *options])
    return run


def report(result) -> dict:
    return json.loads(result.output)


def failed(result) -> dict:
    return {r["rule"]: r for r in report(result)["rules"] if not r["passed"]}


def test_two_contiguous_forums_per_apb_pass_every_rule(check, forums, cwac_wards):
    result = check(forums, "--forums-per-container", "2", "--json")
    assert result.exit_code == 0, result.output
    found = report(result)
    assert found["passed"] and not failed(result)
    assert len(found["forums"]) == 10 and sum(f["block_count"] for f in found["forums"]) == 45
    assert sum(f["population"] for f in found["forums"]) == BOROUGH  # whole people, every ward once
    first = found["forums"][0]
    assert first["container"] == first["code"].rsplit("-", 1)[0] and first["pieces"] == 1
    assert set(first["indicators"]) == {"imd_average_score", "imd_most_deprived_10pc"}
    assert 0 < first["polsby_popper"] < 1 and abs(first["deviation"]) <= 0.2


def test_the_table_shows_each_forum_and_rule(check, forums):
    result = check(forums, "--forums-per-container", "2", header="GEOID,DISTRICT")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["forum", "APB", "wards"] and "Polsby-Popper" in lines[0]
    assert sum(line.startswith("chester-") for line in lines) == 2
    assert sum(line.startswith("PASS") for line in lines) == 5 and "Every rule passes." in lines


def test_a_forum_spanning_two_apbs_fails(check, forums, cwac_wards):
    _, graph, _ = cwac_wards
    ward, other = next((w, o) for w, o in graph.edges()
                       if forums[w].rsplit("-", 1)[0] != forums[o].rsplit("-", 1)[0])
    result = check(forums | {ward: forums[other]}, "--json")
    assert result.exit_code == 1
    within = failed(result)["within_one_container"]
    assert within["forums"] == [forums[other]] and within["blocks"] == [ward]
    assert f"forum {forums[other]} is mostly in APB" in within["message"] and ward in within["message"]


def test_a_detached_forum_fails(check, forums, cwac_wards):
    _, graph, _ = cwac_wards
    ward, target = next((w, f) for w in forums for f in set(forums.values())
                        if f != forums[w] and f.rsplit("-", 1)[0] == forums[w].rsplit("-", 1)[0]
                        and not any(forums[n] == f for n in graph[w]))
    result = check(forums | {ward: target}, "--json")
    assert result.exit_code == 1
    contiguous = failed(result)["contiguous"]
    assert target in contiguous["forums"] and ward in contiguous["blocks"]
    assert f"forum {target} is in 2 pieces" in contiguous["message"] and ward in contiguous["message"]


def test_a_missing_ward_and_an_unknown_code_fail(check, forums):
    missing = sorted(forums)[0]
    pairs = [(w, f) for w, f in forums.items() if w != missing] + [("E05999999", "chester-1")]
    result = check(pairs, "--json")
    assert result.exit_code == 1
    complete = failed(result)["complete"]
    assert complete["blocks"] == [missing]
    assert f"1 ward is in no forum: Blacon ({missing})" in complete["message"]
    assert "1 code is not a ward of this set: E05999999" in complete["message"]
    text = check(pairs)
    assert text.exit_code == 1 and "FAIL  Every ward is in exactly one forum" in text.output


def test_councillors_and_forum_counts_from_csv_files(check, forums, tmp_path):
    councillors = tmp_path / "councillors.csv"
    wards = sorted(forums)
    councillors.write_text("ward_code,councillors\n" + "".join(f"{w},2\n" for w in wards[1:]) + f"{wards[0]},\n")
    counts = tmp_path / "counts.csv"
    counts.write_text("apb,forums\nchester,3\nrural-west,2\n")
    result = check(forums, "--councillors", str(councillors), "--forums-per-container", str(counts), "--json")
    assert result.exit_code == 1
    found = {f["code"]: f for f in report(result)["forums"]}
    unknown = forums[wards[0]]  # the forum holding the ward whose count is blank
    assert found[unknown]["councillors"] is None
    assert all(f["councillors"] == 2 * f["block_count"] for code, f in found.items() if code != unknown)
    chester = ", ".join(sorted(code for code in found if code.startswith("chester")))
    assert failed(result)["forum_count"]["message"] == \
        f"APB Chester (chester) should have 3 forums but has 2 ({chester})"


@pytest.mark.parametrize("content", ["", "block_code\nE05012209\n", "block_code,forum\n"])
def test_a_malformed_csv_exits_2(cwac_app, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = cwac_app.test_cli_runner().invoke(
        args=["proposal-check", str(path), "--blocks", "wards", "--within", "apb"])
    assert result.exit_code == 2 and "bad.csv" in result.output


def test_bad_options_exit_2(check, forums):
    assert check(forums, "--forums-per-container", "two").exit_code == 2
    unknown = check(forums, "--indicator", "no-such-indicator")
    assert unknown.exit_code == 2 and "no-such-indicator" in unknown.output


def test_imported_councillors_are_stored_and_used_by_proposal_check(cwac_app, check, forums, tmp_path):
    runner = cwac_app.test_cli_runner()
    wards = sorted(forums)
    bad = tmp_path / "bad.csv"
    bad.write_text("ward_code,councillors\n" + f"{wards[0]},3\nE05999999,2\n{wards[1]},-1\n")
    refused = runner.invoke(args=["import-councillors", str(bad), "--set", "wards"])
    assert refused.exit_code == 2
    assert "E05999999: not an area of wards" in refused.output and "'-1'" in refused.output
    good = tmp_path / "councillors.csv"
    good.write_text("code,councillors\n" + "".join(f"{code},3\n" for code in wards))
    loaded = runner.invoke(args=["import-councillors", str(good), "--set", "wards"])
    assert loaded.exit_code == 0, loaded.output
    assert f"councillor counts of {len(wards)} area(s) of wards set" in loaded.output
    found = report(check(forums, "--json"))
    assert all(f["councillors"] == 3 * f["block_count"] for f in found["forums"])
    with cwac_app.extensions["atlas_db"].session() as session:
        entry = session.query(AuditEntry).filter_by(entity_type="councillors").one()
    assert entry.actor == "cli" and entry.after["source"] == "councillors.csv"
