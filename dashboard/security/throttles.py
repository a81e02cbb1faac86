"""API throttles: DRF's, counting in the "throttle" cache alias and reading rates when asked, so
the settings (and a test's override) apply without a restart of the class attributes."""

from __future__ import annotations

from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework import throttling
from rest_framework.settings import api_settings

_cache = ConnectionProxy(caches, "throttle")


class _RatesFromSettings:
    cache = _cache
    scope: str | None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[arg-type]


class AnonThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """Anonymous calls, per address."""


class UserThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Signed-in calls, per user (per address when anonymous)."""


class TokenEndpointThrottle(_RatesFromSettings, throttling.SimpleRateThrottle):
    """The token endpoint, per address: password guessing meets this before the lockout."""

    scope = "auth_token"

    def get_cache_key(self, request, view):  # type: ignore[no-untyped-def]
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
