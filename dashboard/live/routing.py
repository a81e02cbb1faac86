"""Websocket routes (wrapped in koban/asgi.py by the origin check and session auth)."""

from __future__ import annotations

from django.urls import path

from .consumer import OperationsConsumer

websocket_urlpatterns = [
    path("ws/operations/", OperationsConsumer.as_asgi()),
]
