"""``--rate`` alone: the start times a :class:`Pacer` hands out, on a virtual clock.

The event loop here never sleeps: when it has nothing to do but wait for a timer, its clock
jumps to that timer. So start times are exact, and the tests take no wall time.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from fetchall.transport.pacer import Pacer

T = TypeVar("T")


class VirtualClock:
    """A clock that only moves when the loop would otherwise wait."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise RuntimeError("nothing scheduled: the test would wait for ever")
        self.clock.now += timeout
        return super().select(0)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose :meth:`time` is ``clock``."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_JumpingSelector(clock))
        self.clock = clock

    def time(self) -> float:
        return self.clock.now


def run(clock: VirtualClock, main: Callable[[], Awaitable[T]]) -> T:
    loop = VirtualTimeLoop(clock)
    try:

        async def wrapped() -> T:
            return await main()

        return loop.run_until_complete(wrapped())
    finally:
        loop.close()


async def start_times(pacer: Pacer, clock: VirtualClock, urgent: list[bool]) -> list[float]:
    """When each caller (arriving in this order, all at once) was let through."""
    times = [-1.0] * len(urgent)

    async def caller(index: int) -> None:
        await pacer.wait(urgent=urgent[index])
        times[index] = clock.now

    async with asyncio.TaskGroup() as group:
        for index in range(len(urgent)):
            group.create_task(caller(index))
    return times


def test_callers_at_once_go_one_interval_apart() -> None:
    clock = VirtualClock()
    pacer = Pacer(4.0, clock=clock)
    times = run(clock, lambda: start_times(pacer, clock, [False] * 4))
    assert times == [0.0, 0.25, 0.5, 0.75]


def test_an_idle_pacer_lends_no_burst() -> None:
    """After a pause the first caller goes at once, and the next one a full interval later."""
    clock = VirtualClock()
    pacer = Pacer(4.0, clock=clock)

    async def main() -> list[float]:
        first = await start_times(pacer, clock, [False])
        await asyncio.sleep(10.0)
        return first + await start_times(pacer, clock, [False, False, False])

    assert run(clock, main) == [0.0, 10.0, 10.25, 10.5]


def test_an_urgent_caller_goes_before_those_queued_earlier() -> None:
    clock = VirtualClock()
    pacer = Pacer(4.0, clock=clock)
    times = run(clock, lambda: start_times(pacer, clock, [False, False, False, True]))
    assert times == [0.0, 0.5, 0.75, 0.25]


def test_a_cancelled_waiter_gives_its_start_time_to_the_next() -> None:
    clock = VirtualClock()
    pacer = Pacer(4.0, clock=clock)

    async def main() -> tuple[list[float], bool]:
        await pacer.wait()  # takes 0.0
        async with asyncio.TaskGroup() as group:
            given_up = group.create_task(pacer.wait())
            await asyncio.sleep(0)  # it queues, reserving 0.25
            given_up.cancel()
            times = await start_times(pacer, clock, [False, False])
        return times, given_up.cancelled()

    assert run(clock, main) == ([0.25, 0.5], True)


@pytest.mark.parametrize(
    ("turn", "expected"),
    [(0, [0.0, 0.75, 1.5]), (1, [0.25, 1.0, 1.75]), (2, [0.5, 1.25, 2.0])],
)
def test_shares_take_turns_on_one_grid(turn: int, expected: list[float]) -> None:
    """Three processes at 4/s: each starts only on its own third of the grid."""
    clock = VirtualClock()
    pacer = Pacer(4.0, (turn, 3), origin=0.0, clock=clock)
    assert run(clock, lambda: start_times(pacer, clock, [False] * 3)) == expected


def test_a_share_joins_the_grid_where_it_is_now() -> None:
    """A grid from 10.0 at 4/s, two turns: turn 0 at 10.1 waits for 10.5, then 11.0."""
    clock = VirtualClock(10.1)
    pacer = Pacer(4.0, (0, 2), origin=10.0, clock=clock)
    assert run(clock, lambda: start_times(pacer, clock, [False, False])) == [10.5, 11.0]


def test_a_start_reserved_for_a_waiter_who_left_is_not_handed_to_a_later_caller() -> None:
    """The only waiter leaves: its start (0.25) goes unused, the next caller gets 0.5."""
    clock = VirtualClock()
    pacer = Pacer(4.0, clock=clock)

    async def main() -> list[float]:
        await pacer.wait()  # takes 0.0
        async with asyncio.TaskGroup() as group:
            given_up = group.create_task(pacer.wait())
            await asyncio.sleep(0)  # it queues, reserving 0.25
            given_up.cancel()
        await asyncio.sleep(0.375)
        return await start_times(pacer, clock, [False])

    assert run(clock, main) == [0.5]
