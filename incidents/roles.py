"""Roles are Django groups; these helpers are the only place that reads group names."""

from __future__ import annotations

from typing import Any

OFFICER = "Officer"
SUPERVISOR = "Supervisor"
INTEGRATOR = "Integrator"
ADMINISTRATOR = "Administrator"
# Reads the access log and the change history, and nothing else (issue 11).
AUDITOR = "Auditor"
ROLES = (OFFICER, SUPERVISOR, INTEGRATOR, ADMINISTRATOR, AUDITOR)


def role_names(user: Any) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_koban_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached.add(ADMINISTRATOR)
        user._koban_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(role_names(user) & set(roles))


def sees_everything(user: Any) -> bool:
    """Supervisors and administrators see the whole division."""
    return has_role(user, SUPERVISOR, ADMINISTRATOR)


def is_operational(user: Any) -> bool:
    """Officers, supervisors and administrators work with incidents; integrators do not."""
    return has_role(user, OFFICER, SUPERVISOR, ADMINISTRATOR)


def is_integrator(user: Any) -> bool:
    return has_role(user, INTEGRATOR, ADMINISTRATOR)


def may_audit(user: Any) -> bool:
    """Supervisors, administrators and auditors read and export the logs."""
    return has_role(user, SUPERVISOR, ADMINISTRATOR, AUDITOR)
