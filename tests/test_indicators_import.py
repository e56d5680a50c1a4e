"""Indicator catalogues: the real IoD2019 catalogue, CSV and XLSX imports, reports and refusals."""
from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from geoapp.storage.indicators import load_values
from geoapp.storage.models import AuditEntry, Indicator, IndicatorValue
from layers.catalogue import CatalogueError, read_catalogue, read_values

CATALOGUE = """
[catalogue]
id = "test"
title = "Test indicators"
file = "{file}"
code_column = "code"
period = "2024"
source = "Test source"
licence = "Test licence"
{extra}
[[indicators]]
id = "people"
title = "People"
theme = "Population"
type = "count"
polarity = "neither"
column = "people"

[[indicators]]
id = "older-share"
title = "Older people"
theme = "Healthier Communities & Older People"
type = "proportion"
polarity = "neither"
unit = "%"
numerator = "older"
denominator = "people"
"""


def write_catalogue(tmp_path, rows, *, suffix=".csv", extra=""):
    table = pd.DataFrame(rows, columns=["code", "people", "older"])
    path = tmp_path / f"values{suffix}"
    if suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_excel(path, index=False)
    meta = tmp_path / "catalogue.toml"
    meta.write_text(CATALOGUE.format(file=path.name, extra=extra))
    return meta


def count(app, model):
    with app.extensions["atlas_db"].session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_iod2019_catalogue_is_loaded_with_the_borough(cwac_db):
    with cwac_db.session() as session:
        indicators = {i.id: i for i in session.scalars(sa.select(Indicator)) if i.catalogue == "iod2019"}
        values = load_values(session, "lsoa")
    assert len(indicators) == 35
    assert indicators["imd2019-score"].source.startswith("English Indices of Deprivation 2019")
    assert "Open Government Licence" in indicators["imd2019-score"].licence
    score = values[values.indicator == "imd2019-score"]
    assert len(score) == 212 and score["value"].notna().all()
    first = score.set_index("code").loc["E01018308"]
    assert first["value"] == pytest.approx(19.309)  # the published File 7 value
    # blank domain scores in this copy stay missing, never zero
    crime = values[values.indicator == "imd2019-crime-score"]
    assert len(crime) == 212 and crime["value"].isna().all()
    # proportions keep numerator and denominator so that areas can be combined correctly
    income = values[values.indicator == "imd2019-income-rate"].set_index("code").loc["E01018308"]
    assert income["denominator"] == 2031 and income["numerator"] == pytest.approx(0.096 * 2031)
    population = values[values.indicator == "iod2019-population-total"]
    assert set(population["period"]) == {"mid-2015"} and population["value"].sum() == 333_949
    assert indicators["iod2019-population-total"].role == "population"
    assert indicators["iod2019-population-working-age"].role == "working-age population"
    assert indicators["imd2019-employment-rank"].domain == "Employment"
    # the loader marks the 7 indicators this copy leaves blank, so they are not offered
    assert sorted(i for i, ind in indicators.items() if ind.areas_with_values == 0) == sorted([
        "imd2019-education-score", "imd2019-health-score", "imd2019-crime-score", "imd2019-barriers-score",
        "imd2019-living-environment-score", "imd2019-idaci-rate", "imd2019-idaopi-rate"])
    assert indicators["imd2019-idaci-rank"].areas_with_values == 212  # added to the data on 2026-12-06


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_reports_unknown_codes_and_keeps_missing_values(app, runner, tmp_path, suffix, shared_data):
    runner.invoke(args=["import-boundaries", str(shared_data / "cheshire_west_and_chester.gpkg"),
                        "--layer", "lsoa", "--id", "lsoa", "--kind", "lsoa", "--name", "LSOAs"])
    rows = [("E01018308", "1500", "300"), ("E01018309", "", "20"), ("E01999999", "10", "1"),
            ("W01000001", "10", "2")]
    meta = write_catalogue(tmp_path, rows, suffix=suffix)
    result = runner.invoke(args=["import-indicators", str(meta), "--set", "lsoa"])
    assert result.exit_code == 0, result.output
    assert "2 codes in the table are not areas of 'lsoa'" in result.output and "E01999999" in result.output
    assert "people: 211 of 212 areas have no value" in result.output  # E01018309's is blank
    with app.extensions["atlas_db"].session() as session:
        values = load_values(session, "lsoa").set_index(["indicator", "code"])
    assert values.loc[("people", "E01018308"), "value"] == 1500
    assert math.isnan(values.loc[("people", "E01018309"), "value"])  # blank stays missing
    assert values.loc[("older-share", "E01018308"), "value"] == pytest.approx(0.2)
    assert math.isnan(values.loc[("older-share", "E01018309"), "value"])  # 20 / missing
    assert len(values) == 4


def test_import_with_no_matching_code_stores_nothing(app, runner, tmp_path, shared_data):
    runner.invoke(args=["import-boundaries", str(shared_data / "cheshire_west_and_chester.gpkg"),
                        "--layer", "wards", "--id", "wards", "--kind", "ward", "--name", "Wards"])
    meta = write_catalogue(tmp_path, [("E01018308", "1", "1")])
    result = runner.invoke(args=["import-indicators", str(meta), "--set", "wards"])
    assert result.exit_code == 1 and "right boundary set?" in result.output
    assert "Nothing was stored" in result.output
    assert count(app, Indicator) == 0 and count(app, IndicatorValue) == 0
    assert count(app, AuditEntry) == 1  # only the boundary import


def test_reimport_replaces_values(app, runner, tmp_path, shared_data):
    runner.invoke(args=["import-boundaries", str(shared_data / "cheshire_west_and_chester.gpkg"),
                        "--layer", "lsoa", "--id", "lsoa", "--kind", "lsoa", "--name", "LSOAs"])
    meta = write_catalogue(tmp_path, [("E01018308", "1500", "300")])
    assert runner.invoke(args=["import-indicators", str(meta), "--set", "lsoa"]).exit_code == 0
    meta = write_catalogue(tmp_path, [("E01018308", "1600", "300")])
    assert runner.invoke(args=["import-indicators", str(meta), "--set", "lsoa"]).exit_code == 0
    with app.extensions["atlas_db"].session() as session:
        values = load_values(session, "lsoa", ["people"])
    assert list(values["value"]) == [1600]


def test_catalogue_problems_are_named(tmp_path):
    meta = write_catalogue(tmp_path, [("E01018308", "12", "lots")])
    text = meta.read_text().replace('theme = "Population"', 'theme = "Sport"').replace(
        'numerator = "older"', 'numerator = "olders"')
    meta.write_text(text)
    with pytest.raises(CatalogueError) as error:
        read_catalogue(meta)
    assert "theme 'Sport' is not one of" in str(error.value)
    meta.write_text(text.replace('"Sport"', '"Population"'))
    with pytest.raises(CatalogueError, match="'olders' not found"):
        read_values(read_catalogue(meta))
    meta.write_text(text.replace('"Sport"', '"Population"').replace('"olders"', '"older"'))
    with pytest.raises(CatalogueError) as error:
        read_values(read_catalogue(meta))
    assert "row 2, column 'older': 'lots' is not a number" in str(error.value)


def test_a_proportion_needs_its_denominator(tmp_path):
    meta = write_catalogue(tmp_path, [("E01018308", "12", "3")])
    meta.write_text(meta.read_text().replace('denominator = "people"\n', ""))
    with pytest.raises(CatalogueError, match="needs its denominator"):
        read_catalogue(meta)
