"""GeoJSON documents and OGC API - Features collections (pages followed through `next` links)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from pydantic import Field

from ..schemas import Encoding, EnvVarName, HttpUrl, IncidentMapping
from . import values
from .base import Adapter, Cursor, MappedIncident, MappingError, PermanentError, Pull, Raw
from .http import Http, parse_json, same_origin
from .mapping import incident_from_fields

FEATURE_ID = "@id"


class GeoJSONConfig(IncidentMapping):
    url: HttpUrl = Field(
        description="A GeoJSON document, or an OGC API - Features .../collections/{id}/items URL."
    )
    limit: int | None = Field(
        None, ge=1, le=10000, description="Page size, sent as `limit` (OGC API - Features)."
    )
    params: dict[str, str] = Field(
        default_factory=dict, description="Extra query parameters (e.g. bbox, datetime)."
    )
    max_pages: int = Field(1000, ge=1, description="Stop following `next` links after this.")
    auth_header_env: EnvVarName | None = Field(
        None, description="NAME of the environment variable holding the Authorization header."
    )
    encoding: Encoding | None = Field(None, description="Force a character set.")


def _features(body: Any, where: str) -> list[Any]:
    if isinstance(body, dict) and body.get("type") == "FeatureCollection":
        return body.get("features") or []
    if isinstance(body, dict) and body.get("type") == "Feature":
        return [body]
    raise PermanentError(f"{where} did not answer a GeoJSON FeatureCollection.")


def _next_link(body: dict[str, Any], base: str) -> str | None:
    for link in body.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return urljoin(base, link["href"])
    return None


def feature_location(geometry: Any) -> tuple[float, float] | None:
    """A point's coordinates; other geometries are represented by their centroid."""
    if not geometry:
        return None
    if not isinstance(geometry, dict):
        raise MappingError("geometry is not a GeoJSON object.")
    if geometry.get("type") == "Point":
        coords = geometry.get("coordinates") or []
        if len(coords) < 2:
            raise MappingError("geometry: a Point needs two coordinates.")
        return values.lonlat(coords[0], coords[1], "geometry")
    try:
        centroid = GEOSGeometry(json.dumps(geometry)).centroid
    except (GEOSException, ValueError, TypeError) as exc:
        raise MappingError(f"geometry: not a valid GeoJSON geometry ({exc}).") from None
    return values.lonlat(centroid.x, centroid.y, "geometry")


class GeoJSONAdapter(Adapter):
    kind = "geojson"
    label = "GeoJSON / OGC API - Features"
    produces = "incident"
    Config = GeoJSONConfig

    def _pages(self, config: GeoJSONConfig, http: Http, *, limit: int | None = None):
        # A `next` link carries its own query; params apply to the first request only.
        params: dict[str, Any] | None = dict(config.params)
        if limit or config.limit:
            params["limit"] = limit or config.limit
        headers = http.auth_headers(config.auth_header_env)
        url: str | None = config.url
        seen: set[str] = set()
        for _ in range(config.max_pages):
            if url is None or url in seen:
                return
            seen.add(url)
            # A `next` link comes from the remote: credentials stay with the configured origin.
            own = headers if same_origin(url, config.url) else {}
            fetched = http.get(url, params=params, headers=own)
            body = parse_json(fetched.text(config.encoding), fetched.url)
            features = _features(body, fetched.url)
            yield body, features
            if not features:
                return
            url, params = _next_link(body, url), None

    def check(self, config: GeoJSONConfig, http: Http) -> str:
        for body, features in self._pages(config, http, limit=1):
            matched = body.get("numberMatched")
            if matched is not None:
                return f"{matched} features in the collection."
            return f"Reachable; the first page has {len(features)} feature(s)."
        return "No features."

    def pull(self, config: GeoJSONConfig, cursor: Cursor, http: Http) -> Pull:
        for _body, features in self._pages(config, http):
            for feature in features:
                yield feature if isinstance(feature, dict) else {"_value": feature}
        return {}

    def _record(self, raw: Raw) -> dict[str, Any]:
        properties = raw.get("properties") or {}
        if not isinstance(properties, dict):
            raise MappingError("properties is not an object.")
        return {**properties, FEATURE_ID: raw.get("id")}

    def external_id(self, raw: Raw, config: GeoJSONConfig) -> str:
        try:
            return values.text(values.pick(self._record(raw), config.fields.external_id))
        except MappingError:
            return ""

    def category_codes(self, config: GeoJSONConfig) -> dict[str, str]:
        return {f"categories.{k}": v for k, v in config.categories.items()}

    def map(self, raw: Raw, config: GeoJSONConfig) -> MappedIncident:
        if raw.get("type") != "Feature":
            raise MappingError("not a GeoJSON Feature.")
        return incident_from_fields(
            self._record(raw), config, feature_location(raw.get("geometry"))
        )
