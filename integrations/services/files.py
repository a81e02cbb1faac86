"""Sources as a YAML file kept under version control: apply (all or nothing) and export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from django.db import transaction

from incidents.errors import InvalidInput
from koban.limits import InputTooDeep

from ..models import Source
from ..parsing import yaml_loads
from .sources import source_check, source_create, source_update

ENTRY_KEYS = ("name", "adapter", "description", "enabled", "schedule", "config")


@dataclass
class ApplyReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class SourcesFileInvalid(InvalidInput):
    """The whole file is refused; `errors` has one key per entry and field."""


def _entries(document: Any) -> list[Any]:
    if isinstance(document, dict) and set(document) == {"sources"}:
        document = document["sources"]
    if document is None:
        return []
    if not isinstance(document, list):
        raise SourcesFileInvalid({"file": ["Expected a list of sources under 'sources:'."]})
    return document


def sources_parse(text: str) -> list[Any]:
    try:
        return _entries(yaml_loads(text))
    except InputTooDeep as exc:
        raise SourcesFileInvalid({"file": [str(exc)]}) from None
    except yaml.YAMLError as exc:
        raise SourcesFileInvalid({"file": [f"Not valid YAML: {exc}"]}) from exc


def _entry_errors(index: int, entry: Any, seen: set[str]) -> tuple[str, dict[str, list[str]]]:
    if not isinstance(entry, dict):
        return f"entry {index}", {"entry": ["Each source is a mapping (name, adapter, config…)."]}
    name = str(entry.get("name") or "")
    label = f"{name} (entry {index})" if name else f"entry {index}"
    errors: dict[str, list[str]] = {}
    for key in entry:
        if key not in ENTRY_KEYS:
            errors[str(key)] = [f"Unknown key; a source has {', '.join(ENTRY_KEYS)}."]
    for key in ("name", "adapter"):
        if not entry.get(key):
            errors[key] = ["This key is required."]
    if not isinstance(entry.get("enabled", True), bool):
        errors["enabled"] = ["Use true or false."]
    if name in seen:
        errors["name"] = [f"'{name}' appears twice in the file."]
    seen.add(name)
    if name and entry.get("adapter"):
        try:
            source_check(
                name=name,
                adapter=str(entry["adapter"]),
                config=entry.get("config") or {},
                schedule=str(entry.get("schedule") or ""),
                description=str(entry.get("description") or ""),
                instance=Source.objects.filter(name=name).first(),
            )
        except InvalidInput as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, []).extend(messages)
    return label, errors


def sources_apply(*, entries: list[Any]) -> ApplyReport:
    """Create or update each source by name; if any entry is invalid nothing is written and
    SourcesFileInvalid carries a message per entry and field ("sf311 (entry 1): config.x")."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        label, errors = _entry_errors(index, entry, seen)
        for key, messages in errors.items():
            problems[f"{label}: {key}"] = messages
    if problems:
        raise SourcesFileInvalid(problems)
    report = ApplyReport()
    with transaction.atomic():
        for entry in entries:
            values = {
                "adapter": str(entry["adapter"]),
                "config": entry.get("config") or {},
                "schedule": str(entry.get("schedule") or ""),
                "enabled": entry.get("enabled", True),
                "description": str(entry.get("description") or ""),
            }
            existing = Source.objects.filter(name=entry["name"]).first()
            if existing is None:
                source_create(name=entry["name"], **values)
                report.created.append(entry["name"])
                continue
            _, changed = source_update(source=existing, **values)
            (report.updated if changed else report.unchanged).append(entry["name"])
    return report


def sources_export() -> str:
    """Every source in the format apply_sources reads (secrets are env-var names only)."""
    entries = []
    for source in Source.objects.order_by("name"):
        entry: dict[str, Any] = {"name": source.name, "adapter": source.adapter}
        if source.description:
            entry["description"] = source.description
        entry["enabled"] = source.enabled
        if source.schedule:
            entry["schedule"] = source.schedule
        entry["config"] = source.config
        entries.append(entry)
    return yaml.safe_dump(
        {"sources": entries}, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
