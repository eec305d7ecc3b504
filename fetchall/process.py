"""Settings of a whole fetchall process (the command and its workers), never of a library
caller's: which event loop runs it, and how often its garbage collector looks for cycles.

The event loop is uvloop where it is installed, else asyncio's own: uvloop cuts the event
loop's share of the CPU per request (measured with this project's benchmark: README,
Performance). Every behaviour fetchall relies on (signal handlers, pipes, subprocesses,
cancellation) is the same on both, and the tests pass on both.

Python's collector looks after every 700 new objects by default. A request allocates a few
hundred, and with a hundred requests in flight each look at the youngest objects walked
thousands of live ones, then pushed them on to be walked again by the older generations:
20,000 requests spent 0.21 s of a 1.7 s run in the collector, and 0.006 s with the setting
below (measured with ``gc.callbacks``). Reference counting still frees at once everything that
is not in a cycle; the few cycles (about one per twenty requests) wait a little longer.
"""

from __future__ import annotations

import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

YOUNG_OBJECTS_BEFORE_COLLECTING = 10_000
"""The collector looks once this many more objects are alive than at its last look."""


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, on uvloop when it can be imported."""
    import asyncio  # noqa: PLC0415 (``--help`` and ``--version`` never start a loop)

    try:
        import uvloop  # noqa: PLC0415 (optional, and only once a run starts)
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def collect_less_often() -> None:
    """Set this process's collector for a run of many requests. Only for whole fetchall
    processes (the command and its workers): a library caller's process is its own."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, middle, old)
