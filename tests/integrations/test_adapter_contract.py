"""One contract, every registered adapter: strict config, check, pull, map, error classes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from integrations.adapters import (
    AdapterError,
    Http,
    MappingError,
    PermanentError,
    Skip,
    TemporaryError,
    registry,
)
from integrations.schemas import field_errors

from .conftest import DATA, SF_REQUESTS, FeedServer, open311_config
from .test_adapters import (
    AVL,
    POIS,
    avl_config,
    geojson_config,
    sensor_config,
    serve_ogc_items,
    serve_sensorthings,
    sfpd_config,
    sfpd_rows,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


@dataclass(frozen=True)
class Case:
    serve: Callable[[FeedServer], None]
    config: Callable[[FeedServer], dict]


def _open311(feed: FeedServer) -> None:
    feed.serve_file("/open311/v2/requests.json", SF_REQUESTS)
    feed.serve_file(
        "/open311/v2/services.json",
        DATA / "open311_helsinki_service_definitions" / "services_en.json",
    )


CASES: dict[str, Case] = {
    "open311": Case(_open311, open311_config),
    "geojson": Case(serve_ogc_items, geojson_config),
    "csv": Case(
        lambda feed: feed.serve("/data/sfpd.csv", sfpd_rows(60), content_type="text/csv"),
        lambda feed: sfpd_config(url=feed.url("/data/sfpd.csv"), latlon="Location"),
    ),
    "avl": Case(lambda feed: feed.serve_file("/avl/positions.csv", AVL, "text/csv"), avl_config),
    "sensorthings": Case(serve_sensorthings, sensor_config),
}
PRODUCES = {"incident", "position", "concern"}
assert POIS.exists()


def test_every_registered_adapter_has_a_contract_case():
    assert set(CASES) == set(registry.kinds())


def test_the_registry_refuses_a_second_adapter_of_the_same_kind():
    from integrations.adapters.registry import AdapterRegistry

    fresh = AdapterRegistry()
    fresh.register(registry.get("csv"))
    with pytest.raises(ValueError, match="already registered"):
        fresh.register(registry.get("csv"))


def _models(model: type[BaseModel]):
    yield model
    for info in model.model_fields.values():
        for candidate in (info.annotation, *getattr(info.annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                yield from _models(candidate)


@pytest.fixture(params=sorted(CASES))
def case(request, feed):
    kind = request.param
    CASES[kind].serve(feed)
    return kind, registry.get(kind), CASES[kind].config(feed), feed


@pytest.mark.django_db
def test_adapter_contract(case):
    kind, adapter, raw_config, _feed = case
    assert adapter.kind == kind and adapter.label and adapter.produces in PRODUCES

    # Configuration: typed, unknown keys refused by name, every key described and documented.
    with pytest.raises(ValidationError) as refused:
        adapter.parse_config({**raw_config, "no_such_key": 1})
    assert field_errors(refused.value) == {
        "config.no_such_key": ["Unknown key: this adapter has no such setting."]
    }
    docs = DOCS.read_text()
    assert f"`{kind}`" in docs
    for model in _models(adapter.Config):
        assert model.model_config.get("extra") == "forbid", model
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"
            assert f"`{name}`" in docs, f"docs/integrations.md does not document `{name}`"
    config = adapter.parse_config(raw_config)

    with Http() as http:
        assert adapter.check(config, http).strip()
        pull = adapter.pull(config, {}, http)
        records = list(islice(pull, 50))
        pull.close()
    assert records and all(isinstance(r, dict) for r in records)
    json.dumps(records)  # raw records are stored as they are when quarantined
    kinds = set()
    for raw in records:
        try:
            mapped = adapter.map(raw, config)
        except MappingError:
            continue
        assert mapped == adapter.map(raw, config)  # deterministic
        kinds.add(mapped.kind)
        json.dumps(mapped.display(), default=str)
    assert kinds - {Skip.kind} == {adapter.produces}

    # Whatever a remote sends as a record, map answers with a mapping error, never a crash.
    for garbage in ({}, {"unexpected": [1, 2]}, {"properties": "x", "type": "Feature"}):
        with pytest.raises(MappingError):
            adapter.map(garbage, config)

    # A full pull returns a JSON-serialisable cursor.
    with Http() as http:
        pull = adapter.pull(config, {}, http)
        while True:
            try:
                next(pull)
            except StopIteration as stop:
                json.dumps(stop.value)
                assert isinstance(stop.value, dict)
                break


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (503, b"<html>Service Unavailable</html>", TemporaryError),
        (401, b"Unauthorized", PermanentError),
        (200, b"\xff\xfe<html>not a feed</html>\x00", AdapterError),
    ],
)
def test_adapter_failures_are_classified(case, status, body, error):
    _kind, adapter, raw_config, feed = case
    for path in list(feed.routes):
        feed.serve(path, body, status=status, content_type="text/html")
    config = adapter.parse_config(raw_config)
    with Http() as http, pytest.raises(error):
        pull = adapter.pull(config, {}, http)
        list(pull)
