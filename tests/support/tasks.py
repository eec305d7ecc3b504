"""Running a coroutine in a test and proving it left no task behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


def run_leaving_no_task(coro: Awaitable[T]) -> T:
    """Run ``coro`` in a fresh loop; fail if any other task is still alive when it returns."""

    async def checked() -> T:
        value = await coro
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        assert leftovers == set()
        return value

    return asyncio.run(checked())
