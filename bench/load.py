"""A bounded load test: requests per second and p99 of four pages under 50 connections on gunicorn with 2 workers.

The Cheshire West and Chester store (examples/cheshire-west-and-chester.toml, data in ../shared/data) is loaded
into a fresh SQLite file and a fresh PostGIS database (or ``--sqlite FILE`` / ``--postgis URL`` name stores
already loaded); for each, ``gunicorn --workers 2 wsgi:app`` serves it on 127.0.0.1 and a small asyncio client
(no dependencies; one HTTP/1.1 request per connection, as gunicorn's sync workers close each one) keeps
``--connections`` requests in flight for ``--seconds`` on each of:

- the home page ``/``;
- a ward profile's JSON twin ``/profiles/wards/<code>.json`` (the first ward; with ``--every-ward`` also a row
  going round all 45, each one's figures built by each worker during the warm-up);
- a page of an OGC API collection ``/api/collections/wards/items`` (100 features, the default page);
- the group directory ``/groups/``.

Each target gets a gunicorn of its own (so no request left queued by one target slows the next), is warmed
(every path requested twice over two connections, so both workers' caches hold it, then ``--warm`` seconds of
the full load), then measured. A response other than 200, a broken connection or a time-out (``--timeout``) is
an error; requests still in flight when the time is up are waited for and counted. The script prints, per store and
target, the requests, requests per second, p50, p99 and the slowest response in ms and the errors, then each
against the aim: p99 under 1 s with no errors. Exit code 1 when an aim is missed.

Run: .venv/bin/python bench/load.py [--backend sqlite|postgis|both] [--connections 50] [--seconds 15]
     [--warm 5] [--workers 2] [--every-ward] [--sqlite FILE] [--postgis URL]

The load average is printed with each row: other work on the machine slows every figure.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.loading.load import load_manifest  # noqa: E402 - the project is importable only once ROOT is on sys.path
from geoapp.loading.manifest import read_manifest  # noqa: E402 - the project is importable only once ROOT is on sys.path
from geoapp.storage.db import Database  # noqa: E402 - the project is importable only once ROOT is on sys.path

MANIFEST = ROOT / "examples" / "cheshire-west-and-chester.toml"
PG_ADMIN = os.environ.get("ATLAS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AIM_P99_MS = 1000


@dataclass
class Result:
    """What one target answered in the measured window."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def fetch(port: int, path: str, timeout: float) -> int:
    """One GET on a new connection; the status code (the body is read whole)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n"
                     "Connection: close\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
        if length:
            await asyncio.wait_for(reader.readexactly(int(length.group(1))), timeout)
        else:
            await asyncio.wait_for(reader.read(), timeout)
        return status
    finally:
        writer.close()


async def hammer(port: int, paths: list[str], *, connections: int, seconds: float, timeout: float) -> Result:
    """Keep ``connections`` requests in flight for ``seconds``, going round ``paths``."""
    result, counter = Result(), iter(range(10**12))
    stop = time.perf_counter() + seconds

    async def one_connection():
        while time.perf_counter() < stop:
            path = paths[next(counter) % len(paths)]
            began = time.perf_counter()
            try:
                status = await fetch(port, path, timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
                result.error(type(error).__name__)
                continue
            if status == 200:
                result.latencies.append(time.perf_counter() - began)
            else:
                result.error(f"HTTP {status}")

    began = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_store(url: str) -> None:
    db = Database(url)
    db.upgrade()
    began = time.perf_counter()
    load_manifest(db, read_manifest(MANIFEST))
    db.engine.dispose()
    print(f"  loaded Cheshire West and Chester into {url.split('@')[-1]} in {time.perf_counter() - began:.0f} s",
          flush=True)


def fresh_postgis() -> str:
    name = f"atlas_load_{os.getpid()}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return url


def drop_postgis(url: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def ward_codes(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        codes = [row[0] for row in conn.execute(sa.text("SELECT code FROM areas WHERE set_id = 'wards' ORDER BY code"))]
    engine.dispose()
    return codes


def serve(url: str, workers: int, instance: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = os.environ | {"DATABASE_URL": url, "SECRET_KEY": "load-test-secret", "ATLAS_ENV": "production",
                        "ATLAS_INSTANCE_PATH": str(instance), "ATLAS_BASEMAP_URL": "", "ATLAS_MAIL_BACKEND": "console"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                                f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning", "wsgi:app"],
                               cwd=ROOT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if asyncio.run(fetch(port, "/api/conformance", 20)) == 200:
                return process, port
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start")


def run_backend(name: str, url: str, args) -> list[tuple[str, str, Result]]:
    codes = ward_codes(url)
    targets = {"home page /": ["/"],
               f"ward profile twin /profiles/wards/{codes[0]}.json": [f"/profiles/wards/{codes[0]}.json"],
               "OGC items /api/collections/wards/items": ["/api/collections/wards/items"],
               "group directory /groups/": ["/groups/"]}
    if args.every_ward:
        targets[f"ward profile twins, all {len(codes)} in turn"] = [f"/profiles/wards/{c}.json" for c in codes]
    rows = []
    for label, paths in targets.items():
        with tempfile.TemporaryDirectory(prefix="atlas-load-") as instance:
            process, port = serve(url, args.workers, Path(instance))
            try:
                began = time.perf_counter()
                asyncio.run(warm(port, paths, args))
                warmed = time.perf_counter() - began
                load_before = os.getloadavg()[0]
                result = asyncio.run(hammer(port, paths, connections=args.connections, seconds=args.seconds,
                                            timeout=args.timeout))
                rows.append((name, label, result))
                print(f"  {name:8} {label:52} {len(result.latencies) / result.seconds:7.1f} req/s  "
                      f"p50 {result.percentile(0.50):7.0f} ms  p99 {result.percentile(0.99):7.0f} ms  "
                      f"errors {sum(result.errors.values())}  (warmed in {warmed:.0f} s; load average "
                      f"{load_before:.1f})", flush=True)
            finally:
                process.terminate()
                process.wait(timeout=30)
    return rows


async def warm(port: int, paths: list[str], args) -> None:
    """Every path twice over two connections (both workers build what they cache), then the full load."""
    pending = [path for path in paths for _ in range(2)]

    async def one_connection():
        while pending:
            await fetch(port, pending.pop(), args.timeout)

    await asyncio.gather(one_connection(), one_connection())
    await hammer(port, paths, connections=args.connections, seconds=args.warm, timeout=args.timeout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warm", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--every-ward", action="store_true", help="also go round every ward's profile twin")
    parser.add_argument("--sqlite", help="an SQLite file already holding the Cheshire West and Chester store")
    parser.add_argument("--postgis", help="a PostGIS URL already holding the Cheshire West and Chester store")
    args = parser.parse_args(argv)
    print(f"{args.connections} connections, gunicorn --workers {args.workers}, {args.seconds:g} s measured after "
          f"{args.warm:g} s of warm-up per target; {os.cpu_count()} CPUs", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="atlas-load-store-") as folder:
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{args.sqlite}" if args.sqlite else f"sqlite:///{Path(folder) / 'atlas.sqlite'}"
            if not args.sqlite:
                load_store(url)
            rows += run_backend("sqlite", url, args)
        if args.backend in ("postgis", "both"):
            url = args.postgis or fresh_postgis()
            try:
                if not args.postgis:
                    load_store(url)
                rows += run_backend("postgis", url, args)
            finally:
                if not args.postgis:
                    drop_postgis(url)
    print(f"\n{'store':8} {'target':52} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'errors':>6}  aim (p99 < {AIM_P99_MS} ms, 0 errors)")
    missed = 0
    for name, label, result in rows:
        errors = sum(result.errors.values())
        met = result.percentile(0.99) < AIM_P99_MS and errors == 0
        missed += not met
        detail = f" {result.errors}" if errors else ""
        print(f"{name:8} {label:52} {len(result.latencies):8d} {len(result.latencies) / result.seconds:7.1f} "
              f"{result.percentile(0.50):7.0f} {result.percentile(0.99):7.0f} {result.percentile(1.0):7.0f} "
              f"{errors:6d}  {'met' if met else 'MISSED'}{detail}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
