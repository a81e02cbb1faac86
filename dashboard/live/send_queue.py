"""One client's outgoing frames, with patrol positions coalesced (the newest wins)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class SendQueue:
    """Frames waiting for one client's socket, oldest first.

    A patrol position still waiting here is dropped when a newer one for the same patrol is
    queued (the latest wins), so a fleet of GPS feeds cannot pile up in front of a slow browser.
    """

    def __init__(self) -> None:
        # Each slot: [frame, or None once superseded; seq of an event or None; coalescing key].
        self._slots: deque[list[Any]] = deque()
        self._latest: dict[tuple[str, int], list[Any]] = {}
        self._ready = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()

    def __len__(self) -> int:
        return len(self._slots)

    def put(self, frame: str, seq: int | None = None, key: tuple[str, int] | None = None) -> None:
        slot = [frame, seq, key]
        if key is not None:
            older = self._latest.get(key)
            if older is not None:
                older[0] = None
            self._latest[key] = slot
        self._slots.append(slot)
        self._drained.clear()
        self._ready.set()

    def drop_events(self) -> None:
        """Forget queued events (a resume replays them); keep protocol messages such as hello."""
        for slot in self._slots:
            if slot[1] is not None:
                slot[0] = None
        self._latest.clear()

    async def get(self) -> str:
        while True:
            while not self._slots:
                self._drained.set()
                self._ready.clear()
                await self._ready.wait()
            slot = self._slots.popleft()
            if slot[2] is not None and self._latest.get(slot[2]) is slot:
                del self._latest[slot[2]]
            if slot[0] is not None:
                return slot[0]

    def sent(self) -> None:
        if not self._slots:
            self._drained.set()

    async def drained(self) -> None:
        await self._drained.wait()
