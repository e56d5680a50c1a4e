"""The OpenAPI document at /api/openapi says what the server really does: schemathesis, with every check on,
sends generated requests (valid and invalid, with undeclared methods, with and without the API token) to the
app serving the demo borough and finds nothing: no 500, no undocumented status or content type, no 405
without Allow, no schema-valid request refused, no invalid one accepted.

The run is bounded (a few examples per operation, a fixed seed) so it takes a minute or two on CI.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from geoapp.auth import accounts
from geoapp.proposals import service
from geoapp.storage.models import Area, Indicator, User

EXAMPLES = int(os.environ.get("ATLAS_FUZZ_EXAMPLES", "6"))
SEED = 20160  # a fixed seed: CI runs the same cases every time
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def demo_on_postgis_if_any(request, tmp_path, tmp_path_factory):
    """The demo store on PostGIS (the production store) when a server answers, else on SQLite: one run only,
    to keep the suite short (the overflows particular to each store are tested on both by test_input_limits)."""
    from tests.conftest import _build_store, _fill_demo, build_app

    try:
        request.getfixturevalue("postgis")
        backend = "postgis"
    except pytest.skip.Exception:
        backend = "sqlite"
    store = _build_store(backend, "demo", request, tmp_path_factory, _fill_demo)
    opened = store.open(tmp_path)
    db = next(opened)
    yield build_app(db, tmp_path)
    next(opened, None)


@pytest.fixture
def fuzzed(demo_on_postgis_if_any, live_server, tmp_path):
    """The demo app served on localhost, an administrator's API token, and the ids the operations need."""
    demo_app = demo_on_postgis_if_any
    db = demo_app.extensions["atlas_db"]
    with db.transaction() as session:
        admin = accounts.create_user(session, email="admin@example.org", name="Admin", role="admin",
                                     password=None, actor="test")
        token = accounts.issue_token(session, admin, "fuzz", actor="test")
        ward = session.execute(sa.select(Area.set_id, Area.code).where(Area.set_id == "wards")
                               .order_by(Area.code)).first()
        indicator = session.scalar(sa.select(Indicator.id).order_by(Indicator.id))
        blocks = session.scalars(sa.select(Area.code).where(Area.set_id == "wards").order_by(Area.code)).all()
        proposal = service.create_proposal(session, name="Fuzzed", user=session.get(User, admin.id),
                                           assignment=dict.fromkeys(blocks, "f1"))
        service.save_version(session, proposal.id, assignment=dict.fromkeys(blocks, "f2"), forums={},
                             note="second", expected_version=1, user=session.get(User, admin.id))
        ids = {"set_id": ward[0], "code": ward[1], "indicator": indicator, "proposal": proposal.id,
               "user": admin.id}
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text().format(**ids))
    demo_app.config["RATELIMIT_ENABLED"] = True
    with live_server(demo_app) as server:
        yield server.url, token, config


def test_schemathesis_finds_nothing_with_every_check(fuzzed, tmp_path):
    url, token, config = fuzzed
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{url}/api/openapi",
               "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", str(SEED),
               "--generation-deterministic", "--workers", "1", "--suppress-health-check", "all",
               "--request-timeout", "60", "--no-color", "--header", f"Authorization: Bearer {token}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-12000:]
    assert "Tested: " in report and "failures" not in report.split("SUMMARY")[-1].lower(), report[-4000:]
