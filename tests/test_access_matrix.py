"""Every route, every method, every role: allowed exactly when the role holds the route's permission.

A new route without an access rule fails here, and so does a new URL argument without a sample value.
"""
from __future__ import annotations

import pytest

from geoapp.auth.roles import ROLES, can
from geoapp.web.guard import rule_for
from tests.conftest import csrf_token

# A value for every URL argument of every route (unknown values are fine: a 404 is still "allowed").
SAMPLES = {"set_id": "wards", "fmt": "gpkg", "collection_id": "wards", "feature_id": "X05000001",
           "filename": "css/atlas.css", "token_id": "999", "token": "not-a-token", "user_id": "999",
           "code": "X05000001", "indicator_id": "income_deprivation_rate",
           "name": "map", "target_id": "999", "list_id": "999", "n": "0",
           "proposal_id": "999", "number": "1", "group_id": "999", "consultation_id": "999",
           "z": "12", "x": "2015", "y": "1330"}
GUARD_TITLES = {"Not allowed", "Sign in needed"}
LAST = {"auth.sign_out"}  # signs the client out: run it after everything else


def routes(app):
    """(endpoint, url, method) for every rule and method of the app, sign-out last."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            missing = [arg for arg in rule.arguments if arg not in SAMPLES]
            assert not missing, f"{rule.rule}: add sample values for {missing} to SAMPLES"
            url = rule.build({arg: SAMPLES[arg] for arg in rule.arguments}, append_unknown=False)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, url, method))
    return sorted(found, key=lambda r: (r[0] in LAST, r))


def refused_by_guard(response) -> bool:
    if response.status_code in (401, 403) and response.is_json:
        return response.get_json().get("title") in GUARD_TITLES
    return response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_every_route_declares_a_permission(demo_app):
    with demo_app.test_request_context():
        undeclared = sorted({r.endpoint for r in demo_app.url_map.iter_rules() if rule_for(r.endpoint) is None})
    assert not undeclared, f"routes without an access rule (add @requires): {undeclared}"


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_reaches_exactly_what_it_may(demo_app, sign_in, role):
    client = demo_app.test_client() if role == "public" else sign_in(demo_app, role)
    token = csrf_token(client)
    wrong = []
    for endpoint, url, method in routes(demo_app):
        with demo_app.test_request_context():
            permission = rule_for(endpoint)
        response = client.open(url, method=method, headers={"Accept": "application/json",
                                                            "X-CSRFToken": token})
        allowed = can(role, permission)
        refused = refused_by_guard(response)
        response.close()
        if allowed == refused:
            wrong.append(f"{method} {url} ({permission}): {'refused' if allowed else 'let through'} "
                         f"with {response.status_code}")
    assert not wrong, f"role {role}:\n" + "\n".join(wrong)


def test_public_can_change_nothing(demo_app):
    """Every state-changing route refuses an anonymous request, with or without a CSRF token."""
    client = demo_app.test_client()
    token = csrf_token(client)
    for endpoint, url, method in routes(demo_app):
        with demo_app.test_request_context():
            permission = rule_for(endpoint)
        if method == "GET" or can("public", permission):
            continue
        response = client.open(url, method=method, headers={"X-CSRFToken": token})
        response.close()
        assert response.status_code in (401, 403) or "/sign-in" in response.headers.get("Location", ""), \
            (method, url, response.status_code)
