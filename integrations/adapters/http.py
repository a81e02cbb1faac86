"""Reaching remote systems: one httpx client with timeouts, a size cap and error classes,
plus decoding of what real feeds send (byte-order marks, wrong charsets, error pages)."""

from __future__ import annotations

import codecs
import json
import os
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import charset_normalizer
import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings

from .base import PermanentError, TemporaryError

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
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PermanentError(
            f"{where} did not answer JSON ({exc.msg} at line {exc.lineno})."
        ) from exc


def parse_xml(text: str, where: str) -> Element:
    """Parse XML safely (defusedxml), skipping junk before the first tag (e.g. a status line)."""
    start = text.find("<")
    if start < 0:
        raise PermanentError(f"{where} did not answer XML: {excerpt(text)}")
    try:
        return ElementTree.fromstring(text[start:])
    except DefusedXmlException as exc:
        raise PermanentError(f"{where} sent XML with forbidden constructs ({exc}).") from exc
    except ElementTree.ParseError as exc:
        raise PermanentError(f"{where} sent XML that does not parse ({exc}).") from exc


def excerpt(text: str, size: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= size else text[: size - 1] + "…"


def error_text(data: bytes, content_type: str = "") -> str:
    """The readable part of an HTTP error body: JSON message, XML <description>/<error>, or text.

    Error bodies are often not what they claim (an HTML page, a raw status line before the
    XML), so every step falls back to a plain excerpt.
    """
    text = decode_text(data, declared=charset_of(content_type)).strip()
    if not text:
        return ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if body is not None:
        items = body if isinstance(body, list) else [body]
        messages = []
        for item in items:
            if isinstance(item, dict):
                for key in ("description", "message", "detail", "error", "errors"):
                    if item.get(key):
                        messages.append(str(item[key]))
                        break
        if messages:
            return excerpt("; ".join(messages))
    start = text.find("<")
    if start >= 0:
        try:
            root = ElementTree.fromstring(text[start:])
        except Exception:  # any XML failure: fall back to the text with tags removed
            root = None
        if root is not None:
            parts = [
                (el.text or "").strip()
                for el in root.iter()
                if el.tag in ("description", "error", "message") and (el.text or "").strip()
            ]
            if parts:
                return excerpt("; ".join(parts))
        text = re.sub(r"<[^>]+>", " ", text)
    return excerpt(text)


def secret_from_env(name: str, key: str) -> str:
    """The value of a secret the configuration names; a missing variable is a config error."""
    value = os.environ.get(name)
    if not value:
        raise PermanentError(
            f"{key}: the environment variable {name} is not set in the process running syncs."
        )
    return value


class Http:
    """What adapters use to reach a remote system (or read the file uploaded for this run).

    Classifies failures: timeouts, connection errors, 5xx and 429 are TemporaryError (retried);
    401/403, other 4xx, oversize bodies are PermanentError (the run stops with the reason).
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_bytes: int | None = None,
        upload: bytes | None = None,
        upload_name: str = "",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timeout = timeout or settings.KOBAN_SYNC_HTTP_TIMEOUT
        self.max_bytes = max_bytes or settings.KOBAN_SYNC_MAX_BYTES_MB * 1024 * 1024
        self.upload = upload
        self.upload_name = upload_name
        self.requests = 0
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=True,
            headers={"User-Agent": "Koban-integrations/1.0"},
            transport=transport,
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
        self.requests += 1
        shown = url
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as response:
                shown = str(response.url.copy_with(query=None))
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PermanentError(
                            f"{shown} sent more than {self.max_bytes // (1024 * 1024)} MB; "
                            "narrow the request (window, page size) or raise "
                            "KOBAN_SYNC_MAX_BYTES_MB."
                        )
                    chunks.append(chunk)
                content = b"".join(chunks)
                status = response.status_code
                content_type = response.headers.get("content-type", "")
        except httpx.TimeoutException as exc:
            raise TemporaryError(f"{shown} did not answer within {self.timeout:g} s.") from exc
        except httpx.TransportError as exc:
            raise TemporaryError(f"Could not reach {shown}: {exc}.") from exc
        except httpx.InvalidURL as exc:
            raise PermanentError(f"Invalid URL {url}: {exc}.") from exc
        if status >= 400:
            detail = error_text(content, content_type)
            message = f"HTTP {status} from {shown}" + (f": {detail}" if detail else ".")
            if status >= 500 or status in _RETRYABLE:
                raise TemporaryError(message)
            if status in (401, 403):
                raise PermanentError(message + " Check the credentials the source refers to.")
            raise PermanentError(message)
        return Fetched(url=shown, status=status, content=content, content_type=content_type)

    def auth_headers(self, env_name: str | None, key: str = "config.auth_header_env") -> dict:
        """An Authorization header whose value comes from the named environment variable."""
        if not env_name:
            return {}
        return {"Authorization": secret_from_env(env_name, key)}
