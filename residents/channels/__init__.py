"""Delivery channels: how a message reaches a resident. One small interface, one registry.

A channel has a `code` (stored on the message), a `label`, `can_reach(contact)` and
`send(message, *, recipient, text) -> DeliveryResult`. It never raises for a delivery problem:
it answers `DeliveryResult(ok=False, reason=...)` with a reason people can act on.

Adding a channel (an SMS provider, say):
1. Write `residents/channels/<code>.py` with a class of this shape: `can_reach` looks at the
   contact's phone; `send` calls the provider's HTTP API with a timeout, its key read from a
   `KOBAN_SECRET_*` environment variable (never stored in the database), and turns a refusal or
   a timeout into `DeliveryResult(ok=False, reason=...)`, keeping the provider's message id in
   `reference` when it accepts.
2. Register it below. Order matters: the first registered channel that can reach a contact
   carries the message (e-mail first).
3. Test it against a loopback HTTP server serving the provider's recorded answers.
No migration is needed: `ResidentMessage.channel` has no choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    reason: str = ""
    # The provider's id for the delivery, when it gives one.
    reference: str = ""


class Channel(Protocol):
    code: str
    label: str

    def can_reach(self, contact: Any) -> bool: ...

    def send(self, message: Any, *, recipient: Any, text: str) -> DeliveryResult: ...


class Registry:
    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> Channel:
        if channel.code in self._channels:
            raise ValueError(f"channel {channel.code!r} is already registered")
        self._channels[channel.code] = channel
        return channel

    def get(self, code: str) -> Channel:
        return self._channels[code]

    def all(self) -> list[Channel]:
        return list(self._channels.values())

    def for_contact(self, contact: Any) -> Channel | None:
        """The first registered channel that can reach this contact, or None."""
        return next((c for c in self._channels.values() if c.can_reach(contact)), None)


registry = Registry()


def _register_builtin() -> None:
    from .email import EmailChannel

    registry.register(EmailChannel())


_register_builtin()
