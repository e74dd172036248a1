"""WSGI entry point (gunicorn pancommons.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")
application = get_wsgi_application()
