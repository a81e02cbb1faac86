"""The map's aggregate and feature reads: input (viewport, zoom, limit) and the documented
shape of the answers, which PostgreSQL builds (incidents.map_selectors)."""

from __future__ import annotations

from typing import Any

from django import forms
from rest_framework import serializers

from incidents.map_selectors import FEATURE_LIMIT, MAX_ZOOM

from ..filters.parsing import BBoxField


class ViewportField(serializers.CharField):
    """`minlon,minlat,maxlon,maxlat`, parsed by the same rules as the lists' `bbox` filter."""

    def to_internal_value(self, data: Any) -> tuple[float, float, float, float]:
        text = super().to_internal_value(data)
        try:
            return BBoxField().clean(text)
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class MapCellsQuerySerializer(serializers.Serializer):
    bbox = ViewportField(help_text="Viewport `minlon,minlat,maxlon,maxlat` (WGS84).")
    zoom = serializers.IntegerField(
        min_value=0, max_value=MAX_ZOOM, help_text="Web-map zoom: sets the cell size."
    )


class MapFeaturesQuerySerializer(serializers.Serializer):
    bbox = ViewportField(help_text="Viewport `minlon,minlat,maxlon,maxlat` (WGS84).")
    limit = serializers.IntegerField(
        min_value=1,
        max_value=5000,
        default=FEATURE_LIMIT,
        help_text=f"At most this many incidents, newest first (default {FEATURE_LIMIT}).",
    )


class _CountsByStatus(serializers.Serializer):
    new = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    dispatched = serializers.IntegerField()
    on_scene = serializers.IntegerField()
    resolved = serializers.IntegerField()
    closed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    duplicate = serializers.IntegerField()


class _CountsByPriority(serializers.Serializer):
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()


class MapCellSerializer(serializers.Serializer):
    lon = serializers.FloatField(help_text="Centre of mass of the cell's incidents.")
    lat = serializers.FloatField()
    count = serializers.IntegerField()
    by_status = _CountsByStatus()
    by_priority = _CountsByPriority()


class MapCellsSerializer(serializers.Serializer):
    zoom = serializers.IntegerField()
    cell_size = serializers.FloatField(help_text="Side of a grid cell, in degrees.")
    total = serializers.IntegerField(help_text="Every incident in the viewport and window.")
    cells = MapCellSerializer(many=True)


class _Point(serializers.Serializer):
    type = serializers.CharField()
    coordinates = serializers.ListField(child=serializers.FloatField())


class _FeatureProperties(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    priority = serializers.CharField()
    status = serializers.CharField()
    area = serializers.IntegerField(allow_null=True)
    area_name = serializers.CharField(allow_null=True)
    address = serializers.CharField()
    reported_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    concern = serializers.IntegerField(allow_null=True)


class _Feature(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()
    geometry = _Point()
    properties = _FeatureProperties()


class MapFeaturesSerializer(serializers.Serializer):
    type = serializers.CharField()
    total = serializers.IntegerField(help_text="Every incident in the viewport and window.")
    returned = serializers.IntegerField()
    limit = serializers.IntegerField()
    limited = serializers.BooleanField(help_text="True when `total` is more than `returned`.")
    features = _Feature(many=True)
