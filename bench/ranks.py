"""Time national navigation: ranking every area of a national set, reading one area's ranks, and searching and
paging a national set's names, on England's real figures; then the same pages on a small store.

England (pure, no store): the IoD2019 IMD score of all 32,844 LSOAs (../shared/data/england/
iod2019_file7_partial.csv) is ranked with its districts (the file's LAD 2019 codes) by
:func:`layers.ranks.rank_table`, as a profile does once per set and indicator; one area's ranks are then read
from the table (:func:`layers.ranks.ranks_of`, what every later profile does); the LSOA names are folded once
(what :func:`geoapp.districts.directory` caches) and searched and filtered by district as the profiles index,
the compare chooser and the indicator tables do.

Store: the three-district test store (tests/national_store.py: Cheshire West and Chester, Cheshire East, Halton;
525 LSOAs, 115 wards) is loaded into a fresh SQLite file; the profiles index browsing a district, a name search
and a ward profile's JSON twin are timed cold (first request) and warm (``--rounds`` more).

Prints medians and p95 in ms, with the machine's load average.
Run: .venv/bin/python bench/ranks.py [--rounds N] [--england-only]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.districts import Directory  # noqa: E402
from geoapp.storage.db import Database  # noqa: E402
from layers.ranks import Districts, direction, rank_table, ranks_of  # noqa: E402
from layers.text import fold, fold_all  # noqa: E402
from tests import national_store  # noqa: E402
from tests.conftest import build_app  # noqa: E402

ENGLAND = ROOT.parent / "shared" / "data" / "england"


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def line(label: str, ms: list[float]) -> None:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"  {label:<58} n={len(ms):<4} p50 {statistics.median(ms):8.2f} ms   p95 {p95:8.2f} ms")


def england(rounds: int) -> None:
    iod = pd.read_csv(ENGLAND / "iod2019_file7_partial.csv", usecols=[
        "LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
        "Local Authority District name (2019)", "Index of Multiple Deprivation (IMD) Score"])
    iod.columns = ["code", "name", "district", "district_name", "score"]
    values = iod.set_index("code")["score"]
    districts = iod.set_index("code")["district"]
    print(f"England: {len(values):,} LSOAs in {districts.nunique()} districts")
    high_first, first, worse = direction("higher is worse", deprivation=True)
    line("rank_table: every LSOA, in England and in its district", timed(
        lambda: rank_table(values, districts, high_first=high_first), rounds))
    grouped = Districts.of(values.index, districts)  # what a profile makes once for all of a set's indicators
    line("rank_table, the set's districts made once (as profiles do)", timed(
        lambda: rank_table(values, grouped, high_first=high_first), rounds))
    table = rank_table(values, grouped, high_first=high_first)
    codes = list(values.index[:: max(1, len(values) // 200)])
    names = dict(zip(iod["district"], iod["district_name"]))
    line("ranks_of: one LSOA's ranks from the table (200 LSOAs)", timed(
        lambda: [ranks_of(table, c, kind="lsoa", first=first, worse=worse, national=True,
                          district_name=names[districts[c]]) for c in codes], 1))
    sample = ranks_of(table, "E01018308", kind="lsoa", first=first, worse=worse, national=True,
                      district_name=names[districts["E01018308"]])
    print("  e.g. E01018308:", " | ".join(r.text for r in sample))
    areas = iod[["code", "name", "district", "district_name"]].copy()
    line("fold every LSOA name one by one", timed(lambda: areas["name"].map(fold), max(1, rounds // 5)))
    line("fold every LSOA name at once (the directory's one-off build)", timed(
        lambda: fold_all(areas["name"]), max(1, rounds // 5)))
    areas["folded"] = fold_all(areas["name"])
    directory = Directory("lsoa", areas[["code", "name", "folded", "district", "district_name"]], "lad")
    line("search 'manchester 01' in every LSOA name", timed(lambda: directory.select(words="manchester 01"), rounds))
    line("one district's LSOAs (E08000003)", timed(lambda: directory.select(district="E08000003"), rounds))
    line("districts with their counts", timed(directory.districts, rounds))


def store(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = Database(f"sqlite:///{folder / 'atlas.sqlite'}")
        db.upgrade()
        start = time.perf_counter()
        national_store.fill(db, folder)
        print(f"Store: three districts loaded in {time.perf_counter() - start:.1f} s (SQLite)")
        app = build_app(db, folder / "instance", ATLAS_LIST_LIMIT="100", ATLAS_PAGE_SIZE="25")
        client = app.test_client()
        for label, url in (("index browsing Halton's LSOAs, page 2",
                            "/profiles/index.json?set=lsoa&district=E06000006&page=2"),
                           ("index search 'park'", "/profiles/index.json?q=park"),
                           ("ward profile twin (Blacon), with ranks", "/profiles/wards/E05012209.json"),
                           ("indicator table, Halton's LSOAs", "/indicators/imd2019-score/lsoa?district=E06000006")):
            first = timed(lambda u=url: client.get(u), 1)
            line(f"{label}: first", first)
            line(f"{label}: warm", timed(lambda u=url: client.get(u), rounds))
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--england-only", action="store_true")
    args = parser.parse_args()
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) +
          f" on {os.cpu_count()} cores")
    england(args.rounds)
    if not args.england_only:
        store(args.rounds)
    print("load average after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
