"""Open311 GeoReport v2: a city's citizen-reporting system (requests.json / requests.xml).

Real feeds are messy: byte-order marks, charsets that lie, numbers as strings, 0/0 or missing
coordinates (kept, not located, with the address), dates with and without zones, error bodies
that are not XML. Incremental through `start_date` (or the common `updated_after` extension).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from xml.etree.ElementTree import Element

from pydantic import Field, field_validator

from ..schemas import (
    AdapterConfig,
    CategoryCode,
    Encoding,
    EnvVarName,
    HttpUrl,
    PriorityName,
    StatusName,
    TimeZoneName,
    default_time_zone,
)
from . import values
from .base import Adapter, Cursor, MappedIncident, MappingError, PermanentError, Pull, Raw
from .http import Http, parse_json, parse_xml, secret_from_env


class Open311Config(AdapterConfig):
    endpoint: HttpUrl = Field(
        description="GeoReport v2 base URL; requests are read from {endpoint}/requests.{format}."
    )
    format: Literal["json", "xml"] = Field("json", description="Response format to ask for.")
    jurisdiction_id: str | None = Field(None, description="Sent as jurisdiction_id if set.")
    service_categories: dict[str, CategoryCode] = Field(
        description="service_code -> Koban category code; the key 'default' catches the rest."
    )
    status_map: dict[str, StatusName] = Field(
        default_factory=lambda: {"open": "new", "closed": "closed"},
        description="Upstream status (case-insensitive) -> Koban incident status.",
    )
    priority: PriorityName = Field("medium", description="Priority of imported incidents.")
    api_key_env: EnvVarName | None = Field(
        None, description="NAME of the environment variable holding the api_key, if needed."
    )
    timezone: TimeZoneName = Field(
        default_factory=default_time_zone,
        description="Time zone of dates written without one (default: TIME_ZONE).",
    )
    window: Literal["start_date", "updated_after", "none"] = Field(
        "start_date",
        description="How a run asks only for what is new: start_date (GeoReport v2), "
        "updated_after (common extension) or none (whole list each time).",
    )
    initial_start_date: datetime | None = Field(
        None, description="The first run asks only for requests from this date."
    )
    encoding: Encoding | None = Field(
        None, description="Force a character set when the server declares a wrong one."
    )

    @field_validator("service_categories")
    @classmethod
    def _not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("Map at least one service_code (or 'default') to a category.")
        return value


def _element_dict(element: Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if len(child):
            out[tag] = _element_dict(child)
        else:
            out[tag] = (child.text or "").strip() or None
    return out


def _requests_of(body: Any, where: str) -> list[Any]:
    if isinstance(body, dict):
        for key in ("service_requests", "requests", "request"):
            if isinstance(body.get(key), list):
                return body[key]
        raise PermanentError(f"{where} answered an object, not a list of service requests.")
    if not isinstance(body, list):
        raise PermanentError(f"{where} did not answer a list of service requests.")
    return body


class Open311Adapter(Adapter):
    kind = "open311"
    label = "Open311 GeoReport v2"
    produces = "incident"
    Config = Open311Config

    def _params(self, config: Open311Config) -> dict[str, str]:
        params: dict[str, str] = {}
        if config.jurisdiction_id:
            params["jurisdiction_id"] = config.jurisdiction_id
        if config.api_key_env:
            params["api_key"] = secret_from_env(config.api_key_env, "config.api_key_env")
        return params

    def _read(self, config: Open311Config, http: Http, name: str, params: dict) -> list[Raw]:
        fetched = http.get(f"{config.endpoint.rstrip('/')}/{name}.{config.format}", params=params)
        text = fetched.text(config.encoding)
        if config.format == "xml":
            root = parse_xml(text, fetched.url)
            return [_element_dict(child) for child in root]
        items = _requests_of(parse_json(text, fetched.url), fetched.url)
        return [item if isinstance(item, dict) else {"_value": item} for item in items]

    def check(self, config: Open311Config, http: Http) -> str:
        services = self._read(config, http, "services", self._params(config))
        names = ", ".join(values.text(s.get("service_name")) for s in services[:3])
        return f"{len(services)} service types offered" + (f" (e.g. {names})." if names else ".")

    def pull(self, config: Open311Config, cursor: Cursor, http: Http) -> Pull:
        params = self._params(config)
        since = cursor.get("since") or (
            config.initial_start_date.isoformat() if config.initial_start_date else None
        )
        if since and config.window != "none":
            params[config.window] = since
        latest: datetime | None = None
        # start_date filters on requested_datetime; updated_after on updated_datetime.
        keys = ("requested_datetime",)
        if config.window == "updated_after":
            keys = ("updated_datetime", "requested_datetime")
        for raw in self._read(config, http, "requests", params):
            for key in keys:
                try:
                    seen = values.moment(raw.get(key), key, tz=config.timezone)
                except MappingError:
                    seen = None
                if seen is not None and (latest is None or seen > latest):
                    latest = seen
            yield raw
        if config.window == "none":
            return {}
        return {"since": latest.isoformat()} if latest else dict(cursor)

    def external_id(self, raw: Raw, config: Open311Config) -> str:
        return values.text(raw.get("service_request_id"))

    def category_codes(self, config: Open311Config) -> dict[str, str]:
        return {f"service_categories.{k}": v for k, v in config.service_categories.items()}

    def map(self, raw: Raw, config: Open311Config) -> MappedIncident:
        external_id = values.text(raw.get("service_request_id"))
        if not external_id:
            raise MappingError("service_request_id is missing.")
        code = values.text(raw.get("service_code"))
        category = values.lookup(
            config.service_categories, code, "service_code", "service_categories"
        )
        status_text = values.text(raw.get("status"))
        status = (
            values.lookup(config.status_map, status_text, "status", "status_map")
            if status_text
            else None
        )
        reported_at = values.moment(
            raw.get("requested_datetime"), "requested_datetime", tz=config.timezone
        )
        if reported_at is None:
            raise MappingError("requested_datetime is missing.")
        description = values.text(raw.get("description"))
        notes = values.text(raw.get("status_notes"))
        if notes:
            description = f"{description}\n\n{notes}".strip()
        return MappedIncident(
            external_id=external_id,
            category=category,
            status=status,
            priority=config.priority,
            title=values.text(raw.get("service_name")) or code,
            description=description,
            address=values.text(raw.get("address")),
            location=values.lonlat(raw.get("long"), raw.get("lat")),
            reported_at=reported_at,
        )
