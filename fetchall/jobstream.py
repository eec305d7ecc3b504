"""The one adapter from whatever a caller holds to the async stream of jobs the engine reads."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable

from fetchall.models import Job

JobSource = Iterable[str | Job] | AsyncIterable[str | Job]
"""Plain URL strings, ready-made jobs, or a mix; sync or async."""


async def job_stream(items: JobSource, *, put_back: Job | None = None) -> AsyncIterator[Job]:
    """Jobs from ``items``, lazily: a string becomes the job ``item:N`` (1-based) at its place.

    ``put_back`` is a job the caller already took from ``items`` (to look at the first one)
    and that comes first again.
    """
    if put_back is not None:
        yield put_back
    index = 0 if put_back is None else 1  # it was the first item
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item if isinstance(item, Job) else Job(index, item, f"item:{index + 1}")
            index += 1
    else:
        for item in items:
            yield item if isinstance(item, Job) else Job(index, item, f"item:{index + 1}")
            index += 1
