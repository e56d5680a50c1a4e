"""Vector tiles against the GeoJSON path, with all England's LSOAs (32,844) and May 2024 wards (6,817) loaded.

For each store (embedded SQLite, and PostGIS when a server answers) it loads England's LSOAs and wards and
Cheshire West and Chester's borough outline with ``save_set`` (no area links: containers are not measured),
into stores under /tmp that later runs reuse, then prints:

- the GeoJSON path: bytes and time of /map/sets/lsoa.geojson, first request of the process and again;
- tiles: bytes per view of Chester (a 1366 x 768 map) at zooms 8 to 12, and milliseconds per tile
  (median and p95): the process's first tile (SQLite reads or builds the set's tile source then), tiles made
  with the source warm but no tile cached, and tiles served again from the cache;
- ST_AsMVT itself on PostGIS (the query the app runs), for the same tiles;
- Chromium (Playwright, CDP metrics) on the home map at 1366 x 768, opened on the borough with the LSOAs
  switched on: bytes transferred, milliseconds until the LSOAs are drawn, and the JS heap; with tiles and, on
  SQLite (or with --geojson-everywhere), with the same sets sent as GeoJSON (ATLAS_TILES_MIN_AREAS raised).

The machine's load average is printed before and after. Run: .venv/bin/python bench/tiles.py [--help]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import pyogrio
import sqlalchemy as sa
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.app import create_app  # noqa: E402
from geoapp.caches import clear_all  # noqa: E402
from geoapp.storage import boundary_sets  # noqa: E402
from geoapp.storage.db import Database  # noqa: E402
from geoapp.storage.tiles import postgis_tile  # noqa: E402
from layers.tiles import WORLD, tiles_covering  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
WORK = Path("/tmp/atlas-tiles-bench")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "atlas_tiles_bench"
CHESTER = (-2.8920, 53.1905)
VIEW = (1366, 768)


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def fill(db: Database) -> None:
    """England's LSOAs and wards and the borough, saved directly (skipped when the store has them)."""
    with db.session() as session:
        if {"lsoa", "wards", "lad"} <= {s.id for s in boundary_sets.list_sets(session)}:
            return
    start = time.perf_counter()
    lsoa = pyogrio.read_dataframe(DATA / "england" / "lsoa2011.gpkg").rename(
        columns={"lsoa11cd": "code", "lsoa11nm": "name"})[["code", "name", "geometry"]]
    wards = pyogrio.read_dataframe(DATA / "england" / "wards2024.gpkg", layer="wards")[["code", "name", "geometry"]]
    lad = pyogrio.read_dataframe(DATA / "cheshire_west_and_chester.gpkg", layer="lad")[["code", "name", "geometry"]]
    for set_id, kind, name, frame in [("lad", "lad", "Cheshire West and Chester", lad),
                                      ("wards", "ward", "Wards (May 2024)", wards),
                                      ("lsoa", "lsoa", "LSOAs (2011)", lsoa)]:
        with db.transaction() as session:
            boundary_sets.save_set(session, frame, actor="bench", replace=True, id=set_id, kind=kind, name=name)
    print(f"  loaded England's LSOAs and wards in {time.perf_counter() - start:.1f} s")


def stores(sqlite_only: bool) -> list[tuple[str, str]]:
    WORK.mkdir(exist_ok=True)
    found = [("SQLite", f"sqlite:///{WORK / 'atlas.sqlite'}")]
    if sqlite_only:
        return found
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_NAME}).first():
                conn.execute(sa.text(f'CREATE DATABASE "{PG_NAME}"'))
                url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"
                engine = sa.create_engine(url)
                with engine.begin() as setup:
                    setup.execute(sa.text("CREATE EXTENSION postgis"))
                engine.dispose()
    except sa.exc.OperationalError as error:
        print(f"PostGIS: skipped, no server ({error.orig})")
        return found
    finally:
        admin.dispose()
    return found + [("PostGIS", PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}")]


def view_tiles(z: int) -> list[tuple[int, int, int]]:
    """The tiles a 1366 x 768 map centred on Chester shows at zoom z."""
    x = math.radians(CHESTER[0]) * WORLD / math.pi
    y = math.log(math.tan(math.pi / 4 + math.radians(CHESTER[1]) / 2)) * WORLD / math.pi
    metres = 2 * WORLD / (256 * 2 ** z)
    half_w, half_h = VIEW[0] / 2 * metres, VIEW[1] / 2 * metres

    def lonlat(mx, my):
        lat = 2 * math.atan(math.exp(my / WORLD * math.pi)) - math.pi / 2
        return math.degrees(mx / WORLD * math.pi), math.degrees(lat)

    west, south = lonlat(x - half_w, y - half_h)
    east, north = lonlat(x + half_w, y + half_h)
    return tiles_covering((west, south, east, north), z)


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms (n={len(ordered)})"


def timed_get(client, url: str) -> tuple[float, bytes, int]:
    start = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - start, response.data, response.status_code


def server_figures(db: Database, app) -> None:
    client = app.test_client()
    with db.session() as session:
        version = boundary_sets.get_set(session, "lsoa").version
    first_tile = view_tiles(11)[0]
    elapsed, _, _ = timed_get(client, "/map/tiles/lsoa/{}/{}/{}.mvt".format(*first_tile))
    print(f"  first tile of the process (cold)   {elapsed * 1000:8.0f} ms")
    for z in (8, 9, 10, 11, 12):
        urls = [f"/map/tiles/lsoa/{z}/{x}/{y}.mvt?v={version}" for _, x, y in view_tiles(z)]
        made, sizes = [], 0
        app.extensions["atlas_tiles"].clear()  # the tile source stays warm; no tile cached
        for url in urls:
            elapsed, body, _ = timed_get(client, url)
            made.append(elapsed)
            sizes += len(body)
        again = [timed_get(client, url)[0] for url in urls for _ in range(3)]
        print(f"  z{z}: {len(urls):2d} tiles, {sizes / 1024:7.0f} KB a view; made {ms(made)}; cached {ms(again)}")


def st_asmvt_figures(db: Database) -> None:
    with db.session() as session:
        for z in (8, 9, 10, 11, 12):
            times, sizes = [], 0
            for _, x, y in view_tiles(z):
                for repeat in range(2):
                    start = time.perf_counter()
                    body = postgis_tile(session, "lsoa", z, x, y)
                    if repeat:
                        times.append(time.perf_counter() - start)
                sizes += len(body)
            print(f"  ST_AsMVT z{z}: {sizes / 1024:7.0f} KB a view; {ms(times)}")


def geojson_figures(app) -> None:
    client = app.test_client()
    for label in ("first", "again"):
        elapsed, body, _ = timed_get(client, "/map/sets/lsoa.geojson")
        print(f"  GeoJSON of the LSOAs, {label:<5}      {elapsed:8.2f} s, {len(body) / 1e6:6.1f} MB")


class Serve:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


DRAWN = """(tiled) => {
  const frame = document.querySelector('[data-atlas-map]');
  if (!tiled) { return frame.hasAttribute('data-loaded-lsoa') && !!document.querySelector('path.atlas-set-lsoa'); }
  const tiles = [...document.querySelectorAll('.leaflet-atlasTiles-pane .leaflet-tile')];
  return !!document.querySelector('.leaflet-atlasTiles-pane path.atlas-set-lsoa')
    && tiles.length > 0 && tiles.every((t) => t.classList.contains('leaflet-tile-loaded'));
}"""


def browser_figures(app, label: str, tiled: bool) -> None:
    server = Serve(app)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": VIEW[0], "height": VIEW[1]})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Performance.enable")
            transferred = [0]
            cdp.on("Network.loadingFinished", lambda event: transferred.__setitem__(
                0, transferred[0] + event["encodedDataLength"]))
            start = time.perf_counter()
            page.goto(server.url + "/")
            page.wait_for_selector('[data-atlas-map][data-atlas-ready]', timeout=120_000)
            ready = time.perf_counter() - start
            zoom = page.evaluate("() => { const c = JSON.parse(document.querySelector('[data-atlas-map]')"
                                 ".dataset.atlasMap); return window[c.map].getZoom(); }")
            clicked = time.perf_counter()
            page.locator(".leaflet-control-layers label", has_text="LSOAs (2011)").locator("input").check()
            page.wait_for_function(DRAWN, arg=tiled, timeout=300_000, polling=50)
            page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
            drawn = time.perf_counter() - clicked
            page.wait_for_timeout(300)
            heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}["JSHeapUsedSize"]
            paths = page.evaluate("() => document.querySelectorAll('path.atlas-set-lsoa').length")
            print(f"  Chromium, {label:<8} page ready {ready:6.2f} s (zoom {zoom}); LSOAs drawn {drawn:6.2f} s after "
                  f"switching on; {transferred[0] / 1e6:6.2f} MB transferred; JS heap {heap / 1e6:6.1f} MB; "
                  f"{paths} LSOA paths")
            browser.close()
    finally:
        server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostGIS")
    parser.add_argument("--geojson-everywhere", action="store_true",
                        help="also time the GeoJSON path in Chromium on PostGIS (minutes)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    parser.add_argument("--tiles-only", action="store_true", help="skip the GeoJSON path (its first request: minutes)")
    args = parser.parse_args()
    print(f"load average at start: {load()} ({os.cpu_count()} cores)")
    for name, url in stores(args.sqlite_only):
        print(f"{name}:")
        db = Database(url)
        db.upgrade()
        fill(db)
        settings = {"SECRET_KEY": "bench", "ATLAS_DATABASE": db, "ATLAS_INSTANCE_PATH": str(WORK / "instance"),
                    "ATLAS_BASEMAP_URL": "", "ATLAS_MAIL_BACKEND": "memory", "ATLAS_RATE_LIMIT_STORAGE": "memory://"}
        clear_all()
        tiled_app = create_app(settings)
        server_figures(db, tiled_app)
        if name == "PostGIS":
            st_asmvt_figures(db)
        if not args.no_browser:
            browser_figures(tiled_app, "tiles", tiled=True)
        if args.tiles_only:
            db.engine.dispose()
            continue
        whole_app = create_app(settings | {"ATLAS_TILES_MIN_AREAS": str(10 ** 9)})
        geojson_figures(whole_app)
        if not args.no_browser and (name == "SQLite" or args.geojson_everywhere):
            browser_figures(whole_app, "GeoJSON", tiled=False)
        db.engine.dispose()
    print(f"load average at end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
