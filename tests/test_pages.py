"""One way to declare a page: @page registers the page, its JSON twin and its OpenAPI entry together."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Blueprint, Flask, redirect
from jinja2 import DictLoader

from geoapp.api import openapi
from geoapp.errors import InvalidInput
from geoapp.web import pages
from geoapp.web.errors import register_error_handlers
from geoapp.web.guard import requires
from geoapp.web.pages import done, page, refused


@dataclass(frozen=True)
class Count:
    name: str
    value: int


@pytest.fixture
def twins():
    """The registry, restored after the test so that its pages leave no entry behind."""
    kept = dict(pages.TWINS)
    yield pages.TWINS
    pages.TWINS.clear()
    pages.TWINS.update(kept)


@pytest.fixture
def toy(twins):
    """A small app with pages declared every way @page allows."""
    bp = Blueprint("toy", __name__, url_prefix="/toy")

    @page(bp, "/", template="index.html", operation_id="getToys", summary="Every toy")
    @requires("read")
    def index():
        return {"names": ["ball", "kite"]}

    @page(bp, "/<int:toy_id>", template="toy.html", json=lambda data: {"id": data["toy_id"]},
          context=lambda data: data | {"shout": "TOY"}, operation_id="getToy", summary="One toy",
          parameters=("userId",), errors=("401", "403", "404"))
    @requires("manage_users")
    def toy(toy_id: int):
        if toy_id == 0:
            return redirect("/toy/")
        return {"toy_id": toy_id}, 203

    @page(bp, "/counted", template="count.html", twin="/tally.json", twin_endpoint="tally")
    @requires("read")
    def counted():
        return Count("kites", 2)

    @page(bp, "/classes.json")
    @requires("read")
    def classes():
        return {"classes": 5}

    @bp.post("/change")
    @requires("read")
    def change():
        return done({"changed": True}, "/toy/", "Changed.", status=201)

    @bp.post("/refuse")
    @requires("read")
    def refuse():
        return refused(InvalidInput("No."), lambda why: (f"form again: {why}", 422), "no")

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    app.jinja_loader = DictLoader({"index.html": "names: {{ names|join(',') }}",
                                   "toy.html": "{{ shout }} {{ toy_id }}",
                                   "count.html": "{{ name }}={{ value }}",
                                   "error.html": "error {{ status }}: {{ message }}"})
    app.register_blueprint(bp)
    register_error_handlers(app)
    return app


def test_a_page_and_its_twin_are_one_view(toy):
    client = toy.test_client()
    assert client.get("/toy/").text == "names: ball,kite"
    assert client.get("/toy/index.json").json == {"names": ["ball", "kite"]}
    assert client.get("/toy/?f=json").json == {"names": ["ball", "kite"]}
    assert client.get("/toy/", headers={"Accept": "application/json"}).json == {"names": ["ball", "kite"]}
    assert client.get("/toy/index.json?f=html").text == "names: ball,kite"  # as wants_json has always said
    endpoints = {rule.rule: rule.endpoint for rule in toy.url_map.iter_rules()}
    assert endpoints["/toy/"] == "toy.index" and endpoints["/toy/index.json"] == "toy.index_json"
    assert endpoints["/toy/<int:toy_id>.json"] == "toy.toy_json"


def test_renderers_status_and_other_answers(toy):
    client = toy.test_client()
    shown = client.get("/toy/7")
    assert (shown.status_code, shown.text) == (203, "TOY 7")
    as_json = client.get("/toy/7.json")
    assert (as_json.status_code, as_json.json) == (203, {"id": 7})
    assert client.get("/toy/0").status_code == 302
    assert client.get("/toy/counted").text == "kites=2"
    assert client.get("/toy/tally.json").json == {"name": "kites", "value": 2}
    assert "toy.tally" in {rule.endpoint for rule in toy.url_map.iter_rules()}
    assert client.get("/toy/classes.json").json == {"classes": 5}
    assert client.get("/toy/classes.json", headers={"Accept": "text/html"}).json == {"classes": 5}  # JSON only


def test_a_change_answers_json_or_a_redirect_and_a_refusal_the_error_or_the_form(toy):
    client = toy.test_client()
    assert client.post("/toy/change", headers={"Accept": "application/json"}).json == {"changed": True}
    assert client.post("/toy/change", headers={"Accept": "application/json"}).status_code == 201
    moved = client.post("/toy/change")
    assert (moved.status_code, moved.location) == (302, "/toy/")
    refused_json = client.post("/toy/refuse", headers={"Accept": "application/json"})
    assert (refused_json.status_code, refused_json.json["description"]) == (422, "No.")
    again = client.post("/toy/refuse")
    assert (again.status_code, again.text) == (422, "form again: no")
    sent_json = client.post("/toy/change", json={"a": 1})  # no Accept header: JSON sent is JSON answered
    assert (sent_json.status_code, sent_json.json) == (201, {"changed": True})
    refused_sent_json = client.post("/toy/refuse", json={})
    assert (refused_sent_json.status_code, refused_sent_json.text) == (422, "error 422: No.")  # not the form


def test_the_registry_holds_each_twin_for_the_openapi_document(toy, twins):
    assert set(twins) >= {"/toy/index.json", "/toy/{toyId}.json"}
    assert not {"/toy/tally.json", "/toy/classes.json"} & set(twins)  # declared without an operation: no entry
    assert twins["/toy/{toyId}.json"].signed_in and not twins["/toy/index.json"].signed_in
    document = openapi.document("http://atlas.example")
    operation = document["paths"]["/toy/{toyId}.json"]["get"]
    assert operation["operationId"] == "getToy"
    assert operation["security"] == openapi.SIGNED_IN
    assert operation["parameters"] == [{"$ref": "#/components/parameters/userId"}]
    assert set(operation["responses"]) == {"200", "401", "403", "404"}
    assert "security" not in document["paths"]["/toy/index.json"]["get"]


def test_declaring_a_path_twice_or_page_below_requires_is_refused(twins):
    bp = Blueprint("twice", __name__)

    @page(bp, "/a", template="a.html", operation_id="getA", summary="A")
    @requires("read")
    def a():
        return {}

    with pytest.raises(ValueError, match="already declared"):
        @page(bp, "/a", template="a.html", twin_endpoint="again", operation_id="getA2", summary="A")
        @requires("read")
        def again():
            return {}

    with pytest.raises(TypeError, match="above @requires"):
        @requires("read")
        @page(bp, "/b", template="b.html", operation_id="getB", summary="B")
        def b():
            return {}


def test_every_declared_twin_is_a_route_of_the_app_and_in_its_document(app):
    rules = {pages._openapi_path(rule.rule) for rule in app.url_map.iter_rules()}
    assert pages.TWINS, "the app's pages declare their twins"
    assert set(pages.TWINS) <= rules
    with app.test_request_context():
        assert set(pages.TWINS) <= set(openapi.document("http://atlas.example")["paths"])
