"""Reading values as real feeds write them: numbers as strings, dates with or without zones,
coordinates that are missing, zero or swapped into one "(lat, lon)" text."""

from __future__ import annotations

import re
import string
import zoneinfo
from datetime import datetime
from typing import Any

from dateutil import parser as date_parser

from .base import MappingError

_LATLON = re.compile(r"^\s*\(?\s*(-?[\d.]+)\s*[,; ]\s*(-?[\d.]+)\s*\)?\s*$")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """A clean one-line string: None -> "", runs of spaces collapsed."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def number(value: Any, field: str) -> float | None:
    """A float from a number or a numeric string ("37.7", "37,7"); blank -> None."""
    if blank(value):
        return None
    if isinstance(value, bool):
        raise MappingError(f"{field}: {value!r} is not a number.")
    if isinstance(value, int | float):
        return float(value)
    cleaned = str(value).strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        raise MappingError(f"{field}: '{value}' is not a number.") from None


def lonlat(lon: Any, lat: Any, field: str = "coordinates") -> tuple[float, float] | None:
    """A (lon, lat) pair, or None when the record is not located (missing, blank or 0,0)."""
    x, y = number(lon, f"{field} (longitude)"), number(lat, f"{field} (latitude)")
    if x is None or y is None or (x == 0 and y == 0):
        return None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise MappingError(f"{field}: longitude {x}, latitude {y} are out of range.")
    return (x, y)


def latlon_text(value: Any, field: str) -> tuple[float, float] | None:
    """Parse a "(lat, lon)" text such as SFPD's Location column; returns (lon, lat)."""
    if blank(value):
        return None
    match = _LATLON.match(str(value))
    if not match:
        raise MappingError(f"{field}: '{value}' is not a '(lat, lon)' pair.")
    return lonlat(match.group(2), match.group(1), field)


def aware(moment: datetime, tz: str) -> datetime:
    """Naive times are the source's local time (its configured time zone)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zoneinfo.ZoneInfo(tz))
    return moment


def moment(value: Any, field: str, *, tz: str, fmt: str | None = None) -> datetime | None:
    """A time-zone-aware datetime from ISO 8601, a strptime format, or epoch seconds/ms."""
    if blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=zoneinfo.ZoneInfo("UTC"))
    raw = str(value).strip()
    try:
        parsed = datetime.strptime(raw, fmt) if fmt else date_parser.isoparse(raw)
    except ValueError:
        if fmt:
            raise MappingError(f"{field}: '{raw}' does not match the date format {fmt}.") from None
        try:
            parsed = date_parser.parse(raw)
        except (ValueError, OverflowError):
            raise MappingError(f"{field}: '{raw}' is not a date and time.") from None
    return aware(parsed, tz)


class _Strict(dict):
    def __missing__(self, key: str) -> Any:
        raise MappingError(f"the record has no '{key}'.")


def pick(record: dict[str, Any], spec: str | None) -> Any:
    """A field by name, or a template like "{Category}: {Descript}" filled from the record."""
    if spec is None:
        return None
    if "{" not in spec:
        if spec not in record:
            raise MappingError(f"the record has no '{spec}'.")
        return record[spec]
    values = _Strict({k: "" if v is None else v for k, v in record.items() if isinstance(k, str)})
    try:
        return string.Formatter().vformat(spec, (), values)
    except (ValueError, IndexError) as exc:
        raise MappingError(f"template '{spec}' cannot be filled: {exc}.") from None


def lookup(mapping: dict[str, str], value: Any, what: str, key: str) -> str:
    """Map an upstream value through a configured table (case-insensitive, 'default' fallback)."""
    wanted = text(value)
    if wanted in mapping:
        return mapping[wanted]
    folded = {k.casefold(): v for k, v in mapping.items()}
    if wanted.casefold() in folded:
        return folded[wanted.casefold()]
    if "default" in mapping:
        return mapping["default"]
    raise MappingError(f"{what} '{wanted}' is not in {key} (and {key} has no 'default').")


def dotted(data: Any, path: str | None) -> Any:
    """data['a']['b'] for "a.b"; None/'' path -> data."""
    if not path:
        return data
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            raise KeyError(path)
        data = data[part]
    return data
