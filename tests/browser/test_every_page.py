"""Every page, for every role, on a 390 x 844 phone: nothing scrolls sideways, and axe-core finds no serious or
critical accessibility problem.

One browser walks the pages of the app's URL map (tests/browser/site_pages.py) signed in as each role in turn,
with real values for the URL arguments (a proposal with two versions, a consultation, a target, a group
waiting for moderation outside the borough, an import upload), and reports every page that fails at once.
"""
from __future__ import annotations

import re
import time

import pytest

from geoapp.auth.roles import ROLES, can
from geoapp.storage import boundary_sets
from tests.browser import site_pages
from tests.conftest import PASSWORD, add_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def stored_samples(app, *, demo: bool = True) -> dict:
    """Things for the pages to show, stored once: a published proposal with two versions, consultations (demo
    only), a target, a group waiting for moderation; returns the URL argument values that name them."""
    from geoapp.consultations.demo import add_demo_consultations
    from geoapp.groups.submissions import sending
    from geoapp.proposals import service
    from geoapp.storage.groups import published_records
    from geoapp.storage.indicators import list_indicators
    from geoapp.storage.models import Consultation, User
    from geoapp.targets import service as targets

    officer = add_user(app, "officer", email="officer@example.org")
    for role in ROLES:
        if role not in ("public", "officer"):
            add_user(app, role, email=f"{role}@example.org")
    with app.extensions["atlas_db"].transaction() as session:
        user = session.get(User, officer)
        wards = boundary_sets.load_areas(session, "wards")
        apbs = boundary_sets.load_areas(session, "apb")
        owner = [apbs.geometry.intersection(w).area.idxmax() for w in wards.geometry]
        first = {code: str(apbs["code"].iloc[i]) for code, i in zip(wards["code"], owner)}
        proposal = service.create_proposal(session, name="Forums by board", user=user, assignment=first,
                                           forums={}, settings={"forums_per_container": 1})
        second = dict(first) | {wards["code"].iloc[0]: "moved"}
        service.save_version(session, proposal.id, assignment=second, forums={}, note="One ward moved",
                             expected_version=1, user=user)
        service.update_proposal(session, proposal.id, user=user, published=True)  # the read-only editor too
        consultation = None
        if demo:
            add_demo_consultations(session)
            consultation = session.query(Consultation).order_by(Consultation.id).first().id
        ward = str(wards["code"].iloc[0])
        shares = [i for i in list_indicators(session) if i.type == "proportion"]
        indicator = "income_deprivation_rate" if demo else shares[0].id
        target = targets.save_target(session, actor="test", user_id=officer, indicator_id=indicator,
                                     set_id="lsoa" if not demo else "wards",
                                     code=ward if demo
                                     else str(boundary_sets.load_areas(session, "lsoa")["code"].iloc[0]),
                                     period="2028", baseline_period="2024", baseline_value=0.3, target_value=0.15,
                                     direction="decrease", label="Halve it").id
        published = published_records(session)
        group = int(published["id"].iloc[0])
        # pinned 0.6 degrees east of a published group, out of the borough: its page shows the map and warning
        lon, lat = sending.lonlat(published.geometry.iloc[0])
        pending = sending.submit_new(session, {"name": "Elm Tree Lunch Club", "group_type": "community group",
                                                   "serves_scope": "local", "lon": lon + 0.6, "lat": lat}, None).id
        apb = str(apbs["code"].iloc[0])
        score = next((i.id for i in list_indicators(session) if i.type == "score"), indicator)
        service_set = next((s.id for s in boundary_sets.list_sets(session) if s.kind == "service"), "wards")
    return {"ward": ward, "apb": apb, "proposal": proposal.id, "consultation": consultation, "target": target,
            "group": group, "pending": pending, "officer": officer, "indicator": score, "service": service_set}


def samples_for(stored: dict, token: str | None) -> tuple[dict, list[tuple[str, str]]]:
    samples = {"set_id": "wards", "code": stored["ward"], "indicator_id": stored["indicator"],
               "proposal_id": stored["proposal"], "group_id": stored["group"],
               "consultation_id": stored["consultation"], "target_id": stored["target"],
               "user_id": stored["officer"], "token": token, "collection_id": "wards", "feature_id": stored["ward"],
               "auth.reset": {"token": "not-a-token"},
               "group_submissions.moderate": {"group_id": stored["pending"]},
               "indicators.show": {"set_id": "lsoa"},
               "profiles.show": {"set_id": "apb", "code": stored["apb"]}}
    proposal = stored["proposal"]
    extra = [("profiles.show", f"/profiles/wards/{stored['ward']}"),
             ("proposals.compare", f"/proposals/compare?a={proposal}&va=1&b={proposal}&vb=2"),
             ("alignment.index", f"/alignment/?a=apb&b={stored['service']}"),
             ("compare.index", f"/compare/?areas=apb:{stored['apb']},wards:{stored['ward']}"),
             ("groups.index", "/groups/?q=club"),
             # find your area: a postcode (unknown in the demo), an outward code, words of many names
             ("profiles.index", "/profiles/?q=CH1 5AD"), ("profiles.index", "/profiles/?q=CH1"),
             ("profiles.index", "/profiles/?q=a"),
             ("consultations.index", "/consultations/?set=lsoa")]
    return samples, extra


def sign_in(page, server, role: str) -> None:
    page.goto(server.url + "/sign-in")
    page.get_by_label("E-mail address").fill(f"{role}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))


def upload_groups(page, server) -> str:
    """Start a group import (as a role that may), for the import pages' token."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    answer = page.request.post(server.url + "/groups/import", multipart={
        "csrf_token": token,
        "file": {"name": "groups.csv", "mimeType": "text/csv",
                 "buffer": b"name,type,postcode\nElm Tree Lunch Club,community group,\n"}})
    found = re.search(r"/groups/import/([^/]+)/mapping", answer.url)
    assert found, f"the upload did not lead to the mapping page: {answer.status} {answer.url}"
    return found.group(1)


def walk(app, browser, live_server, roles, *, axe: bool) -> tuple[list[str], int, float]:
    """Visit every page for each role on a phone: (problems, pages visited, seconds)."""
    stored = stored_samples(app, demo=axe)
    problems, visited, checked, started = [], 0, {}, time.monotonic()
    with live_server(app) as server:
        for role in roles:
            context = browser.new_context(viewport=PHONE)
            context.add_init_script(site_pages.NETWORK_WATCH)
            page = context.new_page()
            page.set_default_timeout(20_000)
            if role != "public":
                sign_in(page, server, role)
            token = upload_groups(page, server) if can(role, "import_data") else None
            samples, extra = samples_for(stored, token)
            refused_seen, header_checked = False, False
            for endpoint, url in site_pages.page_urls(app, role, samples, extra):
                response = page.goto(server.url + url)
                status = response.status if response else None
                if status in (401, 403) or ("/sign-in" in page.url and endpoint != "auth.sign_in"):
                    if refused_seen:  # the same refusal page each time: checked once per role
                        continue
                    refused_seen = True
                site_pages.settle(page)
                visited += 1
                where = f"{role} {url} ({status})"
                wide = site_pages.overflow(page)
                if wide:
                    problems.append(f"{where}: {wide['width']} px wide; widest: {', '.join(wide['widest'])}")
                if not axe:
                    continue
                key = site_pages.content_key(page)
                if key not in checked:
                    checked[key] = where
                    found = site_pages.axe_violations(page)
                elif not header_checked:  # the same content as a page checked for another role: its header
                    found = site_pages.axe_violations(page, [["header"], ["footer"], [".skip-link"]])
                else:
                    found = []
                header_checked = True
                if found:
                    problems.append(f"{where}: {site_pages.describe(found)}")
            context.close()
    return problems, visited, time.monotonic() - started


@pytest.fixture
def site(demo_db, tmp_path, make_app):
    """The demo app, with static files cached by the browser (no revalidation per page: a faster walk)."""
    return make_app(demo_db, tmp_path, SEND_FILE_MAX_AGE_DEFAULT=3600)


def test_every_page_fits_a_phone_and_passes_axe_for_every_role(site, browser, live_server):
    """Each page's width is measured for every role; axe runs on every page whose content differs from one
    already checked (most differ by role only in the header, which axe checks once per role)."""
    problems, visited, took = walk(site, browser, live_server, list(ROLES), axe=True)
    assert visited > 150, f"only {visited} pages were visited"
    assert not problems, f"{len(problems)} problems on {visited} pages ({took:.0f} s):\n" + "\n".join(problems)


def test_every_page_fits_a_phone_with_the_real_data(cwac_db, tmp_path, make_app, browser, live_server):
    """Real names are longer than the demo's (wards, APBs, indicators): every page, as an administrator (who
    sees them all), on Cheshire West and Chester."""
    app = make_app(cwac_db, tmp_path, SEND_FILE_MAX_AGE_DEFAULT=3600)
    problems, visited, took = walk(app, browser, live_server, ["admin"], axe=False)
    assert visited > 40, f"only {visited} pages were visited"
    assert not problems, (f"{len(problems)} pages scroll sideways ({visited} visited, {took:.0f} s):\n"
                          + "\n".join(problems))
