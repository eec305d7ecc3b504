"""``fetchall.stream``: what leaves its ``async with`` block when something goes wrong."""

from __future__ import annotations

import pytest
from support.tasks import run_leaving_no_task

import fetchall


class CallersOwn(Exception):
    """An exception the caller's block raises."""


def test_the_callers_exception_comes_out_as_itself() -> None:
    """An exception raised inside the block is not wrapped in a group, and the run it
    interrupted leaves no task behind."""
    seen: list[fetchall.Result] = []

    async def main() -> None:
        async with fetchall.stream(["not a url", "also not a url"]) as results:
            async for result in results:
                seen.append(result)
                raise CallersOwn("stop here")

    with pytest.raises(CallersOwn, match="stop here"):
        run_leaving_no_task(main())
    assert [r.index for r in seen] == [0]
