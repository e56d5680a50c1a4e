"""Time `geoapp onboard --all`: every district of England into one fresh store, step by step.

Writes the national manifest (counties, districts, May 2024 wards, 2011 and 2021 LSOAs, both IoD releases, the
mid-2020 estimates, the lookup, England as comparator) and loads it into a fresh SQLite file and, when a server
answers, a fresh PostGIS database, printing the seconds of each step (wall clock, and the CPU seconds this
process used in it, threads included: on a shared machine the wall clock grows with the load, the CPU time
much less), the total, the sets' sizes and the load average before and after. Aim: under 2 minutes.

Run: .venv/bin/python bench/onboard.py [--backend sqlite|postgis|both] [--code CODE] [--keep FOLDER]
(--code onboards one district or county instead of all of England; --keep leaves the SQLite store in FOLDER,
as the PostGIS database atlas_bench_onboard is left, for bench/compare_stores.py.) The peak memory of the
process (ru_maxrss) is printed after each store.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from import_england import load_average, postgis_url  # noqa: E402 - the sibling bench beside this one

from geoapp.loading.load import Reporter  # noqa: E402 - the project is importable only once ROOT is on sys.path
from geoapp.loading.onboard import default_data_folder, onboard  # noqa: E402
from geoapp.storage.db import Database  # noqa: E402

AIM_S = 120


def cpu_seconds() -> float:
    """CPU time of this process so far (user and system, every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class StepTimer(Reporter):
    """Prints each step as it ends, with its wall-clock and CPU seconds."""

    def __init__(self):
        self.steps: list[tuple[str, float, float]] = []
        self._current: tuple[str, float, float] | None = None

    def step(self, message: str) -> None:
        self.end()
        self._current = (message, time.perf_counter(), cpu_seconds())

    def end(self) -> None:
        if self._current is not None:
            message, start, cpu = self._current
            wall, used = time.perf_counter() - start, cpu_seconds() - cpu
            self.steps.append((message, wall, used))
            print(f"  {wall:7.2f} s  ({used:6.2f} s CPU)  {message}", flush=True)
            self._current = None


def run(name: str, url: str, code: str | None, folder: Path) -> float:
    print(f"{name}: onboard {code or '--all'} (load average {load_average()})", flush=True)
    db = Database(url)
    db.upgrade()
    timer = StepTimer()
    start, cpu = time.perf_counter(), cpu_seconds()
    done = onboard(db, default_data_folder(), code, folder / f"{name}.toml", reporter=timer, actor="bench")
    timer.end()
    total, used = time.perf_counter() - start, cpu_seconds() - cpu
    db.engine.dispose()
    sets = ", ".join(f"{k} {v:,}" for k, v in done.report.sets.items())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(f"  {total:7.2f} s  ({used:6.2f} s CPU)  in all ({sets}; {done.report.links:,} links); load average "
          f"{load_average()}; peak memory so far {peak:.2f} GB")
    for note in done.notes:
        print(f"  note: {note}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--code", help="one district or county instead of all of England")
    parser.add_argument("--keep", type=Path, help="a folder to leave the SQLite store in")
    args = parser.parse_args()
    if not default_data_folder().is_dir():
        sys.exit(f"{default_data_folder()} not found: this benchmark needs ../shared/data/england")
    totals = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            store = (args.keep or folder) / "atlas.sqlite"
            store.unlink(missing_ok=True)
            totals["SQLite"] = run("sqlite", f"sqlite:///{store.resolve()}", args.code, folder)
        if args.backend in ("postgis", "both"):
            url = postgis_url("atlas_bench_onboard")
            if url:
                totals["PostGIS"] = run("postgis", url, args.code, folder)
    for name, total in totals.items():
        verdict = "met" if total < AIM_S else "missed"
        print(f"{name}: {total:.1f} s against the aim of {AIM_S} s ({verdict}); load average {load_average()}")


if __name__ == "__main__":
    main()
