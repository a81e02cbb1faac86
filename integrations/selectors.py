"""Reads of the integrations area, with their joins set once (fixed query counts)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from incidents.models import Category

from .models import RejectedRecord, Source, SyncRun


def sources_with_last_run() -> QuerySet[Source]:
    """Every source with its latest run's id and its open rejected records counted."""
    latest = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-queued_at", "-id")
    return Source.objects.annotate(
        last_run_id=Subquery(latest.values("id")[:1]),
        open_rejected=Count("rejected_records", filter=Q(rejected_records__status="open")),
    ).order_by("name")


def runs_by_id(ids: list[int]) -> dict[int, SyncRun]:
    """The runs the listing shows, with what RunSerializer reads joined (not the upload)."""
    runs = (
        SyncRun.objects.filter(id__in=[i for i in ids if i])
        .select_related("source", "requested_by")
        .defer("upload")
    )
    return {run.id: run for run in runs}


def runs_for_source(source: Source) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(source=source).defer("upload").order_by("-queued_at", "-id")


def runs_all() -> QuerySet[SyncRun]:
    return SyncRun.objects.select_related("source").defer("upload")


def active_run(source: Source) -> SyncRun | None:
    return SyncRun.objects.filter(source=source, status__in=SyncRun.ACTIVE).defer("upload").first()


def rejected_records(
    *, source: Source | None = None, status: str | None = None
) -> QuerySet[RejectedRecord]:
    qs = RejectedRecord.objects.select_related("source", "run")
    if source is not None:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-id")


def open_fingerprints(source: Source) -> set[str]:
    return set(
        RejectedRecord.objects.filter(source=source, status=RejectedRecord.Status.OPEN).values_list(
            "fingerprint", flat=True
        )
    )


def known_category_codes(codes: set[str]) -> set[str]:
    return set(Category.objects.filter(code__in=codes, active=True).values_list("code", flat=True))


def category_codes() -> list[str]:
    return list(Category.objects.filter(active=True).values_list("code", flat=True))


def active_run_ids() -> list[int]:
    """Queued and running runs, oldest first: what the reconciler looks at."""
    return list(
        SyncRun.objects.filter(status__in=SyncRun.ACTIVE)
        .order_by("queued_at", "id")
        .values_list("id", flat=True)
    )
