"""Input limits shared by every entry point (API parsers, forms, the websocket, commands).

Python's JSON parser recurses: a few thousand nested brackets raise RecursionError, which
surfaces as a 500 wherever nobody expected it. Everything that parses JSON from outside goes
through `loads_limited`, which turns too-deep or invalid input into one clear error.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant as json_strict_constant

# Deeper than any legitimate document Koban accepts (GeoJSON MultiPolygons are 5 levels deep).
MAX_JSON_DEPTH = 32


class InputTooDeep(ValueError):
    """The document nests arrays/objects deeper than MAX_JSON_DEPTH."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(f"The document is nested too deeply (more than {limit} levels).")
        self.limit = limit


def json_depth(value: Any) -> int:
    """Nesting depth of decoded JSON (a scalar is 0), computed without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """`value` itself, or InputTooDeep: for data decoded elsewhere (YAML, form fields)."""
    if json_depth(value) > limit:
        raise InputTooDeep(limit)
    return value


def loads_limited(
    text: str | bytes, limit: int = MAX_JSON_DEPTH, parse_constant: Any = None
) -> Any:
    """json.loads that refuses nesting deeper than `limit` with InputTooDeep (never
    RecursionError); invalid JSON still raises json.JSONDecodeError."""
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise InputTooDeep(limit) from None
    return check_depth(value, limit)


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser for every API view (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): too deep,
    invalid, NaN/Infinity, or text PostgreSQL cannot store (lone surrogates) is a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            data = loads_limited(text, parse_constant=json_strict_constant)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except InputTooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except UnicodeError:
            raise ParseError("JSON parse error - text must be valid Unicode.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        return data
