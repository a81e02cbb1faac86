"""Rows every Koban database needs: the role groups and the default categories.

Run after every migrate (and after test flushes, which emit post_migrate too)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from . import roles
from .models import AccessPurpose, Category, RepeatPlaceRule

_OPERATIONAL = [
    "incident",
    "neighbourhoodconcern",
    "followup",
    "patrol",
    "patrolposition",
    "timelineentry",
]
_REFERENCE = ["area", "category", "policestation"]


def _perms(app: str, models: list[str], actions: list[str]) -> list[Permission]:
    codenames = [f"{a}_{m}" for m in models for a in actions]
    return list(Permission.objects.filter(content_type__app_label=app, codename__in=codenames))


def _create_all_permissions() -> None:
    """post_migrate reaches apps in INSTALLED_APPS order: on a new database the apps after
    incidents (tokens, devices, lockouts) have no permissions yet when the groups are set."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)


def ensure_groups(**_: Any) -> None:
    _create_all_permissions()
    officer, _ = Group.objects.get_or_create(name=roles.OFFICER)
    officer.permissions.set(
        _perms("incidents", _OPERATIONAL, ["view", "add", "change"])
        + _perms("incidents", _REFERENCE, ["view"])
    )
    supervisor, _ = Group.objects.get_or_create(name=roles.SUPERVISOR)
    supervisor.permissions.set(
        _perms("incidents", _OPERATIONAL, ["view", "add", "change"])
        + _perms("incidents", _REFERENCE, ["view"])
    )
    integrator, _ = Group.objects.get_or_create(name=roles.INTEGRATOR)
    integrator.permissions.set(
        list(Permission.objects.filter(content_type__app_label="integrations"))
        + _perms("incidents", _REFERENCE, ["view"])
    )
    # Auditors read the logs on the audit pages; the admin site gives them nothing.
    Group.objects.get_or_create(name=roles.AUDITOR)
    admin, _ = Group.objects.get_or_create(name=roles.ADMINISTRATOR)
    admin.permissions.set(
        list(
            Permission.objects.filter(
                content_type__app_label__in=[
                    "incidents",
                    "integrations",
                    # Open311 client keys and how categories are offered (issue 15).
                    "open311",
                    "auth",
                    "django_celery_beat",
                    # API tokens, authenticator devices, log-in lockouts (to unlock someone).
                    "dashboard",
                    "otp_totp",
                    "axes",
                ]
            )
        )
    )


DEFAULT_CATEGORIES = [
    ("noise", "Ruído", "Noise"),
    ("neighbour_dispute", "Conflito de vizinhança", "Neighbour dispute"),
    ("public_space", "Espaço público", "Public space"),
    ("traffic_parking", "Trânsito e estacionamento", "Traffic and parking"),
    ("vandalism", "Vandalismo", "Vandalism"),
    ("theft", "Furto", "Theft"),
    ("public_order", "Ordem pública", "Public order"),
    ("welfare_check", "Verificação de bem-estar", "Welfare check"),
    ("other", "Outro", "Other"),
]


def ensure_default_categories(**_: Any) -> None:
    """Seed the categories once; afterwards they are the force's data to edit."""
    if Category.objects.exists():
        return
    for order, (code, pt, en) in enumerate(DEFAULT_CATEGORIES):
        Category.objects.create(code=code, name_pt=pt, name_en=en, sort_order=order * 10)


DEFAULT_ACCESS_PURPOSES = [
    ("contact_outcome", "Informar o munícipe do resultado", "Tell the resident the outcome", False),
    ("clarify_report", "Esclarecer a participação", "Clarify the report", False),
    ("legal_request", "Pedido legal (tribunal, Ministério Público)", "Legal request", False),
    ("other", "Outro (indicar o motivo)", "Other (say why)", True),
]


def ensure_access_purposes(**_: Any) -> None:
    """Seed the reasons for revealing a contact once; afterwards they are the force's data."""
    if AccessPurpose.objects.exists():
        return
    for order, (code, pt, en, needs_text) in enumerate(DEFAULT_ACCESS_PURPOSES):
        AccessPurpose.objects.create(
            code=code, name_pt=pt, name_en=en, needs_text=needs_text, sort_order=order * 10
        )


def _ensure_daily_task(name: str, task: str, hour: int) -> None:
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour=str(hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "crontab": crontab})


def ensure_outbox_prune_schedule(**_: Any) -> None:
    """Celery beat prunes the live-feed outbox hourly (retention: KOBAN_OUTBOX_RETENTION_HOURS)."""
    from django.db import connection
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connection.introspection.table_names():
        return  # django_celery_beat not migrated yet; the next migrate adds the schedule
    every_hour = IntervalSchedule.objects.filter(every=1, period=IntervalSchedule.HOURS).first()
    every_hour = every_hour or IntervalSchedule.objects.create(
        every=1, period=IntervalSchedule.HOURS
    )
    PeriodicTask.objects.update_or_create(
        name="Prune the live-feed outbox",
        defaults={"task": "incidents.tasks.outbox_prune_task", "interval": every_hour},
    )
    # Retention of personal data and rejected records (docs/privacy.md), nightly.
    _ensure_daily_task("Erase personal data past retention", "incidents.tasks.retention_task", 3)


# Issue 16: categories whose repeats are about a household or a person rather than a place are
# not clustered by default (a force may switch them on, as data).
REPEAT_PLACE_OFF_BY_DEFAULT = ("neighbour_dispute", "welfare_check")


def ensure_repeat_place_rules(**_: Any) -> None:
    """Seed one rule per category once (3+ within 150 m in 30 days); then they are data."""
    if RepeatPlaceRule.objects.exists():
        return
    for category in Category.objects.all():
        RepeatPlaceRule.objects.create(
            category=category, active=category.code not in REPEAT_PLACE_OFF_BY_DEFAULT
        )


def ensure_repeat_place_schedule(**_: Any) -> None:
    """Celery beat looks for repeat places every hour (incidents.tasks.repeat_places_scan_task)."""
    from django.db import connection
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connection.introspection.table_names():
        return
    every_hour = IntervalSchedule.objects.filter(every=1, period=IntervalSchedule.HOURS).first()
    every_hour = every_hour or IntervalSchedule.objects.create(
        every=1, period=IntervalSchedule.HOURS
    )
    PeriodicTask.objects.update_or_create(
        name="Look for repeat places",
        defaults={"task": "incidents.tasks.repeat_places_scan_task", "interval": every_hour},
    )


def ensure_base_rows(**kwargs: Any) -> None:
    ensure_groups(**kwargs)
    ensure_default_categories(**kwargs)
    ensure_access_purposes(**kwargs)
    ensure_outbox_prune_schedule(**kwargs)
    ensure_repeat_place_rules(**kwargs)
    ensure_repeat_place_schedule(**kwargs)
