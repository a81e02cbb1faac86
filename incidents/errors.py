"""Domain errors: raised by services, turned into HTTP answers by one API exception handler."""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base of every refusal by the domain; the message is meant for people."""


class InvalidInput(DomainError):
    """Input the domain cannot accept; carries one or more messages per field."""

    def __init__(self, errors: dict[str, list[str] | str]) -> None:
        self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class InvalidTransition(DomainError):
    """A status move the lifecycle does not allow; nothing was changed."""

    def __init__(self, *, entity: str, current: str, target: str, allowed: Iterable[str]) -> None:
        self.entity = entity
        self.current = current
        self.target = target
        self.allowed = list(allowed)
        allowed_text = ", ".join(self.allowed) or "none (final state)"
        super().__init__(
            f"{entity} cannot go from '{current}' to '{target}'; allowed next states: "
            f"{allowed_text}"
        )


class OutsideServiceArea(InvalidInput):
    """A location outside every area, when the force configures that as an error."""

    def __init__(self, field: str = "location") -> None:
        super().__init__({field: ["This location is outside the service area."]})


class NotAllowed(DomainError):
    """The user sees the item but may not do this (e.g. reveal a contact without need-to-know)."""

    code = "not_allowed"


class NothingToReveal(DomainError):
    """There is no contact to reveal (none recorded, or erased after the retention period)."""
