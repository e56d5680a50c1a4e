"""A geometry column type: typed PostGIS geometry with SRID, or WKB bytes on SQLite.

Values in and out are shapely geometries in EPSG:27700, whatever the backend.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import LargeBinary
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator, UserDefinedType

SRID = 27700


class _FromWKB(FunctionElement):
    """Bind a WKB parameter: ``ST_GeomFromWKB(:p, srid)`` on PostGIS, the bytes as-is elsewhere."""

    inherit_cache = True

    def __init__(self, bindvalue, srid):
        self.srid = srid
        super().__init__(bindvalue)


class _AsWKB(FunctionElement):
    """Select a geometry as WKB: ``ST_AsBinary(col)`` on PostGIS, the column as-is elsewhere."""

    inherit_cache = True

    def __init__(self, col, type_):
        self.type = type_
        super().__init__(col)


@compiles(_FromWKB)
@compiles(_AsWKB)
def _passthrough(element, compiler, **kw):
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(_FromWKB, "postgresql")
def _from_wkb_postgis(element, compiler, **kw):
    return f"ST_GeomFromWKB({compiler.process(list(element.clauses)[0], **kw)}, {element.srid:d})"


@compiles(_AsWKB, "postgresql")
def _as_wkb_postgis(element, compiler, **kw):
    return f"ST_AsBinary({compiler.process(list(element.clauses)[0], **kw)})"


class PostGISGeometry(UserDefinedType):
    """The PostGIS column type ``geometry(<type>, <srid>)``."""

    cache_ok = True

    def __init__(self, geometry_type: str, srid: int):
        self.geometry_type = geometry_type
        self.srid = srid

    def get_col_spec(self, **kw):
        return f"geometry({self.geometry_type},{self.srid})"


class Geometry(TypeDecorator):
    """Shapely geometry stored as PostGIS ``geometry(<type>, 27700)`` or as WKB on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: str = "MULTIPOLYGON", srid: int = SRID):
        super().__init__()
        self.geometry_type = geometry_type
        self.srid = srid

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(
                PostGISGeometry(self.geometry_type, self.srid))
        return dialect.type_descriptor(LargeBinary())

    def bind_expression(self, bindvalue):
        return _FromWKB(bindvalue, self.srid)

    def column_expression(self, col):
        return _AsWKB(col, self)

    def process_bind_param(self, value, dialect):
        return None if value is None else _shapely().to_wkb(value, include_srid=False)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return _shapely().from_wkb(bytes(value))


@cache
def _shapely():
    """shapely, imported when the first geometry is stored or read: the models (and `geoapp sets`, which reads
    no geometry) load without it and numpy."""
    import shapely  # noqa: PLC0415 - lazy, as the docstring says

    return shapely
