"""One way to declare a page: its HTML route, its JSON twin and its OpenAPI entry, together.

A page view returns its data once, a dict or a dataclass instance; :func:`page` registers the routes and
renders that data as the request asks (:func:`~geoapp.web.errors.wants_json`): as JSON for a ``.json`` path,
``?f=json`` or ``Accept: application/json``, else as the page's template::

    @page(bp, "/<indicator_id>/<set_id>", template="indicators/show.html", operation_id="getIndicatorFigures",
          summary="One indicator for every area of a set", parameters=("indicatorId", "setId", "period"))
    @requires("read")
    def show(indicator_id, set_id):
        return {"result": ...}

- The page is at ``rule`` (endpoint: the function's name); its twin at the same rule with ``.json``
  (``/`` gives ``/index.json``; endpoint ``<name>_json``), or at ``twin=`` when named otherwise, or nowhere with
  ``twin=False`` (the page still answers JSON when asked). Without a template the route is JSON only.
- ``json=`` makes the JSON body from the data (default: the data itself); ``context=`` makes the template's
  context from it (default: the data's fields), and is called only when the page is shown.
- A view may return ``(data, status)``; any other answer (a redirect, a page it rendered) is sent as it is.
- With ``operation_id`` the twin is described in the OpenAPI document: ``summary``, the response ``schema``
  (a dict, or a dataclass type whose schema :func:`geoapp.api.schema.schema_of` derives), shared
  ``parameters`` by name, ``query`` parameters of its own, the error statuses it answers, and the security
  the view's ``@requires`` permission needs. A route taking POST only is described as a POST operation, with
  the ``body`` it reads (a JSON schema, or schemas by media type) and the ``response`` it answers (in words).
  The entries are kept in :data:`TWINS`, which :mod:`geoapp.api.openapi` reads.

A change (a POST) answers with :func:`done` (its data as JSON, else a message and a redirect) and a refused
one with :func:`refused` (JSON: the error; a page: the form again, with what is wrong). A change sent as JSON
is answered in JSON, as one asking for JSON is.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, request

from ..api.params import JSON
from ..auth.roles import ANONYMOUS, can
from ..errors import AtlasError
from .errors import wants_json


@dataclass(frozen=True)
class Twin:
    """What the OpenAPI document says of one JSON twin."""

    path: str
    operation_id: str
    summary: str
    schema: dict | type
    parameters: tuple[str, ...] = ()
    query: tuple[dict, ...] = ()
    errors: tuple[str, ...] = ("404",)
    media_type: str = JSON
    signed_in: bool = False
    method: str = "get"
    body: dict | None = None
    response: str | None = None
    components: dict[str, dict] = field(default_factory=dict)


#: The twins declared with :func:`page`, by OpenAPI path.
TWINS: dict[str, Twin] = {}


def page(bp: Blueprint, rule: str, *, template: str | None = None, twin: str | bool = True,
         twin_endpoint: str | None = None, methods=("GET",), json: Callable | None = None,
         context: Callable | None = None, operation_id: str | None = None, summary: str = "",
         schema: dict | type | None = None, parameters=(), query=(), errors=("404",), media_type: str = JSON,
         body: dict | None = None, response: str | None = None, components: dict | None = None):
    """Register a page view at ``rule`` with its JSON twin and, given ``operation_id``, its OpenAPI entry."""
    def decorate(view):
        @functools.wraps(view)
        def answer(**values):
            return _render(view(**values), template, json, context)

        bp.add_url_rule(rule, view.__name__, answer, methods=list(methods))
        json_rule = rule
        if template is not None and twin:
            json_rule = twin if isinstance(twin, str) else rule + ("index.json" if rule.endswith("/") else ".json")
            twin_methods = ["GET"] if "GET" in methods else list(methods)  # a POST-only page's twin is POST too
            bp.add_url_rule(json_rule, twin_endpoint or f"{view.__name__}_json", answer, methods=twin_methods)
        if operation_id:
            permission = getattr(view, "required_permission", None)
            if permission is None:
                raise TypeError(f"{view.__name__}: put @page above @requires, so its entry knows who may read it")
            _add(Twin(path=_openapi_path((bp.url_prefix or "") + json_rule), operation_id=operation_id,
                      summary=summary, schema=schema or {"type": "object"}, parameters=tuple(parameters),
                      query=tuple(query), errors=tuple(errors), media_type=media_type,
                      signed_in=not can(ANONYMOUS, permission), method="get" if "GET" in methods else "post",
                      body=body, response=response, components=components or {}))
        return answer
    return decorate


def done(data, redirect_to: str, message: str | None = None, category: str = "message", *, status: int = 200):
    """A change made: ``data`` as JSON when asked for (or sent as JSON), else ``message`` flashed and a redirect."""
    if _sent_or_wants_json():
        return data, status
    if message:
        flash(message, category)
    return redirect(redirect_to)


def refused(error: AtlasError, show: Callable, *args, **kwargs):
    """A change or choice refused: JSON gets ``error`` raised; a page gets ``show(*args, **kwargs)`` (the form
    again, with what is wrong)."""
    if _sent_or_wants_json():
        raise error
    return show(*args, **kwargs)


def _sent_or_wants_json() -> bool:
    return request.is_json or wants_json()


def _render(answer, template: str | None, to_json: Callable | None, context: Callable | None):
    data, status = answer if isinstance(answer, tuple) else (answer, 200)
    if not (isinstance(data, dict) or dataclasses.is_dataclass(data)):
        return answer  # a redirect or a page the view rendered itself
    if template is None or wants_json():
        return (to_json(data) if to_json else _plain(data)), status
    return render_template(template, **(context(data) if context else _fields(data))), status


def _plain(data) -> dict:
    return data if isinstance(data, dict) else dataclasses.asdict(data)


def _fields(data) -> dict:
    """The data's fields, as they are (a template reads objects, not their JSON)."""
    if isinstance(data, dict):
        return data
    return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}


def _openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/users/<int:user_id>.json`` is ``/users/{userId}.json``."""
    def name(match):
        first, *rest = match.group(1).split("_")
        return "{" + first + "".join(word.title() for word in rest) + "}"
    return re.sub(r"<(?:\w+:)?(\w+)>", name, rule)


def _add(twin: Twin) -> None:
    if twin.path in TWINS:
        raise ValueError(f"OpenAPI path {twin.path} is already declared")
    TWINS[twin.path] = twin
