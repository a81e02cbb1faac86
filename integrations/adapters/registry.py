"""The adapter registry: explicit, one instance per kind, duplicates refused.

Sources name their adapter by `kind` (a plain string column), so a new adapter needs a class
and one `register` line in adapters/__init__.py, never a migration.
"""

from __future__ import annotations

from .base import Adapter


class UnknownAdapter(LookupError):
    pass


class AdapterRegistry:
    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}

    def register(self, adapter: Adapter) -> Adapter:
        kind = getattr(adapter, "kind", "")
        if not kind or not kind.replace("_", "").isalnum() or kind != kind.lower():
            raise ValueError(f"Adapter kind {kind!r} must be a lower-case identifier.")
        if kind in self._adapters:
            raise ValueError(
                f"An adapter of kind {kind!r} is already registered "
                f"({type(self._adapters[kind]).__qualname__})."
            )
        self._adapters[kind] = adapter
        return adapter

    def get(self, kind: str) -> Adapter:
        try:
            return self._adapters[kind]
        except KeyError:
            raise UnknownAdapter(
                f"Unknown adapter '{kind}'; known: {', '.join(self.kinds())}."
            ) from None

    def kinds(self) -> list[str]:
        return sorted(self._adapters)

    def all(self) -> list[Adapter]:
        return [self._adapters[k] for k in self.kinds()]

    def __contains__(self, kind: object) -> bool:
        return kind in self._adapters
