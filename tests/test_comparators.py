"""England as a comparator and every district ranked: the same catalogues read over England's files with the
same engine, beside the borough's figures on every profile."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from geoapp.storage.models import ComparatorValue, DistrictSummary
from tests.conftest import require_shared_data


def england(cwac_db, indicator_id, period):
    with cwac_db.session() as session:
        return session.get(ComparatorValue, (indicator_id, period, "E92000001"))


def test_englands_figure_is_the_engines_over_every_lsoa(cwac_db):
    data = require_shared_data() / "england" / "iod2019_file7_partial.csv"
    table = pd.read_csv(data)
    pop = table["Total population: mid 2015 (excluding prisoners)"]
    score = england(cwac_db, "imd2019-score", "2019")
    assert score.value == pytest.approx(np.average(table["Index of Multiple Deprivation (IMD) Score"], weights=pop))
    assert "32,844 LSOA scores" in score.method and score.name == "England"
    income = england(cwac_db, "imd2019-income-rate", "2019")
    people = (table["Income Score (rate)"] * pop).sum()
    assert income.value == pytest.approx(people / pop.sum()) and income.denominator == pytest.approx(pop.sum())
    employment = england(cwac_db, "imd2019-employment-rank", "2019")
    working = table["Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)"]
    assert employment.value == pytest.approx(np.average(table["Employment Rank (where 1 is most deprived)"],
                                                        weights=working))


def test_iod2025_england_says_which_population_stood_in(cwac_db):
    score = england(cwac_db, "iod2025-imd-score", "2025")
    assert 15 < score.value < 30
    assert "33,289 LSOAs without the release's own population" in score.method
    assert "ONS mid-2020" in score.method
    idaci = england(cwac_db, "iod2025-idaci-rate", "2025")
    assert idaci.value is None and "without data" in idaci.method  # blank outside Cheshire: not made up


def test_every_district_is_ranked_and_the_borough_matches_published_ranks(cwac_db):
    with cwac_db.session() as session:
        rows = {(r.catalogue_id, r.domain): r for r in session.scalars(
            select(DistrictSummary).where(DistrictSummary.code == "E06000050"))}
        count19 = len(session.scalars(select(DistrictSummary.code).where(
            DistrictSummary.catalogue_id == "iod2019", DistrictSummary.domain == "IMD")).all())
    imd19, imd25 = rows[("iod2019", "IMD")], rows[("iod2025", "IMD")]
    assert count19 == 317 and imd19.districts == 317 and imd25.districts == 296
    # Cheshire Fire and Rescue Service, unitary performance area profile of Cheshire West and Chester:
    # "The index of multiple deprivation 2019 ranked Cheshire West 183rd out of 317 local authority areas"
    # (the rank of average rank, File 10's headline measure).
    assert imd19.ranks["average_rank"] == 183
    assert round(imd25.measures["average_score"], 3) == 17.736 and round(imd25.measures["average_rank"], 2) == 13879.12
    assert imd25.ranks["proportion_most_deprived_10pc"] == 98 and imd25.ranks["average_rank"] == 186
    assert "may differ slightly from MHCLG's" in imd25.method


def test_profiles_compare_with_england_and_rank_the_borough(cwac_app):
    client = cwac_app.test_client()
    borough = client.get("/profiles/lad/E06000050.json").get_json()
    assert borough["england"] == {"code": "E92000001", "name": "England"}
    items = {i["id"]: i for t in borough["themes"] for i in t["indicators"]}
    income = items["iod2025-income-rate"]
    assert income["england"]["value"] == pytest.approx(england_value(cwac_app, "iod2025-income-rate"))
    assert income["compared_with_england"] == "better"  # 18.3% against England's 23.2%, a narrow interval
    assert "imd2019-income-rate" not in items  # the earlier release is a trend, not a second row
    assert [p["period"] for p in income["trend"]] == ["2019", "2025"] and income["trend_caveat"]
    d = borough["deprivation"]
    assert d["release"] == "English Indices of Deprivation 2025" and d["districts"] == 296
    imd = next(row for row in d["summary"] if row["domain"] == "IMD")
    assert imd["ranks"]["ranks"]["proportion_most_deprived_10pc"] == 98
    assert [e["release"] for e in d["earlier"]] == ["English Indices of Deprivation 2019"] and d["caveat"]
    page = client.get("/profiles/lad/E06000050").get_data(as_text=True)
    assert "Compared with England" in page and "98th of 296" in page and "Comparing releases." in page
    for section in ("facts", "indicators", "deprivation", "sources"):  # each section once
        assert page.count(f'<section id="{section}"') == 1, section
    comparators = [s for s in borough["sources"] if "England comparator" in s["source"]]
    assert comparators and all("Open Government Licence" in s["licence"] for s in comparators)


def england_value(app, indicator_id):
    with app.extensions["atlas_db"].session() as session:
        return session.scalars(select(ComparatorValue.value).where(ComparatorValue.indicator_id == indicator_id)).one()


def test_empty_indicators_are_named_once_and_offered_nowhere(cwac_app):
    client = cwac_app.test_client()
    listed = client.get("/indicators/index.json").get_json()
    ids = {i["id"] for t in listed["themes"] for i in t["indicators"]}
    empty = {"imd2019-education-score", "imd2019-health-score", "imd2019-crime-score", "imd2019-barriers-score",
             "imd2019-living-environment-score", "imd2019-idaci-rate", "imd2019-idaopi-rate"}
    assert not ids & empty and "imd2019-idaci-rank" in ids  # IDACI ranks arrived on 2026-12-06
    profile = client.get("/profiles/apb/chester.json").get_json()
    shown = {i["id"] for t in profile["themes"] for i in t["indicators"]}
    assert not shown & empty
    not_available = [s for s in profile["sources"] if s.get("not_available")]
    assert len(not_available) == 1 and set(not_available[0]["not_available"]) == empty
    compared = client.get("/compare/index.json?areas=apb:chester,apb:rural-west").get_json()
    assert not {i["id"] for t in compared["themes"] for i in t["indicators"]} & empty


def test_a_stored_area_outside_every_lsoa_gets_a_profile_saying_what_it_lacks(cwac_app):
    """An area the LSOAs do not reach (a service area far from the borough) has a profile, not a server error:
    no figures, no population, and the deprivation section says why."""
    from tests.helpers import add_set
    add_set(cwac_app, "far", "service", "Far away", [("F1", "Far", (500000, 150000, 501000, 151000)),
                                                     ("F2", "Farther", (502000, 150000, 503000, 151000))])
    client = cwac_app.test_client()
    for url in ("/profiles/far/F1.json", "/profiles/far/F1", "/indicators/iod2025-imd-score/far.json"):
        assert client.get(url).status_code == 200, url
    profile = client.get("/profiles/far/F1.json").get_json()
    assert profile["key_facts"]["population"] is None
    assert all(i["value"] is None for t in profile["themes"] for i in t["indicators"])
    notes = profile["deprivation"]["notes"] if profile["deprivation"] else []
    assert profile["deprivation"] is None or "outside every small area" in " ".join(notes)
