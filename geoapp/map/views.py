"""The home map (placeholder until the map blueprint is built)."""
from flask import Blueprint, render_template_string

bp = Blueprint("map", __name__)


@bp.get("/")
def home():
    """Show the home map."""
    return render_template_string("{% extends 'base.html' %}{% block main %}<h1>Map</h1>{% endblock %}")
