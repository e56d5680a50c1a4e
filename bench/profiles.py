"""Time the area-profile JSON twin, GET /profiles/<set>/<code>.json, at borough and at England scale.

Borough scale: Cheshire West and Chester is loaded from examples/cheshire-west-and-chester.toml into a
fresh SQLite file and a fresh PostGIS database; every APB (5) and every ward (45) is requested once with
the process's caches empty ("cold"; the very first request of each set, which builds the weights and
figures caches, is reported on its own as "first"), then ``--rounds`` times more ("warm").

England scale: all 32,844 England LSOAs (../shared/data/england/lsoa2011.gpkg) as the set ``lsoa``, the
7,681 2013 wards (../shared/data/england/wards.gpkg) as the set ``wards`` (kind ward) and the IoD2019
values of every LSOA (../shared/data/england/iod2019_file7_partial.csv, through a copy of
examples/indicators/iod2019-cheshire-west-and-chester.toml pointing at the England file) are loaded into
each backend; the linking of the sets (AreaLink rows, which profiles do not read) is skipped unless
``--england-links``. Then 200 wards and 200 LSOAs, drawn with a fixed seed, are timed as above.

Each response must be 200 and carry the area's code. For each scale, backend and set the script prints
the first request, the cold pass (the other areas' first requests) and the warm rounds as count, p50,
p95 and max in wall-clock ms, with the p50 and p95 of the process's CPU time (which other processes
competing for the cores hardly move; the load average is printed too); then a summary against the aims
(p95 under 100 ms at borough scale and under 300 ms at England scale) and the peak memory of the
process. ``--profile-top K`` adds, for each set, a cProfile of the first request and of one warm round,
listing the K functions with most cumulative time.

Run: .venv/bin/python bench/profiles.py [--borough-only | --england-only] [--backend sqlite|postgis|both]
     [--rounds N] [--sample N] [--england-links] [--profile-top K]
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import re
import resource
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp import caches  # noqa: E402
from geoapp.app import create_app  # noqa: E402
from geoapp.loading.load import LoadReport, Reporter, import_boundary_file, import_indicators, load_manifest  # noqa: E402
from geoapp.loading.manifest import read_manifest  # noqa: E402
from geoapp.storage import boundary_sets  # noqa: E402
from geoapp.storage.db import Database  # noqa: E402
from geoapp.web.security import limiter  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
ENGLAND = DATA / "england"
CWAC_MANIFEST = ROOT / "examples" / "cheshire-west-and-chester.toml"
CWAC_CATALOGUE = ROOT / "examples" / "indicators" / "iod2019-cheshire-west-and-chester.toml"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AIMS_MS = {"borough": 100.0, "England": 300.0}
SEED = 2019


# ------------------------------------------------------------------------------------------ stores


def postgis_available() -> str | None:
    """None when a PostGIS server answers, else why not."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(sa.text(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
        return None if found else "the postgis extension is not installed"
    except sa.exc.OperationalError as error:
        return f"no server answers at {PG_ADMIN} ({str(error.orig).strip().splitlines()[0]})"
    finally:
        admin.dispose()


def _admin(sql: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        admin.dispose()


def fresh_store(backend: str, name: str, tmp: Path) -> Database:
    """An empty, migrated store: a new SQLite file in ``tmp`` or a new PostGIS database ``name``."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp / (name + '.sqlite')}")
    else:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
        db = Database(url)
    db.upgrade()
    return db


def drop_store(backend: str, name: str, db: Database) -> None:
    db.engine.dispose()
    if backend == "postgis":
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clear_caches() -> None:
    """Empty every process-wide cache (:func:`geoapp.caches.clear_all`): the next request is cold."""
    caches.clear_all()
    gc.collect()


def make_app(db: Database, tmp: Path):
    app = create_app({"SECRET_KEY": "bench", "ATLAS_DATABASE": db, "ATLAS_INSTANCE_PATH": str(tmp),
                      "ATLAS_BASEMAP_URL": "", "ATLAS_MAIL_BACKEND": "memory", "TESTING": True})
    limiter.reset()
    return app


def timed(label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed:8.2f} s", flush=True)
    return result, elapsed


# ------------------------------------------------------------------------------------------ timing


def fetch(client, set_id: str, code: str) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one profile JSON request; fails loudly on a wrong answer.

    CPU time is the process's (all threads): unlike wall-clock time it hardly moves when other
    processes compete for the machine's cores.
    """
    start, cpu = time.perf_counter(), time.process_time()
    response = client.get(f"/profiles/{set_id}/{code}.json")
    elapsed = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise SystemExit(f"GET /profiles/{set_id}/{code}.json answered {response.status_code}: "
                         f"{response.get_data(as_text=True)[:500]}")
    body = response.get_json()
    if not body or body.get("area", {}).get("code") != code:
        raise SystemExit(f"GET /profiles/{set_id}/{code}.json: the answer is not the profile of {code}")
    return elapsed


def stats(times) -> dict:
    """Count, p50, p95 and max of the wall-clock times, and p50 and p95 of the CPU times."""
    a = np.asarray(times, dtype=float).reshape(-1, 2)
    if len(a) == 0:
        return {"n": 0, "p50": np.nan, "p95": np.nan, "max": np.nan, "cpu50": np.nan, "cpu95": np.nan}
    wall, cpu = a[:, 0], a[:, 1]
    return {"n": len(a), "p50": float(np.percentile(wall, 50)), "p95": float(np.percentile(wall, 95)),
            "max": float(wall.max()), "cpu50": float(np.percentile(cpu, 50)),
            "cpu95": float(np.percentile(cpu, 95))}


def measure(client, set_id: str, codes: list[str], rounds: int, *, profile_top: int = 0) -> dict:
    """First request, cold pass over the other areas, then ``rounds`` warm rounds over all of them."""
    if profile_top:
        profiler = cProfile.Profile()
        profiler.enable()
        first = fetch(client, set_id, codes[0])
        profiler.disable()
        print_profile(f"first request of '{set_id}' ({codes[0]})", profiler, profile_top)
    else:
        first = fetch(client, set_id, codes[0])
    cold = [fetch(client, set_id, code) for code in codes[1:]]
    warm = []
    for _ in range(rounds):
        warm += [fetch(client, set_id, code) for code in codes]
    if profile_top:
        profiler = cProfile.Profile()
        profiler.enable()
        for code in codes:
            fetch(client, set_id, code)
        profiler.disable()
        print_profile(f"one warm round of '{set_id}' ({len(codes)} requests)", profiler, profile_top)
    return {"first": first, "cold": stats(cold), "warm": stats(warm)}


def print_profile(title: str, profiler: cProfile.Profile, top: int) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    body = text[text.find("ncalls"):] if "ncalls" in text else text
    print(f"\n    cProfile, {title}, by cumulative time (s):")
    for line in body.rstrip().splitlines():
        print(f"    {line}")
    print()


HEADER = (f"    {'set':<8} {'pass':<6} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}"
          f" {'cpu p50':>9} {'cpu p95':>9}")


def print_result(set_id: str, result: dict) -> None:
    wall, cpu = result["first"]
    print(f"    {set_id:<8} {'first':<6} {1:>6} {wall:>9.1f} {'':>9} {wall:>9.1f} {cpu:>9.1f}")
    for name in ("cold", "warm"):
        s = result[name]
        print(f"    {set_id:<8} {name:<6} {s['n']:>6} {s['p50']:>9.1f} {s['p95']:>9.1f} {s['max']:>9.1f}"
              f" {s['cpu50']:>9.1f} {s['cpu95']:>9.1f}")


# ------------------------------------------------------------------------------------------ borough


def borough(backend: str, tmp: Path, rounds: int, profile_top: int, summary: list) -> None:
    name = "atlas_bench_profiles"
    print(f"\nBorough scale, {backend}: {CWAC_MANIFEST.relative_to(ROOT)}")
    clear_caches()
    db = fresh_store(backend, name, tmp)
    try:
        report, _ = timed("load_manifest (all sets, indicators, links)", load_manifest, db,
                          read_manifest(CWAC_MANIFEST), actor="bench")
        print("  " + ", ".join(f"{k} {v}" for k, v in report.sets.items()) + f"; {report.links} links")
        client = make_app(db, tmp).test_client()
        with db.session() as session:
            codes = {s: list(boundary_sets.load_areas(session, s)["code"]) for s in ("apb", "wards")}
        print(HEADER)
        for set_id in ("apb", "wards"):
            result = measure(client, set_id, codes[set_id], rounds, profile_top=profile_top)
            print_result(set_id, result)
            summary.append(("borough", backend, set_id, result))
    finally:
        drop_store(backend, name, db)
        clear_caches()


# ------------------------------------------------------------------------------------------ England


ENGLAND_MANIFEST = """\
# Written by bench/profiles.py: every England LSOA and every 2013 England ward, with IoD2019 for the LSOAs.
[area]
name = "England (benchmark)"

[[boundaries]]
id = "lsoa"
kind = "lsoa"
name = "LSOAs (2011), England"
file = "{lsoa}"
layer = "lsoa2011"
code_field = "lsoa11cd"
name_field = "lsoa11nm"
vintage = "LSOA December 2011"

[[boundaries]]
id = "wards"
kind = "ward"
name = "Wards (2013), England"
file = "{wards}"
layer = "wards2013"
code_field = "wd13cd"
name_field = "wd13nm"
vintage = "WD13"

[[indicators]]
catalogue = "{catalogue}"
set = "lsoa"
"""


def england_catalogue(tmp: Path) -> tuple[Path, list[str]]:
    """A copy of the CWAC IoD2019 catalogue reading the England file; returns it and the indicators dropped."""
    table = ENGLAND / "iod2019_file7_partial.csv"
    header = set(pd.read_csv(table, nrows=0).columns)
    text = CWAC_CATALOGUE.read_text(encoding="utf-8")
    head, *blocks = text.split("[[indicators]]")
    head = re.sub(r'(?m)^file = ".*"$', f'file = "{table.resolve()}"', head)
    head = re.sub(r'(?m)^id = "iod2019"$', 'id = "iod2019-england"', head)
    head = re.sub(r'(?m)^title = "(.*)"$', r'title = "\1 (England)"', head)
    kept, dropped = [], []
    for block in blocks:
        spec = tomllib.loads(block)
        needed = [spec[k] for k in ("column", "numerator", "denominator") if k in spec]
        if all(c in header for c in needed):
            kept.append(block)
        else:
            dropped.append(spec["id"])
    path = tmp / "iod2019-england.toml"
    path.write_text(head + "".join("[[indicators]]" + b for b in kept), encoding="utf-8")
    return path, dropped


def load_england(db: Database, manifest_path: Path, links: bool) -> dict:
    """Load the England manifest in one transaction, step by step (timed); AreaLink rows only with ``links``."""
    manifest = read_manifest(manifest_path)
    report, reporter = LoadReport(), Reporter()
    times = {}
    with db.transaction() as session:
        for entry in manifest.boundaries:
            _, times[entry.id] = timed(f"read, check and store '{entry.id}'", import_boundary_file, session, entry,
                                       actor="bench", replace=False, fictional=False, reporter=reporter,
                                       report=report)
        for entry in manifest.indicators:
            result, times["indicators"] = timed(f"import indicators for '{entry.set}'", import_indicators,
                                                session, entry.catalogue, entry.set, actor="bench",
                                                reporter=reporter, report=report)
            print(f"  {result['indicators']} indicators, {result['values']:,} values "
                  f"({result['missing_values']:,} missing), {result['unknown_codes']} unknown codes")
        if links:
            count, times["links"] = timed("link the sets (AreaLink)", boundary_sets.link_all, session,
                                          list(report.sets))
            print(f"  {count:,} links")
        else:
            print(f"  {'link the sets (AreaLink)':<44}  skipped (profiles do not read them; --england-links)")
    print("  " + ", ".join(f"{k} {v:,} areas" for k, v in report.sets.items()))
    return times


def england(backend: str, tmp: Path, rounds: int, sample: int, links: bool, profile_top: int,
            summary: list, load_times: dict) -> None:
    name = "atlas_bench_profiles_england"
    print(f"\nEngland scale, {backend}")
    clear_caches()
    catalogue, dropped = england_catalogue(tmp)
    if dropped:
        print(f"  indicators dropped from the catalogue copy (columns missing in the England file): "
              f"{', '.join(dropped)}")
    else:
        print("  catalogue copy keeps every indicator: the England file has all the columns it names "
              "(the blank File 7 columns import as missing values, as for the borough)")
    manifest = tmp / "england.toml"
    manifest.write_text(ENGLAND_MANIFEST.format(lsoa=(ENGLAND / "lsoa2011.gpkg").resolve(),
                                                wards=(ENGLAND / "wards.gpkg").resolve(),
                                                catalogue=catalogue), encoding="utf-8")
    db = fresh_store(backend, name, tmp)
    try:
        start = time.perf_counter()
        load_times[backend] = load_england(db, manifest, links)
        load_times[backend]["total"] = time.perf_counter() - start
        print(f"  {'load in all (one transaction, committed)':<44} {load_times[backend]['total']:8.2f} s")
        client = make_app(db, tmp).test_client()
        with db.session() as session:
            all_codes = {s: sorted(boundary_sets.load_areas(session, s)["code"]) for s in ("wards", "lsoa")}
        rng = random.Random(SEED)
        codes = {s: rng.sample(c, min(sample, len(c))) for s, c in all_codes.items()}
        print(f"  sample (seed {SEED}): {len(codes['wards'])} of {len(all_codes['wards']):,} wards, "
              f"{len(codes['lsoa'])} of {len(all_codes['lsoa']):,} LSOAs")
        print(HEADER)
        for set_id in ("wards", "lsoa"):
            result = measure(client, set_id, codes[set_id], rounds, profile_top=profile_top)
            print_result(set_id, result)
            summary.append(("England", backend, set_id, result))
    finally:
        drop_store(backend, name, db)
        clear_caches()


# ------------------------------------------------------------------------------------------ main


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--borough-only", action="store_true", help="skip the England-scale case")
    scope.add_argument("--england-only", action="store_true", help="skip the borough-scale case")
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds over all areas (default 5)")
    parser.add_argument("--sample", type=int, default=200, help="England areas per set (default 200)")
    parser.add_argument("--england-links", action="store_true",
                        help="also link the England sets (AreaLink), as load_manifest does")
    parser.add_argument("--profile-top", type=int, default=0, metavar="K",
                        help="cProfile each set's first request and one warm round; show the top K functions")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no shared data at {DATA}: this benchmark needs ../shared/data", file=sys.stderr)
        return 1

    backends = ["sqlite", "postgis"] if args.backend == "both" else [args.backend]
    if "postgis" in backends:
        why = postgis_available()
        if why:
            print(f"PostGIS: skipped, {why}; continuing with SQLite")
            backends = [b for b in backends if b != "postgis"] or ["sqlite"]

    summary: list = []
    load_times: dict = {}
    started, started_load = time.perf_counter(), _load()
    print(f"{os.cpu_count()} cores; load average (1, 5, 15 min) {started_load}")
    with tempfile.TemporaryDirectory(prefix="atlas-bench-profiles-") as tmp:
        for backend in backends:
            if not args.england_only:
                borough(backend, Path(tmp), args.rounds, args.profile_top, summary)
        for backend in backends:
            if not args.borough_only:
                england(backend, Path(tmp), args.rounds, args.sample, args.england_links, args.profile_top,
                        summary, load_times)

    if load_times:
        steps = ["lsoa", "wards", "indicators"] + (["links"] if args.england_links else []) + ["total"]
        print("\nEngland load (s)  " + "".join(f"{s:>12}" for s in steps))
        for backend, times in load_times.items():
            print(f"  {backend:<15} " + "".join(f"{times.get(s, np.nan):>12.2f}" for s in steps))

    print(f"\nSummary: warm profile JSON latency ({args.rounds} rounds), ms")
    print(f"  {'scale':<8} {'backend':<8} {'set':<6} {'first':>9} {'cold p95':>9} {'p50':>8} {'p95':>8} "
          f"{'max':>8} {'cpu p95':>8} {'aim p95':>8}  verdict")
    for scale, backend, set_id, r in summary:
        aim = AIMS_MS[scale]
        warm = r["warm"]
        verdict = "met" if warm["p95"] < aim else "NOT MET"
        print(f"  {scale:<8} {backend:<8} {set_id:<6} {r['first'][0]:>9.1f} {r['cold']['p95']:>9.1f} "
              f"{warm['p50']:>8.1f} {warm['p95']:>8.1f} {warm['max']:>8.1f} {warm['cpu95']:>8.1f} "
              f"{'< ' + format(aim, '.0f'):>8}  {verdict}")
    print("  verdict: warm wall-clock p95 against the aim; first = the very first request of the set (it builds "
          "the weights and figures caches); cold p95 = the other areas' first requests")
    busy = max(os.getloadavg()) > os.cpu_count()
    print(f"  load average (1, 5, 15 min) at the start {started_load}, at the end {_load()}"
          + (f": above the {os.cpu_count()} cores, so other processes competed and wall-clock times are "
             "inflated (compare the CPU times)" if busy else ""))
    print(f"\nPeak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
