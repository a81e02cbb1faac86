"""Source writes: validation against the adapter's schema, create/update/delete, and the
django-celery-beat PeriodicTask kept in step with each source's schedule."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from pydantic import ValidationError

from incidents.errors import InvalidInput
from koban.limits import InputTooDeep, check_depth

from ..adapters import registry
from ..models import Source
from ..schemas import AdapterConfig, field_errors, parse_schedule
from ..selectors import category_codes, known_category_codes

SCHEDULED_TASK = "integrations.sync_source_scheduled"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EDITABLE = ("adapter", "description", "config", "schedule", "enabled")


def source_check(
    *,
    name: str,
    adapter: str,
    config: Any,
    schedule: str = "",
    description: str = "",
    instance: Source | None = None,
) -> AdapterConfig | None:
    """Validate a source as a whole; raise InvalidInput with one message list per field.

    Config errors are keyed "config.<path>" (e.g. "config.service_categories.024") so the
    form, the API and apply_sources all name the offending key the same way.
    """
    errors: dict[str, list[str]] = {}
    if not _NAME.match(name or ""):
        errors["name"] = [
            "Use 1-64 lower-case letters, digits, '-' or '_' (it keys the imported records)."
        ]
    elif instance is not None and name != instance.name:
        errors["name"] = ["A source's name keys its imported records and cannot change."]
    elif Source.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["name"] = [f"A source named '{name}' exists."]
    parsed, config_errors = _config_errors(adapter, config)
    errors.update(config_errors)
    try:
        parse_schedule(schedule)
    except ValueError as exc:
        errors["schedule"] = [str(exc)]
    if len(description or "") > 255:
        errors["description"] = ["At most 255 characters."]
    if errors:
        raise InvalidInput(errors)
    return parsed


def _config_errors(adapter: str, config: Any) -> tuple[AdapterConfig | None, dict[str, list[str]]]:
    if adapter not in registry:
        return None, {
            "adapter": [f"Unknown adapter '{adapter}'; known: {', '.join(registry.kinds())}."]
        }
    if not isinstance(config, dict):
        return None, {"config": ["The configuration must be a mapping of keys to values."]}
    try:
        check_depth(config)
    except InputTooDeep as exc:
        return None, {"config": [str(exc)]}
    kind = registry.get(adapter)
    try:
        parsed = kind.parse_config(config)
    except ValidationError as exc:
        return None, field_errors(exc)
    errors: dict[str, list[str]] = {}
    named = kind.category_codes(parsed)
    known = known_category_codes(set(named.values()))
    for path, code in named.items():
        if code not in known:
            errors[f"config.{path}"] = [
                f"Unknown category '{code}'; known: {', '.join(category_codes())}."
            ]
    return parsed, errors


def config_check(*, adapter: str, config: Any) -> AdapterConfig:
    """Validate an adapter configuration alone (the dry run of an unsaved source)."""
    parsed, errors = _config_errors(adapter, config)
    if errors or parsed is None:
        raise InvalidInput(errors)
    return parsed


def stored_config(parsed: AdapterConfig) -> dict[str, Any]:
    """What is kept: the keys the user set, normalised (stripped, typed), nothing implied."""
    return parsed.model_dump(mode="json", exclude_unset=True)


@transaction.atomic
def source_create(
    *,
    name: str,
    adapter: str,
    config: dict[str, Any],
    schedule: str = "",
    enabled: bool = True,
    description: str = "",
) -> Source:
    parsed = source_check(
        name=name, adapter=adapter, config=config, schedule=schedule, description=description
    )
    assert parsed is not None
    source = Source.objects.create(
        name=name,
        adapter=adapter,
        config=stored_config(parsed),
        schedule=(schedule or "").strip(),
        enabled=enabled,
        description=description or "",
    )
    _sync_periodic_task(source)
    return source


@transaction.atomic
def source_update(*, source: Source, **changes: Any) -> tuple[Source, bool]:
    """Change a source; returns (source, changed). A new adapter or config resets nothing
    else; the cursor is kept unless `reset_cursor=True`."""
    reset_cursor = bool(changes.pop("reset_cursor", False))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput({key: ["This field cannot be changed."] for key in sorted(unknown)})
    obj = Source.objects.select_for_update().get(pk=source.pk)
    merged = {key: changes.get(key, getattr(obj, key)) for key in EDITABLE}
    parsed = source_check(
        name=obj.name,
        adapter=merged["adapter"],
        config=merged["config"],
        schedule=merged["schedule"],
        description=merged["description"],
        instance=obj,
    )
    assert parsed is not None
    merged["config"] = stored_config(parsed)
    merged["schedule"] = (merged["schedule"] or "").strip()
    merged["description"] = merged["description"] or ""
    changed = any(getattr(obj, key) != value for key, value in merged.items()) or (
        reset_cursor and obj.cursor != {}
    )
    if not changed:
        return obj, False
    for key, value in merged.items():
        setattr(obj, key, value)
    if reset_cursor:
        obj.cursor = {}
    obj.save()
    _sync_periodic_task(obj)
    return obj, True


@transaction.atomic
def source_delete(*, source: Source) -> None:
    """Delete a source with its runs and rejected records; imported items stay."""
    obj = Source.objects.select_for_update().get(pk=source.pk)
    task = obj.periodic_task
    obj.delete()
    if task is not None:
        task.delete()


def _sync_periodic_task(source: Source) -> None:
    """Keep one beat entry per scheduled source (its save/delete signals wake the scheduler)."""
    schedule = parse_schedule(source.schedule)
    task = source.periodic_task
    if schedule is None:
        if task is not None:
            source.periodic_task = None
            source.save(update_fields=["periodic_task"])
            task.delete()
        return
    fields: dict[str, Any] = {
        "name": f"Koban source {source.name}",
        "task": SCHEDULED_TASK,
        "args": json.dumps([source.pk]),
        "enabled": source.enabled,
        "interval": None,
        "crontab": None,
        "description": f"Sync of the '{source.name}' source ({source.adapter}).",
    }
    if schedule.every_seconds:
        fields["interval"], _ = IntervalSchedule.objects.get_or_create(
            every=schedule.every_seconds, period=IntervalSchedule.SECONDS
        )
    else:
        assert schedule.crontab is not None
        minute, hour, day, month, weekday = schedule.crontab
        fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day,
            month_of_year=month,
            day_of_week=weekday,
            timezone=settings.TIME_ZONE,
        )
    if task is None:
        name = fields.pop("name")
        task, _ = PeriodicTask.objects.update_or_create(name=name, defaults=fields)
        source.periodic_task = task
        source.save(update_fields=["periodic_task"])
        return
    for key, value in fields.items():
        setattr(task, key, value)
    task.save()
