"""Reference data and people: categories, areas, stations, users, the signed-in user, tokens."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from incidents import roles, selectors
from incidents.models import Area, PoliceStation

from .common import display_name


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_pt = serializers.CharField()
    name_en = serializers.CharField()


class AreaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=Area.Kind.choices)
    parent = serializers.IntegerField(source="parent_id", allow_null=True)


class AreaFeatureSerializer(GeoFeatureModelSerializer):
    geom = GeometryField(precision=6)

    class Meta:
        model = Area
        geo_field = "geom"
        fields = ("id", "geom", "name", "code", "kind", "parent")


class StationFeatureSerializer(GeoFeatureModelSerializer):
    location = GeometryField(precision=6)
    area_name = serializers.CharField(allow_null=True)

    class Meta:
        model = PoliceStation
        geo_field = "location"
        fields = ("id", "location", "name", "kind", "address", "phone", "area", "area_name")


class UserSerializer(serializers.Serializer):
    """Someone work can be assigned to; expects rows from `selectors.assignable_users`."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()
    areas = serializers.SerializerMethodField()

    def get_name(self, obj: Any) -> str:
        return display_name(obj)

    def get_areas(self, obj: Any) -> list[int]:
        profile = getattr(obj, "officer", None)
        return sorted(a.id for a in profile.areas.all()) if profile else []


class MeSerializer(serializers.Serializer):
    """The signed-in user as the dashboard needs it (roles, areas with sub-areas, patrols)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    areas = serializers.SerializerMethodField()
    patrols = serializers.SerializerMethodField()
    sees_everything = serializers.SerializerMethodField()
    can_assign = serializers.SerializerMethodField(
        help_text="May assign and reassign follow-ups to others."
    )

    def get_name(self, obj: Any) -> str:
        return display_name(obj)

    def get_roles(self, obj: Any) -> list[str]:
        return sorted(roles.role_names(obj))

    def get_areas(self, obj: Any) -> list[int]:
        return sorted(selectors.user_area_ids(obj))

    def get_patrols(self, obj: Any) -> list[int]:
        return sorted(selectors.user_patrol_ids(obj))

    def get_sees_everything(self, obj: Any) -> bool:
        return roles.sees_everything(obj)

    def get_can_assign(self, obj: Any) -> bool:
        return roles.sees_everything(obj)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, style={"input_type": "password"}, trim_whitespace=False
    )
    otp = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        help_text="A code from the authenticator app, for people whose log-in needs one.",
    )
    name = serializers.CharField(
        max_length=100,
        required=False,
        default="API",
        help_text="What the token is for, to recognise it in the list of your tokens.",
    )


class TokenNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for.")


class TokenInfoSerializer(serializers.Serializer):
    """A token as its owner sees it in the list: never the token itself."""

    prefix = serializers.CharField(
        source="token_key", help_text="The token's first characters; identifies it here."
    )
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class TokenSerializer(TokenInfoSerializer):
    """A new token: the only time its text is shown."""

    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
