"""Fixtures: the app on SQLite and on PostGIS, stores preloaded with real or demo data, a live server."""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from geoapp.app import create_app
from geoapp.auth import accounts
from geoapp.storage.db import Database
from geoapp.web.security import limiter

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
CWAC_MANIFEST = ROOT / "examples" / "cheshire-west-and-chester.toml"
PG_ADMIN_URL = os.environ.get("ATLAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGIS = os.environ.get("ATLAS_REQUIRE_POSTGIS") == "1"


def require_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        if os.environ.get("ATLAS_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"ATLAS_REQUIRE_SHARED_DATA=1 but {SHARED_DATA} is missing")
        pytest.skip("../shared/data is not present (fresh machine without the real data); CI always has it")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared_data()


@pytest.fixture(scope="session")
def cwac_manifest(shared_data) -> Path:
    """The example manifest of Cheshire West and Chester (its files are in ../shared/data)."""
    return CWAC_MANIFEST


class PostGISServer:
    """Creates throw-away databases with the postgis extension on the local server."""

    def __init__(self):
        self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, name: str) -> str:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
        return url

    def drop_all(self):
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgis():
    server = None
    try:
        server = PostGISServer()
        with server.admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            available = conn.execute(sa.text(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
        if not available:
            raise RuntimeError("the postgis extension is not installed (apt-get install postgresql-15-postgis-3)")
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means "no PostGIS here"
        if server is not None:
            server.admin.dispose()
        if REQUIRE_POSTGIS:
            pytest.fail(f"PostGIS is required (ATLAS_REQUIRE_POSTGIS=1) but unavailable: {error}")
        pytest.skip(f"no PostGIS server answers at {PG_ADMIN_URL}: {error}")
    yield server
    server.drop_all()


class Store:
    """A migrated store of one backend, optionally preloaded; hands out isolated Databases per test."""

    def __init__(self, backend: str, url: str, path: Path | None = None):
        self.backend, self.url, self.path = backend, url, path
        self.engine = sa.create_engine(url) if backend == "postgis" else None

    def open(self, tmp_path: Path):
        if self.backend == "sqlite":
            copy = tmp_path / "atlas.sqlite"
            shutil.copy(self.path, copy)
            db = Database(f"sqlite:///{copy}")
            yield db
            db.engine.dispose()
            return
        connection = self.engine.connect()
        outer = connection.begin()
        db = Database(self.url, engine=self.engine)
        db.sessionmaker = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                       expire_on_commit=False)
        yield db
        outer.rollback()
        connection.close()

    def dispose(self):
        if self.engine is not None:
            self.engine.dispose()


_stores: dict[tuple[str, str], Store] = {}


def _build_store(backend: str, name: str, request, tmp_path_factory, fill) -> Store:
    key = (backend, name)
    if key not in _stores:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp(f"store-{name}") / "atlas.sqlite"
            url = f"sqlite:///{path}"
        else:
            path = None
            url = request.getfixturevalue("postgis").create(f"atlas_test_{os.getpid()}_{name}")
        db = Database(url)
        db.upgrade()
        if fill is not None:
            fill(db, tmp_path_factory.mktemp(f"fill-{name}"))
        db.engine.dispose()
        _stores[key] = Store(backend, url, path)
    return _stores[key]


@pytest.fixture(scope="session", autouse=True)
def _dispose_stores():
    yield
    for store in _stores.values():
        store.dispose()


BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgis":
        request.getfixturevalue("postgis")
    return request.param


@pytest.fixture
def east_sussex_db(request, tmp_path, tmp_path_factory):
    """A SQLite store holding East Sussex onboarded from ../shared/data/england: the county with fewest LSOAs,
    its five districts, their wards and LSOAs."""
    require_shared_data()
    store = _build_store("sqlite", "east-sussex", request, tmp_path_factory, _fill_east_sussex)
    yield from store.open(tmp_path)


def _fill_east_sussex(db: Database, tmp: Path) -> None:
    from geoapp.loading.onboard import onboard
    onboard(db, SHARED_DATA / "england", "E10000011", tmp / "east-sussex.toml")


def _fill_cwac(db: Database, _tmp: Path) -> None:
    from geoapp.loading.load import load_manifest
    from geoapp.loading.manifest import read_manifest
    load_manifest(db, read_manifest(CWAC_MANIFEST))


def _fill_demo(db: Database, tmp: Path) -> None:
    from geoapp.loading.demo import write_demo
    from geoapp.loading.load import load_manifest
    from geoapp.loading.manifest import read_manifest
    load_manifest(db, read_manifest(write_demo(tmp / "demo", seed=2009)))


@pytest.fixture
def db(backend, request, tmp_path, tmp_path_factory):
    """An empty, migrated store on each backend."""
    store = _build_store(backend, "empty", request, tmp_path_factory, None)
    yield from store.open(tmp_path)


@pytest.fixture
def postgis_db(postgis, request, tmp_path, tmp_path_factory):
    """An empty, migrated store on PostGIS only, for what is particular to PostGIS."""
    store = _build_store("postgis", "empty", request, tmp_path_factory, None)
    yield from store.open(tmp_path)


@pytest.fixture
def cwac_db(backend, request, tmp_path, tmp_path_factory):
    """A store holding Cheshire West and Chester, loaded from the example manifest."""
    require_shared_data()
    store = _build_store(backend, "cwac", request, tmp_path_factory, _fill_cwac)
    yield from store.open(tmp_path)


@pytest.fixture
def demo_db(backend, request, tmp_path, tmp_path_factory):
    """A store holding the fictional demo borough."""
    store = _build_store(backend, "demo", request, tmp_path_factory, _fill_demo)
    yield from store.open(tmp_path)


def build_app(db: Database, tmp_path: Path, **config):
    settings = {"SECRET_KEY": "test-secret", "ATLAS_DATABASE": db, "ATLAS_INSTANCE_PATH": str(tmp_path),
                "ATLAS_BASEMAP_URL": "", "ATLAS_MAIL_BACKEND": "memory", "TESTING": True}
    app = create_app(settings | config)
    limiter.reset()  # rate-limit counts live in the store: start each test's app with none
    return app


@pytest.fixture
def app(db, tmp_path):
    return build_app(db, tmp_path)


@pytest.fixture
def cwac_app(cwac_db, tmp_path):
    return build_app(cwac_db, tmp_path)


@pytest.fixture
def demo_app(demo_db, tmp_path):
    return build_app(demo_db, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _read_whole(app):
    """The app, each response read whole and its iterable closed before the server writes it: werkzeug's server
    leaves a file unclosed (a ResourceWarning, so an error here) when the browser drops a request it no longer
    needs, as a favicon's when a test moves on."""
    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return serve


class LiveServer:
    """The app served by werkzeug on a free localhost port, in a thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server
        self.server = make_server("127.0.0.1", 0, _read_whole(app), threaded=False)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def live_server():
    """Serve an app on localhost: ``with live_server(app) as server: ... server.url``."""
    return LiveServer


@pytest.fixture
def make_app():
    """Build an app on a given store: ``make_app(db, tmp_path, **config)``."""
    return build_app


PASSWORD = "correct horse battery staple"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_token(client) -> str:
    """The CSRF token of the client's session, as a page hands it to forms and scripts."""
    page = client.get("/sign-in").get_data(as_text=True)
    return CSRF_META.search(page).group(1)


def add_user(app, role: str, email: str | None = None, name: str | None = None, **fields):
    """Store a user with the shared test password; returns the user's id."""
    with app.extensions["atlas_db"].transaction() as session:
        user = accounts.create_user(session, email=email or f"{role}@example.org",
                                    name=name or role.replace("_", " ").title(), role=role,
                                    password=PASSWORD, actor="test", **fields)
        return user.id


def signed_in_client(app, role: str, email: str | None = None):
    """A test client signed in, through the real sign-in form, as a new user with ``role``."""
    email = email or f"{role}@example.org"
    add_user(app, role, email)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def sign_in():
    """``sign_in(app, role)`` returns a client signed in as a new user with that role."""
    return signed_in_client
