"""Reads for a parish's public "you said, we did" page: published concerns and their plans, in
public fields only (no reporter, no officer, no description, no exact location)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext

from .models import (
    Area,
    Category,
    ConcernPlanEntry,
    ConcernStatus,
    NeighbourhoodConcern,
    Priority,
)

# Concerns closed longer ago than this leave the page: it shows current work, not an archive.
CLOSED_SHOWN_DAYS = 90


@dataclass(frozen=True)
class PublicPlanEntry:
    text: str
    who: str
    due_on: date | None
    done_on: date | None
    late: bool


@dataclass(frozen=True)
class PublicConcern:
    reference: str
    title: str
    summary: str
    category: str
    priority: str
    status: str
    next_review_on: date | None
    promises: list[PublicPlanEntry] = field(default_factory=list)
    actions: list[PublicPlanEntry] = field(default_factory=list)

    @property
    def late_count(self) -> int:
        return sum(1 for promise in self.promises if promise.late)


def category_label(category: Category) -> str:
    """The category in the reader's language: pt and en are data, es and fr from the catalogue
    (keyed on the English name)."""
    language = get_language() or ""
    if language.startswith(("pt", "en")):
        return category.label(language)
    return gettext(category.name_en)


def public_parishes() -> QuerySet[Area]:
    return Area.objects.filter(kind=Area.Kind.PARISH).only("id", "name", "code", "public_page")


def public_parish(code: str) -> Area | None:
    return public_parishes().filter(code=code).first()


def public_concerns(area: Area, *, today: date | None = None) -> list[PublicConcern]:
    """The parish's published concerns, open ones first, with promises and actions; built into
    plain records so a template cannot reach a field that is not public."""
    today = today or timezone.localdate()
    since = timezone.now() - timezone.timedelta(days=CLOSED_SHOWN_DAYS)
    concerns = (
        NeighbourhoodConcern.objects.filter(area=area, published=True)
        .filter(~Q(status=ConcernStatus.CLOSED) | Q(updated_at__gte=since))
        .select_related("category")
        .only(
            "reference",
            "title",
            "public_summary",
            "priority",
            "status",
            "next_review_on",
            "category__code",
            "category__name_pt",
            "category__name_en",
        )
        .prefetch_related(
            Prefetch(
                "plan_entries",
                queryset=ConcernPlanEntry.objects.only(
                    "concern_id", "kind", "text", "who", "due_on", "done_on", "created_at"
                ),
            )
        )
        .order_by("reference")
    )
    rank = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
    ordered = sorted(
        concerns, key=lambda c: (c.status == ConcernStatus.CLOSED, rank.get(c.priority, 3))
    )
    result: list[PublicConcern] = []
    for concern in ordered:
        promises = [
            PublicPlanEntry(e.text, e.who, e.due_on, e.done_on, e.is_late(today))
            for e in concern.plan_entries.all()
            if e.kind == ConcernPlanEntry.Kind.COMMITMENT
        ]
        actions = sorted(
            (
                PublicPlanEntry(e.text, e.who, None, e.done_on, False)
                for e in concern.plan_entries.all()
                if e.kind == ConcernPlanEntry.Kind.ACTION
            ),
            key=lambda entry: entry.done_on or today,
        )
        result.append(
            PublicConcern(
                reference=concern.reference,
                title=concern.title,
                summary=concern.public_summary,
                category=category_label(concern.category),
                priority=concern.get_priority_display(),
                status=concern.get_status_display(),
                next_review_on=concern.next_review_on,
                promises=promises,
                actions=actions,
            )
        )
    return result
