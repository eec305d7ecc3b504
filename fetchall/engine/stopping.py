"""How a run ends early, from anywhere: a mode's rule, a limit, a timer, a signal, a closed output.

Every reason to stop goes through :meth:`Stopper.stop`, which records the first reason and
wakes whoever waits in :meth:`Stopper.raise_when_stopped`. That coroutine, run as a task inside
the run's TaskGroup, raises the private :class:`RunStopped` sentinel; the group then cancels
every fetch, and an ``except* RunStopped`` around the group absorbs it.
This is the documented way to end a TaskGroup before Python 3.15 adds ``TaskGroup.cancel()``.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class StopReason(enum.Enum):
    """Why a run ended before its input did; the value is the message cancelled jobs carry."""

    SIBLING_FAILED = "a sibling failed"
    WINNER_FOUND = "another job succeeded first"
    MAX_FAILURES = "--max-failures reached"
    DEADLINE = "--deadline reached"
    INTERRUPTED = "interrupted"
    OUTPUT_CLOSED = "output closed"
    INVALID_INPUT = "a sibling failed"
    """All-or-nothing with invalid lines: nothing starts, and the valid jobs are cancelled with
    the message every sibling of a failure gets (the invalid lines are the failures)."""


class RunStopped(Exception):
    """Sentinel that ends a run's TaskGroup; caught by whoever started that group."""


class Stopper:
    """The one switch that ends a run; safe to flip from callbacks and signal handlers."""

    def __init__(self) -> None:
        self.reason: StopReason | None = None
        self._event = asyncio.Event()

    def stop(self, reason: StopReason) -> None:
        """Stop the run; the first reason given is the one reported."""
        if self.reason is None:
            self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        """Whether the run has been told to stop."""
        return self.reason is not None

    async def raise_when_stopped(self) -> None:
        """Raise :class:`RunStopped` once the run is told to stop (run it as a task in a group)."""
        await self._event.wait()
        raise RunStopped

    async def unless_stopped(self, awaitable: Awaitable[T]) -> T | None:
        """The value of ``awaitable``, or None if the run is stopped before it has one.

        An exception from ``awaitable`` comes out as itself, not inside a group.
        """
        value: T | None = None
        try:
            async with asyncio.TaskGroup() as group:
                watcher = group.create_task(self.raise_when_stopped())
                value = await awaitable
                watcher.cancel()
        except BaseExceptionGroup as raised:
            _, rest = raised.split(RunStopped)
            if rest is None:
                return None
            # The watcher raises nothing but RunStopped: what is left is the awaitable's own.
            raise rest.exceptions[0] from None
        return value
