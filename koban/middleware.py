"""Limits every web request runs under: body size (ASGI, and inside Daphne), the waits for a
pooled connection, a query and a lock; and Daphne passing on websocket close reasons.

Wired in koban/asgi.py (BodySizeLimit, cap_daphne_request_bodies, forward_daphne_close_reasons)
and MIDDLEWARE (QueryTimeoutMiddleware); the numbers are settings (koban/settings.py, "Request
limits" and "Database").
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.log import log_response
from django.utils.translation import gettext as _
from psycopg.errors import LockNotAvailable, QueryCanceled
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _too_large_body(limit: int) -> bytes:
    detail = f"The request body is larger than {limit} bytes."
    return json.dumps({"detail": detail, "code": "request_too_large"}).encode()


class BodySizeLimit:
    """ASGI middleware: a request body over the limit is answered 413 and never reaches Django.

    Refused at once when Content-Length says so, else as soon as the chunks received pass the
    limit (chunked uploads): the application is told the client went away and its answer, if
    any, is dropped. The routes named in `upload_routes` get `upload_max_bytes`; the route is
    only resolved for a body over `max_bytes`, so ordinary requests pay nothing.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        upload_max_bytes: int,
        upload_routes: Collection[str],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = max(upload_max_bytes, max_bytes)
        self.upload_routes = frozenset(upload_routes)

    def limit_for(self, scope: Scope) -> int:
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        try:
            view_name = resolve(path).view_name
        except Resolver404:
            return self.max_bytes
        return self.upload_max_bytes if view_name in self.upload_routes else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            limit = self.limit_for(scope)
            if declared > limit:
                await _refuse(send, limit)
                return

        received = 0
        refused = False
        widened = limit > self.max_bytes

        async def limited_receive() -> Message:
            nonlocal received, refused, limit, widened
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if received > limit and not widened:
                limit, widened = self.limit_for(scope), True
            if received > limit:
                refused = True
                await _refuse(send, limit)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = _too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def cap_daphne_request_bodies(max_bytes: int) -> None:
    """Make Daphne discard request bodies over `max_bytes` as they arrive and answer 413.

    Daphne (through Twisted) receives a whole body before the application sees any of it, parses
    multipart bodies into memory for nobody (Daphne hands the raw body on), then queues the
    whole body in memory for the application: a 60 MB upload cost hundreds of MB before
    BodySizeLimit could refuse it. This swaps Daphne's request class for one that neither
    parses nor keeps what is over the cap. The cap is the largest body any route accepts;
    BodySizeLimit applies the per-route limits.
    """
    from daphne import http_protocol

    base = getattr(http_protocol.WebRequest, "koban_base", http_protocol.WebRequest)

    class CappedWebRequest(base):  # type: ignore[misc, valid-type]
        koban_base = base
        koban_max_body = max_bytes

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._parsePOSTFormSubmission = False
            self._koban_received = 0
            self._koban_over = False

        def gotLength(self, length: int | None) -> None:  # Twisted's name
            super().gotLength(length)
            if length is not None and length > self.koban_max_body:
                self._koban_refuse()

        def handleContentChunk(self, data: bytes) -> None:  # Twisted's name
            if self._koban_over:
                return
            self._koban_received += len(data)
            if self._koban_received > self.koban_max_body:
                self._koban_refuse()
                return
            super().handleContentChunk(data)

        def _koban_refuse(self) -> None:
            self._koban_over = True
            self.content.close()
            self.content = _Empty()

        def process(self) -> Any:
            if not self._koban_over:
                return super().process()
            self.request_start = time.time()
            logger.warning("refused a request body over %s bytes", self.koban_max_body)
            self.handle_reply(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
                }
            )
            self.handle_reply(
                {"type": "http.response.body", "body": _too_large_body(self.koban_max_body)}
            )
            return None

    http_protocol.WebRequest = CappedWebRequest


def forward_daphne_close_reasons() -> None:
    """Make Daphne send the `reason` of an ASGI websocket.close (it sends only the code).

    The live feed's 4503 says `retry-after=N` there, so that browsers back off as long as the
    server will refuse them. Only in a Daphne process (daphne.ws_protocol already imported):
    elsewhere importing it would pull autobahn's Twisted flavour into the process.
    """
    ws_protocol = sys.modules.get("daphne.ws_protocol")
    if ws_protocol is None:
        return
    protocol = ws_protocol.WebSocketProtocol
    if getattr(protocol, "koban_close_reasons", False):
        return
    handle_reply = protocol.handle_reply

    def with_reason(self: Any, message: Message) -> None:
        reason = message.get("reason")
        if (
            message.get("type") == "websocket.close"
            and reason
            and self.state != self.STATE_CONNECTING
        ):
            # A close frame's payload is at most 125 bytes, two of them the code.
            text = str(reason).encode()[:123].decode(errors="ignore")
            self.sendClose(code=message.get("code") or 1000, reason=text)
            return
        handle_reply(self, message)

    protocol.handle_reply = with_reason
    protocol.koban_close_reasons = True


class _Empty:
    """Stands in for the body file of a refused request: Twisted seeks and tells on it."""

    closed = False

    def write(self, data: bytes) -> None:
        pass

    def read(self, size: int = -1) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        pass


# Retry-After of the 503s below: a lock or a pooled connection is usually free again within
# seconds; a query that ran out of time will likely do so again at once.
LOCK_RETRY_AFTER_SECONDS = 5
POOL_RETRY_AFTER_SECONDS = 5
QUERY_RETRY_AFTER_SECONDS = 30
# Answered in JSON (the API's error format); everything else is a page.
JSON_PATHS = ("/api/", "/open311/")


class QueryTimeoutMiddleware:
    """The database too busy for a web request is a 503 with Retry-After and one WARNING line,
    never a 500: no free pooled connection within KOBAN_DB_POOL_TIMEOUT_SECONDS, a query
    cancelled by statement_timeout (WEB_STATEMENT_TIMEOUT_SECONDS), or a lock not obtained in
    time (WEB_LOCK_TIMEOUT_SECONDS, or the outbox lock's KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS).

    A pooled process takes the request's connection here, before any later middleware reads the
    session: an exception raised in a middleware would become a 500 before process_exception
    could see it. A statement that failed had its transaction rolled back: nothing was written.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if connection.settings_dict["OPTIONS"].get("pool"):
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                response = self.process_exception(request, exc)
                if response is None:
                    raise
                return response
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError):
            return None
        cause = exception.__cause__
        if isinstance(cause, PoolTimeout):
            return _unavailable(
                request,
                "no database connection free in time",
                _("Koban is busy; nothing was done. Try again in a few seconds."),
                "pool_timeout",
                POOL_RETRY_AFTER_SECONDS,
            )
        if isinstance(cause, LockNotAvailable):
            return _unavailable(
                request,
                "lock not obtained in time",
                _("The data is busy (another change holds it); nothing was saved. Try again."),
                "lock_timeout",
                LOCK_RETRY_AFTER_SECONDS,
            )
        if isinstance(cause, QueryCanceled):
            return _unavailable(
                request,
                "query cancelled by statement_timeout",
                _("The request took too long and was stopped; try a narrower filter."),
                "query_timeout",
                QUERY_RETRY_AFTER_SECONDS,
            )
        return None


def _unavailable(
    request: HttpRequest, reason: str, detail: str, code: str, retry_after: int
) -> HttpResponse:
    """The 503, logged here once as a WARNING (Django would log any 5xx as an ERROR)."""
    response: HttpResponse
    if request.path.startswith(JSON_PATHS):
        response = JsonResponse({"detail": detail, "code": code}, status=503)
    else:
        page = render_to_string(
            "unavailable.html", {"title": _("Try again shortly"), "message": detail}
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after)
    log_response(
        "%s: %s %s",
        reason,
        request.method,
        request.path,
        response=response,
        request=request,
        logger=logger,
        level="warning",
    )
    return response
