"""Which fields of a boundary layer hold the area codes and names.

ONS files name them after the geography and year (``LSOA11CD``/``LSOA11NM``,
``WD19CD``/``WD19NM``); others use ``code``, ``ons_code``, ``gss_code``,
``name``.  Fields given by the user may differ from the file's in case only.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from boundaries.codes import GSS_CODE, clean_codes
from boundaries.errors import BoundaryError


def choose_fields(
    frame: pd.DataFrame,
    code_field: str | None = None,
    name_field: str | None = None,
    *,
    where: str = "the layer",
) -> tuple[str, str | None]:
    """Return the code field and the name field (None when there is none).

    A code field is named ``code`` or ends in ``CD`` or ``code``; among several,
    one whose values are unique wins, then one whose values all look like GSS
    codes, then one named exactly ``code``.  With none so named, a field whose
    values are unique GSS codes is taken.  A name field is the code field's
    partner (``LSOA11CD`` → ``LSOA11NM``, ``ward_code`` → ``ward_name``), or
    one named ``name``, or one ending in ``NM`` or ``name``.

    Parameters
    ----------
    frame : DataFrame
        The layer's attributes (a geometry column is ignored).
    code_field, name_field : str, optional
        Fields chosen by the user; matched ignoring case when unambiguous.
    where : str
        The file and layer, for messages.

    Raises
    ------
    BoundaryError
        If a given field is not in the layer, or no code field can be found
        (listing the fields and asking for ``--code-field``).

    Examples
    --------
    >>> frame = pd.DataFrame({"lad19cd": ["E06000050"] * 2, "lsoa11cd": ["E01018308", "E01018309"],
    ...                       "lsoa11nm": ["CWAC 022A", "CWAC 029A"], "lad19nm": ["CWAC"] * 2})
    >>> choose_fields(frame)
    ('lsoa11cd', 'lsoa11nm')
    >>> choose_fields(frame, "LAD19CD")
    ('lad19cd', 'lad19nm')
    """
    geometry = frame.active_geometry_name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = [str(column) for column in frame.columns if column != geometry]
    unknown = [
        f"'{field}'"
        for field in (code_field, name_field)
        if field is not None and _match(field, columns) is None
    ]
    if unknown:
        raise BoundaryError(
            f"{where} has no field {' or '.join(unknown)}; its fields are: {', '.join(columns) or 'none'}"
        )
    code = _match(code_field, columns) if code_field else _detect_code_field(frame, columns)
    if code is None:
        raise BoundaryError(
            f"{where}: cannot tell which field holds the area codes; its fields are: "
            f"{', '.join(columns) or 'none'}. Name them with --code-field (and --name-field)."
        )
    name = _match(name_field, columns) if name_field else _detect_name_field(columns, code)
    return code, name


def _match(field: str, columns: list[str]) -> str | None:
    """The column called ``field``, or the only one that differs just in case."""
    if field in columns:
        return field
    folded = [column for column in columns if column.lower() == field.lower()]
    return folded[0] if len(folded) == 1 else None


def _detect_code_field(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """The code field: among the named ones, unique values first, then GSS-looking ones, then ``code``, then
    the first; the GSS test (a regular expression on every value) only for the fields still tied."""
    def values(column: str) -> list[str]:
        return [code for code in clean_codes(frame[column].tolist()) if code is not None]

    def unique(column: str) -> bool:
        found = values(column)
        return bool(found) and len(set(found)) == len(found)

    def gss(column: str) -> bool:
        found = values(column)
        return bool(found) and all(GSS_CODE.match(value) for value in found)

    named = [column for column in columns if _looks_like(column, "code", ("cd", "code"))]
    if named:
        uniques = [unique(column) for column in named]
        tied = [(i, column) for i, column in enumerate(named) if uniques[i] == max(uniques)]
        if len(tied) == 1:
            return tied[0][1]
        return max((gss(column), column.lower() == "code", -i, column) for i, column in tied)[-1]
    return next((column for column in columns if unique(column) and gss(column)), None)


def _detect_name_field(columns: list[str], code_field: str) -> str | None:
    partner = _partner_name(code_field.lower())
    named = [
        column for column in columns if column != code_field and _looks_like(column, "name", ("nm", "name"))
    ]
    if not named:
        return None
    ranked = [
        (column.lower() == partner, column.lower() == "name", -i, column) for i, column in enumerate(named)
    ]
    return max(ranked)[-1]


def _looks_like(column: str, exact: str, endings: tuple[str, ...]) -> bool:
    lower = column.lower()
    return lower == exact or lower.endswith(endings)


def _partner_name(code_field: str) -> str:
    """The name field that goes with a code field: lsoa11cd → lsoa11nm, ward_code → ward_name."""
    if code_field.endswith("cd"):
        return code_field[:-2] + "nm"
    if code_field.endswith("code"):
        return code_field[: -len("code")] + "name"
    return "name"
