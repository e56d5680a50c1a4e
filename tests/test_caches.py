"""One cache helper: every process-wide cache is an LRUCache in one registry, and clear_all empties them all."""
from __future__ import annotations

import gc
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from shapely.geometry import box

import geoapp
from geoapp import caches
from geoapp.caches import MISSING, LRUCache
from geoapp.settings import ConfigError
from geoapp.web.factory import bare_app
from layers.tiles import TileSource

ROOT = Path(geoapp.__file__).resolve().parent

#: The process-wide caches of the app's modules, by name.
MODULE_CACHES = {"alignment of two sets", "related areas and neighbours of an area", "deprivation release tables",
                 "deprivation sections of a set's areas", "weights between sets",
                 "figures of an indicator for a set", "postcode populations and members", "prepared block layers",
                 "forum balance answers", "group coverage of a set", "published groups for counting",
                 "borough outline", "published groups for the directory"}


def test_no_module_keeps_a_cache_of_its_own():
    """A hand-rolled LRU (an OrderedDict with a lock) or a module-level dict of built values is not written
    again: caches come from geoapp.caches, so clear_all reaches them."""
    own = [str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
           if path.name != "caches.py" and re.search(r"OrderedDict\(|^_[A-Z_]+: dict\b.*= \{\}",
                                                     path.read_text(encoding="utf-8"), re.M)]
    assert own == []


def test_every_cache_is_registered_and_cleared_at_once(demo_app):
    client = demo_app.test_client()
    code = client.get("/profiles/index.json").get_json()["boundary_sets"][0]["areas"][0]["code"]
    set_id = client.get("/profiles/index.json").get_json()["boundary_sets"][0]["id"]
    assert client.get(f"/profiles/{set_id}/{code}.json").status_code == 200
    assert client.get("/").status_code == 200
    assert set(caches.REGISTRY) >= MODULE_CACHES
    figures = caches.REGISTRY["figures of an indicator for a set"]
    assert len(figures) > 0 and len(caches.REGISTRY["weights between sets"]) > 0
    assert any(name.startswith("atlas_map_display of app") and len(c) for name, c in caches.REGISTRY.items())
    caches.clear_all()
    assert all(len(cache) == 0 for cache in caches.REGISTRY.values())
    again = client.get(f"/profiles/{set_id}/{code}.json")
    assert again.status_code == 200 and len(figures) > 0  # built again, the same way


def test_least_recently_used_goes_first_and_stale_entries_are_dropped_on_a_build():
    cache = LRUCache("test: order", 3)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("d", "D")
    assert cache.get("b") is MISSING and sorted(cache.keys()) == ["a", "c", "d"]
    assert cache.get_or_build(("x", 2), lambda: "X2", stale=lambda key: key[0] == "x") == "X2"
    cache.put(("x", 1), "old")
    assert cache.get_or_build(("x", 3), lambda: "X3", stale=lambda key: key[0] == "x") == "X3"
    assert [k for k in cache.keys() if k[0] == "x"] == [("x", 3)] and cache.builds == 2  # noqa: SIM118 - LRUCache has no __iter__


def test_threads_share_one_cache_within_its_bound():
    cache = LRUCache("test: threads", 50)
    errors = []

    def work(n):
        try:
            for i in range(500):
                assert cache.get_or_build((n, i % 60), lambda i=i: (n, i % 60)) == (n, i % 60)
        except AssertionError as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) == 50


@pytest.fixture
def budget():
    """Set the caches' byte budget for one test (megabytes), restoring it after; the caches start empty."""
    before = caches.LEDGER.budget
    caches.clear_all()
    yield caches.set_budget
    caches.LEDGER.budget = before


def test_what_an_entry_holds_is_measured_from_its_arrays_and_tables():
    assert caches.measure(np.zeros(1000)) == 8000
    frame = pd.DataFrame({"a": np.zeros(1000), "b": np.arange(1000)}, index=pd.RangeIndex(1000))
    assert caches.measure(frame) == frame.memory_usage(index=True, deep=False).sum() >= 16000
    matrix = sparse.random(200, 300, density=0.1, format="csr", random_state=1)
    assert caches.measure(matrix) == matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    held = {"table": frame, "weights": [matrix, matrix.T.tocsc()], "note": "x" * 10_000}
    assert caches.measure(held) >= 16000 + 2 * matrix.data.nbytes + 10_000
    assert caches.measure(Figures(frame, notes=["a"] * 100)) >= 16000 + 800  # a dataclass's fields
    codes = {f"E0{i:07d}": np.zeros(100) for i in range(40_000)}  # a large dict: sampled, scaled up
    assert 40_000 * 800 <= caches.measure(codes) <= 40_000 * 1000 + sys.getsizeof(codes)
    squares = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    assert caches.measure(squares) >= squares.memory_usage(index=True).sum() + 2 * 5 * 16  # and the coordinates
    source = TileSource.from_areas(squares.assign(name=["A", "B"]))
    assert caches.measure(source) == source.nbytes >= 2 * 5 * 16  # what it says it holds


@dataclass
class Figures:
    table: pd.DataFrame
    notes: list


def test_all_caches_together_stay_within_the_byte_budget_least_recently_used_out_first(budget):
    budget(2 ** 20)  # one megabyte: three of these arrays fit, not four
    first, second = LRUCache("test: budget one", 100), LRUCache("test: budget two", 100)
    block = 300_000  # bytes
    first.put("a", np.zeros(block // 8))
    second.put("b", np.zeros(block // 8))
    first.put("c", np.zeros(block // 8))
    assert caches.cached_bytes() == 3 * block
    assert first.get("a") is not MISSING  # now more recently used than b
    second.put("d", np.zeros(block // 8))  # b, the least recently used of either cache, goes
    assert second.keys() == ["d"] and sorted(first.keys()) == ["a", "c"]
    assert caches.cached_bytes() == 3 * block <= 2 ** 20
    first.put("a", np.zeros(10))  # replaced: counted at its new size
    assert caches.cached_bytes() == 2 * block + 80
    huge = np.zeros(2 ** 20 // 8 + 1)
    assert first.put("huge", huge) is huge and first.get("huge") is MISSING  # larger than the budget: not held
    caches.clear_all()
    assert caches.cached_bytes() == 0


def test_a_cache_declares_its_own_size_and_a_cache_gone_leaves_the_budget(budget):
    budget(2 ** 20)
    sized = LRUCache("test: sized", 10, sizeof=lambda value: value["bytes"])
    sized.put("x", {"bytes": 600_000})
    sized.put("y", {"bytes": 600_000})  # the two together are over a megabyte: x goes
    assert sized.keys() == ["y"] and caches.cached_bytes() == 600_000
    del sized
    gc.collect()
    assert caches.cached_bytes() == 0 and "test: sized" not in caches.REGISTRY


def test_the_budget_is_read_from_atlas_cache_mb():
    assert caches.budget_from({}) == 1024 * 2 ** 20
    assert caches.budget_from({"ATLAS_CACHE_MB": "64"}) == 64 * 2 ** 20
    for bad in ("0", "lots"):
        with pytest.raises(ConfigError, match="ATLAS_CACHE_MB must be a whole number of at least 1"):
            caches.budget_from({"ATLAS_CACHE_MB": bad})


def test_the_app_answers_the_same_with_a_budget_smaller_than_its_caches(demo_app, budget):
    client = demo_app.test_client()
    index = client.get("/profiles/index.json").get_json()["boundary_sets"][0]
    url = f"/profiles/{index['id']}/{index['areas'][0]['code']}.json"
    roomy = client.get(url).get_json()
    used = caches.cached_bytes()
    caches.clear_all()
    budget(used // 4)  # a quarter of what the request kept
    tight = client.get(url).get_json()
    assert caches.cached_bytes() <= used // 4
    assert {**tight, "produced": None} == {**roomy, "produced": None}


def test_an_app_sets_the_budget_from_its_settings(budget, tmp_path):
    bare_app({"ATLAS_ENV": "development", "ATLAS_INSTANCE_PATH": str(tmp_path), "ATLAS_CACHE_MB": "64"})
    assert caches.LEDGER.budget == 64 * 2 ** 20
