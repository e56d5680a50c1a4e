"""Process-wide caches: bounded, least recently used out first, safe across threads, and each listed by name in
one registry so that all can be emptied at once (the benches' cold runs, tests, a store restored underneath).

Keys carry what makes an entry stale (store, set versions, values version, ...), so an entry is never served
after the data it was built from changed; the bound only limits memory.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

#: Returned by :meth:`LRUCache.get` for a key not held, when no other default is given.
MISSING: Any = object()

#: Every cache alive, by name (a module loaded again replaces its caches here; an app's caches go with it).
REGISTRY: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class LRUCache:
    """A map of at most ``size`` entries that drops the least recently used first.

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

    def __init__(self, name: str, size: int):
        self.name, self.size = name, size
        self.builds = 0  #: entries built by :meth:`get_or_build` (for tests and diagnostics)
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        REGISTRY[name] = self

    def get(self, key: Hashable, default: Any = MISSING) -> Any:
        """The value held for ``key`` (now the most recently used), else ``default``."""
        with self._lock:
            if key not in self._entries:
                return default
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: Hashable, value: Any) -> Any:
        """Hold ``value`` for ``key``, dropping the least recently used beyond the size; returns ``value``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
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
                    del self._entries[old]
        return self.put(key, value)

    def keys(self) -> list:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def register(name: str, cache):
    """List another cache (anything with ``clear()``, such as :class:`layers.weights.WeightsCache`) by name;
    returns it."""
    REGISTRY[name] = cache
    return cache


def clear_all() -> None:
    """Empty every registered cache."""
    for cache in REGISTRY.values():
        cache.clear()
