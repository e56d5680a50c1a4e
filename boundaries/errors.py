"""Problems found in boundary data, and the errors that carry them.

A :class:`Problem` says what is wrong with one feature (or one row, or one
group) and where it is, in words a council GIS officer can act on.  A
:class:`BoundaryError` carries a headline message and every problem found, so
one failed import lists everything that needs fixing at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: How many problems ``str(BoundaryError)`` lists before summarising the rest.
SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with boundary data, and where it is.

    Parameters
    ----------
    file : str or None
        File name, e.g. ``"wards.shp"``.
    layer : str or None
        Layer name inside the file.
    feature : int or None
        1-based position of the feature in the layer.
    code : str or None
        The area's code (e.g. a GSS code) or a group's code.
    message : str
        What is wrong.

    Examples
    --------
    >>> str(Problem("wards.shp", "wards", 12, "E05012209", "ring self-intersection"))
    "wards.shp, layer 'wards', feature 12 (code E05012209): ring self-intersection"
    >>> str(Problem(None, None, None, "chester", "not contiguous"))
    'code chester: not contiguous'
    """

    file: str | None
    layer: str | None
    feature: int | None
    code: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.layer is not None:
            where.append(f"layer '{self.layer}'")
        if self.feature is not None:
            where.append(f"feature {self.feature}")
        place = ", ".join(where)
        if self.code is not None:
            place = f"{place} (code {self.code})" if place else f"code {self.code}"
        return f"{place}: {self.message}" if place else self.message


def location(file: str | None = None, layer: str | None = None) -> str:
    """Name a file and layer for the start of a message.

    Examples
    --------
    >>> location("wards.gpkg", "wards")
    "wards.gpkg, layer 'wards'"
    >>> location()
    'the layer'
    """
    parts = [file] if file else []
    if layer is not None:
        parts.append(f"layer '{layer}'")
    return ", ".join(parts) if parts else "the layer"


class BoundaryError(ValueError):
    """Boundary data that cannot be used, with every problem found.

    Parameters
    ----------
    message : str
        Headline: what is wrong overall and in which file or layer.
    problems : iterable of Problem, optional
        The individual problems, listed after the headline.

    Examples
    --------
    >>> err = BoundaryError("wards.gpkg: 2 problems", [
    ...     Problem("wards.gpkg", "wards", 3, None, "no code"),
    ...     Problem("wards.gpkg", "wards", 7, None, "no code")])
    >>> print(err)
    wards.gpkg: 2 problems
      wards.gpkg, layer 'wards', feature 3: no code
      wards.gpkg, layer 'wards', feature 7: no code
    """

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)

    def __str__(self) -> str:
        lines = [self.message]
        lines += [f"  {problem}" for problem in self.problems[:SHOWN_PROBLEMS]]
        hidden = len(self.problems) - SHOWN_PROBLEMS
        if hidden > 0:
            lines.append(f"  ... and {hidden} more")
        return "\n".join(lines)


class CRSError(BoundaryError):
    """A coordinate reference system that is missing, mismatched or implausible."""


class GroupingError(BoundaryError):
    """Areas that cannot be built from their blocks as assigned."""
