"""The floors of the code hold (tools/floors.py): imports point only down, no cycles, no imports hidden inside
functions to dodge one, Flask only in the web floors, SQL only below the views."""
from pathlib import Path

import networkx as nx
import pytest

from tools.floors import NAMES, WEB_LIBRARIES, floor, imports, modules

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = imports(ROOT)
#: Query builders a view or command would need to write SQL itself.
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func", "and_", "or_"}


def _where(found) -> list[str]:
    return [f"{i.module}:{i.line} -> {i.target}" for i in found]


def test_every_module_has_a_floor():
    assert {floor(m) for m in modules(ROOT)} <= set(NAMES)
    assert floor("geoapp.storage.models") < floor("geoapp.figures") < floor("geoapp.web.db") \
        < floor("geoapp.profiles.views") < floor("geoapp.app")


def test_imports_point_only_down():
    up = [i for i in IMPORTS if i.project and floor(i.module) < floor(i.target)]
    assert _where(up) == [], "an import points up a floor"


def test_no_import_cycles():
    graph = nx.DiGraph((i.module, i.target) for i in IMPORTS if i.project)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_no_project_imports_inside_functions():
    assert _where(i for i in IMPORTS if i.project and i.local) == []


@pytest.mark.parametrize("library", WEB_LIBRARIES)
def test_web_libraries_only_on_the_web_floors(library):
    below = [i for i in IMPORTS if i.is_web() and i.target == library and floor(i.module) < 4]
    assert _where(below) == [], f"{library} imported below the web floor"


def test_geography_and_computation_know_no_store():
    stored = [i for i in IMPORTS if not i.project and i.target in ("sqlalchemy", "alembic")
              and floor(i.module) < 2]
    assert _where(stored) == []


def test_views_and_commands_write_no_sql():
    sql = [i for i in IMPORTS if i.target == "sqlalchemy" and floor(i.module) >= 4 and SQL_NAMES & set(i.names)
           and not i.module.startswith("geoapp.web.rate_limits")]
    assert _where(sql) == []


def test_the_contract_catches_what_it_forbids(tmp_path):
    """The reader sees an upward, a local and a web import in a made-up tree."""
    (tmp_path / "geoapp" / "storage").mkdir(parents=True)
    (tmp_path / "geoapp" / "__init__.py").write_text("")
    (tmp_path / "geoapp" / "storage" / "__init__.py").write_text("")
    (tmp_path / "geoapp" / "storage" / "things.py").write_text(
        "from flask import g\nfrom ..figures import x\n\ndef f():\n    from .. import figures\n")
    (tmp_path / "geoapp" / "figures.py").write_text("x = 1\n")
    found = imports(tmp_path)
    assert {(i.target, i.local, i.project) for i in found} == {
        ("flask", False, False), ("geoapp.figures", False, True), ("geoapp.figures", True, True)}
    assert all(floor(i.module) == 2 for i in found)
