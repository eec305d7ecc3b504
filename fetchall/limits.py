"""Bounds on how fast and how wide a run goes: per-host slots and request pacing (contract §5).

The global ``--limit`` is a plain :class:`asyncio.Semaphore` held by the scheduler; these are
the two bounds that need a little more than that.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class HostSlots:
    """At most ``per_host`` holders at once for each host.

    A host's semaphore exists only while somebody holds or waits for it, so a run over a
    million distinct hosts does not keep a million semaphores.
    """

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Wait for a slot on ``host`` and keep it for the body of the ``async with``."""
        semaphore, users = self._slots.setdefault(host, (asyncio.Semaphore(self._per_host), [0]))
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._slots[host]


class Pacer:
    """Request starts at least ``1 / rate`` seconds apart, in the order they asked.

    Each caller reserves the next free start time without awaiting in between (so no lock is
    needed on a single event loop), then sleeps until it. A cancelled waiter's reservation is
    not given back: a gap in the schedule is harmless, a burst would break the promise.
    """

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next_start = 0.0

    async def wait(self) -> None:
        """Return when this caller may send its request."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self._next_start)
        self._next_start = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)
