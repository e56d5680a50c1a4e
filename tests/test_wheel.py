"""The wheel holds the whole app: built from the checkout and installed into a fresh virtual environment
outside it, it migrates a store, loads the demo and serves pages, their templates and static files."""
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from geoapp.app import ROOT, create_app

PACKAGES = ("geoapp", "boundaries", "layers")
LEFT_OUT = shutil.ignore_patterns(".*", "node_modules", "instance", "build", "dist", "*.egg-info", "__pycache__")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built, without build isolation, from a copy of the checkout (so no stale build/ folder counts)."""
    source = tmp_path_factory.mktemp("source") / "atlas"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(out), str(source)], capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("*.whl")
    return path


def checkout_files(folder: Path, pattern: str) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.glob(pattern)
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts)}


def test_the_wheel_holds_every_package_the_templates_the_static_files_and_the_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {Path(name).parent.as_posix() for name in names if name.endswith(".py")}
    packages = {path.parent.relative_to(ROOT).as_posix() for top in PACKAGES for path in (ROOT / top).rglob("*.py")}
    assert packages - shipped == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"

    templates = checkout_files(ROOT / "templates", "**/*.html")
    assert len(templates) > 50 and {f"geoapp/templates/{name}" for name in templates} <= names
    static = checkout_files(ROOT / "geoapp" / "static", "**/*")
    assert any(name.startswith("vendor/leaflet/") for name in static), "run tools/vendor_assets.py first"
    assert {f"geoapp/static/{name}" for name in static} <= names
    migrations = checkout_files(ROOT / "geoapp" / "storage" / "migrations", "**/*.py") | {"script.py.mako"}
    assert {f"geoapp/storage/migrations/{name}" for name in migrations} <= names


def test_a_checkout_renders_from_the_top_level_templates_folder(tmp_path):
    app = create_app({"SECRET_KEY": "s", "ATLAS_INSTANCE_PATH": str(tmp_path)})
    assert Path(app.template_folder) == ROOT / "templates"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_the_installed_wheel_serves_the_demo_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = str(venv / "bin" / "python")
    site_packages = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        capture_output=True, text=True, check=True).stdout.strip())
    # the dependencies come from this interpreter's environment (as a path only: its .pth files, among them the
    # editable install's finder, are not run), the app itself only from the wheel
    (site_packages / "atlas_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q",
                    "--no-deps", str(wheel)], check=True, timeout=120)

    env = {name: value for name, value in os.environ.items()
           if name != "PYTHONPATH" and name != "DATABASE_URL" and not name.startswith("ATLAS_")}
    env |= {"ATLAS_ENV": "production", "SECRET_KEY": "wheel-test"}
    geoapp = str(venv / "bin" / "geoapp")

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # the geoapp command runs this interpreter, which finds geoapp in the wheel's copy, not in the checkout
    assert Path(geoapp).read_text().splitlines()[0] == f"#!{python}"
    where = run(python, "-c", "import geoapp; print(geoapp.__file__)")
    assert Path(where.strip()).is_relative_to(site_packages)
    run(geoapp, "db", "upgrade")
    assert "Ashvale" in run(geoapp, "demo")
    # installed, the store lives in Flask's instance folder under the environment, not among the packages
    assert list((venv / "var").glob("*-instance/atlas.sqlite")) and not (site_packages / "instance").exists()

    port = free_port()
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen([geoapp, "run", "--port", str(port)], cwd=tmp_path, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"
        status, kind, page = fetch(base + "/")
        assert status == 200, (tmp_path / "server.log").read_text()
        assert kind.startswith("text/html")
        assert "<title>Map – Partnership Atlas</title>" in page and '<footer class="site-footer">' in page
        assert "Ashvale (fictional)" in page
        assert fetch(base + "/static/favicon.svg")[:2] == (200, "image/svg+xml; charset=utf-8")
        status, kind, script = fetch(base + "/static/vendor/leaflet/leaflet.js")
        assert status == 200 and "javascript" in kind and "Leaflet" in script
    finally:
        server.terminate()
        server.wait(timeout=30)
