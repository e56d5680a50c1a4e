"""Bulk import of community groups: reading CSV and XLSX, the column mapping, the report of refused rows and
duplicates, all-or-nothing loading, the command line, the browser steps, and the real warm-spaces venues."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from shapely.geometry import Point

from geoapp.auth import accounts
from geoapp.errors import NotFound
from geoapp.groups.imports import importer, uploads
from geoapp.groups.imports.importer import ImportRefused, Mapping, check, load, propose_mapping
from geoapp.groups.imports.tables import UnreadableFile, read_table
from geoapp.storage import postcodes
from geoapp.storage.models import AuditEntry, CommunityGroup, GroupImportUpload
from layers.groups import THEMES

VENUES = "community_venues_warm_spaces_cheshire_west_and_chester.csv"
POSTCODES = """postcode,easting,northing
CH1 1AB,341060,366330
CH1 5AA,337500,367800
CH2 3AP,342000,367500
CW9 6LH,364379,379714
"""
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","Click")'
CONTROL = "Bell\x07 Ringers\x1b[31m Club"
# name, type, postcode, email, themes: one row per case the report must name.
ROWS = [
    ("Blacon Walkers", "voluntary group", "CH1 5AA", "walk@example.org",
     "Healthier Communities & Older People"),                               # 2 ok
    ("Bad Postcode Club", "community group", "NOT A PC", "", ""),          # 3 not a postcode
    ("Nowhere Society", "community group", "CH99 9ZZ", "", ""),            # 4 not in the postcode table
    ("No Place Group", "community group", "", "", ""),                     # 5 no postcode, no coordinates
    ("Hoole food bank", "charity", "CH2 3AP", "", ""),                     # 6 duplicate of a stored group
    ("Blacon walkers!", "voluntary group", "ch15aa", "", ""),              # 7 duplicate of line 2
    (SCRIPT, "community group", "CH1 1AB", "", ""),                        # 8 hostile name, ok
    (FORMULA, "faith group", "CW9 6LH", "", ""),                           # 9 formula, ok
    (CONTROL, "community group", "CH1 1AB", "not-an-email", ""),           # 10 bad e-mail
    ("", "community group", "CH1 1AB", "", ""),                            # 11 no name
    ("Odd Type Club", "sports club", "CH1 1AB", "", "Knitting"),           # 12 unknown type and theme
]


def write_csv(tmp_path, rows=ROWS, name="groups.csv", header=("name", "type", "postcode", "email", "themes"),
              encoding="utf-8", delimiter=","):
    frame = pd.DataFrame(rows, columns=list(header))
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding=encoding, sep=delimiter)
    return path


def load_postcodes(db, tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_text(POSTCODES, encoding="utf-8")
    with db.transaction() as session:
        postcodes.load(session, path, actor="test")


def store_group(db, name="Hoole Food Bank", postcode="CH2 3AP", xy=(342000, 367500), **extra):
    with db.transaction() as session:
        group = CommunityGroup(name=name, group_type="charity", postcode=postcode, location=Point(xy),
                               status="published", themes=[], serves=["everyone"], **extra)
        session.add(group)
        session.flush()
        return group.id


def groups(db):
    with db.session() as session:
        return session.scalars(sa.select(CommunityGroup).order_by(CommunityGroup.id)).all()


def reasons(report):
    return {r.line: r.reasons for r in report.refused}


@pytest.fixture
def prepared(db, tmp_path):
    """A store with four postcodes and one group, and the hostile CSV."""
    load_postcodes(db, tmp_path)
    stored_id = store_group(db)
    return db, write_csv(tmp_path), stored_id


def test_the_report_names_each_refused_row_and_why_and_each_duplicate(prepared):
    db, path, stored_id = prepared
    table = read_table(path)
    mapping = propose_mapping(table.columns)
    assert mapping == {"name": "name", "group_type": "type", "themes": "themes", "email": "email",
                       "postcode": "postcode"}
    with db.session() as session:
        report = check(session, table, Mapping(fields=mapping), today=date(2025, 6, 1))
    assert report.rows_read == 11
    found = reasons(report)
    assert found.pop(12) == [
        "type: 'sports club' is not a group type: map it to one, or choose a default type",
        "themes: 'Knitting' not known; choose from " + ", ".join(THEMES)]
    assert found == {
        3: ["postcode: 'NOT A PC' is not a UK postcode"],
        4: ["postcode CH99 9ZZ is not in the postcode table"],
        5: ["no postcode and no coordinates"],
        10: ["e-mail: 'not-an-email' is not an e-mail address"],
        11: ["name: is needed"],
    }
    refused_names = {r.line: r.name for r in report.refused}
    assert refused_names[10] == "Bell Ringers[31m Club"  # control characters gone
    assert refused_names[11] is None
    assert [r["line"] for r in report.ready] == [2, 6, 7, 8, 9]
    assert all(r["located_by"] == "postcode" for r in report.ready)
    assert report.ready[0]["point"] == (337500, 367800)
    dups = {d.line: d for d in report.duplicates}
    assert set(dups) == {6, 7}
    assert (dups[6].of, dups[6].group_id, dups[6].match) == ("stored", stored_id, "same name and postcode")
    assert (dups[7].of, dups[7].other_line, dups[7].other_name) == ("file", 2, "Blacon Walkers")


def test_nothing_is_stored_when_a_row_is_refused(prepared):
    db, path, stored_id = prepared
    with pytest.raises(ImportRefused) as error, db.transaction() as session:
        importer.import_file(session, path, actor="test")
    assert "Nothing was loaded: 6 of the 11 rows" in error.value.message
    assert "lines 3, 4, 5, 10, 11, 12" in error.value.message
    assert any(d.startswith("line 4: postcode CH99 9ZZ is not in the postcode table") for d in error.value.details)
    assert [g.id for g in groups(db)] == [stored_id]
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                              .where(AuditEntry.entity_type == "community_groups")) == 0


def test_load_good_stores_the_good_rows_only_with_hostile_names_as_text(prepared):
    db, path, stored_id = prepared
    with db.transaction() as session:
        report = importer.import_file(session, path, actor="officer@example.org", load_good=True,
                                      mapping=Mapping(fields=propose_mapping(read_table(path).columns),
                                                      source="CVS directory", licence="OGL v3"),
                                      today=date(2025, 6, 1))
    assert (report.loaded, report.skipped, len(report.refused)) == (3, 2, 6)
    stored = groups(db)
    assert [g.name for g in stored] == ["Hoole Food Bank", "Blacon Walkers", SCRIPT, FORMULA]
    walkers = stored[1]
    assert walkers.status == "published" and walkers.last_verified is None  # the file gives no date
    assert (walkers.source, walkers.licence) == ("groups.csv — CVS directory", "OGL v3")
    assert walkers.contact == {"email": {"value": "walk@example.org", "visibility": "partners"}}
    assert walkers.themes == ["Healthier Communities & Older People"] and walkers.serves == ["everyone"]
    assert (walkers.location.x, walkers.location.y) == (337500, 367800)
    assert [g.id for g in stored[1:]] == report.loaded_ids
    with db.session() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "community_groups")).one()
    assert (entry.action, entry.actor, entry.entity_id) == ("import", "officer@example.org", "groups.csv")
    assert entry.after | {"source": None} == {
        "source": None, "licence": "OGL v3", "rows_read": 11, "ready": 5, "loaded": 3, "refused": 6,
        "refused_lines": [3, 4, 5, 10, 11, 12], "duplicates": 2, "skipped_duplicates": 2, "merged": 0,
        "merged_into": [], "load_good": True}


def test_duplicates_can_be_kept_or_merged(prepared):
    db, path, stored_id = prepared
    rows = [("Hoole Food Bank", "charity", "CH2 3AP", "food@example.org", "Healthier Communities & Older People"),
            ("Hoole Food Bank", "charity", "CH2 3AP", "", "Safer & Stronger Communities"),
            ("Blacon Walkers", "voluntary group", "CH1 5AA", "", ""),
            ("Blacon Walkers", "voluntary group", "CH1 5AA", "", "")]
    path = write_csv(path.parent, rows, name="again.csv")
    with db.transaction() as session:
        report = check(session, read_table(path), Mapping(fields=propose_mapping(read_table(path).columns)))
        assert [(d.line, d.of) for d in report.duplicates] == [(2, "stored"), (3, "stored"), (5, "file")]
        load(session, report, actor="test", decisions={2: "merge", 3: "merge", 5: "keep"})
    assert (report.loaded, report.merged, report.skipped) == (2, 2, 0)
    food_bank = next(g for g in groups(db) if g.id == stored_id)
    assert food_bank.contact == {"email": {"value": "food@example.org", "visibility": "partners"}}
    assert food_bank.themes == ["Healthier Communities & Older People", "Safer & Stronger Communities"]
    assert [g.name for g in groups(db)].count("Blacon Walkers") == 2
    with db.session() as session:
        merge = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "merge")).one()
    assert merge.entity_id == str(stored_id)
    assert merge.before == {"contact": None, "themes": []}  # no date in the file: the group's date is kept
    assert "last_verified" not in merge.after and merge.after["from_import"] == "again.csv"


def test_same_name_within_50_metres_is_a_duplicate_and_further_is_not(db, tmp_path):
    store_group(db, name="St Mary's Centre", postcode=None, xy=(340000, 366000))
    path = tmp_path / "near.csv"
    path.write_text("name,easting,northing,type\n"
                    "St Marys Centre,340030,366030,community group\n"  # 42 m away: the same
                    "St Mary's Centre,340100,366000,community group\n",  # 100 m away: another
                    encoding="utf-8")
    with db.session() as session:
        report = check(session, read_table(path), importer.proposed(read_table(path)))
    assert [(d.line, d.of, d.match) for d in report.duplicates] == [(2, "stored", "same name, 42 m apart")]


def test_terminated_postcodes_are_used_with_a_note_and_ungridded_ones_refused(db, tmp_path):
    onspd = tmp_path / "onspd.csv"
    onspd.write_text("pcds,oseast1m,osnrth1m,osgrdind,doterm\n"
                     "CH1 1ZZ,341100,366400,1,200412\nCH1 9XX,,,9,\n", encoding="utf-8")
    with db.transaction() as session:
        postcodes.load(session, onspd, actor="test")
    path = tmp_path / "old.csv"
    path.write_text("name,postcode\nOld Club,ch11zz\nNew Club,CH1 9XX\n", encoding="utf-8")
    with db.session() as session:
        report = check(session, read_table(path), importer.proposed(read_table(path),
                                                                    default_type="community group"))
    assert report.ready[0]["point"] == (341100, 366400) and report.ready[0]["record"]["postcode"] == "CH1 1ZZ"
    assert report.notes == ["line 2: postcode CH1 1ZZ was terminated in December 2004; its last grid "
                            "reference was used."]
    assert reasons(report) == {3: ["postcode CH1 9XX has no grid reference in the postcode table"]}


def test_an_empty_postcode_table_is_pointed_out(db, tmp_path):
    path = write_csv(tmp_path, ROWS[:1])
    with db.session() as session:
        report = check(session, read_table(path), importer.proposed(read_table(path)))
    assert reasons(report) == {2: ["postcode CH1 5AA is not in the postcode table"]}
    assert "The postcode table is empty" in report.notes[0] and "geoapp import-postcodes" in report.notes[0]


@pytest.mark.parametrize("row, reason", [
    ("A,700001,300000", "easting and northing (700001, 300000) are outside Great Britain"),
    ("A,-2.9,53.2", "easting and northing (-2.9, 53.2) look like longitude and latitude"),
    ("A,abc,300000", "easting 'abc' is not a number"),
    ("A,340000,", "only one of easting and northing is given"),
])
def test_coordinates_are_checked(db, tmp_path, row, reason):
    path = tmp_path / "xy.csv"
    path.write_text(f"name,easting,northing\n{row}\n", encoding="utf-8")
    with db.session() as session:
        report = check(session, read_table(path), importer.proposed(read_table(path),
                                                                    default_type="community group"))
    assert report.refused[0].reasons[0].startswith(reason)


def test_latitude_and_longitude_swapped_are_named(db, tmp_path):
    path = tmp_path / "ll.csv"
    path.write_text("name,latitude,longitude\nA,-2.9,53.2\nB,53.19,-2.88\n", encoding="utf-8")
    with db.session() as session:
        report = check(session, read_table(path), importer.proposed(read_table(path),
                                                                    default_type="community group"))
    assert report.refused[0].reasons == ["longitude and latitude (53.2, -2.9) are outside Great Britain: "
                                         "are the two columns the wrong way round?"]
    x, y = report.ready[0]["point"]
    assert 340000 < x < 342000 and 365000 < y < 367000


def test_xlsx_named_sheet_numbers_dates_and_lat_long(db, tmp_path):
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["This sheet is not the list"])
    sheet = book.create_sheet("Groups")
    sheet.append(["Organisation name", "Category", "Lat", "Long", "Volunteers", "Annual income",
                  "Last updated", "Charity No"])
    sheet.append(["Oak Lunch Club", "Church", 53.19078, -2.88359, 12, 25000.0, datetime(2024, 3, 1), 1012345])
    sheet.append([None] * 8)
    sheet.append(["Tiny Knitters", "Club", 53.2, -2.9, 3.0, "£4,000", "01/02/2023", None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    with pytest.raises(UnreadableFile, match="no sheet called 'Nope'; its sheets are Notes, Groups"):
        read_table(path, sheet="Nope")
    table = read_table(path, sheet="Groups")
    assert (table.kind, table.lines, table.where) == ("XLSX", [2, 4], "row")
    mapping = importer.proposed(table)
    assert mapping.fields == {"name": "Organisation name", "group_type": "Category", "volunteers": "Volunteers",
                              "income_band": "Annual income", "charity_number": "Charity No",
                              "latitude": "Lat", "longitude": "Long", "last_verified": "Last updated"}
    assert mapping.type_map == {"church": "faith group", "club": "community group"}
    with db.transaction() as session:
        report = check(session, table, mapping)
        load(session, report, actor="test")
    oak, knitters = groups(db)
    assert oak.group_type == "faith group" and oak.charity_number == "1012345"
    assert oak.size == {"volunteers": 12, "income_band": "small: £10,000 to £100,000"}
    assert oak.last_verified == date(2024, 3, 1) and knitters.last_verified == date(2023, 2, 1)
    assert knitters.size == {"volunteers": 3, "income_band": "micro: under £10,000"}
    assert abs(oak.location.x - 341060) < 5 and abs(oak.location.y - 366330) < 5
    assert oak.source == "list.xlsx (sheet Groups)"


def test_details_checked_is_the_files_own_date_or_none_and_a_bad_date_is_named(db, tmp_path):
    load_postcodes(db, tmp_path)
    rows = [("Oak Lunch Club", "community group", "CH1 1AB", "2024-03-01"),
            ("Hoole Knitters", "community group", "CH2 3AP", "3/6/2024"),
            ("Blacon Walkers", "voluntary group", "CH1 5AA", "5th Sept 2023"),
            ("Upton Choir", "community group", "CH1 1AB", ""),
            ("Typo Club", "community group", "CH1 1AB", "31/13/2024"),
            ("Future Club", "community group", "CH1 1AB", "2030-01-01")]
    path = write_csv(tmp_path, rows, name="checked.csv", header=("name", "type", "postcode", "Date checked"))
    table = read_table(path)
    mapping = importer.proposed(table)
    assert mapping.fields["last_verified"] == "Date checked"
    with db.transaction() as session:
        report = check(session, table, mapping, today=date(2025, 6, 1))
        assert reasons(report) == {
            6: ["last verified: '31/13/2024' is not a date: write it as 2025-06-03, 3/6/2025 or 3 June 2025"],
            7: ["last verified: 1 January 2030 is after today: check the date"]}
        load(session, report, actor="test", load_good=True)
    assert {g.name: g.last_verified for g in groups(db)} == {
        "Oak Lunch Club": date(2024, 3, 1), "Hoole Knitters": date(2024, 6, 3),
        "Blacon Walkers": date(2023, 9, 5), "Upton Choir": None}


def test_csv_encodings_and_delimiters(tmp_path):
    bom = write_csv(tmp_path, [("Café Club", "community group", "CH1 1AB", "", "")], name="bom.csv",
                    encoding="utf-8-sig")
    table = read_table(bom)
    assert table.columns[0] == "name" and table.rows[0]["name"] == "Café Club" and not table.notes
    excel = write_csv(tmp_path, [("Café £5 Club", "community group", "CH1 1AB", "", "")], name="excel.csv",
                      encoding="cp1252", delimiter=";")
    table = read_table(excel)
    assert table.rows[0]["name"] == "Café £5 Club" and table.encoding == "Windows-1252"
    assert "read as Windows-1252" in table.notes[0]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text("name\tpostcode\nOak Club\tCH1 1AB\n", encoding="utf-16")
    assert read_table(utf16).rows == [{"name": "Oak Club", "postcode": "CH1 1AB"}]
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('name,description\n"Oak\nClub","two\nlines"\n\nElm Club,x,extra\n', encoding="utf-8")
    table = read_table(quoted)
    assert table.lines == [2, 6] and table.rows[0]["name"] == "Oak\nClub" and table.overlong == {6: 3}


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"), (b"name,postcode\n", "has a header row but no groups"),
    (b"\x00\x01\x02binary" * 10, "not a CSV or XLSX file"), (b"PK\x03\x04broken", "cannot be read as an XLSX"),
])
def test_unreadable_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message):
        read_table(path)


def test_a_mapping_that_cannot_work_names_every_problem(tmp_path):
    table = read_table(write_csv(tmp_path))
    with pytest.raises(importer.InvalidInput) as error:
        Mapping(fields={"name": "", "postcode": "Post code", "easting": "name", "colour": "x"},
                type_map={"club": "sports club"}, default_type="club").checked(table)
    assert error.value.details == [
        "Postcode: groups.csv has no column 'Post code'; its columns are name, type, postcode, email, themes.",
        "'colour' is not a field that can be imported; the fields are " + ", ".join(importer.FIELDS) + ".",
        "Name: choose the column that holds each group's name.",
        "Easting and Northing: choose both columns, or neither.",
        "Type words: 'club' is mapped to 'sports club', which is not a group type; the types are "
        + ", ".join(importer.GROUP_TYPES) + ".",
        "Default type: 'club' is not a group type; the types are " + ", ".join(importer.GROUP_TYPES) + "."]


# --- the command line -------------------------------------------------------------------------------------

def test_cli_exit_codes(app, tmp_path):
    db = app.extensions["atlas_db"]
    load_postcodes(db, tmp_path)
    runner = app.test_cli_runner()
    good = write_csv(tmp_path, ROWS[:1] + ROWS[6:8], name="good.csv")
    result = runner.invoke(args=["import-groups", str(good), "--source", "CVS list"])
    assert result.exit_code == 0, result.output
    assert "Loaded 3 group(s)" in result.output and "ready: 3 (3 placed by postcode)" in result.output
    assert len(groups(db)) == 3

    bad = write_csv(tmp_path)
    result = runner.invoke(args=["import-groups", str(bad)])
    assert result.exit_code == 1
    assert "line 4 (Nowhere Society): postcode CH99 9ZZ is not in the postcode table" in result.output
    assert "Nothing was loaded: 6 row(s) were refused" in result.output and "--load-good" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert len(groups(db)) == 3

    result = runner.invoke(args=["import-groups", str(bad), "--load-good", "--json", "--type-map",
                                 "sports club=community group", "--duplicates", "skip"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert (report["loaded"], report["refused"], report["stored"]) == (1, 6, True)
    assert report["mapping"]["type_map"] == {"sports club": "community group"}
    assert [r["line"] for r in report["refused_rows"]] == [3, 4, 5, 10, 11, 12]
    assert report["refused_rows"][-1]["reasons"] == [  # the type is mapped now; the theme is still unknown
        "themes: 'Knitting' not known; choose from " + ", ".join(THEMES)]
    assert {d["line"]: d["of"] for d in report["duplicate_rows"]} == {2: "stored", 7: "stored", 8: "stored",
                                                                     9: "stored"}
    assert [g.name for g in groups(db)][3:] == ["Hoole food bank"]

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for args in (["import-groups", str(empty)], ["import-groups", str(bad), "--map", "colour=x"],
                 ["import-groups", str(bad), "--map", "name"], ["import-groups", str(bad), "--sheet", "S"],
                 ["import-groups", str(bad), "--default-type", "club"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)
    assert "is empty" in runner.invoke(args=["import-groups", str(empty)]).output


# --- the browser steps ------------------------------------------------------------------------------------

def _token(response):
    return re.search(r"/groups/import/([A-Za-z0-9_-]+)/", response.headers["Location"]).group(1)


def test_web_import_end_to_end(app, sign_in, tmp_path):
    from tests.conftest import csrf_token
    db = app.extensions["atlas_db"]
    load_postcodes(db, tmp_path)
    store_group(db)
    client = sign_in(app, "officer")
    token = csrf_token(client)
    assert "Import community groups" in client.get("/groups/import").get_data(as_text=True)
    response = client.post("/groups/import", data={"csrf_token": token, "file": (io.BytesIO(b""), "empty.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "empty.csv is empty" in response.get_data(as_text=True)

    path = write_csv(tmp_path)
    with path.open("rb") as handle:
        response = client.post("/groups/import", data={"csrf_token": token, "file": (handle, "groups.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 302
    upload = _token(response)
    assert stored_upload(app, upload).data == path.read_bytes()  # in the store: any app server takes the next step
    assert upload not in str(client.get_cookie("session").value if client.get_cookie("session") else "")

    page = client.get(f"/groups/import/{upload}/mapping").get_data(as_text=True)
    assert '<option value="type" selected>type</option>' in page
    assert "sports club" in page and "Knitting" not in page.split('id="types"')[1]
    assert "Blacon Walkers · Bad Postcode Club · Nowhere Society" in page  # examples of the name column
    form = {"csrf_token": token, "action": "review", "type_count": "1", "word-0": "sports club", "type-0": "",
            "default_type": "", "source": "CVS directory"}
    form |= {f"field-{key}": column for key, column in propose_mapping(read_table(path).columns).items()}
    response = client.post(f"/groups/import/{upload}/mapping", data=form)
    assert response.headers["Location"].endswith(f"/groups/import/{upload}/review")

    page = client.get(f"/groups/import/{upload}/review").get_data(as_text=True)
    assert re.search(r"<dt>Rows read</dt><dd>11</dd>\s*<dt>Ready to load</dt><dd>5</dd>\s*"
                     r"<dt>Refused</dt><dd>6</dd>", page)
    assert '<td class="num">4</td><td>Nowhere Society</td>' in page
    assert "postcode CH99 9ZZ is not in the postcode table" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page
    assert 'name="duplicate-6" value="skip" checked> Skip this row' in page
    assert 'name="duplicate-7" value="keep"> Keep both' in page
    assert "Load the 5 good rows" in page

    response = client.post(f"/groups/import/{upload}/load", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/groups/import/{upload}/review")
    assert "Nothing was loaded: 6 of the 11 rows" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(groups(db)) == 1

    other = sign_in(app, "admin")
    assert other.get(f"/groups/import/{upload}/review").status_code == 404  # another user's upload

    response = client.post(f"/groups/import/{upload}/load",
                           data={"csrf_token": token, "load_good": "1", "duplicate-6": "skip",
                                 "duplicate-7": "keep"})
    assert response.headers["Location"].endswith(f"/groups/import/{upload}/done")
    assert stored_upload(app, upload).data is None  # the file is gone once loaded
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"<dt>Rows read</dt><dd>11</dd>\s*<dt>Groups added</dt><dd>4</dd>\s*"
                     r"<dt>Duplicates skipped</dt><dd>1</dd>\s*<dt>Merged into other groups</dt><dd>0</dd>\s*"
                     r"<dt>Refused rows left out</dt><dd>6</dd>", page)
    assert '<td class="num">12</td><td>Odd Type Club</td>' in page
    assert [g.name for g in groups(db)][1:] == ["Blacon Walkers", "Blacon walkers!", SCRIPT, FORMULA]
    assert groups(db)[1].source == "groups.csv — CVS directory"
    for step in ("mapping", "review"):
        assert client.get(f"/groups/import/{upload}/{step}").status_code == 404
    assert client.post(f"/groups/import/{upload}/load", data={"csrf_token": token}).status_code == 404
    assert other.get(f"/groups/import/{upload}/done").status_code == 404


def test_web_mapping_errors_and_xlsx_sheets(app, sign_in, tmp_path):
    from tests.conftest import csrf_token
    client = sign_in(app, "officer")
    token = csrf_token(client)
    book = Workbook()
    book.active.append(["Title", "Where"])
    book.active.append(["Oak Club", "CH1 1AB"])
    other = book.create_sheet("Second")
    other.append(["name", "postcode", "easting", "northing"])
    other.append(["Elm Club", "", "340000", "366000"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    with path.open("rb") as handle:
        response = client.post("/groups/import", data={"csrf_token": token, "file": (handle, "two.xlsx")},
                               content_type="multipart/form-data")
    upload = _token(response)
    page = client.get(f"/groups/import/{upload}/mapping").get_data(as_text=True)
    assert '<option value="Title" selected>' in page and "has 2 sheets; the first, &#39;Sheet&#39;" in page
    response = client.post(f"/groups/import/{upload}/mapping",
                           data={"csrf_token": token, "action": "review", "sheet": "Sheet", "field-name": ""})
    assert response.status_code == 422
    assert "Name: choose the column that holds each group&#39;s name." in response.get_data(as_text=True)
    response = client.post(f"/groups/import/{upload}/mapping",
                           data={"csrf_token": token, "action": "review", "sheet": "Second"})
    assert response.headers["Location"].endswith("/mapping")
    page = client.get(f"/groups/import/{upload}/mapping").get_data(as_text=True)
    assert '<option value="easting" selected>' in page and "Reading the sheet" in page
    form = {"csrf_token": token, "action": "review", "sheet": "Second", "default_type": "community group",
            "field-name": "name", "field-postcode": "postcode", "field-easting": "easting",
            "field-northing": "northing"}
    assert client.post(f"/groups/import/{upload}/mapping", data=form).headers["Location"].endswith("/review")
    page = client.get(f"/groups/import/{upload}/review").get_data(as_text=True)
    assert "Load the 1 row" in page and "its coordinates" in page
    assert client.post(f"/groups/import/{upload}/load", data={"csrf_token": token}).status_code == 302
    (elm,) = groups(app.extensions["atlas_db"])
    assert (elm.name, elm.group_type, elm.location.x) == ("Elm Club", "community group", 340000)


def test_cancel_deletes_the_upload(app, sign_in, tmp_path):
    from tests.conftest import csrf_token
    client = sign_in(app, "officer")
    token = csrf_token(client)
    response = client.post("/groups/import", data={"csrf_token": token,
                                                   "file": (io.BytesIO(b"name,postcode\nOak Club,CH1 1AB\n"), "a.csv")},
                           content_type="multipart/form-data")
    upload = _token(response)
    assert stored_upload(app, upload) is not None
    response = client.post(f"/groups/import/{upload}/cancel", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/groups/import")
    assert "The import of a.csv was cancelled" in client.get("/groups/import").get_data(as_text=True)
    assert stored_upload(app, upload) is None
    assert groups(app.extensions["atlas_db"]) == []


def stored_upload(app, token):
    with app.extensions["atlas_db"].session() as session:
        return session.get(GroupImportUpload, token)


def test_uploads_expire_after_an_hour(db):
    with db.transaction() as session:
        user_id = accounts.create_user(session, email="o@example.org", name="O", role="officer", password=None,
                                       actor="test").id
        kept = uploads.keep(session, b"name\nOak\n", "a.csv", user_id=user_id)
    with db.transaction() as session:
        assert uploads.find(session, kept.token, user_id=user_id).data == b"name\nOak\n"
        for token, user in ((kept.token, user_id + 1), ("../../etc", user_id), ("x" * 40, user_id)):
            with pytest.raises(NotFound):
                uploads.find(session, token, user_id=user)
        assert uploads.sweep(session) == 0
        created = session.get(GroupImportUpload, kept.token).created
        assert uploads.sweep(session, now=created + 3601) == 1
        assert session.get(GroupImportUpload, kept.token) is None


# --- the real warm-spaces venues ------------------------------------------------------------------------------

def _venues(shared_data):
    return pd.read_csv(shared_data / VENUES, dtype=str, keep_default_na=False)


def _same(name):
    return " ".join(name.lower().split())


def test_the_manifest_loads_the_real_venues(cwac_db, shared_data):
    venues = _venues(shared_data)
    expected = venues.assign(key=venues["name"].map(_same)).drop_duplicates(["key", "postcode"])
    with cwac_db.session() as session:
        stored = session.scalars(sa.select(CommunityGroup).where(CommunityGroup.source.like(f"{VENUES}%"))).all()
    assert len(stored) == len(expected) == 65
    types = {"faith": "faith group", "library": "statutory service", "community_venue": "community group",
             "cafe": "community group", "other": "community group"}
    assert sorted(g.group_type for g in stored) == sorted(expected["category_heuristic"].map(types))
    assert all(g.status == "published" and g.location is not None for g in stored)
    # the file has no date column: nobody has said when the details were checked (not the day of loading)
    assert {g.last_verified for g in stored} == {None}
    assert {g.licence for g in stored} == {"No licence stated; data contributed by the organisations to public "
                                           "directories. Attribute: Open Innovations Warm Spaces "
                                           "(warmspaces.open-innovations.org), data from Warm Welcome."}
    by_name = {g.name: g for g in stored}
    allostock = venues.iloc[0]  # no postcode: placed by its coordinates
    place = by_name[allostock["name"]].location
    assert allostock["postcode"] == "" and by_name[allostock["name"]].postcode is None
    assert abs(place.x - float(allostock["easting"])) < 2 and abs(place.y - float(allostock["northing"])) < 2


def test_the_real_venues_through_the_cli_with_postcodes(cwac_app, shared_data):
    db = cwac_app.extensions["atlas_db"]
    with db.transaction() as session:
        postcodes.load(session, shared_data / "postcodes_cheshire.csv", actor="test")
    runner = cwac_app.test_cli_runner()
    path = str(shared_data / VENUES)
    venues = _venues(shared_data)
    known = set(pd.read_csv(shared_data / "postcodes_cheshire.csv", dtype=str, usecols=["postcode"])["postcode"])
    with db.session() as session:
        before = session.scalar(sa.select(sa.func.count()).select_from(CommunityGroup))

    # Placed by coordinates, as the manifest did: every venue is already stored, so all are skipped.
    result = runner.invoke(args=["import-groups", path, "--default-type", "community group", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 0
    assert (report["rows_read"], report["ready"], report["refused"], report["loaded"]) == (66, 66, 0, 0)
    assert report["skipped_duplicates"] == report["duplicates"] == 66

    # Placed by postcode only: venues without a postcode, or with one missing from Code-Point Open, are refused.
    result = runner.invoke(args=["import-groups", path, "--map", "easting=", "--map", "northing=",
                                 "--map", "latitude=", "--map", "longitude=", "--default-type",
                                 "community group", "--duplicates", "keep", "--load-good", "--json"])
    report = json.loads(result.output)
    blank = venues["postcode"].eq("")
    unknown = ~blank & ~venues["postcode"].isin(known)
    assert result.exit_code == 1
    assert report["refused"] == int(blank.sum() + unknown.sum()) == 7
    assert report["loaded"] == len(venues) - report["refused"] == 59
    refused = {r["line"]: r["reasons"] for r in report["refused_rows"]}
    assert refused == {i + 2: ["no postcode and no coordinates"] if blank[i] else
                       [f"postcode {venues['postcode'][i]} is not in the postcode table"]
                       for i in venues.index[blank | unknown]}
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(CommunityGroup)) == before + 59


# --- area manifests ---------------------------------------------------------------------------------------

def _manifest(tmp_path, csv, extra=""):
    path = tmp_path / "area.toml"
    path.write_text(f'''[area]
name = "Test"
[[groups]]
file = "{csv.name}"
source = "CVS directory"
mapping = {{ name = "name", group_type = "type", postcode = "postcode" }}
type_map = {{ "sports club" = "community group" }}
{extra}''', encoding="utf-8")
    return path


def test_a_manifest_refuses_a_list_with_refused_rows_and_stores_nothing(db, tmp_path):
    from geoapp.loading.load import load_manifest
    from geoapp.loading.manifest import ManifestError, read_manifest
    load_postcodes(db, tmp_path)
    csv = write_csv(tmp_path)
    with pytest.raises(ManifestError) as error:
        load_manifest(db, read_manifest(_manifest(tmp_path, csv)))
    assert "groups.csv: Nothing was loaded: 4 of the 11 rows" in str(error.value)
    assert "line 4: postcode CH99 9ZZ is not in the postcode table" in str(error.value)
    assert groups(db) == []
    report = load_manifest(db, read_manifest(_manifest(tmp_path, csv, "load_good = true\n")))
    assert report.groups == 6  # lines 2, 6, 8, 9, 10, 12 (line 7 repeats line 2 and is skipped)
    assert [g.name for g in groups(db)] == ["Blacon Walkers", "Hoole food bank", SCRIPT, FORMULA,
                                            "Bell Ringers[31m Club", "Odd Type Club"]
    assert groups(db)[-1].group_type == "community group"  # "sports club", by the manifest's type_map


@pytest.mark.parametrize("extra, message", [
    ('duplicates = "maybe"\n', "duplicates 'maybe' must be skip, keep or merge"),
    ("load_good = 1\n", "load_good must be true or false"),
])
def test_manifest_group_keys_are_checked(tmp_path, extra, message):
    from geoapp.loading.manifest import ManifestError, read_manifest
    with pytest.raises(ManifestError, match=message):
        read_manifest(_manifest(tmp_path, write_csv(tmp_path), extra))
    path = tmp_path / "bad.toml"
    path.write_text('[area]\nname = "T"\n[[groups]]\nfile = "groups.csv"\nsource = "x"\nmapping = "name"\n')
    with pytest.raises(ManifestError, match="mapping must be a table of text"):
        read_manifest(path)
