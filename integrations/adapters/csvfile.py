"""CSV from a URL or an uploaded file, with a column mapping (dates, coordinates)."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import Field, model_validator

from ..schemas import Encoding, EnvVarName, HttpUrl, IncidentMapping
from . import values
from .base import Adapter, Cursor, MappedIncident, MappingError, PermanentError, Pull, Raw
from .http import Http, decode_text
from .mapping import incident_from_fields

EXTRA = "_extra_values"


class CSVConfig(IncidentMapping):
    url: HttpUrl | None = Field(
        None, description="Where to download the CSV; leave out to import uploaded files only."
    )
    delimiter: str = Field(",", min_length=1, max_length=1, description="Column separator.")
    encoding: Encoding | None = Field(None, description="Force a character set (else detected).")
    longitude: str | None = Field(None, description="Column with the longitude (X).")
    latitude: str | None = Field(None, description="Column with the latitude (Y).")
    latlon: str | None = Field(
        None, description='Column with "(lat, lon)" text, instead of longitude/latitude.'
    )
    auth_header_env: EnvVarName | None = Field(
        None, description="NAME of the environment variable holding the Authorization header."
    )

    @model_validator(mode="after")
    def _one_coordinate_scheme(self) -> CSVConfig:
        if self.latlon and (self.longitude or self.latitude):
            raise ValueError("Use either latlon or longitude/latitude columns, not both.")
        if bool(self.longitude) != bool(self.latitude):
            raise ValueError("Give both longitude and latitude columns (or neither).")
        return self

    def columns(self) -> dict[str, str]:
        """Plain column names the mapping reads (templates are checked per row)."""
        named = {f"fields.{k}": v for k, v in self.fields.model_dump().items() if v}
        named.update(
            {k: getattr(self, k) for k in ("longitude", "latitude", "latlon") if getattr(self, k)}
        )
        return {key: col for key, col in named.items() if "{" not in col}


class CSVAdapter(Adapter):
    kind = "csv"
    label = "CSV file (URL or upload)"
    produces = "incident"
    Config = CSVConfig
    accepts_upload = True

    def _rows(self, config: CSVConfig, http: Http):
        if http.upload is not None:
            data, where = http.upload, http.upload_name or "the uploaded file"
        elif config.url:
            fetched = http.get(config.url, headers=http.auth_headers(config.auth_header_env))
            data, where = fetched.content, fetched.url
        else:
            raise PermanentError("This source has no url: upload a CSV file from its page.")
        text = decode_text(data, forced=config.encoding)
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=config.delimiter)
        header = [h for h in (reader.fieldnames or []) if h is not None]
        missing = {k: c for k, c in config.columns().items() if c not in header}
        if missing:
            listed = "; ".join(f"config.{k}: no column '{c}'" for k, c in missing.items())
            raise PermanentError(
                f"{where} lacks mapped columns ({listed}); its columns are: {', '.join(header)}."
            )
        return header, reader

    def check(self, config: CSVConfig, http: Http) -> str:
        header, reader = self._rows(config, http)
        rows = sum(1 for _ in reader)
        return f"{rows} rows; columns: {', '.join(header)}."

    def pull(self, config: CSVConfig, cursor: Cursor, http: Http) -> Pull:
        _header, reader = self._rows(config, http)
        try:
            for row in reader:
                record: dict[str, Any] = {k: v for k, v in row.items() if k is not None}
                if None in row:
                    record[EXTRA] = row[None]
                yield record
        except csv.Error as exc:
            raise PermanentError(f"The CSV breaks at line {reader.line_num}: {exc}.") from exc
        return {}

    def external_id(self, raw: Raw, config: CSVConfig) -> str:
        try:
            return values.text(values.pick(raw, config.fields.external_id))
        except MappingError:
            return ""

    def category_codes(self, config: CSVConfig) -> dict[str, str]:
        return {f"categories.{k}": v for k, v in config.categories.items()}

    def map(self, raw: Raw, config: CSVConfig) -> MappedIncident:
        if raw.get(EXTRA):
            raise MappingError(f"the row has {len(raw[EXTRA])} more value(s) than the header.")
        short = [k for k, v in raw.items() if v is None]
        if short:
            raise MappingError(f"the row ends early; no value for {', '.join(short)}.")
        if config.latlon:
            location = values.latlon_text(values.pick(raw, config.latlon), config.latlon)
        elif config.longitude and config.latitude:
            location = values.lonlat(
                values.pick(raw, config.longitude), values.pick(raw, config.latitude), "coordinates"
            )
        else:
            location = None
        return incident_from_fields(raw, config, location)
