"""Community groups by area and "high need, few groups", checked against the real files independently.

The real venues list (../shared/data/community_venues_warm_spaces_cheshire_west_and_chester.csv) is stored
with geoapp.storage.groups.add_groups; the app's counts are then compared with a point-in-polygon join done
here with geopandas on the boundary file itself, with the file's own ward and LSOA columns, and the gap view
with terciles worked out here from the IoD2019 file.
"""
from __future__ import annotations

import csv
import io
from urllib.parse import quote_plus

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box
from sqlalchemy import delete, select

from geoapp import figures
from geoapp.groups.coverage.counts import based_pairs, published
from geoapp.groups.coverage.gaps import terciles
from geoapp.storage import boundary_sets
from geoapp.storage.groups import add_groups
from geoapp.storage.models import CommunityGroup
from tests.conftest import SHARED_DATA, csrf_token

VENUES = "community_venues_warm_spaces_cheshire_west_and_chester.csv"
GPKG = "cheshire_west_and_chester.gpkg"
IMD = "cheshire_west_and_chester_imd2019.csv"
#: The venues' category (the file's keyword heuristic) as a group type and partnership themes, for the test.
TYPES = {"faith": "faith group", "library": "statutory service", "community_venue": "community group",
         "cafe": "social enterprise", "other": "voluntary group"}
THEMES = {"faith": ["Safer & Stronger Communities"],
          "library": ["Children & Young People", "Safer & Stronger Communities"],
          "community_venue": ["Safer & Stronger Communities", "Healthier Communities & Older People"],
          "cafe": ["Economic Development & Enterprise"],
          "other": ["Healthier Communities & Older People"]}
CHILDREN = "Children & Young People"
CHILDREN_ARG = quote_plus(CHILDREN)
TRA, COUNCIL = "tenants' and residents' association", "town or parish council"  # no venue has these types


def read_venues() -> gpd.GeoDataFrame:
    table = pd.read_csv(SHARED_DATA / VENUES, dtype={"postcode": str})
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs=27700)


def venue_groups(venues: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": venues["name"], "group_type": venues["category_heuristic"].map(TYPES),
                             "themes": venues["category_heuristic"].map(THEMES),
                             "serves": [["everyone"]] * len(venues), "postcode": venues["postcode"]},
                            geometry=venues.geometry, crs=27700)


def load_venues(app) -> gpd.GeoDataFrame:
    """Replace the store's groups with the real venues, placed by the file's easting and northing, where
    they serve not stated; returns the file's rows with the stored group ids (``group``)."""
    venues = read_venues()
    with app.extensions["atlas_db"].transaction() as session:
        session.execute(delete(CommunityGroup))
        assert add_groups(session, venue_groups(venues), actor="test", source=VENUES) == len(venues) == 66
        ids = session.scalars(select(CommunityGroup.id).order_by(CommunityGroup.id)).all()
    return venues.assign(group=ids)


def add(app, rows: list[dict]) -> None:
    frame = gpd.GeoDataFrame(rows, geometry=[r.pop("geometry") for r in rows], crs=27700)
    with app.extensions["atlas_db"].transaction() as session:
        add_groups(session, frame, actor="test", source="test")


def file_areas(layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(SHARED_DATA / GPKG, layer=layer)[["code", "name", "geometry"]]


def independent_counts(venues, areas) -> pd.Series:
    """Venues per area by geopandas' spatial join (within), every area listed."""
    joined = gpd.sjoin(venues[["geometry"]], areas[["code", "geometry"]], predicate="within", how="inner")
    return joined.groupby("code").size().reindex(areas["code"], fill_value=0)


@pytest.fixture
def venues_app(cwac_app):
    cwac_app.venues = load_venues(cwac_app)
    return cwac_app


def get_json(app, url):
    response = app.test_client().get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


# --- counts per area on the real venues file --------------------------------------------------------

def test_counts_per_ward_equal_an_independent_point_in_polygon(venues_app):
    venues = venues_app.venues
    wards = file_areas("wards")
    expected = independent_counts(venues, wards)
    found = get_json(venues_app, "/groups/by-area.json?set=wards&count=based")
    got = pd.Series({a["code"]: a["based"]["all"] for a in found["areas"]})
    assert len(got) == len(wards) == 45
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert got.sum() == 66 and found["borough"]["based"]["all"] == 66 and found["outside"] == 0
    # by type and theme, from the file's categories
    joined = gpd.sjoin(venues, wards[["code", "geometry"]], predicate="within")
    for area in found["areas"]:
        mine = joined[joined["code"] == area["code"]]
        assert area["based"]["by_type"]["faith group"] == (mine["category_heuristic"] == "faith").sum()
        assert area["based"]["by_theme"][CHILDREN] == (mine["category_heuristic"] == "library").sum()
        assert area["based"]["small"] == 0  # the file gives no sizes


def file_column_differences(app, venues, ids) -> list[str]:
    """Compare the app's ward and LSOA of each venue with the file's own columns (from its spatial join);
    any difference must be a point on (within 1 m of) an edge. Returns a line per set."""
    report = []
    for set_id, column in (("wards", "ward_code"), ("lsoa", "lsoa11cd")):
        with app.extensions["atlas_db"].session() as session:
            areas = boundary_sets.load_areas(session, set_id)
            groups = published(session)
        pairs = based_pairs(areas[["code", "geometry"]], groups.geometry)
        app_code = dict(zip(pairs["group"], pairs["code"]))
        mine = [app_code.get(i) for i in ids]
        differ = [(p, c, m) for p, c, m in zip(venues.geometry, venues[column], mine) if c != m]
        shapes = areas.set_index("code").geometry
        for point, theirs, ours in differ:
            assert min(shapes[c].boundary.distance(point) for c in (theirs, ours) if c in shapes.index) < 1.0
        report.append(f"{set_id}: {len(differ)} of {len(venues)} differ from the file's {column}")
    return report


def test_counts_agree_with_the_files_own_ward_and_lsoa_columns(venues_app):
    """The file's ward_code and lsoa11cd came from its own spatial join: they may differ only for points on edges."""
    report = file_column_differences(venues_app, venues_app.venues, venues_app.venues["group"])
    print("; ".join(report))
    assert report == ["wards: 0 of 66 differ from the file's ward_code",
                      "lsoa: 0 of 66 differ from the file's lsoa11cd"]


def test_venues_loaded_by_the_manifest_agree_with_the_files_columns(cwac_app):
    """The same check on the venues the Cheshire West manifest imports (placed by latitude and longitude)."""
    with cwac_app.extensions["atlas_db"].session() as session:
        stored = published(session)
    if stored.empty:
        pytest.skip("the Cheshire West manifest loads no community groups")
    venues = read_venues()
    with cwac_app.extensions["atlas_db"].session() as session:
        postcodes = dict(session.execute(select(CommunityGroup.id, CommunityGroup.postcode)).all())
    key = {(n.casefold(), postcodes[i] or ""): i for i, n in zip(stored.index, stored["name"])}
    venues = venues.assign(group=[key.get((n.casefold(), p if isinstance(p, str) else ""))
                                  for n, p in zip(venues["name"], venues["postcode"])])
    venues = venues[venues["group"].notna()]
    report = file_column_differences(cwac_app, venues, venues["group"].astype(int))
    print("; ".join(report))
    assert len(venues) == 66 and all(" 0 of " in line for line in report)


def test_a_point_on_a_boundary_two_wards_share_counts_once(venues_app):
    with venues_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
    vertices = {code: {tuple(c) for c in shapely.get_coordinates(g)}
                for code, g in zip(wards["code"], wards.geometry)}
    first = wards["code"].iloc[0]
    shared = next(Point(xy) for other in wards["code"].iloc[1:] for xy in sorted(vertices[first] & vertices[other])
                  if sum(xy in v for v in vertices.values()) == 2)
    holders = sorted(wards[wards.touches(shared)]["code"])
    assert len(holders) == 2 and not wards.contains(shared).any()
    add(venues_app, [{"name": "Edge Lunch Club", "group_type": "community group", "themes": [], "serves": [],
                      "geometry": shared}])
    found = get_json(venues_app, "/groups/by-area.json?set=wards")
    counts = {a["code"]: a["based"]["all"] for a in found["areas"]}
    assert sum(counts.values()) == found["borough"]["based"]["all"] == 67
    expected = independent_counts(venues_app.venues, file_areas("wards"))
    assert counts[holders[0]] == expected[holders[0]] + 1  # the first by code
    assert counts[holders[1]] == expected[holders[1]]


def test_based_pairs_on_hand_built_squares():
    areas = gpd.GeoDataFrame({"code": ["B", "A", "C"]},
                             geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1), box(0.5, 0, 1.5, 1)])
    points = gpd.GeoSeries([Point(0.2, 0.5), Point(1, 0.2), Point(9, 9), Point(2, 2)], index=[1, 2, 3, 4])
    pairs = based_pairs(areas[areas["code"] != "C"], points)
    assert pairs.values.tolist() == [[1, "A"], [2, "A"]]  # the edge point goes to the first by code, once
    overlapping = based_pairs(areas, points)
    assert overlapping.values.tolist() == [[1, "A"], [2, "C"]]  # strictly inside C, on the edge of A and B
    with pytest.raises(ValueError, match="points in"):
        based_pairs(areas.set_crs(27700), points.set_crs(4326))


# --- residents and rates ------------------------------------------------------------------------------

def test_rates_per_1000_and_the_borough_row_use_summed_populations(venues_app):
    estimates = pd.read_csv(SHARED_DATA / "england" / "lsoa11_population_mid2020_syoa.csv",
                            usecols=["LSOA Code", "All Ages"])
    estimates = estimates[estimates["LSOA Code"].isin(file_areas("lsoa")["code"])]
    total = float(estimates["All Ages"].sum())
    found = get_json(venues_app, "/groups/by-area.json?set=lsoa")
    assert found["population"]["period"] == "mid-2020" and "ONS mid-2020" in found["population"]["source"]
    population = dict(zip(estimates["LSOA Code"], estimates["All Ages"]))
    for area in found["areas"]:
        assert area["population"] == population[area["code"]]
        assert area["based"]["per_1000"] == pytest.approx(area["based"]["all"] / population[area["code"]] * 1000)
    borough = found["borough"]
    assert borough["population"] == pytest.approx(total)
    assert borough["based"]["per_1000"] == pytest.approx(66 / total * 1000)
    mean_of_rates = np.mean([a["based"]["per_1000"] for a in found["areas"]])
    assert mean_of_rates != pytest.approx(borough["based"]["per_1000"], rel=0.01)  # an average of rates is wrong
    # wards: LSOA populations apportioned by the engine; the borough row still sums the areas
    wards = get_json(venues_app, "/groups/by-area.json?set=wards")
    summed = sum(a["population"] for a in wards["areas"])
    assert wards["borough"]["population"] == pytest.approx(summed)
    assert wards["borough"]["based"]["per_1000"] == pytest.approx(66 / summed * 1000)
    with venues_app.extensions["atlas_db"].session() as session:
        pop = figures.figures(session, "wards", ["population-total"])["population-total"].table["value"]
    assert {a["code"]: a["population"] for a in wards["areas"]} == pytest.approx(pop.to_dict())


def test_every_level_counts_every_venue_once(venues_app):
    with venues_app.extensions["atlas_db"].session() as session:
        sets = [s.id for s in boundary_sets.list_sets(session)]
    for set_id in sets:
        found = get_json(venues_app, f"/groups/by-area.json?set={set_id}")
        assert sum(a["based"]["all"] for a in found["areas"]) == found["borough"]["based"]["all"] == 66, set_id


# --- groups serving areas -------------------------------------------------------------------------------

def test_serving_carries_named_areas_to_every_set(venues_app):
    with venues_app.extensions["atlas_db"].session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        lsoas = boundary_sets.load_areas(session, "lsoa")
        apbs = boundary_sets.load_areas(session, "apb")
    ward = wards.iloc[3]
    far = wards.geometry.iloc[20].representative_point()
    add(venues_app, [
        {"name": "Ward Helpers", "group_type": TRA, "themes": [CHILDREN], "serves": [],
         "serves_scope": "areas", "served_area_codes": [{"set": "wards", "code": ward["code"]}], "geometry": far},
        {"name": "Borough Befrienders", "group_type": "town or parish council", "themes": [CHILDREN], "serves": [],
         "serves_scope": "borough", "geometry": far},
    ])
    # LSOAs: those with more than half their area in the ward (worked out here with overlay)
    pieces = gpd.overlay(lsoas[["code", "geometry"]], wards[wards["code"] == ward["code"]][["geometry"]],
                         how="intersection")
    share = pieces.set_index("code").area / lsoas.set_index("code").area.reindex(pieces["code"]).to_numpy()
    mostly = set(share[share > 0.5].index)
    assert mostly
    found = get_json(venues_app, f"/groups/by-area.json?set=lsoa&count=serving&theme={CHILDREN_ARG}")
    served = {a["code"] for a in found["areas"] if a["serving"]["by_type"][TRA]}
    assert served == mostly
    assert all(a["serving"]["by_type"][COUNCIL] == 1 for a in found["areas"])  # the whole borough
    libraries = {a["code"]: a["based"]["by_type"]["statutory service"] for a in found["areas"]}
    for a in found["areas"]:  # themed: 2 new groups where served, plus libraries serving where they are based
        assert a["value"] == (a["code"] in mostly) + 1 + libraries[a["code"]]
    apb = get_json(venues_app, "/groups/by-area.json?set=apb&count=serving")
    holder = [a["code"] for a in apb["areas"] if a["serving"]["by_type"][TRA]]
    assert holder == [apbs[apbs.contains(ward.geometry.representative_point())]["code"].iloc[0]]
    on_wards = get_json(venues_app, "/groups/by-area.json?set=wards&count=serving")
    assert [a["code"] for a in on_wards["areas"] if a["serving"]["by_type"][TRA]] == [ward["code"]]
    assert on_wards["borough"]["serving"]["all"] == 68  # each group once


def test_a_served_area_that_is_not_stored_is_noted(venues_app):
    add(venues_app, [{"name": "Lost", "group_type": "charity", "themes": [], "serves": [], "serves_scope": "areas",
                      "served_area_codes": [{"set": "wards", "code": "E05999999"}],
                      "geometry": Point(340000, 366000)}])
    found = get_json(venues_app, "/groups/by-area.json?set=wards&count=serving")
    assert any("wards:E05999999" in note for note in found["notes"])


# --- the gap view on the real IoD2019 data ----------------------------------------------------------------

def expected_gaps(venues_app, score_column, *, higher_is_worse=True, theme=None):
    imd = pd.read_csv(SHARED_DATA / IMD).set_index("LSOA code (2011)")
    venues = venues_app.venues
    if theme:
        venues = venues[[theme in THEMES[c] for c in venues["category_heuristic"]]]
    counts = independent_counts(venues, file_areas("lsoa"))
    estimates = pd.read_csv(SHARED_DATA / "england" / "lsoa11_population_mid2020_syoa.csv",
                            usecols=["LSOA Code", "All Ages"]).set_index("LSOA Code")["All Ages"]
    rate = counts / estimates.reindex(counts.index) * 1000  # groups per 1,000 of each area's population
    need = imd[score_column].reindex(counts.index) * (1 if higher_is_worse else -1)
    q_need = np.percentile(need, [100 / 3, 200 / 3])
    q_rate = np.percentile(rate, [100 / 3, 200 / 3])
    need_t = 1 + (need > q_need[0]).astype(int) + (need > q_need[1]).astype(int)
    rate_t = 1 + (rate > q_rate[0]).astype(int) + (rate > q_rate[1]).astype(int)
    return need_t, rate_t, need


def test_gaps_flag_exactly_high_need_and_few_groups_on_real_imd(venues_app):
    found = get_json(venues_app, "/groups/gaps.json?set=lsoa&indicator=imd2019-score&count=serving")
    need_t, rate_t, need = expected_gaps(venues_app, "Index of Multiple Deprivation (IMD) Score")
    flagged = {a["code"] for a in found["areas"] if a["flagged"]}
    assert flagged == set(need_t[(need_t == 3) & (rate_t == 1)].index)
    assert len(flagged) == found["flagged"] > 0
    by_code = {a["code"]: a for a in found["areas"]}
    assert {c: by_code[c]["need_tercile"] for c in need_t.index} == need_t.to_dict()
    assert {c: by_code[c]["provision_tercile"] for c in rate_t.index} == rate_t.to_dict()
    # the need terciles are mapclassify's quantiles (IMD scores have no ties here)
    yb = mapclassify.Quantiles(need.to_numpy(), k=3).yb + 1
    assert [by_code[c]["need_tercile"] for c in need.index] == yb.tolist()
    # ranked: flagged first, then the rest, each by need, highest first
    order = [a["flagged"] for a in found["areas"]]
    assert order == sorted(order, reverse=True)
    for part in (True, False):
        values = [a["need"] for a in found["areas"] if a["flagged"] is part]
        assert values == sorted(values, reverse=True)
    assert [a["rank"] for a in found["areas"]] == list(range(1, 213))
    cells = {c["class"]: c["count"] for c in found["cells"]}
    assert cells["3-1"] == len(flagged) and sum(cells.values()) == 212
    assert found["need"]["source"].startswith("English Indices of Deprivation 2019")
    assert found["need"]["period"] == "2019" and found["provision"]["population"]["period"] == "mid-2020"


def test_gaps_turn_an_indicator_where_higher_is_better(venues_app):
    """IMD rank: 1 is the most deprived, so high need is the lowest ranks."""
    found = get_json(venues_app, f"/groups/gaps.json?set=lsoa&indicator=imd2019-imd-rank&theme={CHILDREN_ARG}")
    need_t, rate_t, _ = expected_gaps(
        venues_app, "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
        higher_is_worse=False, theme=CHILDREN)
    assert found["need"]["high_need_is"] == "lower values"
    assert {a["code"] for a in found["areas"] if a["flagged"]} == set(need_t[(need_t == 3) & (rate_t == 1)].index)
    worst = min(a["need"] for a in found["areas"])
    assert next(a for a in found["areas"] if a["need"] == worst)["need_tercile"] == 3


def test_terciles_keep_ties_together():
    t, breaks = terciles([0, 0, 0, 0, 0, 0, 1, 2, 3])
    assert t.tolist() == [1, 1, 1, 1, 1, 1, 3, 3, 3] and breaks[0] == 0 < breaks[1] < 1  # the middle third is empty
    assert terciles([float("nan")])[0].tolist() == [0]


# --- pages, downloads and input ---------------------------------------------------------------------------

def test_pages_render_every_area_with_a_legend_and_sources(venues_app):
    client = venues_app.test_client()
    page = client.get("/groups/by-area?set=wards&theme=Children+%26+Young+People").get_data(as_text=True)
    assert page.count('<th scope="row" data-value=') == 45
    assert 'id="coverage-legend"' in page and "per 1,000 residents" in page and "ONS mid-2020" in page
    assert "Borough (each group once)" in page
    gaps = client.get("/groups/gaps?set=wards").get_data(as_text=True)
    assert 'id="gap-key"' in gaps and "red corner, bottom right" in gaps and gaps.count('data-code="') == 45


def test_downloads_need_export_tables_and_hold_every_area_and_the_borough(venues_app, sign_in):
    assert venues_app.test_client().get("/groups/by-area.csv").status_code in (302, 401, 403)
    client = sign_in(venues_app, "board_member")
    response = client.get("/groups/by-area.csv?set=wards")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 46 and rows[-1]["Code"] == "borough" and rows[-1]["Groups based in it"] == "66"
    assert sum(int(r["Groups based in it"]) for r in rows[:-1]) == 66
    gaps = client.get("/groups/gaps.csv?set=lsoa")
    rows = list(csv.DictReader(io.StringIO(gaps.get_data(as_text=True))))
    assert len(rows) == 212 and rows[0]["Rank"] == "1" and rows[0]["High need, few groups"] == "yes"
    assert client.get("/groups/gaps.xlsx?set=lsoa").mimetype.endswith("spreadsheetml.sheet")


@pytest.mark.parametrize("query, status, words", [
    ("/groups/by-area?theme=Gardening", 422, "not a partnership theme"),
    ("/groups/by-area.json?type=club", 422, "not a type of group"),
    ("/groups/by-area.json?k=many", 422, "whole number"),
    ("/groups/by-area.json?k=12", 422, "between 2 and 9"),
    ("/groups/by-area.json?count=nearby", 422, "'based' or 'serving'"),
    ("/groups/by-area.json?set=nowhere", 404, "no boundary set called 'nowhere'"),
    ("/groups/gaps.json?indicator=happiness", 404, "no indicator called 'happiness'"),
])
def test_bad_choices_get_a_clear_message(venues_app, query, status, words):
    response = venues_app.test_client().get(query)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


# --- profiles -------------------------------------------------------------------------------------------

def test_ward_profile_shows_groups_based_and_serving_per_1000_against_the_borough(venues_app):
    wards = file_areas("wards")
    expected = independent_counts(venues_app.venues, wards)
    code = expected.idxmax()
    add(venues_app, [{"name": "<script>alert('x')</script> Club", "group_type": "community group", "themes": [],
                      "serves": [], "size": {"income_band": "micro: under £10,000"}, "serves_scope": "borough",
                      "geometry": wards.set_index("code").geometry[code].representative_point()}])
    client = venues_app.test_client()
    groups = client.get(f"/profiles/wards/{code}.json").get_json()["groups"]
    assert groups["count"] == groups["based"]["all"] == expected[code] + 1
    assert groups["small"] == 1 and groups["borough_wide"] == 1
    assert groups["based"]["per_1000"] == pytest.approx(groups["count"] / groups["population"] * 1000)
    assert groups["borough"]["based"]["all"] == 67
    page = client.get(f"/profiles/wards/{code}").get_data(as_text=True)
    assert "per 1,000 residents" in page and "against" in page and "Small groups" in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Club" in page and "<script>alert" not in page
    assert f'href="/groups/?area=wards:{code}">See the groups based here on the groups map</a>' in page


def test_a_drawn_area_counts_the_groups_based_in_it_per_1000(venues_app):
    wards = file_areas("wards").set_index("code")
    expected = independent_counts(venues_app.venues, wards.reset_index())
    code = expected.idxmax()
    drawn = gpd.GeoSeries([wards.geometry[code].buffer(-5)], crs=27700).to_crs(4326).iloc[0]
    client = venues_app.test_client()
    response = client.post("/profiles/freehand.json", json={"geometry": shapely.geometry.mapping(drawn),
                                                            "name": "Drawn"},
                           headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    groups = response.get_json()["groups"]
    assert groups["count"] == expected[code] and groups["serving"] is None
    assert groups["based"]["per_1000"] == pytest.approx(groups["count"] / groups["population"] * 1000)
    assert groups["borough"]["based"]["all"] == 66
