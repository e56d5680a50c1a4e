"""Time the area-profile JSON twin, GET /profiles/<set>/<code>.json, at borough and at England scale, and the
command line's start.

Borough scale: Cheshire West and Chester is loaded from examples/cheshire-west-and-chester.toml into a
fresh SQLite file and a fresh PostGIS database, then what profiles read is prepared and kept in the store
(:func:`geoapp.profiles.prepare.prepare_profiles`, timed; ``--no-prepare`` leaves it to the first requests).
For each level (borough, APB, ward, LSOA):

* ``restart``: ``--restarts`` areas (default 10), each requested with every process cache emptied, as the
  first request after a restart is (the store keeps what was prepared or kept);
* ``cold``: every area's first request in a process that has served the level once;
* ``warm``: ``--rounds`` more rounds over every area.

England scale (``--england``, minutes): every England LSOA of 2011 and 2021, the 2024 wards, the mid-2020
population, both IoD releases and England as comparator, from ../shared/data/england through a manifest
written to the temporary folder (the borough's catalogues pointed at England's files; not committed), loaded
step by step without the AreaLink rows profiles do not read (``--england-links`` adds them), prepared as
above; then ``--sample`` wards and LSOAs drawn with a fixed seed are timed the same way, and the groups section
alone (:func:`geoapp.groups.coverage.counts.for_area`) of the areas requested after a restart, each with every
process cache emptied (``groups``). The summary ends with the first profile of an England LSOA after a restart
(aim: under 1 s).

Each response must be 200 and carry the area's code. Each pass prints count, p50, p95 and max in
wall-clock ms with the p50 and p95 of the process's CPU time (which other processes competing for the cores
hardly move; the load average is printed too); then a summary against the aims (warm p95 under 100 ms at
borough scale and 300 ms at England scale; the first request after a restart under 500 ms at borough
scale and 1 s at England scale; no request over gunicorn's 30 s) and the peak memory. The command line's
start (``geoapp --help`` and ``geoapp sets`` on an empty store, each in a new interpreter) is timed too
(aim: under 1 s). ``--profile-top K`` adds a cProfile of each level's first restart request and of one
warm round.

Run: .venv/bin/python bench/profiles.py [--england | --england-only] [--backend sqlite|postgis|both]
     [--rounds N] [--restarts N] [--sample N] [--england-links] [--no-prepare] [--store DIR] [--profile-top K]

``--store DIR`` keeps the England store (a SQLite file in DIR, or the PostGIS database) and reuses it on the next
run (the load skipped; preparing again builds only what is not kept yet), to time changes without reloading.
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
import statistics
import subprocess
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
from geoapp.comparators import load_comparator  # noqa: E402
from geoapp.groups.coverage.counts import for_area  # noqa: E402
from geoapp.loading.load import LoadReport, Reporter, import_boundary_file, import_indicators, load_manifest  # noqa: E402
from geoapp.loading.manifest import read_manifest  # noqa: E402
from geoapp.profiles.prepare import prepare_profiles  # noqa: E402
from geoapp.storage import boundary_sets  # noqa: E402
from geoapp.storage.db import Database  # noqa: E402
from geoapp.storage.lookups import save_lookup  # noqa: E402
from geoapp.web.security import limiter  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
ENGLAND = DATA / "england"
CWAC_MANIFEST = ROOT / "examples" / "cheshire-west-and-chester.toml"
CATALOGUES = ROOT / "examples" / "indicators"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AIMS_MS = {"borough": 100.0, "England": 300.0}
#: The first request after a restart, and any request (gunicorn's default timeout), in ms.
RESTART_AIMS_MS = {"borough": 500.0, "England": 1000.0}
TIMEOUT_MS = 30_000.0
CLI_AIM_S = 1.0
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


def measure(client, set_id: str, codes: list[str], rounds: int, restarts: int, *, profile_top: int = 0) -> dict:
    """Requests after a restart (every process cache emptied before each), the cold pass over every area in a
    process that has served the level once, then ``rounds`` warm rounds over all of them."""
    restarted = []
    for i, code in enumerate(codes[:max(restarts, 1)]):
        clear_caches()
        if profile_top and i == 0:
            profiler = cProfile.Profile()
            profiler.enable()
            restarted.append(fetch(client, set_id, code))
            profiler.disable()
            print_profile(f"first request of '{set_id}' after a restart ({code})", profiler, profile_top)
        else:
            restarted.append(fetch(client, set_id, code))
    clear_caches()
    fetch(client, set_id, codes[-1])
    cold = [fetch(client, set_id, code) for code in codes]
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
    return {"restart": stats(restarted), "cold": stats(cold), "warm": stats(warm)}


def groups_after_restart(db: Database, set_id: str, codes: list[str]) -> dict:
    """Milliseconds of the groups section alone of each area, with every process cache emptied first."""
    times = []
    for code in codes:
        clear_caches()
        with db.session() as session:
            start, cpu = time.perf_counter(), time.process_time()
            found = for_area(session, set_id, code)
            times.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
        if not found:
            raise SystemExit(f"the groups section of {set_id} {code} is empty: the area is not in the set")
    return stats(times)


def print_profile(title: str, profiler: cProfile.Profile, top: int) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    text = out.getvalue()
    body = text[text.find("ncalls"):] if "ncalls" in text else text
    print(f"\n    cProfile, {title}, by cumulative time (s):")
    for line in body.rstrip().splitlines():
        print(f"    {line}")
    print()


HEADER = (f"    {'set':<9} {'pass':<8} {'count':>6} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}"
          f" {'cpu p50':>9} {'cpu p95':>9}")
PASSES = ("restart", "cold", "warm")


def print_result(set_id: str, result: dict) -> None:
    for name in PASSES:
        s = result[name]
        print(f"    {set_id:<9} {name:<8} {s['n']:>6} {s['p50']:>9.1f} {s['p95']:>9.1f} {s['max']:>9.1f}"
              f" {s['cpu50']:>9.1f} {s['cpu95']:>9.1f}", flush=True)


def prepare(db: Database, prepared: bool) -> None:
    """Build and keep what profiles read (:func:`prepare_profiles`), in one committed transaction, timed."""
    if not prepared:
        print(f"  {'prepare profiles':<44}  skipped (--no-prepare): the first requests build and keep it")
        return
    clear_caches()
    start = time.perf_counter()
    with db.transaction() as session:
        took = prepare_profiles(session)
    print(f"  {'prepare profiles (keep what they read)':<44} {time.perf_counter() - start:8.2f} s  ("
          + ", ".join(f"{k} {v:.1f}" for k, v in took.items()) + ")")


# ------------------------------------------------------------------------------------------ borough


BOROUGH_LEVELS = ("lad", "apb", "wards", "lsoa")


def borough(backend: str, tmp: Path, args, summary: list) -> None:
    name = "atlas_bench_profiles"
    print(f"\nBorough scale, {backend}: {CWAC_MANIFEST.relative_to(ROOT)}")
    clear_caches()
    db = fresh_store(backend, name, tmp)
    try:
        report, _ = timed("load_manifest (all sets, indicators, links)", load_manifest, db,
                          read_manifest(CWAC_MANIFEST), actor="bench")
        print("  " + ", ".join(f"{k} {v}" for k, v in report.sets.items()) + f"; {report.links} links")
        prepare(db, not args.no_prepare)
        client = make_app(db, tmp).test_client()
        with db.session() as session:
            codes = {s: list(boundary_sets.load_areas(session, s)["code"]) for s in BOROUGH_LEVELS}
        print(HEADER)
        for set_id in BOROUGH_LEVELS:
            result = measure(client, set_id, codes[set_id], args.rounds, args.restarts, profile_top=args.profile_top)
            print_result(set_id, result)
            summary.append(("borough", backend, set_id, result))
    finally:
        drop_store(backend, name, db)
        clear_caches()


# ------------------------------------------------------------------------------------------ England


ENGLAND_MANIFEST = """\
# Written by bench/profiles.py: every England LSOA (2011 and 2021) and ward (2024), the mid-2020 population,
# IoD2019 and IoD2025 and England as comparator, through copies of the borough's catalogues.
[area]
name = "England (benchmark)"

[[boundaries]]
id = "lsoa"
kind = "lsoa"
name = "LSOAs (2011), England"
file = "{england}/lsoa2011.gpkg"
layer = "lsoa2011"
code_field = "lsoa11cd"
name_field = "lsoa11nm"
vintage = "LSOA December 2011"

[[boundaries]]
id = "lsoa2021"
kind = "lsoa"
name = "LSOAs (2021), England"
file = "{england}/lsoa2021.gpkg"
layer = "lsoa"
code_field = "code"
name_field = "name"
vintage = "LSOA December 2021"

[[boundaries]]
id = "wards"
kind = "ward"
name = "Wards (May 2024), England"
file = "{england}/wards2024.gpkg"
layer = "wards"
code_field = "code"
name_field = "name"
vintage = "WD24"

[[indicators]]
catalogue = "{population}"
set = "lsoa"

[[indicators]]
catalogue = "{iod2019}"
set = "lsoa"

[[indicators]]
catalogue = "{iod2025}"
set = "lsoa2021"

[[lookups]]
file = "{england}/lsoa11_lsoa21_lad22_lookup.csv"
from_set = "lsoa"
to_set = "lsoa2021"
from_column = "LSOA11CD"
to_column = "LSOA21CD"
change_column = "CHGIND"

[[comparators]]
catalogue = "{iod2019}"
file = "{england}/iod2019_file7_partial.csv"
code = "E92000001"
name = "England"
district_column = "Local Authority District code (2019)"
district_name_column = "Local Authority District name (2019)"

[[comparators]]
catalogue = "{iod2025}"
file = "{england}/iod2025_file7.csv"
code = "E92000001"
name = "England"
district_column = "Local Authority District code (2024)"
district_name_column = "Local Authority District name (2024)"

[comparators.weighting_population]
file = "{england}/lsoa11_population_mid2020_syoa.csv"
code_column = "LSOA Code"
period = "mid-2020"
source = "ONS mid-2020 LSOA population estimates"
lookup = "{england}/lsoa11_lsoa21_lad22_lookup.csv"
from_column = "LSOA11CD"
to_column = "LSOA21CD"

[comparators.weighting_population.columns]
population = "All Ages"
"working-age population" = {working}
"children population" = {children}
"older population" = {older}
"""
#: Single years of age summed into each weighting population (as in examples/cheshire-west-and-chester.toml).
AGES = {"working": [str(a) for a in range(18, 67)], "children": [str(a) for a in range(16)],
        "older": [str(a) for a in range(60, 90)] + ["90+"]}
#: Each copied catalogue: the borough's, and the England file it reads instead (None: it already reads England's).
ENGLAND_CATALOGUES = {"population": ("population-mid2020.toml", None),
                      "iod2019": ("iod2019-cheshire-west-and-chester.toml", "iod2019_file7_partial.csv"),
                      "iod2025": ("iod2025-cheshire-west-and-chester.toml", "iod2025_file7.csv")}


def england_catalogue(tmp: Path, name: str, table: str | None) -> tuple[Path, list[str]]:
    """A copy of a borough catalogue whose ``file`` is absolute (England's ``table`` when given); returns it and
    the indicators dropped (columns missing in the England file)."""
    original = CATALOGUES / name
    text = original.read_text(encoding="utf-8")
    head, *blocks = text.split("[[indicators]]")
    current = tomllib.loads(head)["catalogue"]["file"]
    path = (ENGLAND / table) if table else (original.parent / current)
    head = re.sub(r'(?m)^file = ".*"$', f'file = "{path.resolve()}"', head)
    header = set(pd.read_csv(path, nrows=0).columns)
    kept, dropped = [], []
    for block in blocks:
        spec = tomllib.loads(block)
        needed = [spec[k] for k in ("column", "numerator", "denominator") if k in spec and isinstance(spec[k], str)]
        if all(c in header for c in needed):
            kept.append(block)
        else:
            dropped.append(spec["id"])
    copy = tmp / f"england-{name}"
    copy.write_text(head + "".join("[[indicators]]" + b for b in kept), encoding="utf-8")
    return copy, dropped


def england_manifest(tmp: Path) -> Path:
    copies = {}
    for key, (name, table) in ENGLAND_CATALOGUES.items():
        copies[key], dropped = england_catalogue(tmp, name, table)
        if dropped:
            print(f"  {name}: indicators dropped from the copy (columns missing in the England file): "
                  f"{', '.join(dropped)}")
    path = tmp / "england.toml"
    ages = {k: "[" + ", ".join(f'"{a}"' for a in v) + "]" for k, v in AGES.items()}
    path.write_text(ENGLAND_MANIFEST.format(england=ENGLAND.resolve(), **copies, **ages), encoding="utf-8")
    return path


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
            result, took = timed(f"import {entry.catalogue.name} for '{entry.set}'", import_indicators,
                                 session, entry.catalogue, entry.set, actor="bench", reporter=reporter, report=report)
            times["indicators"] = times.get("indicators", 0.0) + took
            print(f"  {result['indicators']} indicators, {result['values']:,} values "
                  f"({result['missing_values']:,} missing), {result['unknown_codes']} unknown codes")
        for entry in manifest.lookups:
            table = pd.read_csv(entry.file, dtype=str, keep_default_na=False)
            _, times["lookups"] = timed(f"store the lookup {entry.file.name}", save_lookup, session, table,
                                        from_set=entry.from_set, to_set=entry.to_set, from_column=entry.from_column,
                                        to_column=entry.to_column, change_column=entry.change_column,
                                        name=entry.file.name, actor="bench")
        for entry in manifest.comparators:
            _, took = timed(f"England's figures from {entry.file.name}", load_comparator, session, entry,
                            actor="bench")
            times["comparators"] = times.get("comparators", 0.0) + took
        if links:
            count, times["links"] = timed("link the sets (AreaLink)", boundary_sets.link_all, session,
                                          list(report.sets))
            print(f"  {count:,} links")
        else:
            print(f"  {'link the sets (AreaLink)':<44}  skipped (profiles do not read them; --england-links)")
    print("  " + ", ".join(f"{k} {v:,} areas" for k, v in report.sets.items()))
    return times


ENGLAND_LEVELS = ("wards", "lsoa")


def kept_store(backend: str, name: str, folder: Path) -> Database | None:
    """The England store a run with ``--store`` kept (a SQLite file in ``folder``, or the PostGIS database
    ``name``), migrated to the code's schema; None when there is none yet."""
    if backend == "sqlite":
        path = folder / (name + ".sqlite")
        if not path.exists():
            return None
        db = Database(f"sqlite:///{path}")
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        admin = sa.create_engine(PG_ADMIN)
        try:
            with admin.connect() as conn:
                if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                    return None
        finally:
            admin.dispose()
        db = Database(url)
    db.upgrade()
    with db.session() as session:
        if not boundary_sets.list_sets(session):
            db.engine.dispose()
            return None
    return db


def england(backend: str, tmp: Path, args, summary: list, load_times: dict) -> None:
    name = "atlas_bench_profiles_england"
    print(f"\nEngland scale, {backend}")
    clear_caches()
    manifest = england_manifest(tmp)
    folder = Path(args.store) if args.store else tmp
    db = kept_store(backend, name, folder) if args.store else None
    if db is not None:
        print(f"  {'load':<44}  skipped: the store kept by --store {folder} (prepared again below)")
        load_times[backend] = {}
    try:
        if db is None:
            db = fresh_store(backend, name, folder)
            start = time.perf_counter()
            load_times[backend] = load_england(db, manifest, args.england_links)
            load_times[backend]["total"] = time.perf_counter() - start
            print(f"  {'load in all (one transaction, committed)':<44} {load_times[backend]['total']:8.2f} s")
        start = time.perf_counter()
        prepare(db, not args.no_prepare)
        load_times[backend]["prepare"] = time.perf_counter() - start
        client = make_app(db, tmp).test_client()
        with db.session() as session:
            all_codes = {s: sorted(boundary_sets.load_areas(session, s)["code"]) for s in ENGLAND_LEVELS}
        rng = random.Random(SEED)
        codes = {s: rng.sample(c, min(args.sample, len(c))) for s, c in all_codes.items()}
        print(f"  sample (seed {SEED}): {len(codes['wards'])} of {len(all_codes['wards']):,} wards, "
              f"{len(codes['lsoa'])} of {len(all_codes['lsoa']):,} LSOAs")
        print(HEADER)
        for set_id in ENGLAND_LEVELS:
            result = measure(client, set_id, codes[set_id], args.rounds, args.restarts,
                             profile_top=args.profile_top)
            print_result(set_id, result)
            result["groups"] = groups_after_restart(db, set_id, codes[set_id][:max(args.restarts, 1)])
            g = result["groups"]
            print(f"    {set_id:<9} {'groups':<8} {g['n']:>6} {g['p50']:>9.1f} {g['p95']:>9.1f} {g['max']:>9.1f}"
                  f" {g['cpu50']:>9.1f} {g['cpu95']:>9.1f}  (the groups section alone, after a restart)", flush=True)
            summary.append(("England", backend, set_id, result))
    finally:
        if args.store:
            db.engine.dispose()
        else:
            drop_store(backend, name, db)
        clear_caches()


# ------------------------------------------------------------------------------------------ command line


def cli_start(tmp: Path, runs: int = 5) -> dict:
    """Seconds for ``geoapp --help`` and ``geoapp sets`` (an empty store) to run in a new interpreter, each
    ``runs`` times: median and fastest wall-clock, and median CPU (user and system) of the interpreter."""
    env = os.environ | {"PYTHONPATH": str(ROOT), "ATLAS_ENV": "development", "ATLAS_INSTANCE_PATH": str(tmp),
                        "DATABASE_URL": f"sqlite:///{tmp / 'cli.sqlite'}"}
    found = {}
    for args in (["--help"], ["sets"]):
        times, cpu = [], []
        for _ in range(runs):
            start, used = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-c", "from geoapp.cli import main; main()", *args], env=env,
                           cwd=tmp, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        found[" ".join(args)] = (statistics.median(times), min(times), statistics.median(cpu))
    return found


# ------------------------------------------------------------------------------------------ main


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--england", action="store_true", help="add the England-scale case (minutes)")
    scope.add_argument("--england-only", action="store_true", help="only the England-scale case")
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5, help="warm rounds over all areas (default 5)")
    parser.add_argument("--restarts", type=int, default=10,
                        help="areas of each level requested after a restart (default 10)")
    parser.add_argument("--sample", type=int, default=200, help="England areas per set (default 200)")
    parser.add_argument("--england-links", action="store_true",
                        help="also link the England sets (AreaLink), as load_manifest does")
    parser.add_argument("--no-prepare", action="store_true",
                        help="do not prepare profiles after the load: the first requests build and keep it")
    parser.add_argument("--store", metavar="DIR",
                        help="keep the England store (SQLite: a file in DIR; PostGIS: its database) after the run and "
                             "reuse it when kept: the load is skipped, the profiles prepared again")
    parser.add_argument("--profile-top", type=int, default=0, metavar="K",
                        help="cProfile each level's first request after a restart and one warm round; top K")
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
        cli = cli_start(Path(tmp))
        print("\nCommand line start, new interpreter (s): " + "; ".join(
            f"geoapp {k}: median {m:.2f}, fastest {f:.2f}, cpu {c:.2f}" for k, (m, f, c) in cli.items())
            + f" (aim < {CLI_AIM_S:g} s); load average {_load()}")
        for backend in backends:
            if not args.england_only:
                borough(backend, Path(tmp), args, summary)
        for backend in backends:
            if args.england or args.england_only:
                england(backend, Path(tmp), args, summary, load_times)

    if load_times:
        steps = ["lsoa", "lsoa2021", "wards", "indicators", "lookups", "comparators"] + (
            ["links"] if args.england_links else []) + ["total", "prepare"]
        print("\nEngland load (s)  " + "".join(f"{s:>12}" for s in steps))
        for backend, times in load_times.items():
            print(f"  {backend:<15} " + "".join(f"{times.get(s, np.nan):>12.2f}" for s in steps))

    print(f"\nSummary: profile JSON latency, ms ({args.restarts} requests after a restart per level, "
          f"{args.rounds} warm rounds)")
    print(f"  {'scale':<8} {'backend':<8} {'set':<9} {'restart p50':>11} {'p95':>8} {'max':>8} {'cpu p95':>8} "
          f"{'aim':>7}   {'warm p50':>8} {'p95':>8} {'max':>8} {'cpu p95':>8} {'aim':>7}  verdict")
    for scale, backend, set_id, r in summary:
        restart, warm = r["restart"], r["warm"]
        worst = max(r[p]["max"] for p in PASSES)
        met = [warm["p95"] < AIMS_MS[scale], restart["p95"] < RESTART_AIMS_MS[scale], worst < TIMEOUT_MS]
        verdict = "met" if all(met) else "NOT MET: " + ", ".join(
            n for n, ok in zip(("warm", "restart", "30 s"), met) if not ok)
        on_cpu = warm["cpu95"] < AIMS_MS[scale] and restart["cpu95"] < RESTART_AIMS_MS[scale]
        verdict += f" (on CPU time: {'met' if on_cpu else 'NOT MET'})"
        print(f"  {scale:<8} {backend:<8} {set_id:<9} {restart['p50']:>11.1f} {restart['p95']:>8.1f} "
              f"{restart['max']:>8.1f} {restart['cpu95']:>8.1f} {'< ' + format(RESTART_AIMS_MS[scale], '.0f'):>7}   "
              f"{warm['p50']:>8.1f} {warm['p95']:>8.1f} {warm['max']:>8.1f} {warm['cpu95']:>8.1f} "
              f"{'< ' + format(AIMS_MS[scale], '.0f'):>7}  {verdict}")
    print("  restart = the first request after a restart (every process cache emptied, the store as loaded and "
          "prepared); warm = later rounds; verdict: warm and restart wall-clock p95 against the aims, and no "
          "request of any pass over 30 s; in brackets the same p95 aims held to the CPU time of the process, "
          "which other processes competing for the cores hardly move")
    for scale, backend, set_id, r in summary:
        if scale == "England" and set_id == "lsoa":
            restart, groups = r["restart"], r["groups"]
            print(f"  first profile of an England LSOA after a restart, {backend}: p50 {restart['p50']:.0f} ms, max "
                  f"{restart['max']:.0f} ms, cpu p50 {restart['cpu50']:.0f} ms (aim < "
                  f"{RESTART_AIMS_MS[scale]:.0f} ms); its groups section p50 {groups['p50']:.0f} ms, "
                  f"cpu p50 {groups['cpu50']:.0f} ms; load average {_load()}")
    busy = max(os.getloadavg()) > os.cpu_count()
    print(f"  load average (1, 5, 15 min) at the start {started_load}, at the end {_load()}"
          + (f": above the {os.cpu_count()} cores, so other processes competed and wall-clock times are "
             "inflated (compare the CPU times)" if busy else ""))
    print(f"\nPeak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
