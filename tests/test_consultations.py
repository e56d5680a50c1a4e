"""Consultation and engagement activity: checks, counts by area, recent activity, permissions, pages, export.

Run against the real demo store on SQLite and PostGIS. Counts are checked against the areas' own geometry
(an LSOA is in a ward when its inner point is), not against the containment links the code uses. Dates are
in the 1990s or 2090s, so activity the demo loader may add (around today) never mixes in.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from geoapp.consultations import demo as demo_module
from geoapp.consultations import service, timeline
from geoapp.consultations.demo import add_demo_consultations
from geoapp.storage import boundary_sets
from geoapp.storage.models import AuditEntry, Consultation, User
from tests.conftest import add_user, csrf_token

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","click")'
SINCE, UNTIL = date(1995, 1, 1), date(1995, 12, 31)


def db_of(app):
    return app.extensions["atlas_db"]


def user(session, app, role, email=None):
    return session.get(User, add_user(app, role, email=email or f"{role}-{role}@example.org"))


def good(**changes) -> dict:
    return {"title": "Parks survey", "organiser": "Ashvale Council", "method": "survey",
            "themes": ["Children & Young People"], "starts_on": "1995-03-14", "ends_on": "1995-04-01",
            "areas": [], "group_ids": [], "results_url": "https://example.org/parks"} | changes


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Consultation))


@pytest.fixture
def geography(demo_app):
    """A ward with at least three LSOAs, its LSOAs and APB, found from geometry; and the other LSOAs."""
    with db_of(demo_app).session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        lsoas = boundary_sets.load_areas(session, "lsoa")
        apbs = boundary_sets.load_areas(session, "apb")
    points = lsoas.geometry.representative_point()
    for ward_code, shape in zip(wards["code"], wards.geometry):  # noqa: B007 - ward_code is read after the break
        inside = set(lsoas.loc[points.within(shape).to_numpy(), "code"])
        if len(inside) >= 3:
            break
    apb = apbs.loc[apbs.geometry.intersection(shape).area.idxmax()]
    other_ward = wards.loc[~wards.geometry.representative_point().within(apb.geometry)].iloc[0]
    return {"ward": ward_code, "ward_shape": shape, "lsoas": inside, "all_lsoas": set(lsoas["code"]),
            "apb": apb["code"], "apbs": set(apbs["code"]), "other_ward": other_ward["code"],
            "wards": set(wards["code"])}


# --- checks --------------------------------------------------------------------------------------------

def test_every_problem_is_named_by_field_and_nothing_is_stored(demo_app):
    with db_of(demo_app).session() as session:
        before = count(session)
        with pytest.raises(service.ConsultationInvalid) as caught:
            service.create_consultation(session, good(
                title=" ", organiser="", method="carrier pigeon", themes=["Libraries"], starts_on="31/02/1995",
                results_url="javascript:alert(1)", areas=[{"set": "wards", "code": "NOPE"}],
                group_ids=["999999"]), user=user(session, demo_app, "board_member"))
        session.rollback()
        assert count(session) == before
    fields = caught.value.fields
    assert set(fields) == {"title", "organiser", "method", "themes", "starts_on", "results_url", "areas", "group_ids"}
    assert "title" in fields["title"].lower()
    assert "“carrier pigeon” is not one of the methods" in fields["method"] and "survey" in fields["method"]
    assert "“Libraries”" in fields["themes"] and "Children & Young People" in fields["themes"]
    assert "“31/02/1995” is not a date" in fields["starts_on"]
    assert "https://" in fields["results_url"]
    assert "NOPE in “wards”" in fields["areas"]
    assert "999999" in fields["group_ids"]
    details = caught.value.details
    assert "Start date: “31/02/1995” is not a date: give it as day/month/year, for example 14/03/2025." in details
    assert caught.value.status == 422 and "nothing was saved" in caught.value.message


def test_dates_must_be_in_order_and_links_web_addresses(demo_app):
    with db_of(demo_app).session() as session:
        for data, field, words in [
            (good(starts_on="1995-05-02", ends_on="01/05/1995"), "ends_on",
             "(01/05/1995) is before the start date (02/05/1995)"),
            (good(results_url="ftp://example.org/x"), "results_url", "starting with https://"),
            (good(results_url="https://"), "results_url", "starting with https://"),
            (good(starts_on="1850-01-01"), "starts_on", "from 1990 to 2100"),
            (good(title="x" * 301), "title", "at most 300 characters"),
            (good(areas="wards:X"), "areas", "boundary set and area code"),
            (good(colour="red"), "fields", "Unknown field colour"),
            (good(location={"easting": -5, "northing": 1}), "location", "is not in Great Britain"),
            (good(location="SW1A 1AA"), "location", "an easting and a northing"),
        ]:
            with pytest.raises(service.ConsultationInvalid) as caught:
                service.clean(session, data)
            assert words in caught.value.fields[field], (field, caught.value.fields)
        # British and ISO dates both read; a group that is not published is refused
        values = service.clean(session, good(starts_on="14/03/1995", ends_on=""))
        assert values["starts_on"] == date(1995, 3, 14) and values["ends_on"] is None
        assert values["themes"] == ["Children & Young People"]
        where = service.clean(session, good(location={"easting": "430000", "northing": 250000.5}))["location"]
        assert (where.x, where.y) == (430000, 250000.5)


def test_only_published_groups_may_be_named(demo_app):
    from geoapp.storage.models import CommunityGroup
    with db_of(demo_app).session() as session:
        group = session.scalars(select(CommunityGroup).where(CommunityGroup.status == "published")).first()
        assert service.clean(session, good(group_ids=[str(group.id)]))["group_ids"] == [group.id]
        group.status = "pending"
        session.flush()
        with pytest.raises(service.ConsultationInvalid) as caught:
            service.clean(session, good(group_ids=[group.id]))
        assert f"No published community group is numbered {group.id}" in caught.value.fields["group_ids"]
        session.rollback()


def test_create_update_delete_are_audited(demo_app):
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        item = service.create_consultation(session, good(), user=member)
        service.update_consultation(session, item.id, {"title": "Parks survey (second round)"}, user=member)
        assert item.organiser == "Ashvale Council" and item.title == "Parks survey (second round)"
        service.delete_consultation(session, item.id, user=member)
        session.commit()
        rows = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "consultation",
                                                        AuditEntry.entity_id == str(item.id))
                               .order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert rows[1].before["title"] == "Parks survey" and rows[1].after["title"] == "Parks survey (second round)"
    assert rows[2].before["starts_on"] == "1995-03-14" and rows[0].user_id == member.id


# --- by area -------------------------------------------------------------------------------------------

def test_a_ward_activity_counts_for_its_lsoas_and_apb_and_the_borough_everywhere(demo_app, geography):
    g = geography
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        ward_item = service.create_consultation(session, good(
            title="Ward walkabout", areas=[{"set": "wards", "code": g["ward"]}]), user=member)
        everywhere = service.create_consultation(session, good(title="Borough survey", starts_on="1995-06-01",
                                                               ends_on=None),
                                                 user=member)
        service.create_consultation(session, good(title="Too early", starts_on="1994-01-01", ends_on=None,
                                                  areas=[{"set": "wards", "code": g["ward"]}]), user=member)
        by = {s: {r["code"]: r for r in service.activity_by_area(session, s, SINCE, UNTIL)}
              for s in ("wards", "lsoa", "apb", "lad")}
        local = {s: {r["code"]: r["count"] for r in service.activity_by_area(session, s, SINCE, UNTIL,
                                                                             include_borough=False)}
                 for s in ("wards", "lsoa", "apb")}
        session.rollback()
    assert set(by["lsoa"]) == g["all_lsoas"] and set(by["wards"]) == g["wards"]  # every area listed, none or not
    assert by["wards"][g["ward"]]["count"] == 2
    assert by["wards"][g["ward"]]["latest"] == "1995-06-01"
    assert [a["title"] for a in by["wards"][g["ward"]]["activities"]] == ["Borough survey", "Ward walkabout"]
    assert by["wards"][g["other_ward"]]["count"] == 1  # the borough survey only
    assert {c for c, r in by["lsoa"].items() if r["count"] == 2} == g["lsoas"]
    assert all(r["count"] == 1 for c, r in by["lsoa"].items() if c not in g["lsoas"])
    assert by["apb"][g["apb"]]["count"] == 2 and by["lad"]["X06000001"]["count"] == 2
    assert all(r["count"] == 1 for c, r in by["apb"].items() if c != g["apb"])
    # leaving out whole-borough activity, areas with none are listed with nought
    assert {c for c, n in local["lsoa"].items() if n} == g["lsoas"]
    assert {c for c, n in local["apb"].items() if n} == {g["apb"]}
    assert local["wards"][g["other_ward"]] == 0 and sum(n == 0 for n in local["wards"].values()) == len(g["wards"]) - 1
    assert ward_item.id and everywhere.id


def test_an_lsoa_activity_counts_for_its_ward_and_parishes_are_measured_from_geometry(demo_app):
    """Parishes and wards are not linked in the store (same rank), so the overlay path decides: a parish
    counts a ward's activity when most of the parish lies in the ward or most of the ward in the parish."""
    with db_of(demo_app).session() as session:
        wards = boundary_sets.load_areas(session, "wards")
        parishes = boundary_sets.load_areas(session, "parishes")
        lsoas = boundary_sets.load_areas(session, "lsoa")

    def reached(one, other):
        shared = one.intersection(other).area
        return shared >= 0.5 * min(one.area, other.area)

    ward, shape = next((c, w) for c, w in zip(wards["code"], wards.geometry)
                       if any(reached(p, w) for p in parishes.geometry))
    inside = lsoas[lsoas.geometry.representative_point().within(shape).to_numpy()]
    lsoa, lsoa_shape = inside["code"].iloc[0], inside.geometry.iloc[0]
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        service.create_consultation(session, good(areas=[{"set": "lsoa", "code": lsoa}]), user=member)
        service.create_consultation(session, good(title="Parish ward", areas=[{"set": "wards", "code": ward}]),
                                    user=member)
        by_ward = {r["code"]: r["count"] for r in service.activity_by_area(session, "wards", SINCE, UNTIL)}
        by_parish = {r["code"]: r["count"] for r in service.activity_by_area(session, "parishes", SINCE, UNTIL)}
        session.rollback()
    assert by_ward[ward] == 2 and sum(by_ward.values()) == 2
    expected = {code: int(reached(p, lsoa_shape)) + int(reached(p, shape))
                for code, p in zip(parishes["code"], parishes.geometry)}
    assert by_parish == expected and any(expected.values())


def test_filters_by_theme_method_organiser_period_and_area(demo_app, geography):
    g = geography
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        a = service.create_consultation(session, good(title="A", method="drop-in", organiser="Police",
                                                      themes=["Safer & Stronger Communities"],
                                                      areas=[{"set": "wards", "code": g["ward"]}]), user=member)
        b = service.create_consultation(session, good(title="B", starts_on="1995-11-20", ends_on="1996-02-01"),
                                        user=member)
        def ids(**f):
            return [c.id for c in service.list_consultations(session, since=SINCE, until=UNTIL, **f)]
        assert ids() == [b.id, a.id]
        assert ids(theme="Safer & Stronger Communities") == [a.id]
        assert ids(method="drop-in") == [a.id] and ids(organiser="Police") == [a.id]
        assert ids(area=("wards", g["other_ward"])) == [b.id]
        assert ids(area=("lsoa", sorted(g["lsoas"])[0])) == [b.id, a.id]
        assert [c.id for c in service.list_consultations(session, since=date(1996, 1, 1), until=date(1996, 1, 31))] \
            == [b.id]  # running across the turn of the year
        counted = service.activity_by_area(session, "wards", SINCE, UNTIL, "Safer & Stronger Communities")
        assert {r["code"]: r["count"] for r in counted if r["count"]} == {g["ward"]: 1}
        assert "Police" in service.organisers(session)
        session.rollback()


def test_timeline_counts_an_activity_in_every_month_it_runs(demo_app, geography):
    g = geography
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        service.create_consultation(session, good(starts_on="1995-01-30", ends_on="1995-03-02",
                                                  areas=[{"set": "wards", "code": g["ward"]}]), user=member)
        service.create_consultation(session, good(title="One day", starts_on="1995-02-14", ends_on=None,
                                                  areas=[{"set": "wards", "code": g["ward"]}]), user=member)
        found = service.timeline_by_area(session, "wards", date(1995, 1, 1), date(1995, 4, 30))
        session.rollback()
    assert [m.month for m in found["months"]] == [1, 2, 3, 4]
    row = next(r for r in found["areas"] if r["code"] == g["ward"])
    assert row["counts"] == [1, 2, 1, 0] and row["total"] == 2
    assert all(r["counts"] == [0, 0, 0, 0] for r in found["areas"] if r["code"] != g["ward"])


def test_recent_for_area_lists_the_latest_first_with_whole_borough_ones(demo_app, geography):
    g = geography
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        for title, start, areas in [("January", "2099-01-05", [{"set": "wards", "code": g["ward"]}]),
                                    ("March", "2099-03-05", [{"set": "apb", "code": g["apb"]}]),
                                    ("Elsewhere", "2099-04-05", [{"set": "wards", "code": g["other_ward"]}]),
                                    ("February, everywhere", "2099-02-05", []),
                                    ("Old", "1995-02-05", [{"set": "wards", "code": g["ward"]}])]:
            service.create_consultation(session, good(title=title, starts_on=start, ends_on=None, areas=areas),
                                        user=member)
        recent = service.recent_for_area(session, "lsoa", sorted(g["lsoas"])[0], limit=3)
        with pytest.raises(Exception, match="no area with code"):
            service.recent_for_area(session, "wards", "NOPE")
        session.rollback()
    assert [r["title"] for r in recent] == ["March", "February, everywhere", "January"]
    assert [r["whole_borough"] for r in recent] == [False, True, False]
    assert recent[0]["dates"] == "5 March 2099" and recent[0]["starts_on"] == date(2099, 3, 5)
    assert recent[0]["method"] == "survey" and recent[0]["results_url"] == "https://example.org/parks"


def test_demo_activity_shows_concentration_and_gaps(demo_app):
    today = date(2025, 6, 15)
    with db_of(demo_app).session() as session:
        session.execute(delete(Consultation))  # the demo loader may have added them already
        before = count(session)
        added = add_demo_consultations(session, today=today)
        assert add_demo_consultations(session, today=today) == 0  # once only
        found = session.scalars(select(Consultation).order_by(Consultation.id)).all()[before:]
        since, until = timeline.default_period(today)
        wards = service.activity_by_area(session, "wards", since, until, include_borough=False)
        apbs = service.activity_by_area(session, "apb", since, until, include_borough=False)
        organisers = {c.organiser for c in found}
        assert sum(not c.areas for c in found) == 3 and sum(c.starts_on > today for c in found) == 2
        assert {a["set"] for c in found for a in c.areas} == {"wards", "apb", "lsoa"}
        session.rollback()
    assert added == 15 == len(found)
    assert {"Ashvale Borough Council", "Ashvale Neighbourhood Policing Team",
            "Ashvale Community Health NHS Trust", "Ashvale Council for Voluntary Service"} == organisers
    counts = sorted(r["count"] for r in wards)
    assert counts[0] == 0 and counts[-1] >= 4  # gaps and a concentration
    assert sum(r["count"] == 0 for r in apbs) == 1
    assert demo_module.__doc__


# --- pages and permissions ------------------------------------------------------------------------------

def post_json(client, url, body):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client)})


def form_body(client, **changes):
    body = {"csrf_token": csrf_token(client), "title": "Library hours", "organiser": "Ashvale Council",
            "method": "survey", "starts_on": "1995-03-14", "ends_on": "", "reach": "borough", "themes": [],
            "topic": "", "results_url": "", "description": ""}
    return body | changes


def test_public_cannot_record_and_a_board_member_can(demo_app, sign_in, geography):
    public = demo_app.test_client()
    token = csrf_token(public)
    refused = public.post("/consultations/new", data=form_body(public) | {"csrf_token": token})
    assert refused.status_code in (302, 401) and "/sign-in" in refused.headers.get("Location", "/sign-in")
    assert public.get("/consultations/new").status_code == 302
    assert public.post("/consultations/new", json=good(), headers={"X-CSRFToken": token}).status_code == 401
    member = sign_in(demo_app, "board_member")
    page = member.get("/consultations/new").get_data(as_text=True)
    assert 'name="title"' in page and "The whole borough" in page and 'id="reach-areas"' in page
    assert "style=" not in page and "<script>" not in page
    saved = member.post("/consultations/new", data=form_body(member, reach="areas",
                                                            areas=[f"wards|{geography['ward']}"],
                                                            themes=["Children & Young People"]))
    assert saved.status_code == 302
    consultation_id = int(re.search(r"/consultations/(\d+)$", saved.headers["Location"]).group(1))
    shown = member.get(f"/consultations/{consultation_id}?f=json").get_json()
    assert shown["areas"] == [{"set": "wards", "code": geography["ward"]}] and shown["title"] == "Library hours"
    assert shown["themes"] == ["Children & Young People"] and shown["whole_borough"] is False
    created = member.post("/consultations/new", json=good(), headers={"X-CSRFToken": csrf_token(member)})
    assert created.status_code == 201 and created.get_json()["whole_borough"] is True


def test_the_form_shows_every_problem_and_stores_nothing(demo_app, sign_in):
    member = sign_in(demo_app, "board_member")
    with db_of(demo_app).session() as session:
        before = count(session)
    bad = member.post("/consultations/new", data=form_body(member, title="", method="", starts_on="1995-05-02",
                                                           ends_on="1995-05-01", reach="areas",
                                                           results_url="www.example.org"))
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "There is a problem: nothing was saved" in html
    for words in ("Title: Give the activity a title", "Method: Choose how it was done",
                  "End date: The end date (01/05/1995) is before the start date (02/05/1995).",
                  "Areas reached: Tick at least one area", "Link to the results: Give a web address"):
        assert words in html, words
    assert 'aria-invalid="true"' in html and 'value="Ashvale Council"' in html  # what was typed is kept
    json_bad = post_json(member, "/consultations/new", good(method="séance"))
    assert json_bad.status_code == 422 and any("Method:" in d for d in json_bad.get_json()["details"])
    with db_of(demo_app).session() as session:
        assert count(session) == before


def test_only_the_recorder_and_curators_change_an_activity(demo_app, sign_in):
    author = sign_in(demo_app, "board_member", "author@example.org")
    other = sign_in(demo_app, "board_member", "other@example.org")
    created = author.post("/consultations/new", json=good(), headers={"X-CSRFToken": csrf_token(author)})
    consultation_id = created.get_json()["id"]
    edit = f"/consultations/{consultation_id}/edit"
    assert other.get(edit).status_code == 403
    refused = other.post(edit, json={"title": "Mine now"}, headers={"X-CSRFToken": csrf_token(other)})
    assert refused.status_code == 403
    assert "Only the person who recorded this activity" in refused.get_json()["description"]
    assert post_json(other, f"/consultations/{consultation_id}/delete", {}).status_code == 403
    assert "Change this activity" not in other.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    assert "Change this activity" in author.get(f"/consultations/{consultation_id}").get_data(as_text=True)
    changed = author.post(edit, data=form_body(author, title="Parks survey, round 2", method="workshop"))
    assert changed.status_code == 302
    assert author.get(f"/consultations/{consultation_id}?f=json").get_json()["method"] == "workshop"
    officer = sign_in(demo_app, "officer")
    assert officer.post(edit, json={"organiser": "Ashvale Borough Council"},
                        headers={"X-CSRFToken": csrf_token(officer)}).status_code == 200
    editor = sign_in(demo_app, "third_sector_editor")
    removed = editor.post(f"/consultations/{consultation_id}/delete", data={"csrf_token": csrf_token(editor)})
    assert removed.status_code == 302
    assert author.get(f"/consultations/{consultation_id}").status_code == 404


def test_hostile_text_is_shown_as_text(demo_app, sign_in, geography):
    member = sign_in(demo_app, "board_member")
    created = member.post("/consultations/new", json=good(title=HOSTILE, organiser=HOSTILE, topic=HOSTILE,
                                                          description=HOSTILE,
                                                          areas=[{"set": "wards", "code": geography["ward"]}]),
                          headers={"X-CSRFToken": csrf_token(member)})
    consultation_id = created.get_json()["id"]
    pages = [member.get(f"/consultations/{consultation_id}"),
             member.get(f"/consultations/?since={SINCE}&until={UNTIL}"),
             member.get(f"/consultations/{consultation_id}/edit")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
    activity = member.get(f"/consultations/activity.json?set=wards&since={SINCE}&until={UNTIL}").get_json()
    titles = [a["title"] for r in activity["areas"] for a in r["activities"]]
    assert HOSTILE in titles  # JSON carries the text as it is; the map sets it with textContent


def test_csv_export_is_safe_and_for_partners_only(demo_app, sign_in, geography):
    member = sign_in(demo_app, "board_member")
    member.post("/consultations/new", json=good(title=FORMULA, organiser="@SUM(A1:A9)", description="-2+3",
                                                areas=[{"set": "wards", "code": geography["ward"]}]),
                headers={"X-CSRFToken": csrf_token(member)})
    url = f"/consultations/export.csv?since={SINCE}&until={UNTIL}"
    public = demo_app.test_client().get(url)
    assert public.status_code == 302 and "/sign-in" in public.headers["Location"]
    response = member.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert row["Title"] == "'" + FORMULA and row["Organiser"] == "'@SUM(A1:A9)" and row["Description"] == "'-2+3"
    assert row["Start date"] == "1995-03-14" and row["Themes"] == "Children & Young People"
    assert row["Areas reached"].endswith("(Wards)") and row["Atlas page"].startswith("http")
    assert member.get("/consultations/export.gpkg").status_code == 404
    xlsx = member.get(url.replace(".csv", ".xlsx"))
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("sheet")


def test_list_page_has_map_key_timeline_and_list(demo_app, sign_in, geography):
    member = sign_in(demo_app, "board_member")
    for data in (good(areas=[{"set": "wards", "code": geography["ward"]}]), good(title="Borough")):
        member.post("/consultations/new", json=data, headers={"X-CSRFToken": csrf_token(member)})
    response = demo_app.test_client().get(f"/consultations/?since={SINCE}&until={UNTIL}&set=wards")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>1 of 40 wards</strong> had activity recorded and\n      <strong>39 had none</strong>" in html
    assert "1 whole-borough activity is not counted here" in html
    assert 'id="consultation-map"' in html and "No activity recorded (39)" in html
    assert "<caption id=\"timeline-caption\">Activities per ward and month, January 1995 to December 1995" in html
    assert html.count('<th scope="col" class="num month">') == 12
    assert "Record an activity" not in html  # the public may not
    assert "style=" not in html and "<script>" not in html
    assert "Download this list" not in html
    counted = demo_app.test_client().get(f"/consultations/?since={SINCE}&until={UNTIL}&set=wards&borough=1")
    assert "<strong>40 of 40 wards</strong>" in counted.get_data(as_text=True)
    listed = demo_app.test_client().get(f"/consultations/?since={SINCE}&until={UNTIL}",
                                        headers={"Accept": "application/json"}).get_json()
    assert [c["title"] for c in listed["consultations"]] == ["Borough", "Parks survey"]  # same day: newest first


def test_activity_json_counts_and_classes(demo_app, sign_in, geography):
    member = sign_in(demo_app, "board_member")
    for title in ("One", "Two"):
        member.post("/consultations/new", json=good(title=title, areas=[{"set": "wards", "code": geography["ward"]}]),
                    headers={"X-CSRFToken": csrf_token(member)})
    post_json(member, "/consultations/new", good(title="Three", areas=[{"set": "wards",
                                                                        "code": geography["other_ward"]}]))
    body = demo_app.test_client().get(f"/consultations/activity.json?set=lsoa&since={SINCE}&until={UNTIL}").get_json()
    assert body["set"] == {"id": "lsoa", "name": "LSOAs", "kind": "lsoa", "unit": "LSOA"}
    assert [(c["min"], c["max"]) for c in body["classes"]] == [(1, 1), (2, 2)]
    by_code = {a["code"]: a for a in body["areas"]}
    assert all(by_code[c]["count"] == 2 and by_code[c]["class"] == 1 for c in geography["lsoas"])
    assert body["no_activity"]["areas"] == sum(1 for a in body["areas"] if a["count"] == 0) > 0
    assert all(a["class"] is None for a in body["areas"] if a["count"] == 0)
    assert by_code[sorted(geography["lsoas"])[0]]["activities"][0]["url"].startswith("/consultations/")
    elsewhere = demo_app.test_client().get(f"/consultations/?set=apb&area={sorted(geography['lsoas'])[0]}")
    assert "the chosen set has no area" in elsewhere.get_data(as_text=True)
    bad = demo_app.test_client().get("/consultations/activity.json?set=nope&since=soon")
    assert bad.status_code == 422 and any("“soon” is not a date" in d for d in bad.get_json()["details"])


def test_missing_activity_is_a_404(demo_app, sign_in):
    member = sign_in(demo_app, "board_member")
    assert member.get("/consultations/999999").status_code == 404
    assert member.get("/consultations/999999/edit").status_code == 404


def test_the_profile_partial_lists_recent_activity(demo_app, geography):
    """templates/consultations/_recent.html, as an area profile includes it."""
    from flask import render_template_string
    with db_of(demo_app).session() as session:
        member = user(session, demo_app, "board_member")
        service.create_consultation(session, good(title=HOSTILE, starts_on="2099-01-01", ends_on=None,
                                                  areas=[{"set": "wards", "code": geography["ward"]}]), user=member)
        recent = service.recent_for_area(session, "wards", geography["ward"])
        nothing = service.recent_for_area(session, "wards", geography["other_ward"])
        session.rollback()
    template = '{% include "consultations/_recent.html" %}'
    with demo_app.test_request_context():
        html = render_template_string(template, recent=recent, set_id="wards", code=geography["ward"])
        empty = render_template_string(template, recent=[], set_id="wards", code=geography["other_ward"])
    assert "Recent consultation and engagement" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "survey by Ashvale Council, 1 January 2099" in html and 'rel="noopener noreferrer nofollow"' in html
    assert f'/consultations/?set=wards&amp;area={geography["ward"]}' in html
    assert "No consultation or engagement activity is recorded for this area." in empty
    assert all(r["title"] != HOSTILE for r in nothing)


def test_an_area_profile_lists_recent_activity_reaching_it(demo_app, sign_in):
    board = sign_in(demo_app, "board_member")
    with demo_app.extensions["atlas_db"].session() as session:
        ward = boundary_sets.load_areas(session, "wards").iloc[0]
    made = board.post("/consultations/new", json={
        "title": "<b>Park</b> survey", "organiser": "Ashvale Council", "method": "survey",
        "starts_on": "2026-10-01", "areas": [{"set": "wards", "code": ward["code"]}]},
        headers={"X-CSRFToken": csrf_token(board), "Accept": "application/json"})
    assert made.status_code == 201, made.get_json()
    page = board.get(f"/profiles/wards/{ward['code']}").get_data(as_text=True)
    assert "Recent consultation and engagement" in page and "&lt;b&gt;Park&lt;/b&gt; survey" in page
