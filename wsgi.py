"""WSGI entry point: `gunicorn wsgi:app`. Configuration comes from the environment (see README)."""
from geoapp.app import create_app

app = create_app()
