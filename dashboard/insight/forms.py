"""Query parameters of the insight pages, parsed with the map's own fields (dashboard/api/
filters.py), so `days`, `since`, `until`, `area`, `category` and `priority` mean the same here
as on the map and a bad value is a message for that parameter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Priority
from incidents.selectors_insight import InsightScope

from ..api.filters.parsing import (
    AwareDateTimeField,
    CategoryListField,
    ChoiceListField,
    IdListField,
)

BREAKDOWNS = ("week", "area", "category", "priority")
CHARTS = ("response_times", "followups", "reopened", "feedback")


def _joined(query: QueryDict, *names: str) -> dict[str, str]:
    """`?area=1&area=2` (an HTML form) and `?area=1,2` (the map) both become "1,2"."""
    return {name: ",".join(query.getlist(name)) for name in names if query.getlist(name)}


class InsightFilterForm(forms.Form):
    """The map's filters: a time window on top of parishes, categories and priorities."""

    days = forms.IntegerField(required=False, min_value=1, max_value=3660)
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)
    area = IdListField(required=False)
    category = CategoryListField(required=False)
    priority = ChoiceListField(choices=Priority.choices, required=False)

    @classmethod
    def from_query(cls, query: QueryDict) -> InsightFilterForm:
        return cls(_joined(query, *cls.base_fields))

    def scope(self) -> InsightScope:
        """No window means any time, as on the map."""
        data: dict[str, Any] = self.cleaned_data
        now = timezone.now()
        start = data.get("since")
        if data.get("days"):
            recent = now - timedelta(days=data["days"])
            start = max(start, recent) if start else recent
        return InsightScope(
            start=start,
            end=data.get("until") or now,
            areas=tuple(data.get("area") or ()),
            categories=tuple(data.get("category") or ()),
            priorities=tuple(data.get("priority") or ()),
        )


class ExportForm(InsightFilterForm):
    chart = forms.ChoiceField(choices=[(c, c) for c in CHARTS])
    breakdown = forms.ChoiceField(choices=[(b, b) for b in BREAKDOWNS], required=False)

    @classmethod
    def from_query(cls, query: QueryDict) -> ExportForm:
        data = _joined(query, *InsightFilterForm.base_fields)
        data.update({k: query.get(k, "") for k in ("chart", "breakdown")})
        return cls(data)


class BriefingForm(forms.Form):
    """A division or a set of parishes, and a shift (from/to; empty: the default shift)."""

    area = IdListField(required=False)
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)

    @classmethod
    def from_query(cls, query: QueryDict) -> BriefingForm:
        return cls(_joined(query, *cls.base_fields))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", _("The end of the shift must come after its start."))
        if since and until and until - since > timedelta(days=7):
            self.add_error("until", _("A briefing covers at most seven days."))
        return data
