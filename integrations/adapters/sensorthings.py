"""OGC SensorThings API observations with a threshold rule that opens or updates a concern.

Example: a noise sensor's night-time level above 65 dB(A) opens (or reopens) a neighbourhood
concern at the sensor and adds a note per breach; observations that do not breach are skipped.
"""

from __future__ import annotations

import zoneinfo
from datetime import time
from typing import Any, Literal
from urllib.parse import urljoin

from pydantic import Field, field_validator

from ..schemas import (
    AdapterConfig,
    CategoryCode,
    ClockTime,
    EnvVarName,
    HttpUrl,
    PriorityName,
    TimeZoneName,
    default_time_zone,
)
from . import values
from .base import (
    Adapter,
    Cursor,
    MappedConcernSignal,
    MappingError,
    PermanentError,
    Pull,
    Raw,
    Skip,
)
from .http import Http, parse_json, same_origin


class ThresholdRule(AdapterConfig):
    threshold: float = Field(description="The level that must be crossed (in the sensor's unit).")
    direction: Literal["above", "below"] = Field("above", description="above or below.")
    from_time: ClockTime | None = Field(
        "23:00", description="Local start of the watched window (HH:MM); null = all day."
    )
    until_time: ClockTime | None = Field(
        "07:00", description="Local end of the watched window (HH:MM); may cross midnight."
    )


class ConcernTemplate(AdapterConfig):
    title: str = Field(
        "Night-time noise at {sensor}",
        description="Title; {sensor}, {datastream}, {threshold} and {unit} are filled in.",
    )
    category: CategoryCode = Field("noise", description="Koban category of the concern.")
    priority: PriorityName = Field("medium", description="Priority of a new concern.")
    description: str = Field("", description="Description of a new concern (same fields).")


class SensorThingsConfig(AdapterConfig):
    endpoint: HttpUrl = Field(
        description="Service root including the version, e.g. https://host/FROST-Server/v1.1."
    )
    datastreams: list[int | str] = Field(
        min_length=1, description="Ids of the Datastreams to watch (one concern per datastream)."
    )
    rule: ThresholdRule = Field(description="When an observation counts as a breach.")
    concern: ConcernTemplate = Field(
        default_factory=ConcernTemplate, description="The concern a breach opens."
    )
    location: tuple[float, float] | None = Field(
        None, description="[lon, lat] of the concern; default: the Thing's Location."
    )
    page_size: int = Field(100, ge=1, le=10000, description="Observations per page ($top).")
    max_pages: int = Field(100, ge=1, description="Stop following @iot.nextLink after this.")
    timezone: TimeZoneName = Field(
        default_factory=default_time_zone, description="Time zone of the watched window."
    )
    auth_header_env: EnvVarName | None = Field(
        None, description="NAME of the environment variable holding the Authorization header."
    )

    @field_validator("location")
    @classmethod
    def _in_range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
            raise ValueError("Give [longitude, latitude] in degrees.")
        return value


def _entity(ident: int | str) -> str:
    return str(ident) if isinstance(ident, int) else "'" + str(ident).replace("'", "''") + "'"


def _end_time(phenomenon: Any) -> Any:
    """An interval "start/end" is represented by its end."""
    if isinstance(phenomenon, str) and "/" in phenomenon:
        return phenomenon.split("/", 1)[1]
    return phenomenon


def _thing_location(thing: dict[str, Any]) -> list[float] | None:
    for place in thing.get("Locations") or []:
        geometry = place.get("location") if isinstance(place, dict) else None
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates") or []
            if len(coords) >= 2:
                return [coords[0], coords[1]]
    return None


def _in_window(local: time, start: str | None, end: str | None) -> bool:
    if start is None or end is None:
        return True
    a, b = time.fromisoformat(start), time.fromisoformat(end)
    return a <= local < b if a <= b else (local >= a or local < b)


class SensorThingsAdapter(Adapter):
    kind = "sensorthings"
    label = "OGC SensorThings API (threshold rule)"
    produces = "concern"
    Config = SensorThingsConfig

    def _datastream(self, config: SensorThingsConfig, http: Http, ident: int | str) -> dict:
        url = f"{config.endpoint.rstrip('/')}/Datastreams({_entity(ident)})"
        fetched = http.get(
            url,
            params={"$expand": "Thing/Locations"},
            headers=http.auth_headers(config.auth_header_env),
        )
        body = parse_json(fetched.text(), fetched.url)
        if not isinstance(body, dict) or "@iot.id" not in body:
            raise PermanentError(f"{fetched.url} is not a SensorThings Datastream.")
        thing = body.get("Thing") or {}
        unit = body.get("unitOfMeasurement") or {}
        return {
            "id": body["@iot.id"],
            "name": body.get("name") or "",
            "thing": thing.get("name") or "",
            "unit": unit.get("symbol") or unit.get("name") or "",
            "location": _thing_location(thing),
        }

    def check(self, config: SensorThingsConfig, http: Http) -> str:
        found = [self._datastream(config, http, ident) for ident in config.datastreams]
        names = ", ".join(f"{d['thing'] or d['name']} ({d['unit']})" for d in found)
        return f"{len(found)} datastream(s) reachable: {names}."

    def pull(self, config: SensorThingsConfig, cursor: Cursor, http: Http) -> Pull:
        since_by_stream: dict[str, str] = dict(cursor.get("since") or {})
        headers = http.auth_headers(config.auth_header_env)
        for ident in config.datastreams:
            info = self._datastream(config, http, ident)
            since_text = since_by_stream.get(str(ident))
            since = values.moment(since_text, "cursor", tz="UTC") if since_text else None
            params: dict[str, Any] | None = {
                "$orderby": "phenomenonTime asc",
                "$top": config.page_size,
            }
            if since_text:
                params["$filter"] = f"phenomenonTime gt {since_text}"
            url: str | None = (
                f"{config.endpoint.rstrip('/')}/Datastreams({_entity(ident)})/Observations"
            )
            latest = since
            for _ in range(config.max_pages):
                if url is None:
                    break
                # A next link comes from the remote: credentials stay with the endpoint's origin.
                own = headers if same_origin(url, config.endpoint) else {}
                fetched = http.get(url, params=params, headers=own)
                body = parse_json(fetched.text(), fetched.url)
                if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                    raise PermanentError(f"{fetched.url} is not a SensorThings collection.")
                for observation in body["value"]:
                    try:
                        at = values.moment(
                            _end_time(observation.get("phenomenonTime")), "time", tz="UTC"
                        )
                    except (MappingError, AttributeError):
                        at = None
                    # Servers that ignore $filter send old observations again: skip them here.
                    if at is not None and since is not None and at <= since:
                        continue
                    if at is not None and (latest is None or at > latest):
                        latest = at
                    yield {"datastream": info, "observation": observation}
                next_link = body.get("@iot.nextLink")
                # The next link carries its own query; params apply to the first page only.
                url, params = (urljoin(fetched.url, next_link) if next_link else None), None
            if latest is not None:
                since_by_stream[str(ident)] = latest.isoformat().replace("+00:00", "Z")
        return {"since": since_by_stream} if since_by_stream else {}

    def external_id(self, raw: Raw, config: SensorThingsConfig) -> str:
        observation = raw.get("observation") or {}
        return values.text(observation.get("@iot.id") if isinstance(observation, dict) else "")

    def category_codes(self, config: SensorThingsConfig) -> dict[str, str]:
        return {"concern.category": config.concern.category}

    def map(self, raw: Raw, config: SensorThingsConfig) -> MappedConcernSignal | Skip:
        stream, observation = raw.get("datastream"), raw.get("observation")
        if not isinstance(stream, dict) or not isinstance(observation, dict):
            raise MappingError("not a datastream observation.")
        value = values.number(observation.get("result"), "result")
        if value is None:
            raise MappingError("result is missing.")
        at = values.moment(_end_time(observation.get("phenomenonTime")), "phenomenonTime", tz="UTC")
        if at is None:
            raise MappingError("phenomenonTime is missing.")
        rule = config.rule
        local = at.astimezone(zoneinfo.ZoneInfo(config.timezone))
        if not _in_window(local.time(), rule.from_time, rule.until_time):
            return Skip("outside the watched hours")
        breached = value > rule.threshold if rule.direction == "above" else value < rule.threshold
        if not breached:
            return Skip(f"{rule.direction} threshold not crossed")
        location = config.location or stream.get("location")
        sensor = stream.get("thing") or stream.get("name") or f"datastream {stream.get('id')}"
        unit = stream.get("unit") or ""
        fill = {
            "sensor": sensor,
            "datastream": stream.get("name") or stream.get("id"),
            "threshold": f"{rule.threshold:g}",
            "unit": unit,
        }
        try:
            title = config.concern.title.format(**fill)
            description = config.concern.description.format(**fill)
        except (KeyError, IndexError, ValueError) as exc:
            raise MappingError(f"concern.title/description: cannot fill {exc}.") from None
        return MappedConcernSignal(
            external_id=f"datastream:{stream.get('id')}",
            title=title,
            category=config.concern.category,
            priority=config.concern.priority,
            description=description,
            location=values.lonlat(location[0], location[1], "location") if location else None,
            observed_at=at,
            note=(
                f"{sensor}: {value:g} {unit} at {local:%Y-%m-%d %H:%M} "
                f"({rule.direction} {rule.threshold:g} {unit}; observation "
                f"{observation.get('@iot.id')})."
            ).replace("  ", " "),
        )
