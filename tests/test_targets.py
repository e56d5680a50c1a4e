"""Performance targets: storage, the progress of an area's targets from real figures, and the pages."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from geoapp.storage.models import AuditEntry, Target
from geoapp.targets import service as targets
from layers.targets import RULE
from tests.conftest import add_user, csrf_token

RATE = "income_deprivation_rate"


@pytest.fixture
def two_periods(demo_app, tmp_path):
    """The demo store with a second, earlier period (2021) of the income figures, 25% higher than 2024's."""
    from geoapp.loading.demo import write_demo
    from geoapp.loading.load import LoadReport, Reporter, import_indicators

    folder = write_demo(tmp_path / "demo").parent
    table = pd.read_csv(folder / "indicators.csv")
    table["income_deprived"] = (table["income_deprived"] * 1.25).round()
    table.to_csv(folder / "indicators.csv", index=False)
    toml = folder / "indicators.toml"
    toml.write_text(re.sub(r'(?m)^period = "2024"$', 'period = "2021"', toml.read_text()))
    with demo_app.extensions["atlas_db"].transaction() as session:
        import_indicators(session, toml, "lsoa", actor="test", reporter=Reporter(), report=LoadReport())
    return demo_app


def ward_figures(app, period: str) -> dict[str, dict]:
    areas = app.test_client().get(f"/indicators/{RATE}/wards.json?period={period}").get_json()["areas"]
    return {a["code"]: a for a in areas}


def target_form(client, **fields) -> dict:
    return {"indicator_id": RATE, "set_id": "wards", "period": "2026", "baseline_period": "2021",
            "baseline_value": "", "direction": "decrease", "label": "", "csrf_token": csrf_token(client)} | fields


def audit_rows(app, **where) -> list[AuditEntry]:
    with app.extensions["atlas_db"].transaction() as session:
        return session.scalars(sa.select(AuditEntry).filter_by(entity_type="target", **where)
                               .order_by(AuditEntry.id)).all()


def stored_targets(app) -> list[Target]:
    with app.extensions["atlas_db"].transaction() as session:
        return session.scalars(sa.select(Target).order_by(Target.id)).all()


def test_statuses_follow_the_real_figures(two_periods, sign_in):
    """Baseline 2021 filled from the figures; 2024 is the latest, 60% of the way from 2021 to 2026."""
    app = two_periods
    old, new = ward_figures(app, "2021"), ward_figures(app, "2024")
    codes = sorted(old)[:4]
    officer = sign_in(app, "officer")
    fall = {c: old[c]["value"] - new[c]["value"] for c in codes}
    assert all(f > 0 for f in fall.values())  # 2021 was 25% higher: every ward has improved
    wanted = {codes[0]: ("decrease", old[codes[0]]["value"] - fall[codes[0]] / 0.8, "green"),  # 80% closed
              codes[1]: ("decrease", old[codes[1]]["value"] - fall[codes[1]] / 0.4, "amber"),  # 40% closed
              codes[2]: ("increase", old[codes[2]]["value"] * 1.2, "red")}  # the wrong way
    for code, (direction, target, _) in wanted.items():
        response = officer.post("/targets/new", data=target_form(officer, code=code, direction=direction,
                                                                 target_value=f"{target * 100:.10f}"))
        assert response.status_code == 302, response.get_data(as_text=True)
    response = officer.post("/targets/new", data=target_form(officer, code=codes[3], baseline_period="2024",
                                                             target_value="1"))
    assert response.status_code == 302

    data = app.test_client().get("/targets/index.json").get_json()
    assert data["rule"] == RULE and len(data["targets"]) == 4
    rows = {r["area"]["code"]: r for r in data["targets"]}
    for code, (_, _, status) in wanted.items():
        row = rows[code]
        assert row["progress"]["status"] == status
        assert row["target"]["baseline_value"] == pytest.approx(old[code]["value"])
        assert row["progress"]["latest"]["period"] == "2024"
        assert row["progress"]["latest"]["value"] == pytest.approx(new[code]["value"])
        assert row["progress"]["time_elapsed"] == pytest.approx(0.6)
        assert [a["period"] for a in row["actuals"]] == ["2021", "2024"]
    assert rows[codes[0]]["progress"]["gap_closed"] == pytest.approx(0.8)
    assert rows[codes[3]]["progress"]["status"] == "no data"
    assert rows[codes[3]]["target"]["target_value"] == pytest.approx(0.01)

    page = app.test_client().get("/targets/").get_data(as_text=True)
    assert "rag-green" in page and "On track" in page
    assert "rag-amber" in page and "Improving, but behind the trajectory" in page
    assert "rag-red" in page and "Not improving" in page and "No data since the baseline" in page
    assert "Set a target" not in page and "/targets/1/edit" not in page  # the public may only read
    assert f"{new[codes[0]]['value'] * 100:,.1f}% (2024)" in page


def test_progress_for_area_is_json_ready(two_periods):
    app = two_periods
    code = sorted(ward_figures(app, "2024"))[0]
    user_id = add_user(app, "officer")
    with app.extensions["atlas_db"].transaction() as session:
        targets.save_target(session, actor="officer@example.org", user_id=user_id, indicator_id=RATE, set_id="wards",
                      code=code, period="2027/28", baseline_period="2021", baseline_value=None,
                      target_value=0.05, direction="decrease", label="LAA NI 152")
    with app.extensions["atlas_db"].transaction() as session:
        items = targets.progress_for_area(session, "wards", code)
        assert targets.progress_for_area(session, "wards", "nowhere") == []
    assert len(items) == 1
    item = json.loads(json.dumps(items[0]))  # plain types only
    assert set(item) == {"target", "indicator", "area", "actuals", "progress", "display_factor", "unit"}
    assert item["display_factor"] == 100.0 and item["unit"] == "%"
    assert item["indicator"]["id"] == RATE and item["area"]["set_id"] == "wards" and item["area"]["name"]
    assert item["target"]["label"] == "LAA NI 152" and item["target"]["created_by"] == user_id
    for actual in item["actuals"]:
        assert actual["lower"] < actual["value"] < actual["upper"]
    assert item["progress"]["expected"] == pytest.approx(
        item["target"]["baseline_value"] + (0.05 - item["target"]["baseline_value"]) * 3 / 6)
    assert item["progress"]["status"] in {"green", "amber"}


def test_save_edit_delete_are_audited(demo_app):
    code = sorted(ward_figures(demo_app, "2024"))[0]
    user_id = add_user(demo_app, "officer")
    with demo_app.extensions["atlas_db"].transaction() as session:
        target = targets.save_target(session, actor="officer@example.org", user_id=user_id, indicator_id=RATE,
                               set_id="wards", code=code, period="2028", baseline_period="2024",
                               baseline_value=0.2, target_value=0.15, direction="decrease")
        target_id = target.id
    with demo_app.extensions["atlas_db"].transaction() as session:
        targets.save_target(session, actor="officer@example.org", user_id=user_id, indicator_id=RATE, set_id="wards",
                      code=code, period="2028", baseline_period="2024", baseline_value=0.2, target_value=0.12,
                      direction="decrease", target_id=target_id)
        assert [t.id for t in targets.list_targets(session, "wards", code)] == [target_id]
        assert targets.list_targets(session, "apb") == []
    with demo_app.extensions["atlas_db"].transaction() as session:
        targets.delete_target(session, target_id, actor="officer@example.org")
    create, edit, delete = audit_rows(demo_app)
    assert (create.action, create.entity_id, create.user_id) == ("create", str(target_id), user_id)
    assert create.after["target_value"] == 0.15 and create.after["code"] == code
    assert (edit.action, edit.before, edit.after) == ("edit", {"target_value": 0.15}, {"target_value": 0.12})
    assert delete.action == "delete" and delete.before["target_value"] == 0.12 and delete.user_id == user_id
    assert stored_targets(demo_app) == []


def test_storage_refuses_bad_targets_per_field(demo_app):
    with demo_app.extensions["atlas_db"].transaction() as session, pytest.raises(targets.TargetInvalid) as caught:
        targets.save_target(session, actor="test", user_id=None, indicator_id="nothing", set_id="wards",
                      code="nowhere", period="", baseline_period="2024", baseline_value=0.2,
                      target_value=0.3, direction="decrease")
    assert set(caught.value.fields) == {"indicator_id", "code", "period"}
    assert caught.value.status == 422
    with demo_app.extensions["atlas_db"].transaction() as session:
        code = sorted(ward_figures(demo_app, "2024"))[0]
        with pytest.raises(targets.TargetInvalid) as caught:
            targets.save_target(session, actor="test", user_id=None, indicator_id=RATE, set_id="wards", code=code,
                          period="2030", baseline_period="2019", baseline_value=None, target_value=0.1,
                          direction="decrease")
    assert "type the baseline value" in caught.value.fields["baseline_value"]
    assert stored_targets(demo_app) == [] and audit_rows(demo_app) == []


def test_bad_input_reshows_the_form_with_messages_and_stores_nothing(demo_app, sign_in):
    officer = sign_in(demo_app, "officer")
    code = sorted(ward_figures(demo_app, "2024"))[0]
    response = officer.post("/targets/new", data=target_form(officer, code="nowhere", period="2020",
                                                             baseline_period="2024", baseline_value="ten",
                                                             target_value=""))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem: nothing was saved" in page
    assert '<a href="#code">' in page and "has no area with the code" in page
    assert '<a href="#baseline_value">' in page and "“ten” is not a number" in page
    assert '<a href="#target_value">' in page and "Give the target value as a number" in page
    assert 'value="nowhere"' in page  # what was typed is kept
    start = page.index('class="error-summary"')
    summary = page[start:page.index("</ul>", start)]
    assert summary.index("#code") < summary.index("#baseline_value") < summary.index("#target_value")  # form order

    response = officer.post("/targets/new", data=target_form(officer, code=code, period="2020",
                                                             baseline_period="2024", target_value="5"))
    assert response.status_code == 422
    assert "The target period must be after the baseline period (2024)." in response.get_data(as_text=True)
    response = officer.post("/targets/new", data=target_form(officer, code=code, direction="increase",
                                                             baseline_period="2024", baseline_value="20",
                                                             target_value="15"))
    assert response.status_code == 422 and '<a href="#target_value">' in response.get_data(as_text=True)
    response = officer.post("/targets/new", data=target_form(officer, code=code, direction="sideways",
                                                             baseline_period="2024", target_value="15"))
    assert response.status_code == 422 and '<a href="#direction-increase">' in response.get_data(as_text=True)
    assert stored_targets(demo_app) == [] and audit_rows(demo_app) == []


def test_duplicate_target_is_refused(demo_app, sign_in):
    officer = sign_in(demo_app, "officer")
    code = sorted(ward_figures(demo_app, "2024"))[0]
    form = target_form(officer, code=code, baseline_period="2024", target_value="2.5")
    assert officer.post("/targets/new", data=form).status_code == 302
    response = officer.post("/targets/new", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert "already has a target" in " ".join(response.get_json()["details"])
    assert len(stored_targets(demo_app)) == 1


def test_form_offers_periods_and_the_actual_baseline(two_periods, sign_in):
    officer = sign_in(two_periods, "officer")
    code = sorted(ward_figures(two_periods, "2021"))[0]
    actual = ward_figures(two_periods, "2021")[code]["value"]
    page = officer.get(f"/targets/new?indicator_id={RATE}&set_id=wards&code={code}&baseline_period=2021") \
        .get_data(as_text=True)
    assert '<option value="2021" selected>2021</option>' in page and '<option value="2024">2024</option>' in page
    assert f"The area’s actual value for 2021 is {actual * 100:,.1f}%: leave the box blank to use it." in page
    assert '<optgroup label="Economic Development &amp; Enterprise">' in page
    assert 'name="csrf_token"' in page and '<label for="target_value">' in page


def test_edit_shows_display_units_and_saves_changes(demo_app, sign_in):
    officer = sign_in(demo_app, "officer")
    code = sorted(ward_figures(demo_app, "2024"))[0]
    officer.post("/targets/new", data=target_form(officer, code=code, baseline_period="2024",
                                                  baseline_value="20", target_value="12.5", label="NI 152"))
    (target,) = stored_targets(demo_app)
    assert (target.baseline_value, target.target_value) == (pytest.approx(0.2), pytest.approx(0.125))
    page = officer.get(f"/targets/{target.id}/edit").get_data(as_text=True)
    assert 'value="12.5"' in page and 'value="20"' in page and 'value="NI 152"' in page
    assert f'action="/targets/{target.id}/delete"' in page
    response = officer.post(f"/targets/{target.id}/edit",
                            data=target_form(officer, code=code, baseline_period="2024", baseline_value="20",
                                             target_value="10%", label="NI 152"))
    assert response.status_code == 302 and f"code={code}" in response.headers["Location"]
    assert stored_targets(demo_app)[0].target_value == pytest.approx(0.1)
    assert audit_rows(demo_app, action="edit")[0].after == {"target_value": pytest.approx(0.1)}
    assert officer.get("/targets/999/edit").status_code == 404


def test_json_create_and_delete(demo_app, sign_in):
    officer = sign_in(demo_app, "officer")
    code = sorted(ward_figures(demo_app, "2024"))[0]
    response = officer.post("/targets/new", headers={"Accept": "application/json"},
                            data=target_form(officer, code=code, baseline_period="2024", target_value="2"))
    assert response.status_code == 201
    created = response.get_json()
    assert created["target"]["baseline_value"] == pytest.approx(ward_figures(demo_app, "2024")[code]["value"])
    assert created["progress"]["status"] == "no data"
    listed = officer.get(f"/targets/?set=wards&code={code}", headers={"Accept": "application/json"}).get_json()
    assert [t["target"]["id"] for t in listed["targets"]] == [created["target"]["id"]]
    assert officer.get("/targets/index.json?set=apb").get_json()["targets"] == []
    response = officer.post(f"/targets/{created['target']['id']}/delete", headers={"Accept": "application/json"},
                            data={"csrf_token": csrf_token(officer)})
    assert response.get_json() == {"deleted": created["target"]["id"]}
    assert stored_targets(demo_app) == [] and audit_rows(demo_app, action="delete")


def test_board_members_read_but_may_not_set_targets(demo_app, sign_in):
    board = sign_in(demo_app, "board_member")
    code = sorted(ward_figures(demo_app, "2024"))[0]
    response = board.post("/targets/new", data=target_form(board, code=code, baseline_period="2024",
                                                           target_value="2"))
    assert response.status_code == 403
    assert board.get("/targets/new").status_code == 403
    assert board.get("/targets/").status_code == 200
    assert stored_targets(demo_app) == []
    anonymous = demo_app.test_client()
    assert anonymous.post("/targets/new", data=target_form(anonymous, code=code, baseline_period="2024",
                                                           target_value="2")).status_code in (302, 401)


def test_nav_links_to_targets(demo_app):
    assert '<a href="/targets/">Targets</a>' in demo_app.test_client().get("/targets/").get_data(as_text=True)
