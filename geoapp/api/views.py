"""OGC API – Features (placeholder until the API blueprint is built)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/")
def landing():
    """Describe the API."""
    return {"title": "Partnership Atlas"}
