"""Each loaded dataset's credit lines, as loaded, once each: in every page's footer and from
geoapp.credits.dataset_credits (the board pack's sources). Real Cheshire West and Chester data, real files."""
from __future__ import annotations

import os
from datetime import UTC, date, datetime
from html import unescape

import pytest
import sqlalchemy as sa

from geoapp.credits import Credit, dataset_credits
from geoapp.groups.imports import importer
from geoapp.storage import postcodes
from geoapp.storage.db import Database
from geoapp.storage.models import CommunityGroup, PostcodeSource

ROYAL_MAIL = ("Postcodes: Contains OS data © Crown copyright and database right 2025; Contains Royal Mail data © "
              "Royal Mail copyright and database right 2025; Contains National Statistics data © Crown copyright "
              "and database right 2025.")
WARM_WELCOME = ("No licence stated; data contributed by the organisations to public directories. Attribute: Open "
                "Innovations Warm Spaces (warmspaces.open-innovations.org), data from Warm Welcome.")
BOUNDARIES = "Contains National Statistics and OS data © Crown copyright and database right. OGL v3.0."
MHCLG = "© Ministry of Housing, Communities and Local Government. Open Government Licence v3.0."


def footer(client, url: str) -> list[str]:
    html = unescape(client.get(url).get_data(as_text=True))
    block = html.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]
    return [line.split("</p>")[0] for line in block.split("<p>")[1:]]


def credits_of(app) -> list[Credit]:
    with app.extensions["atlas_db"].session() as session:
        return dataset_credits(session)


@pytest.mark.parametrize("url", ["/", "/groups/", "/groups/add", "/profiles/", "/sign-in"])
def test_every_page_footer_names_the_royal_mail_and_warm_welcome_lines_once(cwac_app, url):
    lines = footer(cwac_app.test_client(), url)
    assert lines.count(ROYAL_MAIL) == 1 and lines.count(WARM_WELCOME) == 1
    assert BOUNDARIES in lines and MHCLG in lines and len(lines) == len(set(lines))


def test_the_credits_say_which_loaded_datasets_each_line_is_for_in_a_stable_order(cwac_app):
    credits = credits_of(cwac_app)
    texts = [c.text for c in credits]
    assert texts.index(BOUNDARIES) < texts.index(MHCLG) < texts.index(ROYAL_MAIL) < texts.index(WARM_WELCOME)
    by_text = {c.text: c.datasets for c in credits}
    assert {"Boundary set: Borough", "Boundary set: Wards (2019)"} <= set(by_text[BOUNDARIES])
    assert by_text[MHCLG] == ("Indicators: English Indices of Deprivation 2019",
                              "Indicators: English Indices of Deprivation 2025",
                              "Comparator: England (English Indices of Deprivation 2019)",
                              "Comparator: England (English Indices of Deprivation 2025)")
    assert by_text[ROYAL_MAIL] == ("Postcodes: postcodes_cheshire.csv (the Atlas postcode CSV)",)
    assert by_text[WARM_WELCOME] == (
        "Community groups: community_venues_warm_spaces_cheshire_west_and_chester.csv — Open Innovations Warm "
        "Spaces (warmspaces.open-innovations.org), data from Warm Welcome, 2022-2024",)
    assert credits_of(cwac_app) == credits  # the same order every time


def test_a_list_of_groups_is_credited_while_any_of_its_groups_is_published(app, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("name,type,easting,northing\nOak Lunch Club,community group,341060,366330\n", encoding="utf-8")
    db = app.extensions["atlas_db"]
    with db.transaction() as session:
        mapping = importer.proposed(importer.read_table(path), source="CVS directory", licence="CC BY 4.0, Chester CVS")
        importer.import_file(session, path, mapping, actor="test")
    assert footer(app.test_client(), "/groups/")[-1] == "CC BY 4.0, Chester CVS"
    listed = app.test_client().get("/groups/directory.json").get_json()
    assert listed["attribution"] == ["groups.csv — CVS directory (CC BY 4.0, Chester CVS)"]
    assert listed["features"][0]["properties"]["licence"] == "CC BY 4.0, Chester CVS"
    assert "<dt>Details checked</dt><dd>not stated</dd>" in app.test_client().get("/groups/").get_data(as_text=True)
    assert credits_of(app) == [Credit("CC BY 4.0, Chester CVS", ("Community groups: groups.csv — CVS directory",))]
    with db.transaction() as session:
        session.execute(sa.update(CommunityGroup).values(status="archived"))
    assert credits_of(app) == [] and "CC BY 4.0, Chester CVS" not in footer(app.test_client(), "/groups/")


def test_a_postcode_file_keeps_its_products_licence_until_its_postcodes_are_replaced(db, tmp_path):
    code_point = tmp_path / "ch.csv"  # OS Code-Point Open's own layout: no header
    code_point.write_text('"CH1 1AB",10,341060,366330,"E92000001","","","E06000050","E05012211"\n', encoding="utf-8")
    with db.transaction() as session:
        postcodes.load(session, code_point, actor="test")
    with db.session() as session:
        (credit,) = dataset_credits(session)
    assert "Contains Royal Mail data © Royal Mail copyright and database right" in credit.text
    assert credit.datasets == ("Postcodes: ch.csv (OS Code-Point Open)",)
    newer = tmp_path / "newer.csv"
    newer.write_text("postcode,easting,northing\nCH1 1AB,341060,366330\n", encoding="utf-8")
    with db.transaction() as session:
        postcodes.load(session, newer, actor="test", licence="Postcodes: our own survey, 2026")
    with db.session() as session:
        assert [(s.source, s.layout) for s in session.scalars(sa.select(PostcodeSource))] == [
            ("newer.csv", "the Atlas postcode CSV")]
        assert dataset_credits(session) == [Credit("Postcodes: our own survey, 2026",
                                                   ("Postcodes: newer.csv (the Atlas postcode CSV)",))]


def test_the_cli_and_the_manifest_take_a_postcode_licence(app, tmp_path):
    path = tmp_path / "pc.csv"
    path.write_text("postcode,easting,northing\nCH1 1AB,341060,366330\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-postcodes", str(path), "--licence", "Royal Mail line"])
    assert result.exit_code == 0, result.output
    assert [c.text for c in credits_of(app)] == ["Royal Mail line"]


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_at_0010(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'old.sqlite'}" if request.param == "sqlite"
           else request.getfixturevalue("postgis").create(f"atlas_test_0011_{os.getpid()}"))
    db = Database(url)
    db.upgrade("0010")
    yield db
    db.engine.dispose()


def test_migration_0011_moves_folded_licences_and_forgets_import_dates(store_at_0010):
    db = store_at_0010
    stored_on = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)  # 2 June in UK time
    rows = [  # (source, last_verified, submitted_at, reviewed_at)
        ("warm.csv — Warm Spaces. Licence: Attribute Warm Welcome.", date(2025, 6, 2), None, None),  # import day
        ("list.csv", date(2024, 3, 1), None, None),  # the file's own date
        ("Sent in through the Atlas form", date(2025, 6, 1), stored_on, stored_on),  # an editor approved it
    ]
    with db.engine.begin() as connection:
        for number, (source, verified, sent, reviewed) in enumerate(rows, 1):
            connection.execute(sa.text(
                "INSERT INTO community_groups (id, name, group_type, themes, serves, status, source, fictional, "
                "last_verified, created_at, updated_at, submitted_at, reviewed_at) VALUES (:id, 'G', 'charity', "
                "'[]', '[]', 'published', :source, false, :verified, :at, :at, :sent, :reviewed)"),
                {"id": number, "source": source, "verified": verified, "at": stored_on, "sent": sent,
                 "reviewed": reviewed})
    db.upgrade()
    with db.engine.connect() as connection:
        after = connection.execute(sa.text(
            "SELECT source, licence, last_verified FROM community_groups ORDER BY id")).all()
    assert [(s, lic, str(v) if v else None) for s, lic, v in after] == [
        ("warm.csv — Warm Spaces", "Attribute Warm Welcome.", None),
        ("list.csv", None, "2024-03-01"),
        ("Sent in through the Atlas form", None, "2025-06-01")]
