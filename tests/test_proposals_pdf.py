"""A forum proposal as an A4 PDF (map, statistics, rules, sources), read back with pypdf as the board packs are."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from geoapp.proposals.engine import cached_layer
from geoapp.proposals.views import pdf_html
from geoapp.storage.models import Proposal, ProposalVersion
from geoapp.web.db import db_session
from tests.conftest import csrf_token
from tests.test_proposal_check import cwac_wards, forums  # noqa: F401 - fixtures: a valid assignment

A4 = (595.28, 841.89)


@pytest.fixture
def officer(demo_app, sign_in):
    client = sign_in(demo_app, "officer")
    client.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(client), "HTTP_ACCEPT": "application/json"}
    return client


def by_apb(app) -> dict[str, str]:
    with app.extensions["atlas_db"].session() as session:
        layer, _ = cached_layer(session, "wards", "apb")
    return {code: layer.container_codes[c] for code, c in zip(layer.codes, layer.container)}


def read_pdf(client, proposal: int, version: int) -> tuple[PdfReader, str]:
    """The PDF export as a PdfReader and its text (whitespace collapsed), checked to be A4 with page numbers."""
    response = client.get(f"/proposals/{proposal}/export.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"
    assert response.headers["Content-Disposition"] == f"attachment; filename=proposal-{proposal}-v{version}.pdf"
    reader = PdfReader(io.BytesIO(response.data))
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=1)
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Partnership Atlas forum proposal" in text
    return reader, text


def test_demo_proposal_pdf_has_the_map_statistics_rules_and_sources(demo_app, officer):
    assignment = by_apb(demo_app)
    names = {f: {"name": f"{f.replace('-', ' ').title()} Forum", "colour": "#1d70b8"} for f in set(assignment.values())}
    created = officer.post("/proposals/", json={"name": "Forums by board", "description": "One forum per APB",
                                                "assignment": assignment, "forums": names})
    proposal = created.get_json()["id"]
    moved = dict(assignment)
    moved.pop(next(iter(moved)))
    saved = officer.post(f"/proposals/{proposal}/versions", json={
        "assignment": moved, "forums": names, "note": "One ward left out", "expected_version": 1})
    assert saved.status_code == 201
    check = officer.get(f"/proposals/{proposal}.json").get_json()["check"]
    reader, text = read_pdf(officer, proposal, 2)
    assert len(reader.pages) >= 2
    assert "Forums by board" in text and "One forum per APB" in text
    assert "Local Area Forum proposal, version 2" in text and "2 of 2" in text
    assert "Saved by Officer" in text and "One ward left out" in text
    assert "fictional demonstration data" in text
    for forum in check["forums"]:
        assert text.count(forum["name"]) >= 2, forum["name"]  # named on the map and in the table
        assert f"{forum['population']:,}" in text
    assert "No forum" in text  # the ward left out, hatched on the map
    assert "Forum statistics" in text and "Polsby-Popper" in text and "Deviation" in text
    for rule in check["rules"]:
        assert f"{'Pass' if rule['passed'] else 'Fail'}: {rule['title']}" in text
    failing = [r for r in check["rules"] if not r["passed"]]
    assert failing and f"{len(failing)} of {len(check['rules'])} rules fail" in text
    assert "Sources and licences" in text and "Fictional; no licence needed" in text
    assert "Boundaries: Wards" in text and "Boundaries: Area Partnership Boards" in text
    assert f"http://localhost/proposals/{proposal}" in text


def test_an_earlier_version_and_the_refusals(demo_app, officer, sign_in):
    assignment = by_apb(demo_app)
    proposal = officer.post("/proposals/", json={"name": "Earlier", "assignment": assignment}).get_json()["id"]
    officer.post(f"/proposals/{proposal}/versions", json={"assignment": {}, "expected_version": 1})
    with demo_app.test_request_context():
        session = db_session()
        found = session.get(Proposal, proposal)
        first = session.query(ProposalVersion).filter_by(proposal_id=proposal, number=1).one()
        html = pdf_html(session, found, first)
    assert "version <span class=\"version-number\">1</span> (an earlier version; the latest is 2)" in html
    assert "data:image/svg+xml;base64," in html and "http://localhost/proposals/" in html
    unsaved = officer.post("/proposals/", json={"name": "Unsaved"}).get_json()["id"]
    missing = officer.get(f"/proposals/{unsaved}/export.pdf")
    assert missing.status_code == 404 and "no saved version" in missing.get_json()["description"]
    board = sign_in(demo_app, "board_member")
    assert board.get(f"/proposals/{proposal}/export.pdf").status_code == 403  # not published, not theirs
    officer.post(f"/proposals/{proposal}/update", json={"published": True})
    assert board.get(f"/proposals/{proposal}/export.pdf").data[:5] == b"%PDF-"


def test_cwac_proposal_pdf_with_imd_scores(cwac_app, sign_in, forums):  # noqa: F811
    officer = sign_in(cwac_app, "officer")
    officer.environ_base |= {"HTTP_X_CSRFTOKEN": csrf_token(officer), "HTTP_ACCEPT": "application/json"}
    proposal = officer.post("/proposals/", json={"name": "Borough forums", "assignment": forums,
                                                 "settings": {"tolerance": 0.2, "forums_per_container": 2}})
    proposal = proposal.get_json()["id"]
    check = officer.get(f"/proposals/{proposal}.json").get_json()["check"]
    reader, text = read_pdf(officer, proposal, 1)
    assert "Every rule passes." in text and "IMD average score" in text
    score = next(m["id"] for m in check["indicators"] if m["id"].endswith("_average_score"))
    for forum in check["forums"]:
        assert f"{forum['indicators'][score]:.1f}" in text
    assert "Open Government Licence" in text and "English Indices of Deprivation 2025" in text
    assert "ONS mid-2020" in text  # the population the forums are balanced on
    assert "tolerance ±20.0%" in text
