"""Time loading ../shared/data/postcodes_cheshire.csv (63,947 postcodes) and looking postcodes up.

On a new SQLite store and a new PostGIS database (when a server answers): the first load (s, rows/s), a
second load of the same file (every row replaced), then ``lookup`` of 1,000 postcodes drawn at random
from the file and written as people type them (lower case, no space), median and max of several runs.

Run: .venv/bin/python bench/postcodes.py [--repeat 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profiles import drop_store, fresh_store, postgis_available  # noqa: E402
from geoapp.storage import postcodes  # noqa: E402

FILE = ROOT.parent / "shared" / "data" / "postcodes_cheshire.csv"
LOOKUPS = 1_000


def timed_load(db) -> tuple[float, dict]:
    start = time.perf_counter()
    with db.transaction() as session:
        report = postcodes.load(session, FILE, actor="bench")
    return time.perf_counter() - start, report


def run(backend: str, tmp: Path, queries: list[str], repeat: int) -> None:
    name = "atlas_bench_postcodes"
    db = fresh_store(backend, name, tmp)
    try:
        print(f"{backend}:")
        for label in ("first load", "load again (replaces every row)"):
            seconds, report = timed_load(db)
            print(f"  {label:<34} {seconds:6.2f} s  {report['stored'] / seconds:9,.0f} rows/s  "
                  f"({report['stored']:,} stored, {report['replaced']:,} replaced, "
                  f"{report['without_coordinates']} without coordinates)")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            with db.session() as session:
                found = postcodes.lookup(session, queries)
            times.append(time.perf_counter() - start)
        assert (found["status"] != "not a postcode").all() and (found["status"] == "found").sum() > 990
        print(f"  lookup of {len(queries):,} postcodes          median {statistics.median(times) * 1000:6.1f} ms"
              f"  max {max(times) * 1000:6.1f} ms  ({repeat} runs)")
    finally:
        drop_store(backend, name, db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="lookup runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not FILE.is_file():
        sys.exit(f"{FILE} is missing: this benchmark needs ../shared/data")
    codes = pd.read_csv(FILE, usecols=["postcode"], dtype=str)["postcode"].tolist()
    queries = [c.lower().replace(" ", "") for c in random.Random(args.seed).sample(codes, LOOKUPS)]
    backends = ["sqlite"]
    reason = postgis_available()
    if reason is None:
        backends.append("postgis")
    else:
        print(f"PostGIS skipped: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            run(backend, Path(tmp), queries, args.repeat)


if __name__ == "__main__":
    main()
