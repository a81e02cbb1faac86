"""The adapter contract: check the connection, pull raw records since a cursor, map one record.

An adapter knows one kind of remote system and nothing about Koban's database: `map` turns a
raw record into one of the typed records below (or raises MappingError with a reason people can
act on), and the integrations services hand typed records to the domain services.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..schemas import AdapterConfig

if TYPE_CHECKING:
    from .http import Http

Raw = dict[str, Any]
Cursor = dict[str, Any]
# `pull` yields raw records and *returns* the cursor the next run starts from.
Pull = Generator[Raw, None, Cursor]


class AdapterError(Exception):
    """A run-level failure, with a message meant for the IT staff reading the run."""


class TemporaryError(AdapterError):
    """Worth retrying later: timeouts, connection errors, HTTP 5xx/429."""


class PermanentError(AdapterError):
    """Retrying cannot help: bad configuration, HTTP 401/403/404, a body that is not a feed."""


class MappingError(Exception):
    """One record cannot be mapped; it is quarantined with this reason and the run goes on."""


class _Displayed:
    """What a dry run shows of a typed record (a dataclass): its kind, then its fields."""

    kind: ClassVar[str]

    def display(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}  # type: ignore[call-overload]


@dataclass(frozen=True)
class MappedIncident(_Displayed):
    external_id: str
    category: str
    reported_at: datetime | None
    title: str = ""
    description: str = ""
    address: str = ""
    # (lon, lat) in WGS84; None = not located (the record is kept, with its address).
    location: tuple[float, float] | None = None
    status: str | None = None
    priority: str = "medium"
    occurred_at: datetime | None = None

    kind: ClassVar[str] = "incident"


@dataclass(frozen=True)
class MappedPosition(_Displayed):
    vehicle_id: str
    location: tuple[float, float]
    recorded_at: datetime
    speed_kmh: float | None = None
    heading: float | None = None

    kind: ClassVar[str] = "position"


@dataclass(frozen=True)
class MappedConcernSignal(_Displayed):
    """A threshold rule fired: open (or reopen) the concern keyed by external_id, add a note."""

    external_id: str
    title: str
    category: str
    note: str
    observed_at: datetime
    priority: str = "medium"
    description: str = ""
    location: tuple[float, float] | None = None

    kind: ClassVar[str] = "concern"


@dataclass(frozen=True)
class Skip(_Displayed):
    """A record the configuration deliberately ignores (counted as skipped, not rejected)."""

    reason: str

    kind: ClassVar[str] = "skip"


Mapped = MappedIncident | MappedPosition | MappedConcernSignal | Skip


class Adapter(ABC):
    """One kind of remote system. Instances are stateless; the registry holds one of each."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # What its records become: "incident", "position" or "concern".
    produces: ClassVar[str]
    Config: ClassVar[type[AdapterConfig]]
    # Whether a run can read a file uploaded by IT staff instead of fetching.
    accepts_upload: ClassVar[bool] = False

    def parse_config(self, data: dict[str, Any]) -> AdapterConfig:
        """The typed configuration; raises pydantic.ValidationError (unknown keys refused)."""
        return self.Config.model_validate(data)

    @abstractmethod
    def check(self, config: Any, http: Http) -> str:
        """Reach the remote system once; return what was found, or raise AdapterError."""

    @abstractmethod
    def pull(self, config: Any, cursor: Cursor, http: Http) -> Pull:
        """Yield raw records newer than `cursor`; return the cursor for the next run."""

    @abstractmethod
    def map(self, raw: Raw, config: Any) -> Mapped:
        """Turn one raw record into a typed record; raise MappingError with a reason."""

    def external_id(self, raw: Raw, config: Any) -> str:
        """Best-effort id of a raw record, to show next to a rejected one."""
        return ""

    def category_codes(self, config: Any) -> dict[str, str]:
        """Koban category codes the configuration names, by config path (checked on save)."""
        return {}
