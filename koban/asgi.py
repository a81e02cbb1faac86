"""ASGI entry point: HTTP through Django, websockets through the dashboard's routing.

A web process: its database connections get WEB_STATEMENT_TIMEOUT_SECONDS (KOBAN_PROCESS=web,
read by the settings). Static files are served by WhiteNoise's middleware (see settings).
"""

import os
import sys

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koban.settings")
if not settings.configured:  # the settings are read below, for a process serving the web
    os.environ.setdefault("KOBAN_PROCESS", "web")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from dashboard.live.routing import websocket_urlpatterns  # noqa: E402
from koban.middleware import (  # noqa: E402
    BodySizeLimit,
    cap_daphne_request_bodies,
    forward_daphne_close_reasons,
)

# Daphne (tests start it; `runserver` is Daphne's) needs both patches; uvicorn, the server of
# koban/server.py, streams bodies through BodySizeLimit and sends close reasons itself.
if "daphne.server" in sys.modules:
    cap_daphne_request_bodies(settings.KOBAN_MAX_UPLOAD_BODY_BYTES)
    forward_daphne_close_reasons()

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimit(
            django_asgi_app,
            max_bytes=settings.KOBAN_MAX_REQUEST_BODY_KB * 1024,
            upload_max_bytes=settings.KOBAN_MAX_UPLOAD_BODY_BYTES,
            upload_routes=settings.KOBAN_UPLOAD_ROUTES,
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
