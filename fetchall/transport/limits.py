"""The one place that enforces ``--limit`` and ``--per-host`` in the transport.

``--limit`` bounds the requests in flight, ``--per-host`` those to one host. Each fetcher (this
process's, and each worker's with ``--workers``) is given a :class:`Share` of them, made here
from the options and nowhere else; :class:`RequestBounds` is what its requests wait for before
they are sent, and :meth:`Share.connection_pool` sizes its connection pool to match.

Without retries the engine's tasks, one per job, already bound the requests in flight (a job
sends one request at a time), so no request slot is taken here then.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from fetchall.options import Options
from fetchall.transport.pacer import Pacer


@dataclass(frozen=True, slots=True)
class Share:
    """One fetcher's part of the run's bounds."""

    limit: int
    """Requests this fetcher may have in flight at once."""
    per_host: int | None
    """Requests to one host at once; None where the coordinator holds the host slots."""
    turn: int = 0
    turns: int = 1
    """This fetcher takes the ``turn``-th of every ``turns`` start times of the ``--rate``
    grid."""
    origin: float = 0.0
    """Where that grid starts, on the system-wide monotonic clock."""

    @classmethod
    def whole(cls, options: Options) -> Share:
        """The share of a fetcher that is the run's only one: all of it."""
        return cls(options.limit, options.per_host, origin=time.monotonic())

    def connection_pool(self) -> tuple[int, int]:
        """``limit`` and ``limit_per_host`` for aiohttp's connector (0: no bound).

        The bounds are enforced before a request is sent; the pool only has to be no smaller
        (aiohttp's default of 100 connections would cap ``--limit``). It is this size exactly
        since a request holds one connection at a time, and the per-host bound is also the one
        thing that counts a redirect hop to another host, which took no host slot of its own.
        """
        return self.limit, self.per_host or 0


def shares_of(options: Options, processes: int) -> tuple[Share, ...]:
    """How ``processes`` fetchers split the run's bounds (fewer when ``--limit`` is smaller).

    The shares of ``--limit`` add up to it exactly (10 over 3 is 4, 3, 3), so that retries
    waiting out a backoff still hold no request slot; none holds ``--per-host``, which the
    coordinator holds for every job it dispatches (:func:`host_slots_for`).
    """
    count = max(1, min(processes, options.limit))
    origin = time.monotonic()
    whole, extra = divmod(options.limit, count)
    return tuple(
        Share(whole + (index < extra), None, index, count, origin) for index in range(count)
    )


class HostSlots:
    """At most ``per_host`` holders at once for each host.

    A host's semaphore exists only while somebody holds or waits for it, so a run over a
    million distinct hosts does not keep a million semaphores.
    """

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._by_host: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        """Wait for a slot on ``host`` and keep it for the body of the ``async with``."""
        semaphore, users = self._by_host.setdefault(host, (asyncio.Semaphore(self._per_host), [0]))
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._by_host[host]


def host_slots_for(per_host: int | None) -> HostSlots | None:
    """The host slots ``--per-host`` asks for, or None without it."""
    return HostSlots(per_host) if per_host else None


class RequestBounds:
    """What one request waits for before it is sent: a slot on its host (``--per-host``),
    a request slot (only when jobs may be retried) and its start time (``--rate``)."""

    def __init__(self, options: Options, share: Share) -> None:
        self._hosts = host_slots_for(share.per_host)
        # With retries a job waiting out its backoff gives its request slot back (the engine
        # then runs more jobs than --limit), so the bound is taken here, per attempt.
        self._in_flight = asyncio.Semaphore(share.limit) if options.may_retry else None
        self._pacer = None
        if options.rate:
            self._pacer = Pacer(options.rate, (share.turn, share.turns), share.origin)

    @classmethod
    def of(cls, options: Options, share: Share) -> RequestBounds | None:
        """The bounds ``options`` ask for, or None when a request waits for nothing."""
        if share.per_host or options.may_retry or options.rate:
            return cls(options, share)
        return None

    @contextlib.asynccontextmanager
    async def held(self, host: str) -> AsyncIterator[None]:
        """Wait until a request to ``host`` may be sent; hold its slots until the block ends."""
        async with contextlib.AsyncExitStack() as stack:
            if self._hosts is not None:
                await stack.enter_async_context(self._hosts.hold(host))
            if self._in_flight is not None:
                await stack.enter_async_context(self._in_flight)
            if self._pacer is not None:
                await self._pacer.wait()
            yield

    async def pace_next_hop(self) -> None:
        """Wait for the start time of a redirect hop: ``--rate`` counts every request sent,
        and a hop goes before requests not yet started (its attempt's time is running)."""
        if self._pacer is not None:
            await self._pacer.wait(urgent=True)
