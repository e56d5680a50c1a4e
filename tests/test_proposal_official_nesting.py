"""Forums of an onboarded council: its wards are declared to lie in their district (``nests_in``), so the
editor's nesting rule takes them as wholly inside it, although the district's outline (dissolved from
generalised LSOAs) and the wards' lines differ by more than the rule's allowance."""
from __future__ import annotations

import numpy as np
import pytest

from boundaries.nesting import overlaps
from geoapp.loading.onboard import onboard
from geoapp.proposals.engine import prepare_layer
from geoapp.storage import boundary_sets
from layers.proposals import rules

from .conftest import require_shared_data

RUTLAND = "E06000017"


@pytest.fixture
def rutland(db, tmp_path):
    onboard(db, require_shared_data() / "england", RUTLAND, tmp_path / "rutland.toml")
    return db


def test_wards_declared_in_their_district_nest_in_it_whatever_the_lines(rutland):
    with rutland.session() as session:
        wards, lad = boundary_sets.load_areas(session, "wards"), boundary_sets.load_areas(session, "lad")
        by_shape = overlaps(wards[["code", "geometry"]], lad[["code", "geometry"]]).drop_duplicates("small_code")
        layer, _ = prepare_layer(session, "wards", "lad")
    assert (by_shape["share"] < 0.995).any(), "the lines differ: by shape alone some wards would be split"
    assert len(layer.codes) == len(wards) and np.all(layer.container_share == 1.0)
    assert {layer.container_codes[i] for i in layer.container} == {RUTLAND}
    found = {r["rule"]: r for r in rules(layer, dict.fromkeys(layer.codes, "F1"))}
    assert found["within_one_container"]["passed"], found["within_one_container"]["message"]
