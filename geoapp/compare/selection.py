"""The areas a comparison shows, written in its URL as ``areas=set:code,set:code`` (its stable address)."""
from __future__ import annotations

from ..errors import InvalidInput
from ..storage import saved_lists


def parse(text: str | None) -> list[tuple[str, str]]:
    """``"apb:dundon, wards:X05000001"`` as ``[("apb", "dundon"), ("wards", "X05000001")]``."""
    pairs = []
    for item in (text or "").split(","):
        set_id, colon, code = item.strip().partition(":")
        if not item.strip():
            continue
        if not (colon and set_id.strip() and code.strip()):
            raise InvalidInput(f"“{item.strip()}” is not an area: write each area as set:code, "
                               "for example apb:dundon or wards:E05012345, separated by commas.")
        pairs.append((set_id.strip(), code.strip()))
    return pairs


def text(areas) -> str:
    """Areas (dicts with ``set`` and ``code``, or pairs) as the ``areas`` URL argument."""
    pairs = [(a["set"], a["code"]) if isinstance(a, dict) else a for a in areas]
    return ",".join(f"{s}:{c}" for s, c in pairs)


def chosen(session, areas_text: str | None, *, minimum: int = 0) -> list[dict]:
    """The areas named in ``areas_text``, checked (see :func:`saved_lists.describe_areas`)."""
    try:
        pairs = parse(areas_text)
    except InvalidInput as error:
        error.chosen = []
        raise
    return saved_lists.describe_areas(session, pairs, minimum=minimum)
