"""Reaching remote systems: one guarded httpx client (public addresses only, timeouts, a size
cap, error classes), secrets from KOBAN_SECRET_* variables, and decoding of what real feeds send
(byte-order marks, wrong charsets)."""

from __future__ import annotations

import codecs
import json
import os
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from xml.etree.ElementTree import Element

import charset_normalizer
import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings

from koban.limits import MAX_JSON_DEPTH, InputTooDeep, loads_limited

from ..schemas import ENV_NAME_MESSAGE, is_secret_name
from .base import PermanentError, TemporaryError
from .outbound import AddressRefused, GuardedTransport

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
_RETRYABLE = {408, 425, 429}


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    content: bytes
    content_type: str

    def text(self, forced: str | None = None) -> str:
        return decode_text(self.content, declared=charset_of(self.content_type), forced=forced)


def charset_of(content_type: str) -> str | None:
    match = re.search(r"charset=[\"']?([A-Za-z0-9._-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_text(data: bytes, *, declared: str | None = None, forced: str | None = None) -> str:
    """Bytes to text, trusting evidence over labels.

    Order: a forced encoding (the source's config); a byte-order mark; strict UTF-8 (a feed
    that decodes as UTF-8 is UTF-8 whatever its label says); the declared charset (HTTP header
    or XML prolog); charset-normalizer's best guess. The BOM never reaches the parser.
    """
    if forced:
        return data.decode(forced, errors="replace").lstrip("\ufeff")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    prolog = _XML_DECL.match(data[:200])
    for label in (declared, prolog.group(1).decode() if prolog else None):
        codec = _codec(label)
        if codec and codec not in ("utf-8", "ascii"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("latin-1")


def parse_json(text: str, where: str) -> Any:
    """JSON from a remote or an uploaded file; nesting deeper than MAX_JSON_DEPTH is refused
    as a run error (never a RecursionError)."""
    try:
        return loads_limited(text)
    except InputTooDeep as exc:
        raise PermanentError(
            f"{where} sent JSON nested too deeply (more than {exc.limit} levels)."
        ) from None
    except json.JSONDecodeError as exc:
        raise PermanentError(
            f"{where} did not answer JSON ({exc.msg} at line {exc.lineno})."
        ) from exc


def _xml_depth(root: Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def parse_xml(text: str, where: str) -> Element:
    """Parse XML safely (defusedxml), skipping junk before the first tag (e.g. a status line);
    elements nested deeper than MAX_JSON_DEPTH are refused."""
    start = text.find("<")
    if start < 0:
        raise PermanentError(f"{where} did not answer XML.")
    try:
        root = ElementTree.fromstring(text[start:])
    except DefusedXmlException as exc:
        raise PermanentError(f"{where} sent XML with forbidden constructs ({exc}).") from exc
    except ElementTree.ParseError as exc:
        raise PermanentError(f"{where} sent XML that does not parse ({exc}).") from exc
    if _xml_depth(root) > MAX_JSON_DEPTH:
        raise PermanentError(
            f"{where} sent XML nested too deeply (more than {MAX_JSON_DEPTH} levels)."
        )
    return root


# --- Secrets -----------------------------------------------------------------------------------


def secret_from_env(name: str, key: str) -> str:
    """The value of a secret the configuration names. Only KOBAN_SECRET_* variables are ever
    read (the schema refuses other names; this also covers configurations stored before); a
    missing one is a configuration error naming only that variable."""
    if not is_secret_name(name):
        raise PermanentError(f"{key}: {ENV_NAME_MESSAGE}")
    value = os.environ.get(name)
    if not value:
        raise PermanentError(
            f"{key}: the environment variable {name} is not set in the process running syncs."
        )
    return value


# --- The client --------------------------------------------------------------------------------

MAX_REDIRECTS = 5


def _place(url: httpx.URL) -> str:
    """host:port of a URL, as people write it ([::1]:80)."""
    host = url.host
    if ":" in host:
        host = f"[{host}]"
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{host}:{port}"


def _shown(url: httpx.URL) -> str:
    """A URL as errors show it: no credentials, no query (it may carry an api_key)."""
    return str(url.copy_with(userinfo=b"", query=None, fragment=None))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"


class Http:
    """What adapters use to reach a remote system (or read the file uploaded for this run).

    Every request, redirect and paging link goes through GuardedTransport (public addresses
    only, unless KOBAN_SOURCES_ALLOWED_NETWORKS allows more). Errors never carry the remote's
    body: the status and its standard reason, or one message for any connection failure.
    Timeouts, connection failures, 5xx and 408/425/429 are TemporaryError (retried); refused
    addresses, 401/403, other 4xx and oversize bodies are PermanentError.
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
        upload: bytes | None = None,
        upload_name: str = "",
    ) -> None:
        self.timeout = timeout or settings.KOBAN_SYNC_HTTP_TIMEOUT
        self.max_bytes = max_bytes or settings.KOBAN_SYNC_MAX_BYTES_MB * 1024 * 1024
        self.upload = upload
        self.upload_name = upload_name
        self.requests = 0
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            headers={"User-Agent": "Koban-integrations/1.0"},
            transport=GuardedTransport(),
            trust_env=False,  # no proxies or .netrc credentials from the environment
        )

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fetched:
        """GET `url`, following at most MAX_REDIRECTS redirects, each one vetted again
        (an Authorization header is dropped when a redirect leaves the origin)."""
        self.requests += 1
        try:
            request = self._client.build_request("GET", url, params=params, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as exc:
            raise PermanentError(f"Invalid URL {url}: {exc}.") from None
        for _hop in range(MAX_REDIRECTS + 1):
            if request.url.scheme not in ("http", "https"):
                raise PermanentError(
                    f"refused: {_shown(request.url)} is not an http:// or https:// URL."
                )
            fetched = self._send(request)
            if isinstance(fetched, Fetched):
                return fetched
            request = fetched
        raise PermanentError(f"{_shown(request.url)}: more than {MAX_REDIRECTS} redirects.")

    def _send(self, request: httpx.Request) -> Fetched | httpx.Request:
        """One hop: the fetched answer, or the request a redirect asks for next."""
        shown, place = _shown(request.url), _place(request.url)
        try:
            response = self._client.send(request, stream=True, follow_redirects=False)
            try:
                if response.next_request is not None:
                    return response.next_request
                status = response.status_code
                content_type = response.headers.get("content-type", "")
                # A failed request's body is never read: nothing of it reaches people.
                content = self._read(response, shown) if status < 400 else b""
            finally:
                response.close()
        except AddressRefused as exc:
            raise PermanentError(
                f"{exc}; sources may only reach public addresses (an administrator can allow "
                "a network with KOBAN_SOURCES_ALLOWED_NETWORKS)."
            ) from None
        except httpx.RemoteProtocolError as exc:
            if "location header" not in str(exc):
                raise TemporaryError(f"could not connect to {place}.") from None
            raise PermanentError(f"{shown} redirected to an invalid URL.") from None
        except httpx.ConnectTimeout:
            raise TemporaryError(f"could not connect to {place}.") from None
        except httpx.TimeoutException:
            raise TemporaryError(f"{place} did not answer within {self.timeout:g} s.") from None
        except httpx.TransportError:
            # Refused, reset, closed without an answer, no such host: one message for all.
            raise TemporaryError(f"could not connect to {place}.") from None
        except httpx.HTTPError as exc:  # e.g. a body that does not decode (bad gzip)
            raise PermanentError(f"{shown}: {type(exc).__name__}.") from None
        if status >= 400:
            message = f"HTTP {status} from {shown} ({_reason(status)})."
            if status >= 500 or status in _RETRYABLE:
                raise TemporaryError(message)
            if status in (401, 403):
                raise PermanentError(message + " Check the credentials the source refers to.")
            raise PermanentError(message)
        return Fetched(
            url=_shown(request.url), status=status, content=content, content_type=content_type
        )

    def _read(self, response: httpx.Response, shown: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise PermanentError(
                    f"{shown} sent more than {self.max_bytes // (1024 * 1024)} MB; "
                    "narrow the request (window, page size) or raise KOBAN_SYNC_MAX_BYTES_MB."
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def auth_headers(self, env_name: str | None, key: str = "config.auth_header_env") -> dict:
        """An Authorization header whose value comes from the named environment variable."""
        if not env_name:
            return {}
        return {"Authorization": secret_from_env(env_name, key)}


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs share scheme, host and port (credentials go only to their origin)."""
    try:
        a, b = httpx.URL(url), httpx.URL(other)
    except (httpx.InvalidURL, UnicodeError):
        return False
    return (a.scheme, a.host, a.port or a.scheme) == (b.scheme, b.host, b.port or b.scheme)
