"""One record's way in: typed record -> domain services, or quarantine with its reason.

Mapping goes through the incidents services only (incidents/services/imports.py decides what
an imported record does), so area assignment, the timeline and the outbox events happen exactly
as for a change made by a person.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError

from incidents import services as domain
from incidents.errors import InvalidInput

from ..adapters import (
    Adapter,
    Mapped,
    MappedConcernSignal,
    MappedIncident,
    MappedPosition,
    MappingError,
    PermanentError,
    Skip,
    UnknownAdapter,
    registry,
)
from ..masking import mask_text
from ..models import RejectedRecord, Source, SyncRun
from ..schemas import AdapterConfig, field_errors


def fingerprint_of(raw: Any) -> str:
    return hashlib.sha256(
        json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def _point(lonlat: tuple[float, float] | None) -> Point | None:
    return Point(lonlat[0], lonlat[1], srid=4326) if lonlat is not None else None


def actor_label(source: Source) -> str:
    return f"source:{source.name}"


def source_adapter(source: Source) -> tuple[Adapter, AdapterConfig]:
    """The source's adapter and typed configuration, as runs and replays read them;
    an unknown adapter or invalid configuration is a PermanentError saying which."""
    try:
        adapter = registry.get(source.adapter)
        return adapter, adapter.parse_config(source.config)
    except UnknownAdapter as exc:
        raise PermanentError(str(exc)) from exc
    except ValidationError as exc:
        messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in field_errors(exc).items())
        raise PermanentError(f"The source's configuration is invalid: {messages}") from exc


def refusal_reason(exc: Exception) -> str:
    """Why a record is quarantined: the mapping's own words, or the domain's refusal."""
    return f"Refused by Koban: {exc}" if isinstance(exc, InvalidInput) else str(exc)


def record_apply(*, source: Source, config: Any, mapped: Mapped) -> str:
    """Write one typed record; returns created / updated / unchanged / skipped.

    Each domain service call is its own transaction (several calls share one); raises
    MappingError (the record cannot be placed) or InvalidInput (the domain refused it).
    """
    if isinstance(mapped, Skip):
        return "skipped"
    if isinstance(mapped, MappedIncident):
        result = domain.incident_upsert_external(
            source=source.name,
            external_id=mapped.external_id,
            category=mapped.category,
            priority=mapped.priority,
            status=mapped.status,
            title=mapped.title,
            description=mapped.description,
            location=_point(mapped.location),
            address=mapped.address,
            reported_at=mapped.reported_at,
            occurred_at=mapped.occurred_at,
            actor_label=actor_label(source),
        )
        return result.outcome
    if isinstance(mapped, MappedPosition):
        position = domain.patrol_position_record(
            source=source.name,
            vehicle_id=mapped.vehicle_id,
            location=_point(mapped.location),
            recorded_at=mapped.recorded_at,
            speed_kmh=mapped.speed_kmh,
            heading=mapped.heading,
        )
        if position.outcome == "unknown_vehicle":
            if getattr(config, "unknown_vehicles", "skip") == "reject":
                raise MappingError(f"no patrol carries vehicle id '{mapped.vehicle_id}'.")
            return "skipped"
        return position.outcome
    if isinstance(mapped, MappedConcernSignal):
        return domain.concern_signal_record(
            source=source.name,
            external_id=mapped.external_id,
            title=mapped.title,
            category=mapped.category,
            note=mapped.note,
            description=mapped.description,
            priority=mapped.priority,
            location=_point(mapped.location),
            actor_label=actor_label(source),
        ).outcome
    raise MappingError(f"the adapter produced an unknown record type {type(mapped).__name__}.")


@transaction.atomic
def record_quarantine(
    *,
    source: Source,
    run: SyncRun | None,
    raw: Any,
    reason: str,
    external_id: str = "",
    fingerprint: str | None = None,
) -> RejectedRecord:
    """Keep a refused record with its raw payload; the same record seen again is not doubled
    (a dismissed one stays dismissed, a replayed one that fails again reopens)."""
    reason = mask_text(reason)  # refusals can echo upstream values
    payload = json.loads(json.dumps(raw, default=str))
    fingerprint = fingerprint or fingerprint_of(raw)
    record, created = RejectedRecord.objects.select_for_update().get_or_create(
        source=source,
        fingerprint=fingerprint,
        defaults={
            "run": run,
            "payload": payload,
            "reason": reason,
            "external_id": external_id[:128],
        },
    )
    if not created:
        record.run = run
        record.reason = reason
        record.times_seen = F("times_seen") + 1
        if record.status == RejectedRecord.Status.REPLAYED:
            record.status = RejectedRecord.Status.OPEN
            record.resolved_at = None
            record.resolved_by = None
        record.save()
        record.refresh_from_db()
    return record


def rejected_resolve_imported(*, source: Source, fingerprint: str) -> None:
    """A previously rejected record imported by a later run is no longer open."""
    RejectedRecord.objects.filter(
        source=source, fingerprint=fingerprint, status=RejectedRecord.Status.OPEN
    ).update(status=RejectedRecord.Status.REPLAYED, resolved_at=timezone.now())


def rejected_replay(*, record: RejectedRecord, actor: Any = None) -> tuple[RejectedRecord, str]:
    """Map the stored raw payload again with the source's current configuration and import it.

    Returns (record, outcome). If it is still refused, the new reason is stored and
    InvalidInput({"payload": [reason]}) is raised.
    """
    record = RejectedRecord.objects.select_related("source").get(pk=record.pk)
    if record.status != RejectedRecord.Status.OPEN:
        raise InvalidInput(
            {"status": [f"Only open records can be replayed (this one is {record.status})."]}
        )
    source = record.source
    try:
        adapter, config = source_adapter(source)
    except PermanentError as exc:
        raise InvalidInput({"config": [str(exc)]}) from exc
    try:
        outcome = record_apply(
            source=source, config=config, mapped=adapter.map(record.payload, config)
        )
    except (MappingError, PermanentError, InvalidInput) as exc:
        reason = refusal_reason(exc)
    else:
        RejectedRecord.objects.filter(pk=record.pk).update(
            status=RejectedRecord.Status.REPLAYED,
            resolved_at=timezone.now(),
            resolved_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record.refresh_from_db()
        return record, outcome
    RejectedRecord.objects.filter(pk=record.pk).update(reason=reason, updated_at=timezone.now())
    raise InvalidInput({"payload": [f"Still refused: {reason}"]})


def rejected_dismiss(*, record: RejectedRecord, actor: Any = None) -> RejectedRecord:
    """Mark a record as not worth importing; it stays for the record, and is not reopened."""
    with transaction.atomic():
        obj = RejectedRecord.objects.select_for_update().get(pk=record.pk)
        if obj.status != RejectedRecord.Status.OPEN:
            raise InvalidInput(
                {"status": [f"Only open records can be dismissed (this one is {obj.status})."]}
            )
        obj.status = RejectedRecord.Status.DISMISSED
        obj.resolved_at = timezone.now()
        obj.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
        obj.save()
    return obj


def rejected_replay_open(*, source: Source, actor: Any = None) -> dict[str, int]:
    """Replay every open record of a source; returns how many were imported / still refused."""
    counts = {"imported": 0, "refused": 0}
    ids = list(
        RejectedRecord.objects.filter(source=source, status=RejectedRecord.Status.OPEN)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for pk in ids:
        try:
            rejected_replay(record=RejectedRecord(pk=pk), actor=actor)
        except InvalidInput:
            counts["refused"] += 1
        else:
            counts["imported"] += 1
    return counts
