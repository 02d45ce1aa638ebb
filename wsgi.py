"""The WSGI entry point: `gunicorn wsgi:app`."""

from web.app import create_app
from web.serve import settle

app = create_app()
settle()
