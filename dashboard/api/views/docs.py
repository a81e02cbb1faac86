"""The documentation pages, served from the project (drf-spectacular-sidecar), no CDN, and
without inline script, which the Content-Security-Policy forbids."""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is served by this same view (`?script`)."""

    template_name = "api/swagger_ui.html"


# Redoc styles itself with styled-components, which writes <style> elements, and searches in a
# worker made from a blob: this one page allows both (never inline script); it shows only our
# own schema. Its footer's logo from Redocly's CDN stays blocked.
_REDOC_CSP = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


@method_decorator(csp_update(_REDOC_CSP), name="get")
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
