"""The board pack: an area's profile as a printable A4 PDF, read back with pypdf."""
from __future__ import annotations

import io
import re
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from geoapp.printing import NEEDS
from geoapp.profiles import pack
from geoapp.profiles.read import read_profile_input
from geoapp.profiles.views import pack_html
from geoapp.storage import boundary_sets
from geoapp.targets import service as targets
from geoapp.web.db import db_session
from layers.profile import build_profile
from tests.helpers import HOSTILE, add_set

A4 = (595.28, 841.89)


def areas(app, set_id):
    with app.extensions["atlas_db"].session() as session:
        return boundary_sets.load_areas(session, set_id)


def indicator(profile: dict, indicator_id: str) -> dict:
    return next(i for t in profile["themes"] for i in t["indicators"] if i["id"] == indicator_id)


def day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def shown(item: dict, value: float) -> str:
    """A proportion as templates/_figures.html writes it."""
    return f"{value * item['display_factor']:,.1f}%"


def read_pack(client, set_id: str, code: str) -> tuple[PdfReader, str, dict]:
    """The pack as a PdfReader and its text (whitespace collapsed), and the profile's JSON twin."""
    profile = client.get(f"/profiles/{set_id}/{code}.json").get_json()
    before = datetime.now(UTC)
    response = client.get(f"/profiles/{set_id}/{code}.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"
    assert response.headers["Content-Disposition"] == f"attachment; filename={code}-board-pack.pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=1)
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Board pack" in text and "Partnership Atlas board pack" in text
    assert day(before) in text or day(datetime.now(UTC)) in text
    assert profile["area"]["name"] in text and (profile["borough"] or {}).get("name", "") in text
    for theme in profile["themes"]:
        assert theme["theme"] in text
    assert "Key facts" in text and "Sources and licences" in text and "Method" in text
    assert f"http://localhost/profiles/{set_id}/{code}" in text
    return reader, text, profile


def written(item: dict, value: float) -> str:
    """A figure as templates/_figures.html writes it."""
    if item["type"] in ("count", "rank"):
        return f"{value:,.0f}"
    if item["type"] == "decile":
        return f"{value:.1f}"
    unit = item["unit"]
    suffix = "%" if unit == "%" else (f" {unit}" if unit and unit not in ("score", "people", "rank", "decile") else "")
    return f"{value * (item['display_factor'] or 1):,.1f}{suffix}"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def ordinal(n: int) -> str:
    return f"{n}{'th' if n % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def marked(profile: dict, mark: str, word: str) -> list[dict]:
    return [i for t in profile["themes"] for i in t["indicators"] if i[mark] == word and i["value"] is not None]


def check_briefing(client, reader: PdfReader, profile: dict) -> str:
    """Page 1 is the briefing, read from the profile: its population, its deprivation section's numbers (and the
    borough's), and exactly the indicators the profile marks better, worse, higher or lower than the borough and
    England. The detail starts on page 2; no page is left with a heading alone; nothing prints "no data"."""
    first = " ".join(reader.pages[0].extract_text().split())
    area = profile["area"]
    assert first.startswith(f"{area['name']} {area['kind_name']}") and "Briefing" in first
    assert " ".join(reader.pages[1].extract_text().split()).startswith("Key facts")
    population = profile["key_facts"]["population"]
    assert (f"An estimated {population['value']:,.0f} people live in {area['name']} "
            f"({population['title'].lower()}, {population['period']})") in first
    assert f"Source: {population['source']}; {population['method']}." in first
    for band in profile["key_facts"]["age_bands"]:
        assert f"{band['share'] * 100:.1f}% {band['title'][0].lower()}{band['title'][1:]}" in first

    section = profile["deprivation"]
    if section is None:
        assert "No release of the English Indices of Deprivation is loaded" in first
    else:
        headline, share = section["summary"][0], section["summary"][0]["proportion_most_deprived_10pc"]
        lsoas = headline["lsoas"]
        counted = (f"{round(share * lsoas)} of its {round(lsoas)} small areas (LSOAs), {percent(share)}"
                   if abs(lsoas - round(lsoas)) < 0.005 and abs(share * lsoas - round(share * lsoas)) < 0.005
                   else f"{percent(share)} of its small areas (LSOAs)")
        assert f"In the {section['release']}, {counted} are among England's most deprived 10%" in first
        residents = next(d["shares"][0] for d in section["deciles"] if d["domain"] == headline["domain"])
        assert f"{residents * 100:.0f}% of its residents live in them" in first
        assert f"Its average score is {headline['average_score']:.3f}" in first
        if profile["borough"]["code"] == area["code"]:
            ranked = headline
        else:
            borough = client.get("/profiles/{set}/{code}.json".format(**profile["borough"])).get_json()
            ranked = borough["deprivation"]["summary"][0]
            assert f"(the borough: {percent(ranked['proportion_most_deprived_10pc'])})" in first
            assert f"against the borough's {ranked['average_score']:.3f}" in first
        assert (f"ranks {ordinal(int(ranked['ranks']['ranks']['average_score']))} of England's "
                f"{ranked['ranks']['districts']} districts on average score") in first
        domains = sorted((r for r in section["summary"][1:] if r["proportion_most_deprived_10pc"]),
                         key=lambda r: -r["proportion_most_deprived_10pc"])[:2]
        assert " and ".join(f"{r['label']} ({percent(r['proportion_most_deprived_10pc'])})" for r in domains) in first
        for earlier in section["earlier"]:
            was = earlier["summary"][0]["proportion_most_deprived_10pc"]
            assert f"In the {earlier['release']}, {percent(was)} of its small areas were" in first

    england = f"Compared with {profile['england']['name']}" if profile["england"] else None
    if england is None:
        assert "No figures for England are loaded" in first
    for key, heading in (("borough", f"Compared with the borough, {profile['borough']['name']}"), ("england", england)):
        if heading is None:
            continue
        part = first.split(heading)[1]
        part = part.split(england)[0] if key == "borough" and england else part
        mark = f"compared_with_{key}"
        found = {word: marked(profile, mark, word) for word in ("worse", "better", "higher", "lower", "similar")}
        for word, label in (("worse", "▼ Significantly worse"), ("better", "▲ Significantly better")):
            if found["worse"] or found["better"]:
                assert f"{label} ({len(found[word])})" in part
            for i in found[word]:
                figures = f"{written(i, i['value'])} against {written(i, i[key]['value'])}"
                assert f"{i['title']}: {figures} ({i['period']})" in part
        if not (found["worse"] or found["better"]):
            assert "No figure is significantly better or worse" in part
        for word in ("higher", "lower"):
            for i in found[word]:
                assert f"{i['title']} {word}: {written(i, i['value'])} against {written(i, i[key]['value'])}" in part
        total = sum(i["value"] is not None for t in profile["themes"] for i in t["indicators"])
        differ = len(found["higher"]) + len(found["lower"])
        assert (f"Of {total} figures for {area['name']}: {len(found['worse'])} worse, {len(found['better'])} better, "
                + (f"{differ} higher or lower, " if differ else "")
                + f"{len(found['similar'])} similar and {total - sum(map(len, found.values()))} not compared.") in part

    text = " ".join(page.extract_text() for page in reader.pages)
    assert not re.search(r"no data(?!:)", text)  # no empty cell or row ("no data: ..." defines a target status)
    running = re.compile(rf"{re.escape(area['name'])} Partnership Atlas board pack|Produced .+ Page \d+ of \d+|•")
    for number, page in enumerate(reader.pages, 1):
        body = running.sub("", " ".join(page.extract_text().split())).strip()
        assert len(body) > 300, (number, body)
    return first


def test_demo_apb_pack(demo_app, sign_in):
    client = sign_in(demo_app, "board_member")
    code = areas(demo_app, "apb")["code"].iloc[0]
    page = client.get(f"/profiles/apb/{code}").get_data(as_text=True)
    assert f'href="/profiles/apb/{code}.pdf"' in page and "Board pack (PDF)" in page
    reader, text, profile = read_pack(client, "apb", code)
    assert len(reader.pages) >= 3
    check_briefing(client, reader, profile)
    income = indicator(profile, "income_deprivation_rate")
    assert shown(income, income["value"]) in text and shown(income, income["borough"]["value"]) in text
    assert f"{shown(income, income['lower'])} to {shown(income, income['upper'])}" in text
    assert f"{profile['key_facts']['population']['value']:,.0f}" in text
    assert "fictional demonstration data" in text
    assert "Source: Fictional demo data" in text and "Fictional; no licence needed" in text
    assert f"{profile['groups']['count']} published community" in text
    assert f"{profile['sub_areas']['set_name']} in {profile['area']['name']}, ranked" in text


def test_demo_ward_pack_compares_with_its_apb_and_shows_targets(demo_app, sign_in):
    code = areas(demo_app, "wards")["code"].iloc[0]
    with demo_app.extensions["atlas_db"].transaction() as session:
        targets.save_target(session, actor="test", user_id=None, indicator_id="income_deprivation_rate", set_id="wards",
                      code=code, period="2028", baseline_period="2024", baseline_value=0.3, target_value=0.15,
                      direction="decrease", label="Halve income deprivation")
    client = sign_in(demo_app, "board_member")
    reader, text, profile = read_pack(client, "wards", code)
    check_briefing(client, reader, profile)
    assert profile["parent"]["kind"] == "apb" and f"Compared with {profile['parent']['name']}" in text
    income = indicator(profile, "income_deprivation_rate")
    assert shown(income, income["parent"]["value"]) in text
    progress = profile["targets"][0]["progress"]
    assert "Targets" in text and "Halve income deprivation" in text and progress["status_words"] in text


def test_cwac_apb_and_ward_packs(cwac_app, sign_in):
    client = sign_in(cwac_app, "board_member")
    for set_id in ("apb", "wards"):
        code = areas(cwac_app, set_id)["code"].iloc[0]
        reader, text, profile = read_pack(client, set_id, code)
        assert len(reader.pages) >= 4 and profile["borough"]["name"] == "Cheshire West and Chester"
        first = check_briefing(client, reader, profile)
        assert "Significantly worse" in first and "Compared with England" in first
        income = indicator(profile, "iod2025-income-rate")
        assert shown(income, income["value"]) in text and shown(income, income["england"]["value"]) in text
        assert "Compared with England" in text
        assert "Source: English Indices of Deprivation 2025" in text and "Open Government Licence" in text
        assert "Earlier release: English Indices of Deprivation 2019" in text
        assert "Not available for this area" in text and "Crime deprivation score (iod2019)" in text
        assert f"{profile['key_facts']['population']['value']:,.0f}" in text and "mid-2020" in text
        assert "Contains National Statistics and OS data" in text
        assert "Share of residents living in each national decile" in text
        flat = " ".join(text.split())  # every loaded dataset's credit line, as in the page footers
        assert "Contains Royal Mail data © Royal Mail copyright" in flat and "data from Warm Welcome" in flat


def test_only_roles_that_export_tables_get_a_pack(demo_app, sign_in):
    code = areas(demo_app, "apb")["code"].iloc[0]
    url = f"/profiles/apb/{code}.pdf"
    anonymous = demo_app.test_client().get(url)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    assert demo_app.test_client().get(url, headers={"Accept": "application/json"}).status_code == 401
    public = sign_in(demo_app, "public")
    assert public.get(url).status_code == 403
    assert "Board pack (PDF)" not in public.get(f"/profiles/apb/{code}").get_data(as_text=True)
    assert sign_in(demo_app, "officer").get("/profiles/apb/nowhere.pdf").status_code == 404


def test_hostile_names_print_literally_and_an_area_without_indicators_has_a_pack(app, sign_in):
    add_set(app, "lsoa", "lsoa", HOSTILE, [("L1", HOSTILE, (400000, 300000, 401000, 301000)),
                                           ("L2", "Next door", (401000, 300000, 402000, 301000))])
    reader, text, profile = read_pack(sign_in(app, "board_member"), "lsoa", "L1")
    assert HOSTILE in text and "No indicators are loaded yet" in text
    with app.test_request_context("/profiles/lsoa/L1.pdf"):
        session = db_session()
        html = pack_html(build_profile(read_profile_input(session, "lsoa", "L1")))
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    # nothing to fetch: the charts are data: URIs, the live profile's URL is printed, never linked
    assert re.findall(r"https?://[^\s<]+", html) == ["http://localhost/profiles/lsoa/L1"]
    sources = re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', html)
    assert sources and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    assert "url(" not in html and "@import" not in html


def test_the_pack_fetches_nothing(app, sign_in, monkeypatch):
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    here = f"http://127.0.0.1:{server.server_port}"
    html = f'<link rel="stylesheet" href="{here}/a.css"><img src="{here}/b.png"><img src="file:///etc/hostname">'
    try:
        assert pack.board_pack(html)[:5] == b"%PDF-"
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []


def test_a_missing_weasyprint_is_a_clear_503(demo_app, sign_in, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    code = areas(demo_app, "apb")["code"].iloc[0]
    response = sign_in(demo_app, "board_member").get(f"/profiles/apb/{code}.pdf",
                                                     headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["description"] == f"PDF board packs need {NEEDS}" and "libpango-1.0-0" in NEEDS


def test_a_briefing_says_plainly_when_nothing_differs_and_the_borough_is_not_compared_with_itself(demo_app):
    code = areas(demo_app, "apb")["code"].iloc[0]
    with demo_app.test_request_context(f"/profiles/apb/{code}.pdf"):
        session = db_session()
        profile = build_profile(read_profile_input(session, "apb", code))
        profile = replace(profile, themes=tuple(replace(t, indicators=tuple(
            replace(i, compared_with_borough="similar" if i.value is not None else "not compared")
            for i in t.indicators)) for t in profile.themes))
        html = pack_html(profile)
        borough = profile.borough
        own = pack_html(build_profile(read_profile_input(session, borough.set, borough.code)))
    briefing = html.split('<div class="detail">')[0]
    assert "No figure is significantly better or worse than the borough." in briefing
    assert "Significantly worse" not in briefing and "Significantly better" not in briefing
    total = sum(i.value is not None for i in profile.indicators)
    assert f"{total} similar and 0 not compared" in " ".join(briefing.split())
    assert "<h3>Compared with the borough" not in own.split('<div class="detail">')[0]
