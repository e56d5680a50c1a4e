"""Catalogues declare roles, not magic names: which indicator is the population, the working-age
population, the Indices of Deprivation domains. Renaming an id or a column changes no result; a catalogue
that needs a population and declares none, or two, is refused saying which."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from geoapp import figures
from geoapp.loading.load import LoadReport, Reporter, import_indicators
from layers.catalogue import CatalogueError, read_catalogue, read_values

from .conftest import CWAC_MANIFEST

IOD2019 = CWAC_MANIFEST.parent / "indicators" / "iod2019-cheshire-west-and-chester.toml"

SCORES = """
[catalogue]
id = "scores"
title = "Scores"
file = "values.csv"
code_column = "code"
period = "2024"
source = "Made up"
licence = "None"
{extra}
[[indicators]]
id = "people"
title = "People"
theme = "Population"
type = "count"
polarity = "neither"
column = "people"
{people_role}
[[indicators]]
id = "score"
title = "A score"
theme = "Deprivation"
type = "score"
polarity = "higher is worse"
column = "score"
{more}
"""


def catalogue(tmp_path, *, people_role='role = "population"', more="", extra=""):
    (tmp_path / "values.csv").write_text("code,people,score,workers\nA,100,10,60\nB,300,30,200\n")
    path = tmp_path / "scores.toml"
    path.write_text(SCORES.format(people_role=people_role, more=more, extra=extra))
    return path


def test_a_catalogue_of_scores_must_declare_its_population(tmp_path):
    with pytest.raises(CatalogueError, match=r"score is averaged weighted by population, but no indicator is "
                                             r"declared the population: add role = \"population\""):
        read_catalogue(catalogue(tmp_path, people_role=""))


def test_a_catalogue_declaring_two_populations_is_refused_naming_both(tmp_path):
    second = '[[indicators]]\nid = "people-again"\ntitle = "P"\ntheme = "Population"\ntype = "count"\n' \
             'polarity = "neither"\ncolumn = "workers"\nrole = "population"\n'
    with pytest.raises(CatalogueError, match=r"2 indicators are declared the population \(people, people-again\)"):
        read_catalogue(catalogue(tmp_path, more=second))


def test_roles_and_domains_are_checked(tmp_path):
    employment = 'domain = "Employment"\n'
    with pytest.raises(CatalogueError) as error:
        read_catalogue(catalogue(tmp_path, more=employment))
    text = str(error.value)
    assert "the Employment domain is weighted by the working-age population, and no indicator is declared it" in text
    assert "need national_areas" in text
    with pytest.raises(CatalogueError, match="role 'pop' is not one of"):
        read_catalogue(catalogue(tmp_path, people_role='role = "pop"'))
    with pytest.raises(CatalogueError, match="domain 'Wealth' is not one of"):
        read_catalogue(catalogue(tmp_path, more='domain = "Wealth"\n', extra="national_areas = 10"))


def test_a_value_can_be_the_sum_of_several_columns(tmp_path):
    path = catalogue(tmp_path, people_role='role = "population"\n[[indicators]]\nid = "everyone"\ntitle = "E"\n'
                     'theme = "Population"\ntype = "count"\npolarity = "neither"\ncolumn = ["people", "workers"]\n')
    values = read_values(read_catalogue(path))
    everyone = values[values["indicator"] == "everyone"].set_index("code")["value"]
    assert everyone.to_dict() == {"A": 160.0, "B": 500.0}


def renamed(tmp_path, source=IOD2019):
    """The IoD2019 catalogue and table with every id and every column renamed (roles kept)."""
    text = source.read_text()
    meta = read_catalogue(source)
    table = pd.read_csv(meta.file, dtype=str, keep_default_na=False)
    columns = {c: f"col{k}" for k, c in enumerate(table.columns)}
    table.rename(columns=columns).to_csv(tmp_path / "renamed.csv", index=False)
    for old, new in columns.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    text = re.sub(r'^id = "([^"]+)"$', lambda m: f'id = "x-{m.group(1)}"' if m.group(1) != "iod2019"
                  else 'id = "renamed"', text, flags=re.M)
    text = re.sub(r'^file = ".*"$', 'file = "renamed.csv"', text, flags=re.M)
    path = tmp_path / "renamed.toml"
    path.write_text(text)
    return path


def test_renaming_every_id_and_column_changes_no_figure(cwac_db, tmp_path):
    with cwac_db.transaction() as session:
        import_indicators(session, renamed(tmp_path), "lsoa", actor="test", reporter=Reporter(), report=LoadReport())
    with cwac_db.session() as session:
        for set_id in ("apb", "wards", "lad"):
            for indicator_id in ("imd2019-score", "imd2019-employment-rank", "imd2019-income-rate",
                                 "imd2019-imd-decile"):
                before = figures.figures(session, set_id, [indicator_id])[indicator_id].table["value"]
                after = figures.figures(session, set_id, [f"x-{indicator_id}"])[f"x-{indicator_id}"].table["value"]
                np.testing.assert_allclose(after.to_numpy(), before.to_numpy(), rtol=0, atol=1e-9)
            method = figures.figures(session, set_id, ["x-imd2019-score"])["x-imd2019-score"].table["method"]
            assert method.str.startswith("Population-weighted mean").all()


def test_scores_say_unweighted_when_nothing_weights_them(db, tmp_path):
    """A population-weighted figure is only called so when it was: the aggregation says 'Unweighted'."""
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, box

    from geoapp.storage import boundary_sets
    areas = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["A", "B"], "properties": [{}, {}]},
                             geometry=[MultiPolygon([box(0, 0, 10, 10)]), MultiPolygon([box(10, 0, 20, 10)])],
                             crs="EPSG:27700")
    from geoapp.storage.models import Indicator
    with db.transaction() as session:
        boundary_sets.save_set(session, areas, actor="t", replace=False, report={}, id="lsoa", kind="lsoa",
                               name="LSOAs", vintage=None, source=None, licence=None, fictional=False)
        path = catalogue(tmp_path)
        import_indicators(session, path, "lsoa", actor="test", reporter=Reporter(), report=LoadReport())
        session.get(Indicator, "people").role = None  # as a store loaded before roles existed
    with db.session() as session:
        fig = figures.figures(session, "lsoa", ["score"], with_borough=False)["score"]
        assert fig.table["method"].str.startswith("Unweighted mean").all()
        assert any("weighted equally" in note for note in fig.notes)
