"""Who may post: a client application's api_key (form field or query parameter), checked only on
POST; reading is public. Posts are throttled per key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from .models import ClientApplication
from .selectors import client_for_key

INVALID_KEY = "Invalid api_key received -- can't proceed with create_request."


class ClientKeyAuthentication(BaseAuthentication):
    """request.auth is the ClientApplication; a missing or bad key on a POST is a 403."""

    def authenticate(self, request: Any) -> tuple[AnonymousUser, ClientApplication] | None:
        if request.method != "POST":
            return None
        key = request.data.get("api_key") or request.query_params.get("api_key") or ""
        if not isinstance(key, str) or not key:
            raise exceptions.NotAuthenticated("api_key is missing; ask the administrator for one.")
        client = client_for_key(key)
        if client is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        return AnonymousUser(), client

    def authenticate_header(self, request: Any) -> None:
        return None  # no WWW-Authenticate scheme: DRF answers 403, as GeoReport v2 asks


class PostNeedsClientKey(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method != "POST" or isinstance(request.auth, ClientApplication)


class ClientKeyThrottle(SimpleRateThrottle):
    """Posts per client key (KOBAN_OPEN311_RATE_KEY), counted in the "throttle" cache."""

    scope = "open311_key"
    cache = ConnectionProxy(caches, "throttle")

    def get_rate(self) -> str:
        return settings.KOBAN_OPEN311_RATE_KEY

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if request.method != "POST" or not isinstance(request.auth, ClientApplication):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
