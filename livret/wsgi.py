"""WSGI entry point for the web server (``livret serve`` runs it under gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
application = get_wsgi_application()
