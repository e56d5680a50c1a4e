"""One cache helper: every process-wide cache is an LRUCache in one registry, and clear_all empties them all."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import geoapp
from geoapp import caches
from geoapp.caches import MISSING, LRUCache

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
