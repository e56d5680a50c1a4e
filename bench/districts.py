"""Time the first profile of every district and county of England after a restart, on an onboarded store.

The store is what `geoapp onboard --all` writes followed by `geoapp prepare` (every district and county, their
wards and LSOAs): pass one made by bench/onboard.py --keep with --store FILE (it is copied, so the file itself
is untouched), or none to onboard and prepare England into a temporary SQLite file first (about 9 minutes,
printed with the peak memory). --prepare prepares the copy (timed) before the requests; a store already
prepared keeps what it kept.

Each district's and county's JSON twin (GET /profiles/<set>/<code>.json) is then requested with every process
cache emptied before it, as the first request after a restart is (the store keeps what `prepare` kept), and
once more warm. Prints count, p50, p95 and max in wall-clock ms with the CPU p50 and p95, the five slowest,
and the load average. Aim: every first profile after a restart under 1 s, and none over gunicorn's 30 s.

Run: .venv/bin/python bench/districts.py [--store FILE] [--prepare] [--sets lad,county]
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from import_england import load_average  # noqa: E402 - the sibling benches beside this one
from profiles import clear_caches, fetch, make_app, stats  # noqa: E402

from geoapp.loading.onboard import default_data_folder, onboard  # noqa: E402 - importable once ROOT is on sys.path
from geoapp.profiles.prepare import prepare_profiles  # noqa: E402
from geoapp.storage import boundary_sets  # noqa: E402
from geoapp.storage.db import Database  # noqa: E402

AIM_MS = 1000


def store(args, tmp: Path) -> Database:
    """A copy of ``--store``, or England onboarded into a fresh file and prepared."""
    path = tmp / "atlas.sqlite"
    db = Database(f"sqlite:///{path}")
    if args.store:
        shutil.copy(args.store, path)
        db.upgrade()
    else:
        db.upgrade()
        start = time.perf_counter()
        onboard(db, default_data_folder(), None, tmp / "england.toml", actor="bench")
        print(f"  onboard --all {time.perf_counter() - start:8.1f} s", flush=True)
    if args.prepare or not args.store:
        start = time.perf_counter()
        with db.transaction() as session:
            took = prepare_profiles(session)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
        print(f"  prepare       {time.perf_counter() - start:8.1f} s  ("
              + ", ".join(f"{k} {v:.1f}" for k, v in took.items()) + f"); peak memory so far {peak:.2f} GB",
              flush=True)
    return db


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="an onboarded SQLite store (copied)")
    parser.add_argument("--prepare", action="store_true", help="run geoapp prepare on the copy first")
    parser.add_argument("--sets", default="lad,county", help="the sets timed (default lad,county)")
    args = parser.parse_args(argv)
    print(f"districts: load average {load_average()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        db = store(args, tmp)
        app = make_app(db, tmp)
        client = app.test_client()
        worst = []
        for set_id in args.sets.split(","):
            with db.session() as session:
                codes = boundary_sets.area_codes(session, set_id)
            first, warm = [], []
            for code in codes:
                clear_caches()
                first.append(fetch(client, set_id, code))
                warm.append(fetch(client, set_id, code))
                worst.append((first[-1][0], set_id, code))
            for label, times in (("after a restart", first), ("warm", warm)):
                s = stats(times)
                print(f"  {set_id:<8} {label:<16} n={s['n']:4d}  p50 {s['p50']:7.1f}  p95 {s['p95']:7.1f}  "
                      f"max {s['max']:7.1f} ms  (CPU p50 {s['cpu50']:6.1f}, p95 {s['cpu95']:6.1f})", flush=True)
        worst.sort(reverse=True)
        print("  slowest after a restart: " + ", ".join(f"{s}/{c} {ms:.0f} ms" for ms, s, c in worst[:5]))
        slowest = worst[0][0] if worst else 0.0
        print(f"Aim: every first profile after a restart under {AIM_MS} ms: "
              f"{'met' if slowest < AIM_MS else 'NOT met'} (slowest {slowest:.0f} ms); load average {load_average()}")
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
