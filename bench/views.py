"""The bench's baseline: a view that does nothing, behind the same server and middleware as the
API (session, second factor, CSP...). Routed only with KOBAN_BENCH_VIEWS=true (koban/urls.py)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def trivial(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
