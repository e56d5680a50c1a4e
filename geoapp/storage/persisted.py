"""Results worked out once and kept in the store (table ``persisted_results``), so every process, and a process
just restarted, reads them instead of building them again: weights between two sets, how two sets align,
indicator figures, deprivation summaries.

A result is found by a key hashing its kind and everything it was made from (the sets' versions, the values
version, the postcodes loaded, ...): a changed input makes a new key, and the row of the old one is deleted
when its sibling (same kind, same sets, same ``slot``) is written. Deleting a set deletes its rows.

Payloads are plain data, never pickles: a compressed JSON head with the bytes of every numpy array after it
(scipy sparse matrices and pandas frames as their arrays, strings as their distinct values and codes), so
what is read back equals what was built, bit for bit, and a large table is read without parsing its numbers.
"""
from __future__ import annotations

import hashlib
import json
import logging
import struct
import zlib
from collections.abc import Hashable, Iterable
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .models import Persisted

log = logging.getLogger(__name__)
#: Raised into the key, so results written by an older layout of a kind are never read.
FORMAT = 1
#: The first bytes of a payload: a JSON head (compressed), the arrays' bytes (each compressed when that pays),
#: and where each array lies.
MAGIC = b"ATLAS-KEPT-1"
#: Set in a session's ``info`` by :func:`kept_in`.
_HERE = "atlas_persist_here"


def key_of(kind: str, parts: Hashable) -> str:
    """The row key of a result: a hash of its kind and what it was made from.

    >>> key_of("weights", ("lsoa", "1.5", "wards", "2.0")) == key_of("weights", ("lsoa", "1.5", "wards", "2.0"))
    True
    >>> len(key_of("weights", ())), key_of("a", (1,)) != key_of("a", ("1",))
    (64, True)
    """
    return hashlib.sha256(repr((FORMAT, kind, parts)).encode()).hexdigest()


def read(session: Session, kind: str, parts: Hashable) -> Any | None:
    """The stored result of ``kind`` made from ``parts``, decoded; None when none is stored."""
    found = session.scalar(select(Persisted.payload).where(Persisted.key == key_of(kind, parts)))
    return None if found is None else decode(found)


def read_many(session: Session, kind: str, parts: dict[Hashable, Hashable], *, lazy: bool = False) -> dict:
    """The stored results of ``kind`` for each name of ``parts`` (name -> what it was made from), decoded
    (``lazy``: frames as :class:`KeptFrame`); the names with nothing stored are left out."""
    keys = {key_of(kind, made): name for name, made in parts.items()}
    found = {}
    listed = list(keys)
    for start in range(0, len(listed), 500):
        rows = session.execute(select(Persisted.key, Persisted.payload)
                               .where(Persisted.key.in_(listed[start:start + 500]))).all()
        found |= {keys[key]: decode(payload, lazy=lazy) for key, payload in rows}
    return found


def write(session: Session, kind: str, parts: Hashable, value: Any, *, sets: Iterable[str] = (),
          slot: Hashable = None) -> None:
    """Store ``value`` as the result of ``kind`` made from ``parts`` in ``session`` (the caller commits),
    replacing older results of the same kind, sets and ``slot`` (what else tells two current results apart,
    e.g. the indicator of a figure)."""
    set_a, set_b = (list(sets) + [None, None])[:2]
    key = key_of(kind, parts)
    sibling = key_of(kind + " slot", (set_a, set_b, slot))
    session.execute(delete(Persisted).where(Persisted.kind == kind, Persisted.set_a == set_a,
                                            Persisted.set_b == set_b, Persisted.slot == sibling,
                                            Persisted.key != key))
    if session.get(Persisted, key) is None:
        session.add(Persisted(key=key, kind=kind, set_a=set_a, set_b=set_b, slot=sibling,
                              payload=encode(value)))
        session.flush()


def keep(session: Session, kind: str, parts: Hashable, value: Any, *, sets: Iterable[str] = (),
         slot: Hashable = None) -> None:
    """Store a result built while answering a request, in a transaction of its own beside the request's:
    a store that cannot take it now (locked by a load, or the row written meanwhile by another process)
    is logged and skipped, as the result is only a shortcut."""
    keep_many(session, kind, {None: (parts, value, slot)}, sets=sets)


def keep_many(session: Session, kind: str, items: dict[Hashable, tuple], *, sets: Iterable[str] = ()) -> None:
    """:func:`keep` for several results of one kind and sets at once: ``items`` maps any name to
    ``(parts, value, slot)``. Within :func:`kept_in` they are written in ``session`` itself."""
    if not items:
        return
    sets = tuple(sets)
    if session.info.get(_HERE):
        with session.begin_nested():
            for parts, value, slot in items.values():
                write(session, kind, parts, value, sets=sets, slot=slot)
        return
    bind = session.get_bind()
    try:
        with Session(bind=bind, join_transaction_mode="create_savepoint") as own, own.begin():
            waits = _wait_briefly(own.connection()) if bind.dialect.name == "sqlite" else None
            try:
                for parts, value, slot in items.values():
                    write(own, kind, parts, value, sets=sets, slot=slot)
            finally:
                if waits is not None:  # the pooled connection waits as long as before for other writers
                    own.connection().exec_driver_sql(f"PRAGMA busy_timeout = {int(waits)}")
    except (IntegrityError, OperationalError) as error:
        log.warning("%s %s result(s) not kept in the store: %s", len(items), kind, str(error).splitlines()[0])


def _wait_briefly(connection) -> int:
    """Make a SQLite connection wait at most 0.2 s for another writer; returns how long it waited before."""
    before = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    connection.exec_driver_sql("PRAGMA busy_timeout = 200")
    return before


@contextmanager
def kept_in(session: Session):
    """Within the block, results built are kept in ``session`` itself (committed with it) rather than in a
    transaction of their own: for a load preparing what profiles read, whose transaction holds the store."""
    before = session.info.get(_HERE)
    session.info[_HERE] = True
    try:
        yield session
    finally:
        session.info[_HERE] = before


def forget(session: Session, kind: str | None = None) -> int:
    """Delete every stored result (of one ``kind``); returns how many."""
    query = delete(Persisted) if kind is None else delete(Persisted).where(Persisted.kind == kind)
    return session.execute(query).rowcount


# --------------------------------------------------------------------------------------- codec


def encode(value: Any) -> bytes:
    """``value`` (plain data, numpy arrays, scipy sparse matrices, pandas frames and series) as bytes.

    >>> frame = pd.DataFrame({"code": ["a", None], "x": [0.1, np.nan]}, index=pd.Index([3, 4], name="n"))
    >>> back = decode(encode({"t": frame, "m": sparse.csr_matrix(np.eye(2)), "s": (1, "b")}))
    >>> pd.testing.assert_frame_equal(back["t"], frame); back["m"].toarray().tolist(), back["s"]
    ([[1.0, 0.0], [0.0, 1.0]], (1, 'b'))
    """
    buffers: list[bytes] = []
    head = zlib.compress(json.dumps(_plain(value, buffers), separators=(",", ":")).encode(), 1)
    spans, at = [], len(MAGIC) + 8 + len(head)
    for i, data in enumerate(buffers):
        packed = zlib.compress(data, 1)
        inflate = len(packed) < 0.75 * len(data)  # worth inflating when read
        buffers[i] = packed if inflate else data
        spans.append((at, len(buffers[i]), inflate))
        at += len(buffers[i])
    spans_json = json.dumps(spans).encode()
    return b"".join([MAGIC, struct.pack("<II", len(head), len(spans_json)), head, *buffers, spans_json])


def decode(payload: bytes, *, lazy: bool = False) -> Any:
    """What :func:`encode` was given; with ``lazy``, each pandas frame as a :class:`KeptFrame`, whose columns are
    decoded when asked for.

    >>> frame = pd.DataFrame({"s": pd.Series(["a", None, "a"], dtype="str"), "x": [0.5, 1.5, np.nan]})
    >>> kept = decode(encode({"t": frame}), lazy=True)["t"]
    >>> kept.columns, kept.values("s")[0], kept.values("x")[1], len(kept.index)
    (['s', 'x'], 'a', np.float64(1.5), 3)
    >>> pd.testing.assert_frame_equal(kept.frame(), frame)
    """
    payload = bytes(payload)  # a driver may hand a memoryview
    if payload[:len(MAGIC)] != MAGIC:
        raise ValueError("not a result kept by this version of the Atlas")
    head_size, spans_size = struct.unpack_from("<II", payload, len(MAGIC))
    start = len(MAGIC) + 8
    spans = json.loads(payload[len(payload) - spans_size:])
    return _revive(json.loads(zlib.decompress(payload[start:start + head_size])), (payload, spans, lazy))


def _plain(value: Any, out: list) -> Any:
    if isinstance(value, pd.DataFrame):
        if any(isinstance(d, pd.CategoricalDtype) for d in value.dtypes):
            raise TypeError("categorical columns cannot be kept in the store")
        return {"~frame": {"index": _plain(value.index, out),
                           "columns": [[_plain(name, out), _plain(value[name].to_numpy(), out)]
                                       for name in value.columns],
                           "dtypes": [str(d) for d in value.dtypes]}}
    if isinstance(value, pd.Series):
        return {"~series": [_plain(value.name, out), _plain(value.index, out), _plain(value.to_frame("v"), out)]}
    if isinstance(value, pd.RangeIndex):
        return {"~range": [_plain(value.name, out), value.start, value.stop, value.step]}
    if isinstance(value, pd.Index):
        return {"~index": [_plain(value.name, out), str(value.dtype), _plain(value.to_numpy(), out)]}
    if sparse.issparse(value):
        csr = sparse.csr_matrix(value)
        return {"~csr": [_plain(csr.data, out), _plain(csr.indices, out), _plain(csr.indptr, out), list(csr.shape)]}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return _objects(value, out)
        data = np.ascontiguousarray(value)
        out.append(data.tobytes())
        return {"~array": [data.dtype.str, list(data.shape), len(out) - 1]}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"~tuple": [_plain(v, out) for v in value]}
    if isinstance(value, list):
        return [_plain(v, out) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("~") for k in value):
            return {k: _plain(v, out) for k, v in value.items()}
        return {"~dict": [[_plain(k, out), _plain(v, out)] for k, v in value.items()]}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in the store")


def _objects(values: np.ndarray, out: list) -> dict:
    """An array of objects: strings (and one kind of missing value) as their distinct values and a code per
    element; other plain scalars as a list; anything else element by element."""
    listed = values.tolist()
    if all(v is None or isinstance(v, (str, bool, int, float)) for v in listed):
        texts = [v for v in listed if isinstance(v, str)]
        missing = {repr(v) for v in listed if not isinstance(v, str)}
        if len(missing) <= 1 and (not missing or missing <= {"None", "nan"}):
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            if len(texts) + int((codes < 0).sum()) == len(listed):
                return {"~coded": [uniques.tolist(), _plain(codes.astype(np.int32), out),
                                   next(iter(missing), "None")]}
        return {"~scalars": listed}
    return {"~objects": [_plain(v, out) for v in listed]}


def _revive(value: Any, blob: tuple) -> Any:
    if isinstance(value, list):
        return [_revive(v, blob) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith("~"):
        return {k: _revive(v, blob) for k, v in value.items()}
    tag, body = next(iter(value.items()))
    if tag == "~array":
        dtype, shape, number = body
        payload, spans, _ = blob
        at, size, packed = spans[number]
        data = zlib.decompress(payload[at:at + size]) if packed else payload[at:at + size]
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
    if tag == "~coded":
        uniques, codes, missing = body
        table = np.empty(len(uniques) + 1, dtype=object)
        table[:-1] = uniques
        table[-1] = None if missing == "None" else np.nan
        return table[_revive(codes, blob)]
    if tag == "~scalars":
        out = np.empty(len(body), dtype=object)
        out[:] = body
        return out
    if tag == "~objects":
        out = np.empty(len(body), dtype=object)
        out[:] = [_revive(v, blob) for v in body]
        return out
    if tag == "~csr":
        data, indices, indptr, shape = (_revive(b, blob) for b in body)
        return sparse.csr_matrix((data, indices, indptr), shape=tuple(shape))
    if tag == "~tuple":
        return tuple(_revive(v, blob) for v in body)
    if tag == "~dict":
        return {_key(_revive(k, blob)): _revive(v, blob) for k, v in body}
    if tag == "~range":
        name, start, stop, step = body
        return pd.RangeIndex(start, stop, step, name=_revive(name, blob))
    if tag == "~index":
        name, dtype, values = (_revive(b, blob) for b in body)
        return pd.Index(values, name=name, dtype=dtype)
    if tag == "~series":
        name, index, frame = (_revive(b, blob) for b in body)
        return frame["v"].set_axis(index).rename(name)
    if tag == "~frame" and blob[2]:
        return KeptFrame(body, blob)
    if tag == "~frame":
        columns, index = {}, _revive(body["index"], blob)
        for (name, values), dtype in zip(body["columns"], body["dtypes"]):
            if dtype != "object" and isinstance(values, dict) and "~coded" in values:
                columns[_revive(name, blob)] = _coded_strings(values["~coded"], dtype, blob)
                continue
            values = _revive(values, blob)
            if isinstance(values, list):
                values, listed = np.empty(len(values), dtype=object), values
                values[:] = listed
            if dtype == "object":  # kept as objects: a frame would make strings of them
                values = pd.Series(values, index=index, dtype=object, copy=False)
            elif str(values.dtype) != dtype:
                values = pd.array(values, dtype=dtype)
            columns[_revive(name, blob)] = values
        frame = pd.DataFrame(columns, index=index, columns=list(columns), copy=False)
        if len(columns) != len(body["columns"]):
            raise ValueError("duplicate column names cannot be kept in the store")
        return frame
    raise ValueError(f"unknown tag {tag!r} in a stored result")


class KeptFrame:
    """A pandas frame read from the store whose columns are decoded one at a time, when asked for: one row of a
    table of England's small areas is read without building every column (:func:`decode` with ``lazy``)."""

    def __init__(self, body: dict, blob: tuple):
        self._body, self._blob = body, blob
        self.columns = [_revive(name, blob) for name, _ in body["columns"]]
        self._read: dict = {}

    @cached_property
    def index(self) -> pd.Index:
        """The frame's index."""
        return _revive(self._body["index"], self._blob)

    def values(self, name) -> Any:
        """The values of column ``name``, by position: a numpy array, or the strings of a column of few distinct
        ones as :class:`Coded` (missing values as the built frame's own)."""
        if name not in self._read:
            at = self.columns.index(name)
            values, dtype = self._body["columns"][at][1], self._body["dtypes"][at]
            if isinstance(values, dict) and "~coded" in values:
                uniques, codes, missing = values["~coded"]
                self._read[name] = Coded(uniques, _revive(codes, self._blob), np.nan if dtype != "object" or
                                         missing == "nan" else None)
            elif dtype in _NUMPY and isinstance(values, dict) and "~array" in values:
                self._read[name] = _revive(values, self._blob)
            else:  # any other column, as the built frame holds it
                self._read[name] = self.frame()[name].to_numpy()
        return self._read[name]

    def frame(self) -> pd.DataFrame:
        """The whole frame, as :func:`decode` without ``lazy`` gives it."""
        return _revive({"~frame": self._body}, self._blob[:2] + (False,))

    @cached_property
    def nbytes(self) -> int:
        """Roughly the bytes of the built frame (8 a cell), for the caches' budget."""
        return 8 * len(self.index) * (len(self.columns) + 1)


#: The dtypes whose columns are kept as plain numpy arrays.
_NUMPY = {"float64", "float32", "int64", "int32", "int16", "int8", "uint8", "bool"}


class Coded:
    """Strings as their distinct values and a code for each (-1: missing), read element by element."""

    def __init__(self, uniques: list, codes: np.ndarray, missing):
        self.uniques, self.codes, self.missing = uniques, codes, missing

    def __getitem__(self, at: int):
        code = self.codes[at]
        return self.uniques[code] if code >= 0 else self.missing

    def __len__(self) -> int:
        return len(self.codes)


def _coded_strings(body: list, dtype: str, blob: tuple):
    """A column of strings (dtype ``str`` or ``string``) from its distinct values and codes, by taking from the
    few distinct values (the missing ones as the dtype's own) instead of checking every element again."""
    uniques, codes, _ = body
    return pd.array(uniques, dtype=dtype).take(_revive(codes, blob).astype(np.intp), allow_fill=True)


def _key(value):
    return tuple(value) if isinstance(value, list) else value

