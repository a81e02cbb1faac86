"""Typed configuration shared by the adapters: strict models, field types, error messages.

Every adapter's configuration is a pydantic model that refuses unknown keys, so a typo in a
source's configuration is an error with the key's name rather than a silently ignored setting.
"""

from __future__ import annotations

import codecs
import re
import zoneinfo
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from django.conf import settings
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from incidents.models.choices import IncidentStatus, Priority


class AdapterConfig(BaseModel):
    """Base of every adapter configuration: unknown keys are errors, values are not coerced
    from the wrong types (a list is never silently read as a string)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    personal_fields: tuple[str, ...] = Field(
        (),
        max_length=100,
        description="Keys of the raw records that hold residents' personal data, masked "
        "wherever people see raw payloads (names, e-mails and phones always are).",
    )


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("Must be an http:// or https:// URL with a host.")
    return value


# Sources may read only variables set aside for them: any other name (PATH, SECRET_KEY,
# DATABASE_URL…) would let whoever writes a source send it to a server of their choosing.
ENV_NAME_MESSAGE = (
    "Must be the NAME of an environment variable starting with KOBAN_SECRET_ (capital letters, "
    "digits, _; e.g. KOBAN_SECRET_SF311_API_KEY), never the secret itself."
)
_SECRET_NAME = re.compile(r"KOBAN_SECRET_[A-Z0-9_]+")


def is_secret_name(value: str) -> bool:
    return bool(_SECRET_NAME.fullmatch(value))


def _env_name(value: str) -> str:
    # Decided on the name alone: the message is the same whether the variable exists or not.
    if not is_secret_name(value):
        raise ValueError(ENV_NAME_MESSAGE)
    return value


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown time zone '{value}' (use e.g. Europe/Lisbon).") from exc
    return value


def _status(value: str) -> str:
    if value not in IncidentStatus.values:
        raise ValueError(
            f"Unknown incident status '{value}'; use one of {', '.join(IncidentStatus.values)}."
        )
    return value


def _category_code(value: str) -> str:
    if not re.fullmatch(r"[-a-zA-Z0-9_]+", value):
        raise ValueError(f"'{value}' is not a category code (e.g. noise, public_space).")
    return value


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError as exc:
        raise ValueError(f"Unknown character set '{value}' (e.g. utf-8, cp1252).") from exc
    return value


def _clock(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("Use a 24-hour time, HH:MM.")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
EnvVarName = Annotated[str, AfterValidator(_env_name)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
StatusName = Annotated[str, AfterValidator(_status)]
CategoryCode = Annotated[str, AfterValidator(_category_code)]
ClockTime = Annotated[str, AfterValidator(_clock)]
Encoding = Annotated[str, AfterValidator(_encoding)]
PriorityName = Literal[tuple(Priority.values)]  # type: ignore[valid-type]


def default_time_zone() -> str:
    return settings.TIME_ZONE


class IncidentFields(AdapterConfig):
    """Where each incident field comes from: a column/property name, or a template such as
    "{Category}: {Descript}" ({Date:.10} keeps the first 10 characters)."""

    external_id: str = Field(description="Column/property holding the record's unique id.")
    title: str | None = Field(None, description="Column/property or template for the title.")
    description: str | None = Field(None, description="Column/property or template.")
    address: str | None = Field(None, description="Column/property or template.")
    category: str | None = Field(
        None, description="Column/property whose value is looked up in `categories`."
    )
    status: str | None = Field(
        None, description="Column/property whose value is looked up in `status_map`."
    )
    reported_at: str | None = Field(
        None, description="Column/property or template with the report's date and time."
    )
    occurred_at: str | None = Field(None, description="Column/property or template.")


class IncidentMapping(AdapterConfig):
    """Options shared by the adapters that turn rows or features into incidents."""

    fields: IncidentFields = Field(description="Where each incident field comes from.")
    categories: dict[str, CategoryCode] = Field(
        default_factory=dict,
        description="Upstream value -> Koban category code; the key 'default' catches the rest.",
    )
    status_map: dict[str, StatusName] = Field(
        default_factory=dict,
        description="Upstream value -> Koban status (case-insensitive); 'default' optional.",
    )
    priority: PriorityName = Field("medium", description="Priority of imported incidents.")
    date_format: str | None = Field(
        None, description="strptime format of dates (e.g. %m/%d/%Y %H:%M); default ISO 8601."
    )
    timezone: TimeZoneName = Field(
        default_factory=default_time_zone,
        description="Time zone of dates written without one (default: TIME_ZONE).",
    )

    @model_validator(mode="after")
    def _category_source(self) -> IncidentMapping:
        if self.fields.category is None and "default" not in self.categories:
            raise ValueError(
                "Set fields.category, or give categories a 'default' so every record has one."
            )
        return self


# --- Errors as field messages ----------------------------------------------------------------


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "Unknown key: this adapter has no such setting."
    if kind == "missing":
        return "This key is required."
    message = str(error.get("msg", "Invalid value."))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def field_errors(exc: ValidationError, prefix: str = "config") -> dict[str, list[str]]:
    """pydantic errors as {"config.endpoint": ["..."]}: one dotted key per offending field."""
    out: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
        key = f"{prefix}.{loc}" if loc else prefix
        out.setdefault(key, []).append(_message(error))
    return out


# --- Schedules -------------------------------------------------------------------------------

# Beat's finest useful grain (a crontab fires at most once a minute), and a floor that keeps a
# source from hammering a remote system or the worker.
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 366 * 24 * 3600


@dataclass(frozen=True)
class Schedule:
    """Either every N seconds or a five-field crontab (minute hour day month weekday)."""

    every_seconds: int | None = None
    crontab: tuple[str, str, str, str, str] | None = None


def parse_schedule(text: str) -> Schedule | None:
    """ "" -> None (manual runs only); "900" -> every 900 s; "*/15 * * * *" -> crontab."""
    text = (text or "").strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]+", text):
        digits = text.lstrip("0") or "0"
        seconds = int(digits) if len(digits) <= 12 else MAX_INTERVAL_SECONDS + 1
        if seconds < MIN_INTERVAL_SECONDS:
            raise ValueError(
                f"An interval must be at least {MIN_INTERVAL_SECONDS} seconds (a crontab such "
                'as "* * * * *" also runs every minute).'
            )
        if seconds > MAX_INTERVAL_SECONDS:
            raise ValueError(f"An interval must be at most {MAX_INTERVAL_SECONDS} seconds.")
        return Schedule(every_seconds=seconds)
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            'Use a number of seconds ("900") or a crontab of five fields ("*/15 * * * *").'
        )
    from celery.schedules import crontab

    minute, hour, day, month, weekday = fields
    try:
        crontab(
            minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday
        )
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"Not a valid crontab: {exc}") from exc
    return Schedule(crontab=(minute, hour, day, month, weekday))
