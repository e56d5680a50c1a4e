"""Area codes: how they look and how they are cleaned up.

Codes are compared as stripped text, so ``" E05012209"`` and ``"E05012209"``
are the same area and a code a spreadsheet turned into ``123.0`` is ``"123"``.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

#: An ONS Government Statistical Service code, e.g. E05012209 (a ward).
GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")


def clean_code(value: object) -> str | None:
    """Return a code as stripped text, or None when it is blank.

    Examples
    --------
    >>> clean_code(" E05012209 "), clean_code(123.0), clean_code(""), clean_code(float("nan"))
    ('E05012209', '123', None, None)
    """
    if is_blank(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return str(value).strip() or None


def clean_codes(values: list) -> list[str | None]:
    """:func:`clean_code` of each value; a list of text (the usual case) is stripped without per-value checks.

    Examples
    --------
    >>> clean_codes([" E05012209", ""]), clean_codes([123.0, None])
    (['E05012209', None], ['123', None])
    """
    if all(type(value) is str for value in values):
        return [value.strip() or None for value in values]
    return [clean_code(value) for value in values]


def is_blank(value: object) -> bool:
    """Say whether a cell is empty (None, NaN, NA or NaT).

    Examples
    --------
    >>> is_blank(None), is_blank(float("nan")), is_blank(pd.NA), is_blank(0)
    (True, True, True, False)
    """
    return (
        value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))
    )
