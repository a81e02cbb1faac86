"""The source form, generated from the adapter's pydantic schema.

Scalars become inputs (choices for Literal types); mappings, lists and nested models become
YAML text areas. Validation is the service's: its field messages ("config.endpoint") are put
back on the matching inputs, so the form, the API and apply_sources say the same thing.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Any

import yaml
from django import forms
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from koban.limits import InputTooDeep, check_depth

from .adapters.base import Adapter
from .models import Source
from .parsing import yaml_loads

PREFIX = "cfg__"


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without None, whether None is allowed)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, _ = _unwrap(args[0])
            return inner, optional
        return annotation, optional
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation, False


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        try:
            return info.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return None
    return None


class YAMLField(forms.CharField):
    """A mapping or list written as YAML (JSON is YAML too)."""

    widget = forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "code"})

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if not text:
            return None
        try:
            return yaml_loads(text)
        except InputTooDeep as exc:
            raise forms.ValidationError(str(exc)) from None
        except yaml.YAMLError as exc:
            raise forms.ValidationError(
                _("Not valid YAML: %(error)s"), params={"error": exc}
            ) from exc


class LimitedJSONField(forms.JSONField):
    """Django's JSONField, refusing nesting past MAX_JSON_DEPTH with a field error (its own
    json.loads would raise RecursionError, a 500, on deep input)."""

    def to_python(self, value: Any) -> Any:
        try:
            converted = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(str(InputTooDeep())) from None
        try:
            return check_depth(converted)
        except InputTooDeep as exc:
            raise forms.ValidationError(str(exc)) from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)


def _as_yaml(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True).strip()


def config_field(name: str, info: FieldInfo) -> forms.Field:
    annotation, _optional = _unwrap(info.annotation)
    required = info.is_required()
    default = _default(info)
    help_text = info.description or ""
    if default not in (None, {}, []) and not required:
        shown = _as_yaml(default) if not isinstance(default, str | int | float) else default
        help_text = f"{help_text} " + str(_("Default: %(value)s")) % {"value": shown}
    common = {"required": required, "help_text": help_text.strip(), "label": name}
    if typing.get_origin(annotation) is typing.Literal:
        choices = [(str(c), str(c)) for c in typing.get_args(annotation)]
        if not required:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **common)
    if annotation is bool:
        return forms.NullBooleanField(**{**common, "required": False})
    if annotation is int:
        return forms.IntegerField(**common)
    if annotation is float:
        return forms.FloatField(**common)
    if annotation in (str, datetime, date):
        return forms.CharField(**common)
    return YAMLField(**common)


class SourceForm(forms.Form):
    """name, description, schedule, enabled, then one input per configuration key."""

    name = forms.SlugField(
        label=_("Name"),
        max_length=64,
        help_text=_("Lower-case letters, digits, - and _; fixed once created."),
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    schedule = forms.CharField(
        label=_("Schedule"),
        max_length=100,
        required=False,
        help_text=_('Empty = manual runs only; "900" = every 900 s; "*/15 * * * *" = crontab.'),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(
        self, *args: Any, adapter: Adapter, instance: Source | None = None, **kwargs: Any
    ) -> None:
        self.adapter = adapter
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(instance)
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["name"].disabled = True
        self.config_fields: list[str] = []
        for key, info in self._ordered_fields():
            self.fields[PREFIX + key] = config_field(key, info)
            self.config_fields.append(PREFIX + key)

    def _ordered_fields(self) -> list[tuple[str, FieldInfo]]:
        """The adapter's own keys first, then the ones it shares (the mapping options)."""
        model = self.adapter.Config
        own = set(model.__annotations__)
        items = list(model.model_fields.items())
        return [i for i in items if i[0] in own] + [i for i in items if i[0] not in own]

    @staticmethod
    def initial_for(source: Source) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": source.name,
            "description": source.description,
            "schedule": source.schedule,
            "enabled": source.enabled,
        }
        for key, value in (source.config or {}).items():
            initial[PREFIX + key] = (
                value if isinstance(value, str | int | float | bool) else _as_yaml(value)
            )
        return initial

    def config_value(self) -> dict[str, Any]:
        """The configuration the user wrote: keys left empty are left out (defaults apply)."""
        config: dict[str, Any] = {}
        for field_name in self.config_fields:
            value = self.cleaned_data.get(field_name)
            if value is None or value == "":
                continue
            config[field_name.removeprefix(PREFIX)] = value
        return config

    def source_values(self) -> dict[str, Any]:
        return {
            "name": self.instance.name if self.instance else self.cleaned_data.get("name", ""),
            "adapter": self.adapter.kind,
            "description": self.cleaned_data.get("description") or "",
            "schedule": self.cleaned_data.get("schedule") or "",
            "enabled": bool(self.cleaned_data.get("enabled")),
            "config": self.config_value(),
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's messages on the inputs they are about (an input that already
        has its own error, e.g. YAML that does not parse, keeps only that one)."""
        for key, messages in errors.items():
            parts = key.split(".")
            own = PREFIX + parts[1] if parts[0] == "config" and len(parts) > 1 else parts[0]
            if own in self.errors:
                continue
            if parts[0] == "config" and len(parts) > 1 and PREFIX + parts[1] in self.fields:
                target = PREFIX + parts[1]
                detail = ".".join(parts[2:])
                for message in messages:
                    self.add_error(target, f"{detail}: {message}" if detail else message)
            elif parts[0] in self.fields and not self.fields[parts[0]].disabled:
                for message in messages:
                    self.add_error(parts[0], message)
            else:
                for message in messages:
                    self.add_error(None, f"{key}: {message}")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
