"""Which event loop runs fetchall: uvloop where it is installed, else asyncio's own.

uvloop cuts the event loop's share of the CPU per request (measured with this project's
benchmark: README, Performance). Every behaviour fetchall relies on (signal handlers, pipes,
subprocesses, cancellation) is the same on both, and the tests pass on both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, on uvloop when it can be imported."""
    try:
        import uvloop  # noqa: PLC0415 (optional, and only once a run starts)
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
