"""OpenAPI schemas derived from Python types, and the JSON those types' values are served as.

A dataclass is an object whose properties are its fields; ``X | None`` is nullable; ``tuple[X, ...]`` and
``list[X]`` are arrays; ``dict[str, X]`` and ``Mapping[str, X]`` are objects of X; ``Literal[...]`` is an
enum; a ``TypedDict`` is an object whose ``NotRequired`` keys may be missing. Field metadata adds what the
type cannot say: ``doc`` (the description), ``format`` (e.g. ``date-time``), ``omit`` (a test of the owner:
when it holds, the field is left out, so the field is not required) and ``twin`` (False: never served).
"""
from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints, is_typeddict

_SCALARS = {str: {"type": "string"}, bool: {"type": "boolean"}, int: {"type": "integer"},
            float: {"type": "number"}}


def schema_of(tp) -> dict:
    """The OpenAPI 3.0 schema of values of type ``tp``.

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Point:
    ...     label: Literal["a", "b"]
    ...     x: float = field(metadata={"doc": "Easting."})
    ...     note: str | None = None
    >>> schema_of(Point)["properties"]["x"]
    {'type': 'number', 'description': 'Easting.'}
    >>> schema_of(list[Point])["items"]["properties"]["label"]
    {'type': 'string', 'enum': ['a', 'b']}
    >>> schema_of(Point)["properties"]["note"], schema_of(Point)["required"]
    ({'type': 'string', 'nullable': True}, ['label', 'x', 'note'])
    >>> schema_of(Literal["a"] | None)
    {'type': 'string', 'enum': ['a', None], 'nullable': True}
    """
    if tp is Any:
        return {}
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if dataclasses.is_dataclass(tp):
        return _dataclass_schema(tp)
    if is_typeddict(tp):
        return _typeddict_schema(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        inner = schema_of(kept[0]) if len(kept) == 1 else {"oneOf": [schema_of(a) for a in kept]}
        if len(kept) == len(args):
            return inner
        if "enum" in inner:  # an enum lists null itself (the OpenAPI 3.0.3 reading of nullable)
            inner["enum"] = [*inner["enum"], None]
        return inner | {"nullable": True}
    if origin is Literal:
        return {"type": "string", "enum": list(args)} if all(isinstance(a, str) for a in args) \
            else {"enum": list(args)}
    if origin is NotRequired:
        return schema_of(args[0])
    if origin in (tuple, list, Sequence, frozenset, set):
        return {"type": "array", "items": schema_of(args[0]) if args else {}}
    if origin in (dict, Mapping):
        return {"type": "object", "additionalProperties": schema_of(args[1])}
    raise TypeError(f"no OpenAPI schema for {tp!r}")


def _dataclass_schema(cls) -> dict:
    hints = _hints(cls)
    properties, required = {}, []
    for f in _served(cls):
        prop = schema_of(hints[f.name])
        if "format" in f.metadata:
            prop["format"] = f.metadata["format"]
        if "doc" in f.metadata:
            prop["description"] = f.metadata["doc"]
        properties[f.name] = prop
        if "omit" not in f.metadata:
            required.append(f.name)
    out = {"type": "object", "properties": properties} | ({"required": required} if required else {})
    if cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}("):  # dataclasses make up a doc without one
        out["description"] = " ".join(cls.__doc__.split())
    return out


def _typeddict_schema(cls) -> dict:
    hints = _hints(cls)
    required = [k for k, t in hints.items() if k in cls.__required_keys__ and get_origin(t) is not NotRequired]
    out = {"type": "object", "properties": {k: schema_of(t) for k, t in hints.items()}}
    if required:
        out["required"] = required
    if cls.__doc__:
        out["description"] = " ".join(cls.__doc__.split())
    return out


@functools.cache
def _hints(cls) -> dict:
    return get_type_hints(cls, include_extras=True)


@functools.cache
def _served(cls) -> tuple:
    """The fields of a dataclass served as JSON."""
    return tuple(f for f in dataclasses.fields(cls) if f.metadata.get("twin", True))


def as_json(value):
    """A value of a type :func:`schema_of` describes, as plain JSON-ready data (tuples become lists).

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Line:
    ...     words: tuple[str, ...]
    ...     note: str | None = field(default=None, metadata={"omit": lambda line: line.note is None})
    >>> as_json(Line(("a", "b"))), as_json([Line((), "n")])
    ({'words': ['a', 'b']}, [{'words': [], 'note': 'n'}])
    """
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        items = []
        for v in value:
            items.append(v if isinstance(v, _PLAIN) else as_json(v))
        return items
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            out[k] = v if isinstance(v, _PLAIN) else as_json(v)
        return out
    if not dataclasses.is_dataclass(value):
        return value
    out = {}
    fields = value.__dict__
    for name, omit in _plan(type(value)):
        if omit is None or not omit(value):
            v = fields[name]
            out[name] = v if isinstance(v, _PLAIN) else as_json(v)
    return out


@functools.cache
def _plan(cls) -> tuple[tuple[str, Any], ...]:
    """Each served field's name and its test for leaving it out."""
    return tuple((f.name, f.metadata.get("omit")) for f in _served(cls))


#: Values served as they are.
_PLAIN = (str, int, float, bool, type(None))
