"""Admin for every model of the domain. Operational writes go through the services, like
everywhere else (operational.py); the timeline, outbox and access log are read-only records."""

from . import operational, reference

__all__ = ["operational", "reference"]
