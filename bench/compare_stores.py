"""Say whether two stores hold the same loaded figures: areas (codes, names, properties, area within 1e-6),
links (each small area's containers and shares), lookups, indicator and comparator values, district summaries.

Run: .venv/bin/python bench/compare_stores.py URL_A URL_B   (exit status 1 when they differ)
Used to check that a faster `geoapp onboard` stores what the slower one stored.
"""
from __future__ import annotations

import json
import math
import sys

import sqlalchemy as sa

#: Largest relative difference of two areas or values still counted the same.
TOLERANCE = 1e-6

QUERIES = {
    "sets": "SELECT id, kind, name FROM boundary_sets",
    "areas": "SELECT set_id, code, name, properties, area_m2 FROM areas",
    "links": "SELECT a.set_id, a.code, c.set_id, c.code, l.share FROM area_links l "
             "JOIN areas a ON a.id = l.area_id JOIN areas c ON c.id = l.container_id",
    "lookups": "SELECT from_set, from_code, to_set, to_code, change FROM area_lookups",
    "values": "SELECT v.indicator_id, a.set_id, a.code, v.period, v.value, v.numerator, v.denominator "
              "FROM indicator_values v JOIN areas a ON a.id = v.area_id",
    "comparators": "SELECT indicator_id, period, code, name, value, lower, upper, numerator, denominator "
                   "FROM comparator_values",
    "summaries": "SELECT catalogue_id, domain, code, name, measures, ranks, districts FROM district_summaries",
    "indicators": "SELECT id, set_id, areas_with_values, source FROM indicators",
}
#: How many leading columns of each query identify a row.
KEYS = {"sets": 1, "areas": 2, "links": 4, "lookups": 4, "values": 4, "comparators": 3, "summaries": 3,
        "indicators": 1}


def read(url: str) -> dict[str, dict]:
    """Every table of QUERIES as {key: rest of the row}."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {name: {row[:KEYS[name]]: tuple(_plain(v) for v in row[KEYS[name]:])
                           for row in connection.exec_driver_sql(sql)}
                    for name, sql in QUERIES.items()}
    finally:
        engine.dispose()


def _plain(value):
    """JSON text (SQLite) and parsed JSON (PostgreSQL) alike as parsed JSON."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def same(a, b) -> bool:
    """Equal, numbers within TOLERANCE (relative), containers item by item."""
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def differences(first: dict, second: dict, shown: int = 5) -> list[str]:
    """What differs between two stores read by :func:`read`, in words (empty when nothing does)."""
    lines = []
    for name in QUERIES:
        a, b = first[name], second[name]
        only_a, only_b = a.keys() - b.keys(), b.keys() - a.keys()
        changed = [k for k in a.keys() & b.keys() if not same(a[k], b[k])]
        for words, keys in (("only in the first", only_a), ("only in the second", only_b), ("differing", changed)):
            if keys:
                example = sorted(keys, key=str)[:shown]
                lines.append(f"{name}: {len(keys):,} {words}, e.g. " + "; ".join(
                    f"{k}: {a.get(k)} / {b.get(k)}" for k in example))
    return lines


def main() -> None:
    first, second = read(sys.argv[1]), read(sys.argv[2])
    print(", ".join(f"{name} {len(rows):,}" for name, rows in first.items()))
    found = differences(first, second)
    print("\n".join(found) if found else "The two stores hold the same figures.")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
