""" "You said, we did": what was agreed with residents on a concern, what was done, and which
concerns a parish's public page shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import roles
from ..errors import InvalidInput, NotAllowed
from ..models import Area, ConcernPlanEntry, NeighbourhoodConcern
from ..selectors import concerns_visible_to
from ._common import add_timeline, lock_row
from .concerns import _emit_concern

_TEXT_MAX = 2000
_WHO_MAX = 200


def _check_may_work_on(concern: NeighbourhoodConcern, actor: Any) -> None:
    """Officers who see the concern, supervisors and administrators record its plan."""
    if actor is None:
        return  # a command or a data migration: the caller answers for it
    if not roles.is_operational(actor):
        raise NotAllowed("Only officers and supervisors record what was agreed and done.")
    if not concerns_visible_to(actor).filter(pk=concern.pk).exists():
        raise NotAllowed("This concern is outside your areas.")


@transaction.atomic
def concern_plan_add(
    *,
    concern: NeighbourhoodConcern | int,
    kind: str,
    text: str,
    who: str = "",
    due_on: date | None = None,
    done_on: date | None = None,
    fulfils: ConcernPlanEntry | int | None = None,
    actor: Any = None,
) -> ConcernPlanEntry:
    """Add a promise (what, who, by when) or an action (what, who, when) to a concern; an action
    that fulfils a promise marks the promise done on the action's date."""
    obj = lock_row(NeighbourhoodConcern, concern, "category")
    _check_may_work_on(obj, actor)
    errors: dict[str, list[str]] = {}
    if kind not in ConcernPlanEntry.Kind.values:
        errors["kind"] = [f"Unknown kind '{kind}': use commitment or action."]
    text = (text or "").strip()
    if not text:
        errors["text"] = ["Say what was agreed or done."]
    elif len(text) > _TEXT_MAX:
        errors["text"] = [f"At most {_TEXT_MAX} characters."]
    who = (who or "").strip()
    if len(who) > _WHO_MAX:
        errors["who"] = [f"At most {_WHO_MAX} characters."]
    if kind == ConcernPlanEntry.Kind.COMMITMENT and due_on is None:
        errors["due_on"] = ["A commitment needs a date by when it will be done."]
    if kind == ConcernPlanEntry.Kind.ACTION and done_on is None:
        errors["done_on"] = ["An action needs the date it was done."]
    if done_on is not None and done_on > timezone.localdate():
        errors["done_on"] = ["An action cannot be dated in the future."]
    promise: ConcernPlanEntry | None = None
    if fulfils is not None:
        if kind != ConcernPlanEntry.Kind.ACTION:
            errors["fulfils"] = ["Only an action fulfils a commitment."]
        else:
            promise_id = fulfils.pk if isinstance(fulfils, ConcernPlanEntry) else fulfils
            promise = (
                ConcernPlanEntry.objects.select_for_update()
                .filter(pk=promise_id, concern=obj, kind=ConcernPlanEntry.Kind.COMMITMENT)
                .first()
            )
            if promise is None:
                errors["fulfils"] = ["No such commitment on this concern."]
    if errors:
        raise InvalidInput(errors)
    entry = ConcernPlanEntry.objects.create(
        concern=obj,
        kind=kind,
        text=text,
        who=who,
        due_on=due_on if kind == ConcernPlanEntry.Kind.COMMITMENT else None,
        done_on=done_on,
        fulfils=promise,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if promise is not None and promise.done_on is None:
        promise.done_on = done_on
        promise.save(update_fields=["done_on"])
    add_timeline(
        item=obj,
        kind="updated",
        actor=actor,
        text=text,
        data={
            "plan": kind,
            "who": who,
            "due_on": entry.due_on.isoformat() if entry.due_on else None,
            "done_on": done_on.isoformat() if done_on else None,
            "fulfils": promise.pk if promise else None,
        },
    )
    obj.save(update_fields=["updated_at"])
    _emit_concern(obj)
    return entry


@transaction.atomic
def concern_publish(
    *,
    concern: NeighbourhoodConcern | int,
    published: bool,
    public_summary: str | None = None,
    actor: Any = None,
) -> NeighbourhoodConcern:
    """Supervisors decide what residents see: publish (with a summary written for them) or
    take a concern off its parish's public page."""
    obj = lock_row(NeighbourhoodConcern, concern, "category")
    if actor is not None and not roles.sees_everything(actor):
        raise NotAllowed("Only supervisors publish concerns on the parish page.")
    if public_summary is not None:
        public_summary = public_summary.strip()
        if len(public_summary) > _TEXT_MAX:
            raise InvalidInput({"public_summary": [f"At most {_TEXT_MAX} characters."]})
        obj.public_summary = public_summary
    if published and not obj.public_summary:
        raise InvalidInput({"public_summary": ["Write a summary for residents before publishing."]})
    changed = obj.published != published
    obj.published = published
    if changed:
        obj.published_at = timezone.now() if published else None
    obj.save()
    add_timeline(
        item=obj,
        kind="updated",
        actor=actor,
        data={"changed": {"published": str(published)}},
    )
    _emit_concern(obj)
    return obj


@transaction.atomic
def area_set_public_page(*, area: Area | int, enabled: bool, actor: Any = None) -> Area:
    """Open or close a parish's public page to people who are not logged in (administrators)."""
    if actor is not None and not roles.has_role(actor, roles.ADMINISTRATOR):
        raise NotAllowed("Only administrators open a parish's page to the public.")
    obj = lock_row(Area, area)
    obj.public_page = enabled
    obj.save(update_fields=["public_page"])
    return obj
