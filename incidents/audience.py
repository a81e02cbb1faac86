"""Who may see an item: the visibility rule written once, as data, and read two ways.

`visible_q` turns it into a queryset filter for one user (the `*_visible_to` selectors);
`audience_of` turns it into the areas and people one row reaches (the live feed's addressing,
computed by the services in the transaction of the change). Both read the same `RULES`, so a
screen's snapshot and the events it receives cannot disagree about who sees what.

An officer sees an item when it lies in one of their areas (or a sub-area), or when one of the
item's people paths leads to them. Supervisors and administrators see everything; patrols and
stations are seen by every operational user (knowing who is near is a safety matter).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q

from .models import FollowUp, Incident, NeighbourhoodConcern

# Entities every operational user sees: their events reach every dashboard.
SEEN_BY_EVERY_OPERATIONAL_USER = ("patrol", "station")


ENTITY_TYPES: dict[type[Model], str] = {
    Incident: "incident",
    NeighbourhoodConcern: "concern",
    FollowUp: "followup",
}


@dataclass(frozen=True)
class Rule:
    """Paths from a row to the areas it lies in and to the people who see it wherever it is."""

    areas: tuple[str, ...]
    users: tuple[str, ...]


RULES: dict[type[Model], Rule] = {
    Incident: Rule(
        areas=("area",),
        users=(
            "assigned_officer",
            "assigned_patrol__members",
            "followups__assignee",
            "followups__assignee_patrol__members",
        ),
    ),
    NeighbourhoodConcern: Rule(
        areas=("area",),
        users=("owner", "followups__assignee", "followups__assignee_patrol__members"),
    ),
    FollowUp: Rule(
        areas=("incident__area", "concern__area"),
        users=("assignee", "assignee_patrol__members"),
    ),
}


@dataclass(frozen=True)
class Audience:
    """The areas and the people one row reaches (an officer of a sub-area counts as the area)."""

    area_ids: frozenset[int] = field(default_factory=frozenset)
    user_ids: frozenset[int] = field(default_factory=frozenset)

    def __or__(self, other: Audience) -> Audience:
        return Audience(self.area_ids | other.area_ids, self.user_ids | other.user_ids)

    def __sub__(self, other: Audience) -> Audience:
        """Who was reached by `self` and is not by `other` (as areas and as people)."""
        return Audience(self.area_ids - other.area_ids, self.user_ids - other.user_ids)

    def __bool__(self) -> bool:
        return bool(self.area_ids or self.user_ids)

    @classmethod
    def of(
        cls, area_ids: Iterable[int | None] = (), user_ids: Iterable[int | None] = ()
    ) -> Audience:
        return cls(
            frozenset(a for a in area_ids if a is not None),
            frozenset(u for u in user_ids if u is not None),
        )


def visible_q(model: type[Model], user: Any, area_ids: Iterable[int]) -> Q:
    """The rows of `model` an officer with these areas sees.

    `area IN (…) OR pk IN (a UNION of one select per person path)`. The area test is a column
    of the row itself, so PostgreSQL can walk the list's `(reported_at DESC, id DESC)` index in
    order and stop after a page, checking each row against the area list and a hashed set of
    the (few) rows the person sees through assignments and crews, built once per query. A
    person path that crosses a reverse relation (`followups__assignee`) is read from the
    related table (`followup.incident_id WHERE assignee = …`), not joined back to this one.
    """
    rule = RULES[model]
    area_ids = list(area_ids)
    rows = model._default_manager.order_by()
    parts = [_person_path(model, path, user) for path in rule.users]
    direct = [path for path in rule.areas if "__" not in path]
    if area_ids:
        parts += [
            rows.filter(**{f"{path}__in": area_ids}).values("pk")
            for path in rule.areas
            if path not in direct
        ]
    first, *rest = parts
    people = Q(pk__in=first.union(*rest, all=True))
    in_areas = [Q(**{f"{path}__in": area_ids}) for path in direct] if area_ids else []
    return _any([*in_areas, people])


def _any(conditions: list[Q]) -> Q:
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return combined


def _person_path(model: type[Model], path: str, user: Any) -> Any:
    """`pk`s of the rows a person reaches through `path`, as one index-friendly select."""
    head, _, tail = path.partition("__")
    field = model._meta.get_field(head)
    if tail and field.one_to_many:
        related = field.related_model._default_manager.order_by()
        back = field.field.attname  # e.g. followup.incident_id
        return related.filter(**{tail: user, f"{back}__isnull": False}).values(back)
    return model._default_manager.order_by().filter(**{path: user}).values("pk")


def _values(model: type[Model], pk: int, paths: tuple[str, ...]) -> frozenset[int]:
    rows = model._default_manager.filter(pk=pk)
    queries = [rows.values_list(path, flat=True) for path in paths]
    first, *rest = queries
    union = first.union(*rest) if rest else first
    return frozenset(v for v in union if v is not None)


def audience_of(obj: Model) -> Audience:
    """Who sees this saved row now (two queries). Call it in the transaction of the change:
    before it for the audience the change may take the row away from, after it for the event."""
    rule = RULES[type(obj)]
    return Audience(_values(type(obj), obj.pk, rule.areas), _values(type(obj), obj.pk, rule.users))


def key_of(obj: Model) -> tuple[str, int]:
    """How events name a row: (entity type, id)."""
    return ENTITY_TYPES[type(obj)], obj.pk


def audiences(*objs: Model) -> dict[tuple[str, int], Audience]:
    return {key_of(obj): audience_of(obj) for obj in objs}


def item_audiences(item: Incident | NeighbourhoodConcern) -> dict[tuple[str, int], Audience]:
    """The audience of an incident or concern and of each of its follow-ups (whose areas are the
    item's): what a move or a change of people can change at once."""
    return audiences(item, *item.followups.all().only("pk", "incident_id", "concern_id"))


def items_seen_through_patrol(patrol_id: int) -> list[Incident | NeighbourhoodConcern]:
    """The items a patrol's crew sees as its crew: a change of crew changes who sees them."""
    incidents = Incident.objects.filter(
        Q(assigned_patrol_id=patrol_id)
        | Q(pk__in=FollowUp.objects.filter(assignee_patrol_id=patrol_id).values("incident_id"))
    )
    concerns = NeighbourhoodConcern.objects.filter(
        pk__in=FollowUp.objects.filter(assignee_patrol_id=patrol_id).values("concern_id")
    )
    return [*incidents.select_related("category"), *concerns.select_related("category")]


def new_item_audiences(item: Incident | NeighbourhoodConcern) -> dict[tuple[str, int], Audience]:
    """`item_audiences` of an item saved in this transaction, from the row in memory instead of
    three queries (what an import of thousands of records pays per record). Precondition: no row
    the rule follows points at it yet (no follow-ups). A path that is one of its own keys is that
    key's value; a path through a set key (a patrol's members) is read as item_audiences does."""
    rule = RULES[type(item)]
    found: tuple[set[int], set[int]] = (set(), set())
    for paths, ids in zip((rule.areas, rule.users), found, strict=True):
        for path in paths:
            name, _, further = path.partition("__")
            field = type(item)._meta.get_field(name)
            if field.auto_created and not field.concrete:
                continue  # a reverse relation (follow-ups): nothing points at a new item
            if not (field.many_to_one and field.concrete):
                return item_audiences(item)
            value = getattr(item, field.attname)
            if value is not None and further:
                return item_audiences(item)
            if value is not None:
                ids.add(value)
    return {key_of(item): Audience.of(*found)}
