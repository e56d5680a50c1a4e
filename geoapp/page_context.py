"""Values every page needs: whether the data shown is fictional, and the licence lines to show."""
from __future__ import annotations

from .storage.boundary_sets import list_sets
from .storage.web import db_session


def store_context() -> dict:
    """The fictional-data flag and the distinct licence lines of the current boundary sets."""
    sets = list_sets(db_session())
    lines = []
    for bset in sets:
        if bset.licence and bset.licence not in lines:
            lines.append(bset.licence)
    return {"fictional": any(s.fictional for s in sets), "attribution": lines}


def register_page_context(app) -> None:
    @app.context_processor
    def inject():
        try:
            return store_context()
        except Exception:  # noqa: BLE001 - an error page must render even when the store is down
            return {"fictional": False, "attribution": []}
