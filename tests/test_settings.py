"""Settings, secrets and the documentation of every setting and command."""
import stat

import pytest

from geoapp.app import COMMANDS, ROOT, create_app
from geoapp.settings import SETTINGS, ConfigError
from tests.conftest import csrf_token


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"ATLAS_ENV": "production", "SECRET_KEY": None, "ATLAS_INSTANCE_PATH": str(tmp_path)})


def test_development_makes_a_private_local_secret_and_keeps_it(tmp_path):
    config = {"ATLAS_ENV": "development", "SECRET_KEY": None, "ATLAS_INSTANCE_PATH": str(tmp_path)}
    first = create_app(config)
    second = create_app(config)
    secret = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == secret.read_text()
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure(tmp_path):
    app = create_app({"SECRET_KEY": "s", "ATLAS_INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'atlas.sqlite'}"


def test_readme_documents_every_setting_and_command():
    readme = (ROOT / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in readme, f"README does not document the setting {setting.name}"
    for command in COMMANDS:
        names = [command.name] + [f"{command.name} {sub}" for sub in getattr(command, "commands", {})]
        for name in names:
            assert f"geoapp {name}" in readme, f"README does not document `geoapp {name}`"


def test_errors_have_one_json_shape_and_a_friendly_page(client):
    api = client.get("/api/collections/nope")
    assert api.status_code == 404
    assert api.get_json()["code"] == 404 and "nope" in api.get_json()["description"]
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Back to the map" in page.get_data(as_text=True)
    as_json = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert as_json.get_json()["code"] == 404


def test_security_headers_on_every_response(client):
    response = client.get("/boundaries/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_oversize_upload_is_refused_with_the_limit(db, tmp_path, make_app, sign_in):
    app = make_app(db, tmp_path, ATLAS_MAX_UPLOAD_MB="1")
    client = sign_in(app, "officer")
    response = client.post("/account/tokens", data={"name": "x" * (2 * 1024 * 1024)},
                           headers={"Accept": "application/json", "X-CSRFToken": csrf_token(client)})
    assert response.status_code == 413
    assert "(1 MB)" in response.get_json()["description"]
