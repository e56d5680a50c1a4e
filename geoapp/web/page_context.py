"""Values every page needs: whether the data shown is fictional, and the credit lines of the data loaded."""
from __future__ import annotations

from layers.text import lower_first

from ..credits import dataset_credits
from ..storage.boundary_sets import list_sets
from .db import db_session


def store_context() -> dict:
    """The fictional-data flag and each loaded dataset's credit line, once each (:func:`dataset_credits`)."""
    session = db_session()
    return {"fictional": any(s.fictional for s in list_sets(session)),
            "attribution": [credit.text for credit in dataset_credits(session)]}


def register_page_context(app) -> None:
    app.add_template_filter(lower_first, "lower_first")

    @app.context_processor
    def inject():
        try:
            return store_context()
        except Exception:  # noqa: BLE001 - an error page must render even when the store is down
            return {"fictional": False, "attribution": []}
