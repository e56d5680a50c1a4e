"""Forums of an onboarded council: its wards are declared to lie in their district (``nests_in``), so the
editor's nesting rule takes them as wholly inside it, although the district's outline (dissolved from
generalised LSOAs) and the wards' lines differ by more than the rule's allowance."""
from __future__ import annotations

import numpy as np
import pytest

from boundaries.nesting import overlaps
from geoapp.loading.onboard import onboard
from geoapp.profiles import read
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


def test_a_districts_profile_lists_the_areas_it_holds_by_code_as_wholly_inside(rutland):
    """The district's profile lists its own LSOAs and wards as wholly inside it (as its links and figures count
    them), not by how its dissolved outline meets their lines: by shape some fall short."""
    with rutland.session() as session:
        lad = boundary_sets.get_set(session, "lad")
        own = boundary_sets.get_area(session, "lad", RUTLAND)
        for set_id in ("wards", "lsoa"):
            areas = boundary_sets.load_areas(session, set_id)  # the LSOAs are read last: used below
            placed = boundary_sets.placed_by_code(session, boundary_sets.get_set(session, set_id), areas, lad,
                                                  RUTLAND, own.properties)
            assert (placed == 1).all(), set_id
        other = {"parts": 1, "members": ["E06000099"]}  # another district's: none of Rutland's areas lie in it
        assert not (boundary_sets.placed_by_code(session, boundary_sets.get_set(session, "lsoa"), areas, lad,
                                                 "E06000099", other) == 1).any()
        related, _ = read._kept_geography(session, "lad", RUTLAND, own.geometry, ())
        wards, lads = boundary_sets.load_areas(session, "wards"), boundary_sets.load_areas(session, "lad")
    by_set = {r.set: r for r in related}
    for set_id in ("lsoa", "wards"):
        assert {a.relation for a in by_set[set_id].areas} == {"contains"}
        assert {a.share_of_it for a in by_set[set_id].areas} == {1.0}
    by_shape = overlaps(wards[["code", "geometry"]], lads[["code", "geometry"]]).groupby("small_code")["share"].sum()
    assert (by_shape < 0.995).any()  # by shape alone, some fall short
