"""Reference geography writes: areas and police stations from GeoJSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import transaction

from ..errors import InvalidInput
from ..models import Area, PoliceStation
from ..selectors import area_containing


@dataclass(frozen=True)
class ImportCounts:
    created: int
    updated: int
    unchanged: int


def _load_features(path: Path | str) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise InvalidInput({"file": [f"No such file: {path}"]}) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput({"file": [f"{path} is not GeoJSON: {exc}"]}) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput({"file": [f"{path} is not a GeoJSON FeatureCollection."]})
    return list(data.get("features") or [])


def _geometry(feature: dict[str, Any]) -> GEOSGeometry:
    raw = feature.get("geometry")
    if not raw:
        raise ValueError("has no geometry")
    try:
        geom = GEOSGeometry(json.dumps(raw), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError) as exc:
        raise ValueError(f"has an unreadable geometry ({exc})") from exc
    return geom


@transaction.atomic
def area_import_geojson(
    *,
    path: Path | str,
    name_property: str = "name",
    code_property: str = "code",
    kind: str = Area.Kind.PARISH,
    parent_code: str | None = None,
    parent_name: str | None = None,
) -> ImportCounts:
    """Create or update areas by code; any invalid feature refuses the whole file.

    With parent_code, the parent area (e.g. the municipality) is made as the union of the
    imported areas when it does not exist yet.
    """
    if kind not in Area.Kind.values:
        raise InvalidInput(
            {"kind": [f"Unknown area kind '{kind}'; use one of {Area.Kind.values}."]}
        )
    problems: list[str] = []
    parsed: list[tuple[str, str, MultiPolygon, dict[str, Any]]] = []
    for index, feature in enumerate(_load_features(path), start=1):
        props = feature.get("properties") or {}
        name, code = props.get(name_property), props.get(code_property)
        label = f"feature {index} ({name or code or 'unnamed'})"
        if not name:
            problems.append(f"{label}: property '{name_property}' is missing")
        if not code:
            problems.append(f"{label}: property '{code_property}' is missing")
        try:
            geom = _geometry(feature)
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        if isinstance(geom, Polygon):
            geom = MultiPolygon(geom, srid=4326)
        if not isinstance(geom, MultiPolygon):
            problems.append(f"{label}: geometry is a {geom.geom_type}, not a (Multi)Polygon")
            continue
        if not geom.valid:
            problems.append(f"{label}: invalid geometry ({geom.valid_reason})")
            continue
        if name and code:
            parsed.append((str(name), str(code), geom, props))
    if problems:
        raise InvalidInput({"file": problems})
    if not parsed:
        raise InvalidInput({"file": ["The file holds no features."]})

    parent = None
    if parent_code:
        parent = Area.objects.filter(code=parent_code).first()
        if parent is None:
            union = parsed[0][2]
            for _, _, geom, _ in parsed[1:]:
                union = union.union(geom)
            if isinstance(union, Polygon):
                union = MultiPolygon(union, srid=4326)
            parent = Area.objects.create(
                name=parent_name or parent_code,
                code=parent_code,
                kind=Area.Kind.MUNICIPALITY,
                geom=union,
            )
    created = updated = unchanged = 0
    for name, code, geom, props in parsed:
        area = Area.objects.filter(code=code).first()
        if area is None:
            Area.objects.create(
                name=name, code=code, kind=kind, parent=parent, geom=geom, properties=props
            )
            created += 1
        elif (area.name, area.kind, area.parent_id, area.properties) == (
            name,
            kind,
            getattr(parent, "id", None),
            props,
        ) and area.geom.equals_exact(geom, 1e-9):
            unchanged += 1
        else:
            area.name, area.kind, area.parent, area.geom, area.properties = (
                name,
                kind,
                parent,
                geom,
                props,
            )
            area.save()
            updated += 1
    return ImportCounts(created, updated, unchanged)


@transaction.atomic
def stations_import_geojson(
    *,
    path: Path | str,
    source: str,
    name_property: str = "NOME",
    id_property: str = "GlobalID",
    address_property: str = "MORADA",
    phone_property: str = "TELEFONE",
) -> ImportCounts:
    """Police points for the stations layer, upserted by (source, id)."""
    created = updated = unchanged = 0
    problems: list[str] = []
    for index, feature in enumerate(_load_features(path), start=1):
        props = feature.get("properties") or {}
        try:
            geom = _geometry(feature)
        except ValueError as exc:
            problems.append(f"feature {index}: {exc}")
            continue
        if not isinstance(geom, Point):
            problems.append(f"feature {index}: geometry is not a point")
            continue
        values = {
            "name": str(props.get(name_property) or f"#{index}")[:255],
            "address": str(props.get(address_property) or "")[:255],
            "phone": str(props.get(phone_property) or "")[:80],
            "kind": _station_kind(str(props.get(name_property) or "")),
            "location": geom,
            "area": area_containing(geom),
        }
        external_id = str(props.get(id_property) or index)
        station = PoliceStation.objects.filter(source=source, external_id=external_id).first()
        if station is None:
            PoliceStation.objects.create(source=source, external_id=external_id, **values)
            created += 1
        elif all(getattr(station, k) == v for k, v in values.items() if k != "location") and (
            station.location.equals_exact(geom, 1e-9)
        ):
            unchanged += 1
        else:
            for key, value in values.items():
                setattr(station, key, value)
            station.save()
            updated += 1
    if problems:
        raise InvalidInput({"file": problems})
    return ImportCounts(created, updated, unchanged)


def _station_kind(name: str) -> str:
    lowered = name.lower()
    if "esquadra" in lowered:
        return "PSP esquadra"
    if "municipal" in lowered:
        return "Polícia Municipal"
    if "divis" in lowered:
        return "PSP division"
    return "other"
