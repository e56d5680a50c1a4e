"""Service alignment pages: pick two boundary sets, see how well they fit, where, and download the lookup."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("alignment", __name__, url_prefix="/alignment")
