"""`geoapp alignment` and `geoapp lookup` on the real Cheshire West and Chester store."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from geoapp.alignment import service, tables
from geoapp.alignment.service import percent
from geoapp.web.db import database


@pytest.fixture
def cli(cwac_app):
    return cwac_app.test_cli_runner()


@pytest.fixture
def folder(tmp_path):
    """An empty folder for the lookups (tmp_path itself holds the test's store and instance files)."""
    path = tmp_path / "out"
    path.mkdir()
    return path


def measured(app, a: str, b: str, **options):
    with app.app_context(), database().session() as session:
        return service.measure_sets(session, a, b, **options)


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def test_alignment_prints_the_scores_worst_areas_and_definitions(cwac_app, cli):
    result = cli.invoke(args=["alignment", "wards", "apb", "--worst", "3"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Wards (2019) nest within Area Partnership Boards: 100% of the population" in out
    assert "Alignment scores (share in the best fit):" in out
    score_line = next(line for line in out.splitlines() if "Wards (2019) with Area Partnership Boards" in line)
    assert score_line.split()[-2:] == ["100%", "100%"]  # by population, by area
    assert "Worst-fitting 3 of Wards (2019) (best fit in Area Partnership Boards):" in out
    assert "Worst-fitting 3 of Area Partnership Boards (best fit in Wards (2019)):" in out
    assert "Slivers (thinner than 25 m):" in out and "counted in the shares" in out
    assert "Alignment score of Wards (2019) with Area Partnership Boards" in out
    assert "Population: " in out
    # the ranked rows are those of the page's table, worst first
    fits = measured(cwac_app, "wards", "apb")
    worst_apbs = tables.fits(fits, "b")[:3]
    block = out.split("Worst-fitting 3 of Area Partnership Boards")[1].split("Definitions:")[0].splitlines()[2:5]
    assert [row.split()[0] for row in block] == [r["code"] for r in worst_apbs]
    assert block[0].endswith(percent(worst_apbs[0]["covered"]))


def test_alignment_names_the_straddling_lsoas(cwac_app, cli):
    result = cli.invoke(args=["alignment", "lsoa", "wards", "--worst", "5"])
    assert result.exit_code == 0, result.output
    assert "partly aligned" in result.output
    worst = tables.fits(measured(cwac_app, "lsoa", "wards"), "a")[:5]
    for row in worst:
        line = next(line for line in result.output.splitlines() if line.strip().startswith(row["code"]))
        assert row["best_fit"] in line and percent(row["outside"]) in line


def test_slivers_can_be_ignored_or_tuned(cli):
    ignored = cli.invoke(args=["alignment", "apb", "sub-icb", "--ignore-slivers", "--worst", "0"])
    assert ignored.exit_code == 0, ignored.output
    assert "left out of the shares" in ignored.output and "Slivers are left out of every share" in ignored.output
    assert "Worst-fitting" not in ignored.output
    none = cli.invoke(args=["alignment", "apb", "sub-icb", "--sliver-width", "0", "--json"])
    assert json.loads(none.output)["slivers"]["count"] == 0
    wide = cli.invoke(args=["alignment", "apb", "sub-icb", "--sliver-width", "100", "--json"])
    assert json.loads(wide.output)["slivers"]["count"] > 0
    too_wide = cli.invoke(args=["alignment", "apb", "sub-icb", "--sliver-width", "501"])
    assert too_wide.exit_code == 2 and "--sliver-width" in too_wide.output


def test_alignment_json_has_the_summary_fits_and_matrix(cwac_app, cli):
    result = cli.invoke(args=["alignment", "apb", "sub-icb", "--json", "--worst", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"a", "b", "scores", "relationship", "sentence", "definitions", "population", "slivers", "worst",
            "fits", "matrix"} <= set(data)
    assert data["a"]["id"] == "apb" and data["b"]["id"] == "sub-icb"
    assert data["relationship"] == "A nests in B" and data["scores"]["a_in_b"] > 0.999
    assert len(data["worst"]["a"]) == 2 and len(data["fits"]["a"]) == 5 and len(data["fits"]["b"]) == 7
    assert {row["best_fit"] for row in data["fits"]["a"]} == {"E38000233"}
    fit = measured(cwac_app, "apb", "sub-icb")
    assert data["matrix"] == json.loads(json.dumps(tables.matrix(fit)))
    assert {(row["a_code"], row["b_code"]) for row in data["matrix"]} >= {("chester", "E38000233")}
    assert all(set(row) >= {"a_population_share", "a_area_share", "b_population_share", "b_area_share"}
               for row in data["matrix"])


@pytest.mark.parametrize("args, message", [
    (["alignment", "nope", "wards"], "There is no boundary set called 'nope'."),
    (["alignment", "wards", "nope"], "There is no boundary set called 'nope'."),
    (["alignment", "wards", "wards"], "Choose two different boundary sets to compare."),
    (["lookup", "nope", "wards", "--out", "{out}"], "There is no boundary set called 'nope'."),
])
def test_unknown_sets_fail_clearly(cli, folder, args, message):
    out = folder / "never.csv"
    result = cli.invoke(args=[a.format(out=out) for a in args])
    assert result.exit_code == 2
    assert message in result.output
    assert ("geoapp sets" in result.output) == ("nope" in args)
    assert list(folder.iterdir()) == []


def test_lookup_writes_the_ons_layout(cwac_app, cli, folder):
    out = folder / "lsoa_ward.csv"
    result = cli.invoke(args=["lookup", "lsoa", "wards", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote 212 rows (Lower layer super output areas (2011) to Wards (2019)) to {out}" in result.output
    assert "Every area has a partner in Wards (2019)." in result.output
    table = read(out)
    assert list(table.columns) == ["LSOA11CD", "LSOA11NM", "WD19CD", "WD19NM", "ObjectId"]
    assert len(table) == 212 and table["LSOA11CD"].is_unique
    assert table["ObjectId"].tolist() == [str(k) for k in range(1, 213)]
    expected = tables.lookup(measured(cwac_app, "lsoa", "wards"))
    assert table[["LSOA11CD", "WD19CD", "WD19NM"]].values.tolist() == \
        expected[["LSOA11CD", "WD19CD", "WD19NM"]].values.tolist()
    assert table.set_index("LSOA11CD").loc["E01018684", "WD19CD"] == "E05012234"
    assert out.read_bytes().startswith(b'"LSOA11CD","LSOA11NM"')  # UTF-8 without a byte-order mark
    assert [p.name for p in folder.iterdir()] == ["lsoa_ward.csv"]  # no temporary file left behind


def test_lookup_with_shares_and_areas_without_a_partner(cli, folder):
    out = folder / "sub_icb_apb.csv"
    result = cli.invoke(args=["lookup", "sub-icb", "apb", "--out", str(out), "--shares"])
    assert result.exit_code == 0, result.output
    table = read(out)
    assert list(table.columns)[2:] == ["APB19CD", "APB19NM", "SHARE", "BY", "ObjectId"]
    assert len(table) == 7
    blank = table[table["APB19CD"] == ""]
    assert len(blank) == 2 and (blank["APB19NM"] == "").all()
    assert "2 areas of NHS sub-ICB locations (2022) had no partner in Area Partnership Boards (blank APB19CD)." \
        in result.output
    cheshire_west = table.set_index(table.columns[0]).loc["E38000233"]
    assert cheshire_west["BY"] == "population" and 0 < float(cheshire_west["SHARE"]) < 0.5
    assert table["SHARE"].astype(float).between(0, 1).all()


def test_lookup_refuses_to_overwrite_without_force(cli, folder):
    out = folder / "wards_apb.csv"
    out.write_text("keep me\n", encoding="utf-8")
    refused = cli.invoke(args=["lookup", "wards", "apb", "--out", str(out)])
    assert refused.exit_code == 1
    assert "exists; add --force to overwrite it" in refused.output
    assert out.read_text(encoding="utf-8") == "keep me\n"
    failed = cli.invoke(args=["lookup", "nope", "apb", "--out", str(out), "--force"])
    assert failed.exit_code == 2 and out.read_text(encoding="utf-8") == "keep me\n"  # a failure changes nothing
    forced = cli.invoke(args=["lookup", "wards", "apb", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    table = read(out)
    assert list(table.columns) == ["WD19CD", "WD19NM", "APB19CD", "APB19NM", "ObjectId"] and len(table) == 45
    assert [p.name for p in folder.iterdir()] == ["wards_apb.csv"]


def test_lookup_into_a_missing_folder_writes_nothing(cli, folder):
    out = folder / "missing" / "lookup.csv"
    result = cli.invoke(args=["lookup", "wards", "apb", "--out", str(out)])
    assert result.exit_code == 1 and "There is no folder" in result.output
    assert list(folder.iterdir()) == []


def test_the_commands_are_documented_in_their_help(cli):
    for command in ("alignment", "lookup"):
        result = cli.invoke(args=[command, "--help"])
        assert result.exit_code == 0
        assert "--sliver-width" in result.output and "--ignore-slivers" in result.output
    assert "--force" in cli.invoke(args=["lookup", "--help"]).output
    assert "--json" in cli.invoke(args=["alignment", "--help"]).output
