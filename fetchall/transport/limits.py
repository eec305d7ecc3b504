"""Bounds on how fast and how wide a run goes: per-host slots and request pacing.

The global ``--limit`` is a plain :class:`asyncio.Semaphore` held by the scheduler, one per
job. :class:`RequestBounds` gathers what each request waits for on top of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections.abc import AsyncIterator

from fetchall.options import Options


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


class Pacer:
    """Request starts at least ``1 / rate`` seconds apart.

    A caller that finds the next start time free and due goes at once. Otherwise it queues,
    and one timer hands out start times one at a time, to the most urgent caller first: a
    redirect hop (``urgent=True``) is already inside its attempt, whose ``--timeout`` runs,
    so it goes before first requests, which wait outside theirs. A cancelled waiter is
    skipped; a start time is never handed out twice, so no burst breaks the promise.

    Several processes share one rate by taking turns on one grid of start times: with
    ``share=(i, n)`` and a common ``origin`` on the system-wide monotonic clock, this pacer
    starts requests only at ``origin + (i + k*n) / rate``, so no two processes ever start
    requests closer than ``1 / rate`` apart, and none of them has to ask the others.
    """

    def __init__(self, rate: float, share: tuple[int, int] = (0, 1), origin: float = 0.0) -> None:
        self._interval = 1.0 / rate
        self._turn, self._turns = share
        self._origin = origin
        self._next_start = 0.0
        self._queue: list[tuple[bool, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def wait(self, *, urgent: bool = False) -> None:
        """Return when this caller may send its request."""
        if not self._queue and self._take_start_if_due():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Urgent callers sort first (False < True), then by arrival.
        heapq.heappush(self._queue, (not urgent, next(self._arrivals), future))
        self._arm()
        await future

    def _take_start_if_due(self) -> bool:
        now = time.monotonic()
        start = self._own_turn_from(max(now, self._next_start))
        if start > now:
            return False
        self._next_start = start + self._interval * self._turns
        return True

    def _arm(self) -> None:
        """Reserve the next start time now and hand it out when it comes.

        Reserved, not looked up again when the timer fires: a timer that fires a hair late
        would otherwise find that start gone by and push the waiters to the next one, for ever.
        """
        if self._timer is not None:
            return
        now = time.monotonic()
        start = self._own_turn_from(max(now, self._next_start))
        self._next_start = start + self._interval * self._turns
        self._timer = asyncio.get_running_loop().call_later(start - now, self._hand_out)

    def _hand_out(self) -> None:
        self._timer = None
        while self._queue and self._queue[0][2].done():  # cancelled while waiting
            heapq.heappop(self._queue)
        if self._queue:
            heapq.heappop(self._queue)[2].set_result(None)
        if self._queue:
            self._arm()

    def _own_turn_from(self, moment: float) -> float:
        """The first start time at or after ``moment`` that is this process's turn."""
        if self._turns == 1:
            return moment
        grid = (moment - self._origin) / self._interval
        round_ = math.ceil((grid - self._turn) / self._turns)
        return self._origin + (self._turn + round_ * self._turns) * self._interval


class RequestBounds:
    """What one request waits for before it is sent: a slot on its host (``--per-host``),
    a request slot (only when jobs may be retried) and its start time (``--rate``)."""

    def __init__(self, options: Options, pacer_share: tuple[tuple[int, int], float]) -> None:
        self._hosts = HostSlots(options.per_host) if options.per_host else None
        # Without retries the scheduler's slots, one per job, already bound the requests in
        # flight. With retries a job waiting out its backoff gives its request slot back, so
        # the bound is taken here, per attempt.
        self._in_flight = asyncio.Semaphore(options.limit) if options.may_retry else None
        self._pacer = None
        if options.rate:
            share, origin = pacer_share
            self._pacer = Pacer(options.rate, share, origin)

    @classmethod
    def of(
        cls, options: Options, pacer_share: tuple[tuple[int, int], float] = ((0, 1), 0.0)
    ) -> RequestBounds | None:
        """The bounds ``options`` ask for, or None when a request waits for nothing."""
        if options.per_host or options.may_retry or options.rate:
            return cls(options, pacer_share)
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
