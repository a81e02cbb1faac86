"""WSGI entry point (admin and API only; the live feed needs ASGI, see asgi.py).

A web process: its database connections get WEB_STATEMENT_TIMEOUT_SECONDS (KOBAN_PROCESS=web).
Request bodies are limited by Django's DATA_UPLOAD_MAX_MEMORY_SIZE and the proxy in front.
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koban.settings")
if not settings.configured:  # the settings are read below, for a process serving the web
    os.environ.setdefault("KOBAN_PROCESS", "web")
application = get_wsgi_application()
