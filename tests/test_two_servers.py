"""Two app servers (gunicorn, separate processes, separate instance folders) on one PostGIS, as behind a proxy:
a browser's journey moves between them step by step, and everything one server needs from the other's steps
is in the shared store: sign-in sessions, group-import uploads, rate-limit counts, and no cached answer stays
stale after the other server changed the data.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from geoapp.auth import accounts
from geoapp.storage.db import Database
from geoapp.storage.models import CommunityGroup
from tests.conftest import PASSWORD, ROOT

pytestmark = pytest.mark.postgis
requests = pytest.importorskip("requests")
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``gunicorn wsgi:app`` with one worker on a port of its own."""

    def __init__(self, url: str, instance: Path, log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"DATABASE_URL": url, "SECRET_KEY": "two-servers-secret", "ATLAS_ENV": "development",
                            "ATLAS_INSTANCE_PATH": str(instance), "ATLAS_PROXIES": "1", "ATLAS_BASEMAP_URL": "",
                            "ATLAS_MAIL_BACKEND": "console"}
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server on {self.port} stopped: see {self.log.name}")
            try:
                if requests.get(self.base + "/api/conformance", timeout=20).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"the server on {self.port} did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def two_servers(postgis, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("two-servers")
    url = postgis.create(f"atlas_two_servers_{os.getpid()}")
    db = Database(url)
    db.upgrade()
    with db.transaction() as session:
        accounts.create_user(session, email="officer@example.org", name="Olive Officer", role="officer",
                             password=PASSWORD, actor="test")
    servers = [Server(url, tmp_path / f"instance-{n}", tmp_path / f"server-{n}.log") for n in "ab"]
    try:
        for server in servers:
            server.wait()
        yield db, servers
    finally:
        for server in servers:
            server.stop()
        db.engine.dispose()


def _browser(address: str) -> requests.Session:
    """A browser behind the proxy: the proxy tells the app its address (X-Forwarded-For)."""
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = address
    return browser


def _token(browser, server) -> str:
    return CSRF.search(browser.get(server.base + "/sign-in").text).group(1)


def test_a_journey_across_two_servers_on_one_store(two_servers):
    db, (a, b) = two_servers
    browser = _browser("203.0.113.10")

    # signed in on A, known on B: the session lives in the store
    response = browser.post(a.base + "/sign-in", data={"email": "officer@example.org", "password": PASSWORD,
                                                       "csrf_token": _token(browser, a)}, allow_redirects=False)
    assert response.status_code == 302
    assert browser.get(b.base + "/account", headers={"Accept": "application/json"}).json()["role"] == "officer"

    # a boundary set uploaded on A, shown by B, renamed on B, and A's cached display follows
    squares = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "E05000001", "name": "North"},
         "geometry": {"type": "Polygon", "coordinates": [[[-2.9, 53.2], [-2.8, 53.2], [-2.8, 53.3], [-2.9, 53.3],
                                                          [-2.9, 53.2]]]}}]}
    token = _token(browser, a)
    response = browser.post(a.base + "/boundaries/import", data={
        "set_id": "wards", "kind": "ward", "name": "Wards", "csrf_token": token},
        files={"file": ("wards.geojson", json.dumps(squares).encode())}, allow_redirects=False)
    assert response.status_code == 302, response.text[-2000:]
    shown = browser.get(a.base + "/map/sets/wards.geojson").json()
    assert shown["name"] == "Wards" and browser.get(b.base + "/map/sets/wards.geojson").json()["name"] == "Wards"
    response = browser.post(b.base + "/boundaries/wards/edit", data={"name": "Wards (2023)",
                                                                     "csrf_token": _token(browser, b)})
    assert response.status_code == 200
    assert browser.get(a.base + "/map/sets/wards.geojson").json()["name"] == "Wards (2023)"
    assert "Wards (2023)" in browser.get(a.base + "/").text  # the home map, kept per state of the sets
    # replaced on B: A's cached page of the OGC API collection follows
    before = browser.get(a.base + "/api/collections/wards/items").json()["features"][0]["geometry"]
    squares["features"][0]["geometry"]["coordinates"][0][1] = [-2.7, 53.2]
    response = browser.post(b.base + "/boundaries/import", data={
        "set_id": "wards", "kind": "ward", "name": "Wards (2023)", "replace": "on", "csrf_token": _token(browser, b)},
        files={"file": ("wards.geojson", json.dumps(squares).encode())}, allow_redirects=False)
    assert response.status_code == 302, response.text[-2000:]
    after = browser.get(a.base + "/api/collections/wards/items").json()["features"][0]["geometry"]
    assert after != before and [-2.7, 53.2] in after["coordinates"][0][0]

    # a list of groups uploaded on A, mapped and reviewed on B, loaded on B, its summary read on A
    rows = "name,easting,northing\nOak Club,340000,366000\nElm Club,341000,366500\n"
    response = browser.post(a.base + "/groups/import", data={"csrf_token": _token(browser, a)},
                            files={"file": ("clubs.csv", rows.encode())}, allow_redirects=False)
    assert response.status_code == 302, response.text[-2000:]
    upload = re.search(r"/groups/import/([^/]+)/mapping", response.headers["Location"]).group(1)
    assert "Oak Club" in browser.get(f"{b.base}/groups/import/{upload}/mapping").text
    token = _token(browser, b)
    response = browser.post(f"{b.base}/groups/import/{upload}/mapping", data={
        "csrf_token": token, "action": "review", "default_type": "community group", "field-name": "name",
        "field-easting": "easting", "field-northing": "northing"}, allow_redirects=False)
    assert response.headers["Location"].endswith("/review")
    assert "Load the 2 rows" in browser.get(f"{b.base}/groups/import/{upload}/review").text
    response = browser.post(f"{b.base}/groups/import/{upload}/load", data={"csrf_token": token},
                            allow_redirects=False)
    assert response.headers["Location"].endswith("/done")
    assert re.search(r"<dt>Groups added</dt><dd>2</dd>", browser.get(f"{a.base}/groups/import/{upload}/done").text)
    with db.session() as session:
        assert sorted(session.scalars(sa.select(CommunityGroup.name))) == ["Elm Club", "Oak Club"]
    # a second load of the same upload, on A, loads nothing more
    assert browser.post(f"{a.base}/groups/import/{upload}/load", data={"csrf_token": token},
                        allow_redirects=False).status_code == 404

    # signed out on B: the same cookie no longer opens A
    copied = dict(browser.cookies)
    browser.post(b.base + "/sign-out", data={"csrf_token": _token(browser, b)})
    thief = _browser("203.0.113.11")
    thief.cookies.update(copied)
    assert thief.get(a.base + "/account", headers={"Accept": "application/json"}).status_code == 401


def test_rate_limits_are_counted_across_both_servers(two_servers):
    _, (a, b) = two_servers
    attacker = _browser("198.51.100.7")
    token = _token(attacker, a)
    codes = [attacker.post((a, b)[n % 2].base + "/sign-in", data={
        "email": "officer@example.org", "password": f"wrong {n}", "csrf_token": token}).status_code
        for n in range(12)]
    assert codes == [401] * 10 + [429, 429], codes  # 10 a minute from one address, whichever server answers
    assert _browser("198.51.100.8").post(a.base + "/sign-in", data={
        "email": "officer@example.org", "password": "wrong", "csrf_token": token}).status_code != 429
    sender = _browser("198.51.100.9")
    token = _token(sender, b)
    codes = [sender.post((a, b)[n % 2].base + "/groups/add", data={"name": "", "csrf_token": token}).status_code
             for n in range(11)]
    assert codes == [422] * 10 + [429], codes  # 10 forms a minute, invalid ones too
