"""The ``geoapp`` command line starts without the pages: listing the commands imports none of them, and a
command imports its own module and the bare app only (run in a fresh interpreter, as a user starts it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from geoapp import cli
from geoapp.app import COMMANDS
from geoapp.storage.db import HEAD, MIGRATIONS
from geoapp.web.factory import ROOT

#: What the pages draw with, and the pages themselves: never imported to list or run a project command.
HEAVY = ("mapclassify", "scipy.stats", "sklearn", "folium", "weasyprint", "matplotlib", "geoapp.app",
         "geoapp.profiles.views", "geoapp.map.views", "layers.charts")


def run_cli(args: list[str], tmp_path, heavy: tuple[str, ...] = HEAVY) -> dict:
    """Run ``geoapp ARGS`` in a new interpreter; its output, exit code and which ``heavy`` modules it imported."""
    script = (
        "import json, sys\n"
        "from geoapp.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        f"print(json.dumps({{'code': code, 'heavy': [m for m in {heavy!r} if m in sys.modules]}}))\n")
    env = os.environ | {"PYTHONPATH": str(ROOT), "ATLAS_ENV": "development", "ATLAS_INSTANCE_PATH": str(tmp_path),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'atlas.sqlite'}"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    *printed, last = done.stdout.strip().splitlines()
    return json.loads(last) | {"output": "\n".join(printed)}


def test_listing_the_commands_imports_no_command_and_no_page(tmp_path):
    found = run_cli(["--help"], tmp_path)
    assert found["code"] == 0 and found["heavy"] == []
    for name in ("sets", "load", "import-boundaries", "alignment", "run"):
        assert f"  {name} " in found["output"]


def test_a_command_runs_in_the_bare_app_without_the_pages(tmp_path):
    found = run_cli(["sets"], tmp_path)  # an empty store: migrated, nothing listed
    assert found["code"] == 0 and found["heavy"] == [], found
    assert found["output"] == "" and (tmp_path / "atlas.sqlite").is_file()


def test_listing_the_sets_loads_no_file_reader_nor_loader_nor_numpy_and_alembic_only_to_migrate(tmp_path):
    """The first ``geoapp sets`` migrates the new store with Alembic; the next finds it at the latest revision."""
    slow = ("alembic", "geopandas", "pyogrio", "numba", "numpy", "shapely", "geoapp.loading.load")
    assert run_cli(["sets"], tmp_path, heavy=slow)["heavy"] == ["alembic"]
    assert run_cli(["sets"], tmp_path, heavy=slow)["heavy"] == []


def test_the_latest_revision_is_alembics_head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_is_found_by_name_with_its_own_help(command):
    module, start = cli.COMMANDS[command.name]
    assert command in __import__(module, fromlist=["COMMANDS"]).COMMANDS
    assert command.help.startswith(start)


def test_no_command_is_listed_twice_or_left_out():
    assert sorted(cli.COMMANDS) == sorted(command.name for command in COMMANDS)
