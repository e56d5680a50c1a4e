"""Pages of a long list: which page a request asks for, the slice it gets, and the links to the pages beside it.

A boundary set with more areas than ``ATLAS_LIST_LIMIT`` is browsed a page of ``ATLAS_PAGE_SIZE`` areas at a time
(the profiles index, the compare chooser, the indicator tables) rather than listed whole. ``?page=`` counts from 1;
``?per_page=`` asks for another page size up to :data:`MAX_PER_PAGE`.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from ..errors import InvalidInput
from ..settings import whole_number

#: The most areas one page may hold, and the highest page number asked for.
MAX_PER_PAGE, MAX_PAGE = 1000, 10**9


#: The query parameters of a paged list, for its OpenAPI entry.
PAGE_QUERY = (
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
     "description": "Which page of the list (from 1; past the last: the last)"},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
     "description": "How many areas a page holds (default ATLAS_PAGE_SIZE)"})


def list_limit() -> int:
    """Sets with more areas than this are browsed by page, district and search (``ATLAS_LIST_LIMIT``)."""
    return whole_number(current_app.config, "ATLAS_LIST_LIMIT", minimum=1)


@dataclass(frozen=True)
class Paging:
    """The page asked for: its number (from 1) and size."""

    page: int
    per_page: int

    @classmethod
    def asked(cls) -> Paging:
        """The page ``?page=`` and ``?per_page=`` ask for (default: the first, ``ATLAS_PAGE_SIZE`` long)."""
        default = whole_number(current_app.config, "ATLAS_PAGE_SIZE", minimum=1)
        return cls(_number("page", 1, MAX_PAGE), _number("per_page", default, MAX_PER_PAGE))

    def cut(self, items) -> tuple[list, dict]:
        """This page of ``items`` (a list or DataFrame) and what the page says of itself: ``total``, ``page``,
        ``pages``, ``per_page`` and the URLs of the ``next`` and ``prev`` pages (null at either end)."""
        total = len(items)
        pages = max(1, -(-total // self.per_page))
        page = min(self.page, pages)
        start = (page - 1) * self.per_page
        part = items[start:start + self.per_page]
        return part, {"total": total, "page": page, "pages": pages, "per_page": self.per_page,
                      "first_item": start + 1 if total else 0, "last_item": start + len(part),
                      "next": _link(page + 1) if page < pages else None,
                      "prev": _link(page - 1) if page > 1 else None}


def _link(page: int) -> str:
    args = request.args.to_dict() | {"page": page}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _number(name: str, default: int, largest: int) -> int:
    text = request.args.get(name)
    if text is None or not text.strip():
        return default
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= largest:
        raise InvalidInput(f"?{name}= must be a whole number from 1 to {largest:,}; it is “{text[:40]}”.")
    return number
