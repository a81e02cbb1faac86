"""Every adapter Koban ships, registered explicitly in one place (duplicates are refused).

Adding one: write a module with a Config (AdapterConfig) and an Adapter subclass, register it
below, document its keys in docs/integrations.md; see the README checklist.
"""

from __future__ import annotations

from .avl import AVLAdapter
from .base import (
    Adapter,
    AdapterError,
    Mapped,
    MappedConcernSignal,
    MappedIncident,
    MappedPosition,
    MappingError,
    PermanentError,
    Skip,
    TemporaryError,
)
from .csvfile import CSVAdapter
from .geojson import GeoJSONAdapter
from .http import Http
from .open311 import Open311Adapter
from .registry import AdapterRegistry, UnknownAdapter
from .sensorthings import SensorThingsAdapter

registry = AdapterRegistry()
registry.register(Open311Adapter())
registry.register(GeoJSONAdapter())
registry.register(CSVAdapter())
registry.register(AVLAdapter())
registry.register(SensorThingsAdapter())

__all__ = [
    "Adapter",
    "AdapterError",
    "AdapterRegistry",
    "Http",
    "Mapped",
    "MappedConcernSignal",
    "MappedIncident",
    "MappedPosition",
    "MappingError",
    "PermanentError",
    "Skip",
    "TemporaryError",
    "UnknownAdapter",
    "registry",
]
