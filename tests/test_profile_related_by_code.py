"""A district's related areas where codes tell where areas lie (an onboarded county: East Sussex, five
districts): its own LSOAs are listed wholly inside it, its neighbours' LSOAs not at all, the county as holding
it, as its links and figures count them; and `geoapp prepare` keeps every district's and county's list."""
from __future__ import annotations

import pyogrio

from geoapp.profiles import read
from geoapp.profiles.prepare import prepare_profiles
from geoapp.storage import boundary_sets, persisted

from .conftest import require_shared_data

EAST_SUSSEX = "E10000011"


def lsoa_districts() -> dict[str, str]:
    """Each East Sussex LSOA's district, read from the file itself."""
    found = pyogrio.read_dataframe(require_shared_data() / "england" / "lsoa2011.gpkg", layer="lsoa2011",
                                   columns=["lsoa11cd", "lad19cd"], read_geometry=False)
    return dict(zip(found["lsoa11cd"], found["lad19cd"], strict=True))


def test_codes_place_a_districts_lsoas_in_it_or_in_its_neighbours(east_sussex_db):
    district_of = lsoa_districts()
    with east_sussex_db.session() as session:
        lad, lsoa, county = (boundary_sets.get_set(session, s) for s in ("lad", "lsoa", "county"))
        counties = boundary_sets.load_areas(session, "county")
        for code in boundary_sets.area_codes(session, "lad"):
            own = boundary_sets.get_area(session, "lad", code)
            shape = boundary_sets.load_areas(session, "lad", [code]).geometry.iloc[0]
            near = boundary_sets.load_areas(session, "lsoa", boundary_sets.area_bounds(session, "lsoa",
                                                                                        shape.bounds)[0])
            placed = boundary_sets.placed_by_code(session, lsoa, near, lad, code, own.properties)
            expected = [1 if district_of[c] == code else -1 for c in near["code"]]
            assert placed.tolist() == expected and -1 in expected, code
            assert boundary_sets.placed_by_code(session, county, counties, lad, code, own.properties).tolist() == [2]
            unknown = near.copy()  # a code the district set does not hold: only geometry can tell
            unknown["properties"] = [{**p, "lad19cd": "E07999999"} for p in near["properties"]]
            assert not boundary_sets.placed_by_code(session, lsoa, unknown, lad, code, own.properties).any()

            related, _ = read._kept_geography(session, "lad", code, shape, ())
            by_set = {r.set: r for r in related}
            listed = by_set["lsoa"].areas
            assert {a.code for a in listed} == {c for c, d in district_of.items() if d == code}
            assert {(a.relation, a.share_of_it) for a in listed} == {("contains", 1.0)}
            assert [(a.code, a.relation, a.share_of_this) for a in by_set["county"].areas] == \
                [(EAST_SUSSEX, "within", 1.0)]


def test_prepare_keeps_every_districts_and_the_countys_related_areas(east_sussex_db):
    with east_sussex_db.transaction() as session:
        prepare_profiles(session, ["lad", "county"])
    with east_sussex_db.session() as session:
        versions = read._set_versions(session)
        for set_id in ("lad", "county"):
            codes = boundary_sets.area_codes(session, set_id)
            kept = [persisted.read(session, "related areas", (set_id, c, versions)) for c in codes]
            assert len(codes) == {"lad": 5, "county": 1}[set_id] and all(k is not None for k in kept), set_id
        # the LSOAs' were not asked for: only the first LSOA's, if any, would be kept by its profile
        assert persisted.read(session, "related areas", ("lsoa", boundary_sets.area_codes(session, "lsoa")[-1],
                                                         versions)) is None
