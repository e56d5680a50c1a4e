"""Postcodes: normalising, loading Code-Point Open (CSV and zip), the ONSPD and the Atlas CSV, lookups, CLI."""
import zipfile
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from geoapp.errors import InvalidInput
from geoapp.storage import postcodes
from geoapp.storage.models import AuditEntry, Postcode

# OS Code-Point Open rows as the product writes them: no header, quoted text, ten columns.
CODE_POINT_CH = '''"CH1 1AB",10,341060,366330,"E92000001","E19000001","E18000002","","E06000050","E05012211"
"CH1 1AF",10,340718,366063,"E92000001","E19000001","E18000002","","E06000050","E05012211"
"CH6 5ZZ",90,0,0,"E92000001","","","","",""
'''
CODE_POINT_CW = '''"CW9 6LH",10,364379,379714,"E92000001","E19000001","E18000002","","E06000050","E05012225"
"CW111AB",20,373912,363102,"E92000001","E19000001","E18000002","","E06000049","E05008623"
'''
ONSPD = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,usertype,oseast1m,osnrth1m,osgrdind,ctry\n"
    '"CH1 1AB","CH1  1AB","CH1 1AB","198001","","E99999999","E99999999",'
    '"E06000050","E05012211","0","341060","366330","1","E92000001"\n'
    '"CH1 1ZZ","CH1  1ZZ","CH1 1ZZ","198001","200412","E99999999","E99999999",'
    '"E06000050","E05012211","1","341100","366400","1","E92000001"\n'
    '"CH1 9XX","CH1  9XX","CH1 9XX","202401","","E99999999","E99999999",'
    '"E06000050","E05012211","0","","","9","E92000001"\n'
    '"BT1 1AA","BT1  1AA","BT1 1AA","198001","","N99999999","N99999999",'
    '"N09000003","N08000312","0","146700","529900","1","N92000002"\n'
)
ATLAS = """postcode,postcode_area,easting,northing,lat,long,positional_quality
CH1 1AB,CH,341060,366330,53.190776,-2.883588,10
CH1 1AF,CH,340718,366063,53.188338,-2.888656,10
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(db, path, actor="test"):
    with db.transaction() as session:
        return postcodes.load(session, path, actor=actor)


def stored(db):
    with db.session() as session:
        return {p.postcode: p for p in session.scalars(sa.select(Postcode))}


@pytest.mark.parametrize("text, expected", [
    ("CH1 1AB", "CH1 1AB"), ("ch1 1ab", "CH1 1AB"), ("CW96LH", "CW9 6LH"), ("  cw9   6lh ", "CW9 6LH"),
    ("CH11AB", "CH1 1AB"), ("SW1A 1AA", "SW1A 1AA"), ("sw1a1aa", "SW1A 1AA"), ("M1 1AE", "M1 1AE"),
    ("B33 8TH", "B33 8TH"), ("CR2 6XH", "CR2 6XH"), ("DN55 1PT", "DN55 1PT"), ("W1A 0AX", "W1A 0AX"),
    ("EC1A\u00a01BB", "EC1A 1BB"), ("B1  1AA", "B1 1AA"), ("GIR 0AA", "GIR 0AA"),
    ("", None), ("   ", None), ("CH1", None), ("CH1 1A", None), ("CH1 1ABC", None), ("1CH 1AB", None),
    ("CH1-1AB", None), ("Chester", None), ("CHX1 1AB", None), ("CH123 1AB", None), (None, None), (341060, None),
])
def test_normalise(text, expected):
    assert postcodes.normalise(text) == expected


def test_code_point_csv_without_header(db, tmp_path):
    report = load(db, write(tmp_path, "ch.csv", CODE_POINT_CH))
    assert report == {"source": "ch.csv", "layout": "OS Code-Point Open", "rows_read": 3, "stored": 3,
                      "replaced": 0, "without_coordinates": 1, "terminated": 0, "notes": []}
    rows = stored(db)
    assert (rows["CH1 1AB"].easting, rows["CH1 1AB"].northing) == (341060, 366330)
    assert rows["CH1 1AB"].positional_quality == 10 and rows["CH1 1AB"].source == "ch.csv"
    assert rows["CH6 5ZZ"].easting is None and rows["CH6 5ZZ"].northing is None  # quality 90: no coordinates
    assert rows["CH6 5ZZ"].positional_quality == 90


def test_code_point_zip(db, tmp_path):
    path = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Doc/Code-Point_Open_Column_Headers.csv", "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\n")
        archive.writestr("Data/CSV/ch.csv", CODE_POINT_CH)
        archive.writestr("Data/CSV/cw.csv", CODE_POINT_CW)
    report = load(db, path)
    assert report["layout"] == "OS Code-Point Open" and report["source"] == "codepo_gb.zip"
    assert (report["rows_read"], report["stored"], report["without_coordinates"]) == (5, 5, 1)
    rows = stored(db)
    assert sorted(rows) == ["CH1 1AB", "CH1 1AF", "CH6 5ZZ", "CW11 1AB", "CW9 6LH"]
    assert (rows["CW11 1AB"].easting, rows["CW11 1AB"].northing, rows["CW11 1AB"].positional_quality) == \
        (373912, 363102, 20)


def test_code_point_zip_names_the_member_and_line_of_a_bad_row(db, tmp_path):
    path = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Data/CSV/ch.csv", CODE_POINT_CH)
        archive.writestr("Data/CSV/cw.csv", CODE_POINT_CW.replace("373912", "37x912"))
    with pytest.raises(InvalidInput, match=r"codepo_gb.zip: Data/CSV/cw.csv line 2") as error:
        load(db, path)
    assert error.value.details == ["codepo_gb.zip: Data/CSV/cw.csv line 2: easting '37x912' is not a number"]
    assert stored(db) == {}


def test_a_zip_without_code_point_files_is_refused(db, tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    with pytest.raises(InvalidInput, match="Data/CSV"):
        load(db, path)


def test_onspd(db, tmp_path):
    report = load(db, write(tmp_path, "ONSPD_MAY_2025_UK.csv", ONSPD))
    assert report["layout"] == "ONS Postcode Directory"
    assert (report["rows_read"], report["stored"], report["without_coordinates"], report["terminated"]) == \
        (4, 4, 2, 1)
    assert "Irish Grid" in report["notes"][0]
    rows = stored(db)
    assert (rows["CH1 1AB"].easting, rows["CH1 1AB"].northing, rows["CH1 1AB"].terminated) == \
        (341060, 366330, None)
    assert rows["CH1 1ZZ"].terminated == date(2004, 12, 1) and rows["CH1 1ZZ"].easting == 341100
    assert rows["CH1 9XX"].easting is None and rows["CH1 9XX"].positional_quality == 9
    assert rows["BT1 1AA"].easting is None  # Irish Grid, not EPSG:27700
    with db.session() as session:
        found = postcodes.lookup(session, ["CH1 1ZZ"])
    assert found.loc["CH1 1ZZ", "status"] == "found"
    assert found.loc["CH1 1ZZ", "terminated"] == date(2004, 12, 1)


def test_onspd_with_pcd_only_and_a_bad_termination_date(db, tmp_path):
    text = 'pcd,doterm,oseast1m,osnrth1m\n"CH1 1AB","",341060,366330\n"CH1 1ZZ","2004-12",341100,366400\n'
    with pytest.raises(InvalidInput, match="line 3") as error:
        load(db, write(tmp_path, "onspd.csv", text))
    assert error.value.details == ["line 3: doterm '2004-12' is not a year and month (YYYYMM)"]


def test_atlas_csv(db, tmp_path):
    report = load(db, write(tmp_path, "mine.csv", ATLAS))
    assert report["layout"] == "the Atlas postcode CSV" and report["stored"] == 2
    assert stored(db)["CH1 1AF"].easting == 340718


def test_a_file_with_bad_rows_stores_nothing_and_names_the_lines(db, tmp_path):
    text = ATLAS + ("CH1 1AG,CH,abc,365995,,,10\n"      # line 4
                    "CH1 1DA,CH,340758,,,,10\n"        # line 5
                    "not a postcode,CH,1,2,,,10\n"     # line 6
                    "CH1 1AB,CH,341061,366331,,,10\n"  # line 7 repeats line 2
                    "CH1 1DB,CH,-5,366229,,,10\n"      # line 8
                    "\n"                               # line 9: blank, skipped
                    "CH1 1DD,CH,340758,366229,,,x\n")  # line 10
    with pytest.raises(InvalidInput) as error:
        load(db, write(tmp_path, "bad.csv", text))
    assert str(error.value) == ("Nothing was stored: bad.csv has 6 bad row(s), at line 4, line 5, line 6, "
                                "line 8, line 10 and 1 more.")
    assert error.value.details == [
        "line 4: easting 'abc' is not a number",
        "line 5: easting and northing must both be given or both be blank",
        "line 6: 'not a postcode' is not a postcode",
        "line 8: (-5, 366229) is outside the British National Grid (EPSG:27700)",
        "line 10: positional quality 'x' is not a whole number from 0 to 99",
        "line 7: CH1 1AB is also on line 2",
    ]
    assert stored(db) == {}
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_line_numbers_hold_across_chunks(db, tmp_path, monkeypatch):
    monkeypatch.setattr(postcodes, "CHUNK", 2)
    text = ATLAS + "CH1 1AG,CH,340821,365995,,,10\n\nCH1 1DA,CH,x,366229,,,10\nCH1 1AF,CH,1,2,,,10\n"
    with pytest.raises(InvalidInput) as error:
        load(db, write(tmp_path, "chunks.csv", text))
    assert error.value.details == ["line 6: easting 'x' is not a number", "line 7: CH1 1AF is also on line 3"]
    report = load(db, write(tmp_path, "good.csv", ATLAS + "CH1 1AG,CH,340821,365995,,,10\n\nCH1 1DA,CH,1,2,,,10\n"))
    assert (report["rows_read"], report["stored"]) == (4, 4)


@pytest.mark.parametrize("text", ["", "name,address\nSt Mary's,Chester\n", "CH1 1AB,CH1 1AF\n",
                                  "\ufeffpostcode,lat,long\nCH1 1AB,53.19,-2.88\n"])
def test_a_file_of_another_layout_is_refused(db, tmp_path, text):
    with pytest.raises(InvalidInput, match="not a postcode file this Atlas reads"):
        load(db, write(tmp_path, "other.csv", text))
    assert stored(db) == {}


def test_a_file_that_is_not_utf8_is_refused(db, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("postcode,easting,northing\nCH1 1AB,341060,366330 \xe9\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match="latin1.csv"):
        load(db, path)


def test_header_only_holds_no_postcodes(db, tmp_path):
    with pytest.raises(InvalidInput, match="holds no postcodes"):
        load(db, write(tmp_path, "empty.csv", "postcode,easting,northing\n"))


def state(db):
    with db.session() as session:
        return postcodes.state(session)


def test_reloading_replaces_rows_with_the_same_postcode(db, tmp_path):
    empty = state(db)
    load(db, write(tmp_path, "ch.csv", CODE_POINT_CH))
    first = state(db)
    moved = ('"CH1 1AB",20,341000,366000,"E92000001","","","","",""\n'
             '"CH2 2AA",10,342000,367000,"E92000001","","","","",""\n')
    report = load(db, write(tmp_path, "update.csv", moved))
    assert (report["stored"], report["replaced"]) == (2, 1)
    rows = stored(db)
    assert len(rows) == 4
    assert (rows["CH1 1AB"].easting, rows["CH1 1AB"].positional_quality, rows["CH1 1AB"].source) == \
        (341000, 20, "update.csv")
    assert rows["CH1 1AF"].source == "ch.csv"
    with db.session() as session:
        entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.entity_type, e.entity_id) for e in entries] == [
        ("import", "postcodes", "ch.csv"), ("import", "postcodes", "update.csv")]
    assert entries[1].before == {"postcodes": 3} and entries[1].after["postcodes"] == 4
    assert entries[1].after["replaced"] == 1 and entries[0].actor == "test"
    second = state(db)  # every load changes the state the caches are keyed on, even a file loaded again
    load(db, write(tmp_path, "update.csv", moved))
    assert len({empty, first, second, state(db)}) == 4


def test_lookup_statuses_in_input_order(db, tmp_path):
    load(db, write(tmp_path, "ch.csv", CODE_POINT_CH))
    given = ["ch1 1ab", "CH6 5ZZ", "CH9 9ZZ", "Chester", None, "CH1 1AB", "ch1 1ab"]
    with db.session() as session:
        found = postcodes.lookup(session, given)
    assert list(found.index) == given
    assert list(found.columns) == ["postcode", "easting", "northing", "terminated", "status"]
    assert list(found["status"]) == ["found", "no coordinates", "unknown postcode", "not a postcode",
                                     "not a postcode", "found", "found"]
    assert list(found["postcode"]) == ["CH1 1AB", "CH6 5ZZ", "CH9 9ZZ", None, None, "CH1 1AB", "CH1 1AB"]
    assert found.iloc[0][["easting", "northing"]].tolist() == [341060, 366330]
    assert found.iloc[1:5]["easting"].isna().all()
    with db.session() as session:
        assert postcodes.lookup(session, []).empty


def test_lookup_of_thousands_of_postcodes(db, tmp_path):
    codes = [f"CH{d} {n}A{c}" for d in range(1, 51) for n in range(10) for c in "ABDEF"]
    rows = "\n".join(f"{code},{300000 + k},{350000 + k}" for k, code in enumerate(codes))
    load(db, write(tmp_path, "many.csv", "postcode,easting,northing\n" + rows + "\n"))
    with db.session() as session:
        assert postcodes.count(session) == 2500
        found = postcodes.lookup(session, [c.lower().replace(" ", "") for c in codes] + ["CH99 9ZZ"])
    assert (found["status"].iloc[:-1] == "found").all() and found["status"].iloc[-1] == "unknown postcode"
    assert found["easting"].iloc[:-1].tolist() == [300000 + k for k in range(2500)]


def test_the_shared_cheshire_file(db, shared_data):
    path = shared_data / "postcodes_cheshire.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("postcode")
    report = load(db, path)
    assert (report["rows_read"], report["stored"]) == (len(table), len(table)) == (63_947, 63_947)
    assert report["without_coordinates"] == (table["positional_quality"] == "90").sum() == 3
    with db.session() as session:
        assert postcodes.count(session) == 63_947
        found = postcodes.lookup(session, ["ch1 1ab", "CW96LH", "SK2 9DA"])
    for given, code in (("ch1 1ab", "CH1 1AB"), ("CW96LH", "CW9 6LH")):
        assert found.loc[given, "status"] == "found"
        assert found.loc[given, ["easting", "northing"]].tolist() == \
            [float(table.loc[code, "easting"]), float(table.loc[code, "northing"])]
    assert found.loc["SK2 9DA", "status"] == "no coordinates"


def test_cli_import_postcodes(app, runner, tmp_path):
    path = write(tmp_path, "ch.csv", CODE_POINT_CH)
    result = runner.invoke(args=["import-postcodes", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported ch.csv (OS Code-Point Open)" in result.output
    for line in ("rows read: 3", "stored: 3 (0 of them replacing stored rows)", "without coordinates: 1",
                 "terminated: 0", "The store now holds 3 postcodes."):
        assert line in result.output
    again = runner.invoke(args=["import-postcodes", str(path)])
    assert "stored: 3 (3 of them replacing stored rows)" in again.output
    with app.app_context():
        from geoapp.web.db import db_session
        found = postcodes.lookup(db_session(), ["ch11af"])
    assert found.loc["ch11af", ["easting", "northing"]].tolist() == [340718, 366063]


def test_cli_import_postcodes_refuses_bad_rows(app, runner, tmp_path):
    path = write(tmp_path, "bad.csv", CODE_POINT_CH + '"CH2 2AA",10,34x000,367000,"","","","","",""\n')
    result = runner.invoke(args=["import-postcodes", str(path)])
    assert result.exit_code == 2, result.output
    assert "Nothing was stored: bad.csv has 1 bad row(s), at line 4." in result.output
    assert "line 4: easting '34x000' is not a number" in result.output
    with app.app_context():
        from geoapp.web.db import db_session
        assert postcodes.count(db_session()) == 0
