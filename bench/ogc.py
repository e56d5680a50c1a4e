"""The OGC API against pygeoapi, side by side: requests per second per endpoint on both stores, in one run.

For each store (SQLite, PostGIS) the Atlas is loaded with the peers' data (Cheshire West and Chester's 45 wards
as collection ``wards``, England's 32,844 2011 LSOAs as ``england_lsoa``, from ../shared/data), served by
``gunicorn --workers 2 wsgi:app`` on 127.0.0.1 (as bench/load.py starts it), warmed (each endpoint requested four
times over two connections, so both workers hold what they cache) and then ``../shared/peers/run_all.sh
--url ...`` measures pygeoapi 0.21 (SQLiteGPKG and OGR providers) and then the Atlas with the same wrk
settings (2 threads, 16 connections, 15 s per endpoint): the wards page (limit 50), an LSOA bbox page (limit
100, a box over Chester) and one ward by id. tobler's part of run_all.sh is cut to the borough
(``PEERS_TOBLER_ARGS``, default ``--scales cwac --runs 1``): bench/aggregate.py measures it at national scale.

Prints each server's rows, then per store and endpoint the Atlas's requests/s over each pygeoapi's, and the
load average before and after each run.

Run: .venv/bin/python bench/ogc.py [--backend sqlite|postgis|both] [--repeat 1] [--sqlite FILE] [--postgis URL]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import drop_postgis, fetch, fresh_postgis, serve  # noqa: E402 - bench/ is importable only once on sys.path

from geoapp.loading.load import load_manifest  # noqa: E402 - the project is importable only once ROOT is on sys.path
from geoapp.loading.manifest import read_manifest  # noqa: E402 - as above
from geoapp.storage.db import Database  # noqa: E402 - as above

SHARED = ROOT.parent / "shared"
RUN_ALL = SHARED / "peers" / "run_all.sh"
WARDS, LSOA, WARD_ID = "wards", "england_lsoa", "E05012209"
BBOX = "-2.95,53.15,-2.85,53.22"  # the peers' default box (Chester)
MANIFEST = f"""[area]
name = "OGC API benchmark"

[[boundaries]]
id = "{WARDS}"
kind = "ward"
name = "Wards (2019)"
file = "{SHARED / 'data' / 'cheshire_west_and_chester.gpkg'}"
layer = "wards"
code_field = "code"
name_field = "name"

[[boundaries]]
id = "{LSOA}"
kind = "lsoa"
name = "England LSOAs (2011)"
file = "{SHARED / 'data' / 'england' / 'lsoa2011.gpkg'}"
layer = "lsoa2011"
code_field = "lsoa11cd"
name_field = "lsoa11nm"
"""
ENDPOINTS = {"wards_page": f"/api/collections/{WARDS}/items?f=json&limit=50",
             "lsoa_bbox": f"/api/collections/{LSOA}/items?f=json&limit=100&bbox={BBOX}",
             "ward_item": f"/api/collections/{WARDS}/items/{WARD_ID}?f=json"}
FIELDS = ["label", "endpoint", "requests", "duration_s", "rps", "p50_ms", "p90_ms", "p99_ms", "non2xx",
          "socket_errors", "features", "bytes"]


def load_average() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def load_store(url: str, folder: Path) -> None:
    manifest = folder / "ogc.toml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    db = Database(url)
    db.upgrade()
    began = time.perf_counter()
    load_manifest(db, read_manifest(manifest))
    db.engine.dispose()
    print(f"# loaded the wards and England's LSOAs into {url.split('@')[-1]} in {time.perf_counter() - began:.0f} s",
          flush=True)


async def warm(port: int) -> None:
    """Every endpoint four times over two connections: both workers build what they keep."""
    pending = [path for path in ENDPOINTS.values() for _ in range(4)]

    async def one_connection():
        while pending:
            status = await fetch(port, pending.pop(), 120)
            if status != 200:
                raise SystemExit(f"warm-up: HTTP {status}")

    await asyncio.gather(one_connection(), one_connection())


def measure(store: str, url: str, workers: int) -> list[dict]:
    """run_all.sh against the Atlas serving ``url``: pygeoapi's rows and the Atlas's, as dicts."""
    with tempfile.TemporaryDirectory(prefix="atlas-ogc-") as instance:
        process, port = serve(url, workers, Path(instance))
        try:
            asyncio.run(warm(port))
            print(f"# {store}: Atlas on port {port}, warmed; {load_average()}", flush=True)
            env = os.environ | {"PEERS_TOBLER_ARGS": os.environ.get("PEERS_TOBLER_ARGS", "--scales cwac --runs 1")}
            done = subprocess.run(["bash", str(RUN_ALL), "--url", f"http://127.0.0.1:{port}/api", "--wards", WARDS,
                                   "--lsoa", LSOA, "--ward-id", WARD_ID, "--label", f"atlas-{store}"],
                                  capture_output=True, text=True, env=env)
            print(f"# {store}: run_all.sh done (exit {done.returncode}); {load_average()}", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith(("# smoke", "# gdal", "# WARNING", "# logs")):
            print(line)
        parts = line.split(",")
        if len(parts) == len(FIELDS) and parts[0] != "label" and not line.startswith("#"):
            rows.append(dict(zip(FIELDS, parts, strict=True)))
    if not rows:
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"run_all.sh gave no result rows for {store}")
    return rows


def report(store: str, rows: list[dict]) -> None:
    rate = {(row["label"], row["endpoint"]): float(row["rps"] or 0) for row in rows}
    for row in rows:
        print(f"  {store:8} {row['label']:15} {row['endpoint']:11} {float(row['rps'] or 0):8.1f} req/s  "
              f"p50 {row['p50_ms']:>8} ms  p99 {row['p99_ms']:>8} ms  non-2xx {row['non2xx']}  "
              f"errors {row['socket_errors']}  {row['features']} features  {row['bytes']} bytes")
    for endpoint in ENDPOINTS:
        ours = rate.get((f"atlas-{store}", endpoint), 0.0)
        ratios = []
        for peer in ("pygeoapi", "pygeoapi-ogr"):
            theirs = rate.get((peer, endpoint))
            ratios.append(f"{ours / theirs:5.2f}x {peer}" if theirs else f"  n/a {peer}")
        print(f"  {store:8} {endpoint:11} Atlas {ours:8.1f} req/s: " + ", ".join(ratios))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1, help="runs of run_all.sh per store")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", help="an SQLite file already holding this benchmark's store")
    parser.add_argument("--postgis", help="a PostGIS URL already holding this benchmark's store")
    args = parser.parse_args(argv)
    if not RUN_ALL.exists():
        print(f"no peer baselines at {RUN_ALL}", file=sys.stderr)
        return 1
    print(f"# {os.cpu_count()} CPUs; gunicorn --workers {args.workers}; {load_average()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="atlas-ogc-store-") as folder:
        stores = []
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{args.sqlite}" if args.sqlite else f"sqlite:///{Path(folder) / 'atlas.sqlite'}"
            if not args.sqlite:
                load_store(url, Path(folder))
            stores.append(("sqlite", url, False))
        if args.backend in ("postgis", "both"):
            url = args.postgis or fresh_postgis()
            if not args.postgis:
                load_store(url, Path(folder))
            stores.append(("postgis", url, not args.postgis))
        try:
            for run in range(1, args.repeat + 1):
                for store, url, _ in stores:
                    print(f"\n# run {run}, {store}", flush=True)
                    report(store, measure(store, url, args.workers))
        finally:
            for _, url, made in stores:
                if made:
                    drop_postgis(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
