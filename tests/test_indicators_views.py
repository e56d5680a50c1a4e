"""The indicator pages and their JSON twins, on SQLite and PostGIS."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from layers.classify import NO_DATA, PALETTE, classify, palette

INCOME = "imd2019-income-rate"


def test_index_lists_indicators_by_theme(cwac_app):
    client = cwac_app.test_client()
    data = client.get("/indicators/index.json").get_json()
    themes = {t["theme"]: [i["id"] for i in t["indicators"]] for t in data["themes"]}
    # 7 ONS population indicators, 34 of IoD2025 and the 28 of IoD2019's 35 that hold values anywhere
    assert sum(len(ids) for ids in themes.values()) == 7 + 34 + 28
    assert INCOME in themes["Deprivation"] and "iod2025-income-rate" in themes["Deprivation"]
    assert "iod2025-crime-score" in themes["Safer & Stronger Communities"]
    assert "imd2019-crime-score" not in themes["Safer & Stronger Communities"]  # empty: not offered
    page = client.get("/indicators/").get_data(as_text=True)
    assert "<h2 id=\"theme-1\">" in page and "Income deprivation" in page
    assert "/indicators/imd2019-income-rate/apb" in page


def test_indicator_table_for_apbs(cwac_app):
    client = cwac_app.test_client()
    data = client.get(f"/indicators/{INCOME}/apb.json").get_json()
    assert data["geography"]["id"] == "apb" and data["period"] == "2019"
    assert data["borough"]["value"] == pytest.approx(36161.484 / 333949, rel=1e-9)
    assert len(data["areas"]) == 5
    for area in data["areas"]:
        assert area["lower"] < area["value"] < area["upper"]
        assert area["comparison"] in {"better", "similar", "worse"}
        assert area["method"].startswith("Recomputed from summed numerators and denominators of")
    assert "Open Government Licence" in data["licence"]
    page = client.get(f"/indicators/{INCOME}/apb?sort=value&order=desc").get_data(as_text=True)
    assert '<th scope="col" aria-sort="descending" class="num">' in page
    assert page.count('<th scope="row">') == 5
    assert "Source:</strong> English Indices of Deprivation 2019" in page and "Licence:" in page
    # sorted by value, highest first: the percentages on the page descend
    shown = [float(v) for v in re.findall(r'<td class="num">([\d.]+)%</td>', page)]
    assert len(shown) == 5 and shown == sorted(shown, reverse=True)
    expected = sorted((a["value"] * 100 for a in data["areas"]), reverse=True)
    assert shown == [round(v, 1) for v in expected]


def test_blank_indicator_shows_no_data(cwac_app):
    client = cwac_app.test_client()
    data = client.get("/indicators/imd2019-crime-score/wards.json").get_json()
    assert all(a["value"] is None for a in data["areas"])
    page = client.get("/indicators/imd2019-crime-score/wards").get_data(as_text=True)
    assert "no data" in page and ">0.0<" not in page


def test_classes_quantiles_polarity_and_no_data(cwac_app):
    client = cwac_app.test_client()
    data = client.get(f"/indicators/{INCOME}/wards/classes.json?scheme=quantiles&k=5").get_json()
    assert data["k"] == 5 and len(data["breaks"]) == 5
    counts = [c["count"] for c in data["legend"]]
    assert sum(counts) == len(data["areas"]) == 45
    # higher is worse: the highest class is the darkest colour
    assert data["colours"][-1] == PALETTE[-1] and data["colours"][0] == PALETTE[0]
    assert data["no_data"] == {"colour": NO_DATA, "count": 0, "label": "No data"}
    top = max(data["areas"].values(), key=lambda a: a["value"])
    assert top["class"] == 4
    # each area's class agrees with the breaks
    for area in data["areas"].values():
        upper = data["breaks"][area["class"]]
        lower = data["breaks"][area["class"] - 1] if area["class"] else -1
        assert lower < area["value"] <= upper + 1e-12
    blank = client.get("/indicators/imd2019-crime-score/wards/classes.json").get_json()
    assert blank["k"] == 0 and blank["no_data"]["count"] == 45
    assert all(a["class"] is None for a in blank["areas"].values())


def test_classes_user_breaks_and_bad_requests(cwac_app):
    client = cwac_app.test_client()
    data = client.get(f"/indicators/{INCOME}/apb/classes.json?scheme=user&breaks=0.1,0.12").get_json()
    assert data["breaks"][:2] == [0.1, 0.12]
    assert [c["count"] for c in data["legend"]] == [
        sum(a["value"] <= 0.1 for a in data["areas"].values()),
        sum(0.1 < a["value"] <= 0.12 for a in data["areas"].values()),
        sum(a["value"] > 0.12 for a in data["areas"].values())]
    ranks = client.get("/indicators/imd2019-imd-rank/apb/classes.json?scheme=equal_interval&k=2").get_json()
    assert ranks["colours"] == [PALETTE[-1], PALETTE[0]]  # higher is better: low ranks are dark
    assert client.get(f"/indicators/{INCOME}/apb/classes.json?scheme=nope").status_code == 422
    assert client.get(f"/indicators/{INCOME}/apb/classes.json?k=40").status_code == 422
    assert client.get(f"/indicators/{INCOME}/apb/classes.json?k=five").status_code == 422
    assert client.get(f"/indicators/{INCOME}/nowhere.json").status_code == 404
    assert client.get("/indicators/nothing/apb.json").status_code == 404


def test_demo_catalogue_on_wards(demo_app):
    client = demo_app.test_client()
    data = client.get("/indicators/income_deprivation_rate/wards.json").get_json()
    assert data["period"] == "2024" and data["areas"]
    assert all(a["value"] is not None and 0 < a["value"] < 1 for a in data["areas"])
    assert {a["comparison"] for a in data["areas"]} <= {"better", "similar", "worse"}


def test_classify_pure():
    out = classify([1.0, 2.0, 3.0, 4.0, float("nan")], scheme="equal_interval", k=2)
    assert out["breaks"] == [2.5, 4.0] and out["classes"] == [0, 0, 1, 1, None]
    assert palette(2, "no_judgement") == [PALETTE[0], PALETTE[-1]]


def test_several_periods_latest_by_default_and_each_one_on_request(demo_app, tmp_path):
    from geoapp.loading.demo import write_demo
    from geoapp.loading.load import LoadReport, Reporter, import_indicators

    folder = write_demo(tmp_path / "demo").parent
    table = pd.read_csv(folder / "indicators.csv")
    table["income_deprived"] = (table["income_deprived"] * 0.5).round()
    table.to_csv(folder / "indicators.csv", index=False)
    toml = folder / "indicators.toml"
    toml.write_text(re.sub(r'(?m)^period = "2024"$', 'period = "2021"', toml.read_text()))
    with demo_app.extensions["atlas_db"].transaction() as session:
        import_indicators(session, toml, "lsoa", actor="test", reporter=Reporter(), report=LoadReport())
    client = demo_app.test_client()
    latest = client.get("/indicators/income_deprivation_rate/lad.json").get_json()
    older = client.get("/indicators/income_deprivation_rate/lad.json?period=2021").get_json()
    assert latest["period"] == "2024" and older["period"] == "2021"
    assert latest["periods"] == older["periods"] == ["2021", "2024"]
    assert older["areas"][0]["numerator"] == pytest.approx(table["income_deprived"].sum())
    assert older["areas"][0]["value"] < latest["areas"][0]["value"]
    page = client.get("/indicators/income_deprivation_rate/wards").get_data(as_text=True)
    assert 'Other periods:' in page and "/indicators/income_deprivation_rate/wards?period=2021" in page
    sort_links = re.findall(r'href="([^"]*sort=value[^"]*)"',
                            client.get("/indicators/income_deprivation_rate/wards?period=2021").get_data(as_text=True))
    assert sort_links and all("period=2021" in link for link in sort_links)
