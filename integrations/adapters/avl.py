"""Vehicle positions (AVL) from a JSON or CSV feed, matched to patrols by vehicle id.

Optional offsets move a recorded trace in space and time (e.g. real bus fixes from another
city replayed over Lisbon for a demonstration or a test).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from ..schemas import AdapterConfig, Encoding, EnvVarName, HttpUrl, TimeZoneName, default_time_zone
from . import values
from .base import Adapter, Cursor, MappedPosition, MappingError, PermanentError, Pull, Raw
from .http import Http, parse_json

_SPEED_TO_KMH = {"km/h": 1.0, "m/s": 3.6, "mph": 1.609344}


class PositionFields(AdapterConfig):
    """Column (CSV) or key (JSON; dotted paths like vehicle.position.latitude) of each value."""

    vehicle_id: str = Field("vehicle_id", description="The tracker's id of the vehicle.")
    recorded_at: str = Field("timestamp", description="Time of the fix.")
    longitude: str = Field("longitude", description="Longitude of the fix.")
    latitude: str = Field("latitude", description="Latitude of the fix.")
    speed: str | None = Field(None, description="Speed, in `speed_unit`.")
    heading: str | None = Field(None, description="Heading in degrees.")


class AVLConfig(AdapterConfig):
    url: HttpUrl = Field(description="The feed of current (or recent) vehicle positions.")
    format: Literal["csv", "json"] = Field("csv", description="csv or json.")
    records_path: str | None = Field(
        None, description="JSON only: dotted path to the list of positions (e.g. data.vehicles)."
    )
    fields: PositionFields = Field(
        default_factory=PositionFields, description="Column or key of each value."
    )
    speed_unit: Literal["km/h", "m/s", "mph"] = Field("km/h", description="Unit of `speed`.")
    offset_lon: float = Field(0.0, ge=-360, le=360, description="Added to every longitude.")
    offset_lat: float = Field(0.0, ge=-180, le=180, description="Added to every latitude.")
    time_offset_seconds: int = Field(0, description="Added to every fix's time (replays).")
    date_format: str | None = Field(None, description="strptime format; default ISO 8601.")
    timezone: TimeZoneName = Field(
        default_factory=default_time_zone, description="Time zone of times without one."
    )
    unknown_vehicles: Literal["skip", "reject"] = Field(
        "skip",
        description="A vehicle no patrol carries: skip it (counted) or reject the record.",
    )
    delimiter: str = Field(",", min_length=1, max_length=1, description="CSV separator.")
    auth_header_env: EnvVarName | None = Field(
        None, description="NAME of the environment variable holding the Authorization header."
    )
    encoding: Encoding | None = Field(None, description="Force a character set.")


def _get(record: dict[str, Any], path: str, name: str) -> Any:
    if path in record:
        return record[path]
    try:
        return values.dotted(record, path)
    except KeyError:
        raise MappingError(f"fields.{name}: the record has no '{path}'.") from None


class AVLAdapter(Adapter):
    kind = "avl"
    label = "Vehicle positions (AVL)"
    produces = "position"
    Config = AVLConfig

    def _records(self, config: AVLConfig, http: Http) -> list[Raw]:
        fetched = http.get(config.url, headers=http.auth_headers(config.auth_header_env))
        text = fetched.text(config.encoding)
        if config.format == "csv":
            try:
                reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=config.delimiter)
                rows = [{k: v for k, v in row.items() if k is not None} for row in reader]
            except csv.Error as exc:
                raise PermanentError(f"{fetched.url}: the CSV breaks: {exc}.") from exc
            header = reader.fieldnames or []
            missing = [
                f"config.fields.{key}: no column '{column}'"
                for key, column in config.fields.model_dump().items()
                if column and column not in header
            ]
            if missing:
                raise PermanentError(
                    f"{fetched.url} lacks mapped columns ({'; '.join(missing)}); "
                    f"its columns are: {', '.join(h for h in header if h)}."
                )
            return rows
        body = parse_json(text, fetched.url)
        try:
            items = values.dotted(body, config.records_path)
        except KeyError:
            raise PermanentError(
                f"config.records_path: {fetched.url} has no '{config.records_path}'."
            ) from None
        if not isinstance(items, list):
            raise PermanentError(f"{fetched.url}: expected a list of positions.")
        return [item if isinstance(item, dict) else {"_value": item} for item in items]

    def check(self, config: AVLConfig, http: Http) -> str:
        records = self._records(config, http)
        vehicles = {str(r.get(config.fields.vehicle_id)) for r in records}
        return f"{len(records)} positions of {len(vehicles)} vehicles."

    def pull(self, config: AVLConfig, cursor: Cursor, http: Http) -> Pull:
        yield from self._records(config, http)
        return {}

    def external_id(self, raw: Raw, config: AVLConfig) -> str:
        return values.text(raw.get(config.fields.vehicle_id))

    def map(self, raw: Raw, config: AVLConfig) -> MappedPosition:
        f = config.fields
        vehicle = values.text(_get(raw, f.vehicle_id, "vehicle_id"))
        if not vehicle:
            raise MappingError("fields.vehicle_id: empty vehicle id.")
        location = values.lonlat(
            _get(raw, f.longitude, "longitude"), _get(raw, f.latitude, "latitude"), "position"
        )
        if location is None:
            raise MappingError("position: a fix without coordinates.")
        lon, lat = location[0] + config.offset_lon, location[1] + config.offset_lat
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise MappingError("position: the offsets move this fix out of range.")
        recorded_at = values.moment(
            _get(raw, f.recorded_at, "recorded_at"),
            "fields.recorded_at",
            tz=config.timezone,
            fmt=config.date_format,
        )
        if recorded_at is None:
            raise MappingError("fields.recorded_at: a fix without a time.")
        speed = values.number(_get(raw, f.speed, "speed"), "speed") if f.speed else None
        heading = values.number(_get(raw, f.heading, "heading"), "heading") if f.heading else None
        return MappedPosition(
            vehicle_id=vehicle,
            location=(round(lon, 7), round(lat, 7)),
            recorded_at=recorded_at + timedelta(seconds=config.time_offset_seconds),
            speed_kmh=round(speed * _SPEED_TO_KMH[config.speed_unit], 2)
            if speed is not None
            else None,
            heading=heading,
        )
