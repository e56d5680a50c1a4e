"""Printable HTML as PDF, drawn by WeasyPrint, fetching nothing: the documents carry their images as data: URIs."""
from __future__ import annotations

from .errors import ServiceUnavailable

NEEDS = "WeasyPrint and Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)"


def write_pdf(html: str, what: str) -> bytes:
    """One self-contained HTML document as a PDF; ServiceUnavailable naming ``what`` ("PDF board packs")
    without WeasyPrint."""
    # imported here: WeasyPrint loads Pango's system libraries on import (an OSError where they are missing),
    # and the app must still start and serve every other page without them
    try:
        from weasyprint import HTML  # noqa: PLC0415 - lazy: needs Pango's libraries; the app starts without
    except (ImportError, OSError) as error:
        raise ServiceUnavailable(f"{what} need {NEEDS}") from error
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - lazy, as above; WeasyPrint 68 and later

    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=False)
    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
