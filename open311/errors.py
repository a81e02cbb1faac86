"""Open311 refusals, raised by services and selectors' callers; views.exception_handler answers
them in the specification's error format (both are 404: the thing does not exist)."""

from __future__ import annotations

from incidents.errors import DomainError


class UnknownService(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__(f"No service with service_code '{code}'.")


class UnknownRequest(DomainError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"No service request with id '{request_id}'.")
