"""Process-wide caches: bounded, least recently used out first, safe across threads, and each listed by name in
one registry so that all can be emptied at once (the benches' cold runs, tests, a store restored underneath).

Keys carry what makes an entry stale (store, set versions, values version, ...), so an entry is never served
after the data it was built from changed; the bounds only limit memory. Each cache holds at most its number of
entries, and all of them together at most a byte budget (``ATLAS_CACHE_MB``): each entry is measured when put
in (:func:`measure`, or the size function its cache declares), and beyond the budget the least recently used
entries of any cache go first.
"""
from __future__ import annotations

import os
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from .settings import SETTINGS, whole_number

#: Returned by :meth:`LRUCache.get` for a key not held, when no other default is given.
MISSING: Any = object()

#: Every cache alive, by name (a module loaded again replaces its caches here; an app's caches go with it).
REGISTRY: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

#: Levels of containers and objects :func:`measure` looks into (deeper values count as their shallow size).
DEPTH = 3
#: Items of a container measured, evenly spaced: the rest are taken to be like them (a dict of England's
#: 33,000 LSOAs is measured in microseconds, not walked).
SAMPLE = 32
#: Bytes a shapely geometry holds besides its coordinates (16 bytes each), roughly.
GEOMETRY_BYTES = 100
_DEFAULT_MB = next(s.default for s in SETTINGS if s.name == "ATLAS_CACHE_MB")


def measure(value: Any, depth: int = DEPTH) -> int:
    """Roughly the bytes ``value`` holds: an array's ``nbytes`` (numpy; a scipy sparse matrix's data and index
    arrays), a pandas frame's or series' ``memory_usage(deep=False)`` (and a geopandas one's coordinates), a
    string's or bytes' size (an object's own ``nbytes`` when it says), and for a dict, list, tuple, set or
    object with attributes (a dataclass) its own size plus its items' (to ``depth`` levels down; of a large
    container, :data:`SAMPLE` of them scaled up). Shared objects count wherever they are met.

    Examples
    --------
    >>> import numpy as np
    >>> measure(np.zeros(1000))
    8000
    >>> measure({"a": np.zeros(1000), "b": np.zeros(500)}) > 12000
    True
    """
    if hasattr(value, "memory_usage") and hasattr(value, "dtypes"):  # a pandas DataFrame or Series
        used = value.memory_usage(index=True, deep=False)
        used = int(used.sum() if hasattr(used, "sum") else used)
        geometry = getattr(value, "geometry", None) if hasattr(value, "crs") else None  # geopandas, not imported
        if geometry is not None and hasattr(geometry, "count_coordinates"):
            used += 16 * int(geometry.count_coordinates().sum()) + GEOMETRY_BYTES * len(geometry)
        return used
    if hasattr(value, "indptr") or (hasattr(value, "nnz") and hasattr(value, "data")):  # a scipy sparse matrix
        return sum(int(getattr(value, part).nbytes) for part in ("data", "indices", "indptr", "row", "col", "offsets")
                   if hasattr(getattr(value, part, None), "nbytes"))
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):  # a numpy array, or anything saying what it holds
        return nbytes
    own = sys.getsizeof(value)
    if depth <= 0 or isinstance(value, (str, bytes, bytearray, int, float, bool)) or value is None:
        return own
    if isinstance(value, dict):
        return own + _sampled(list(value), depth - 1) + _sampled(list(value.values()), depth - 1)
    if isinstance(value, (list, tuple, set, frozenset)):
        return own + _sampled(list(value), depth - 1)
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict):
        return own + _sampled(list(fields.values()), depth - 1)
    return own


def _sampled(items: list, depth: int) -> int:
    """The measured size of ``items``: all of them, or :data:`SAMPLE` evenly spaced scaled up to all."""
    if len(items) <= SAMPLE:
        return sum(measure(item, depth) for item in items)
    step = len(items) / SAMPLE
    return round(sum(measure(items[int(k * step)], depth) for k in range(SAMPLE)) * len(items) / SAMPLE)


def budget_from(environ=None) -> int:
    """The byte budget of all caches together: ``ATLAS_CACHE_MB`` megabytes (ConfigError naming it when not a
    whole number of at least 1)."""
    environ = os.environ if environ is None else environ
    return whole_number({"ATLAS_CACHE_MB": environ.get("ATLAS_CACHE_MB", _DEFAULT_MB)}, "ATLAS_CACHE_MB",
                        minimum=1) * 2 ** 20


class _Ledger:
    """Every cached entry of every cache, least recently used first, with its size: the one place the byte
    budget is kept. One lock guards it and every cache's entries (each operation is brief)."""

    def __init__(self, budget: int):
        self.budget, self.total = budget, 0
        self.lock = threading.RLock()
        self._order: OrderedDict = OrderedDict()  # (cache id, key) -> (weak reference to the cache, bytes)

    def touch(self, cache: LRUCache, key: Hashable) -> None:
        self._order.move_to_end((id(cache), key))

    def add(self, cache: LRUCache, key: Hashable, size: int) -> None:
        self._order[(id(cache), key)] = (weakref.ref(cache), size)
        self.total += size
        self.shrink()

    def remove(self, cache_id: int, key: Hashable) -> None:
        found = self._order.pop((cache_id, key), None)
        if found is not None:
            self.total -= found[1]

    def shrink(self) -> None:
        """Drop the least recently used entries of any cache until all fit the budget."""
        while self.total > self.budget and self._order:
            (cache_id, key), (ref, _) = next(iter(self._order.items()))
            cache = ref()
            if cache is None:  # going: its finaliser has not run yet
                self.remove(cache_id, key)
            else:
                cache._drop(key)


LEDGER = _Ledger(budget_from())


def set_budget(size: int) -> None:
    """Set the budget of all caches together, in bytes (e.g. ``budget_from(config)``), dropping the least recently
    used entries to fit."""
    with LEDGER.lock:
        LEDGER.budget = size
        LEDGER.shrink()


def cached_bytes() -> int:
    """The bytes held by every cache together, as measured when each entry was put in."""
    with LEDGER.lock:
        return LEDGER.total


class LRUCache:
    """A map of at most ``size`` entries that drops the least recently used first, its entries counted in the
    byte budget shared by every cache (measured by ``sizeof``, default :func:`measure`).

    Examples
    --------
    >>> cache = LRUCache("doctest example", 2)
    >>> cache.put("a", 1), cache.put("b", 2), cache.get("a"), cache.put("c", 3)
    (1, 2, 1, 3)
    >>> cache.get("b") is MISSING, sorted(cache.keys())
    (True, ['a', 'c'])
    >>> cache.get_or_build("d", lambda: 4), len(cache)
    (4, 2)
    >>> cache.clear(); len(cache)
    0
    """

    def __init__(self, name: str, size: int, *, sizeof: Callable[[Any], int] = measure):
        self.name, self.size, self.sizeof = name, size, sizeof
        self.builds = 0  #: entries built by :meth:`get_or_build` (for tests and diagnostics)
        self._entries: OrderedDict = OrderedDict()
        self._lock = LEDGER.lock
        REGISTRY[name] = self
        weakref.finalize(self, _forget, id(self), self._entries)

    def get(self, key: Hashable, default: Any = MISSING) -> Any:
        """The value held for ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            LEDGER.touch(self, key)
            return self._entries[key]

    def put(self, key: Hashable, value: Any) -> Any:
        """Hold ``value`` for ``key``, dropping the least recently used beyond the size or the byte budget;
        returns ``value``. A value larger than the whole budget is returned but not held."""
        size = self.sizeof(value)
        with self._lock:
            if key in self._entries:
                self._drop(key)
            if size > LEDGER.budget:
                return value
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._drop(next(iter(self._entries)))
            LEDGER.add(self, key, size)
        return value

    def get_or_build(self, key: Hashable, build: Callable[[], Any], *,
                     stale: Callable[[Hashable], bool] | None = None) -> Any:
        """The value for ``key``, built (outside the lock: two threads may both build it) when not held; on a
        build, the entries whose key ``stale(key)`` calls stale are dropped (they can never be asked for again)."""
        found = self.get(key)
        if found is not MISSING:
            return found
        value = build()
        with self._lock:
            self.builds += 1
            if stale is not None:
                for old in [k for k in self._entries if stale(k)]:
                    self._drop(old)
        return self.put(key, value)

    def keys(self) -> list:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            for key in list(self._entries):
                self._drop(key)

    def _drop(self, key: Hashable) -> None:
        """Forget ``key`` here and in the ledger (the lock held)."""
        del self._entries[key]
        LEDGER.remove(id(self), key)

    def __len__(self) -> int:
        return len(self._entries)


def _forget(cache_id: int, entries: OrderedDict) -> None:
    """A cache no longer used (an app gone): its entries leave the ledger, so they no longer count."""
    with LEDGER.lock:
        for key in list(entries):
            LEDGER.remove(cache_id, key)


def register(name: str, cache):
    """List another cache (anything with ``clear()``, such as :class:`layers.weights.WeightsCache`) by name;
    returns it. Its entries are not counted in the byte budget."""
    REGISTRY[name] = cache
    return cache


def clear_all() -> None:
    """Empty every registered cache."""
    for cache in REGISTRY.values():
        cache.clear()
