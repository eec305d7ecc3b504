"""``--rate``: request starts at least ``1 / rate`` seconds apart, across processes too."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import Callable


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

    ``clock`` must tick with the running loop's :meth:`~asyncio.AbstractEventLoop.time`
    (the default, ``time.monotonic``, is what asyncio's loops use); tests pass a virtual one.
    """

    def __init__(
        self,
        rate: float,
        share: tuple[int, int] = (0, 1),
        origin: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / rate
        self._turn, self._turns = share
        self._origin = origin
        self._clock = clock
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
        now = self._clock()
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
        now = self._clock()
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
