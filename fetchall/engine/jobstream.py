"""The one adapter from whatever a caller holds to the async stream of jobs the engine reads."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from fetchall.models import Job

if TYPE_CHECKING:
    from fetchall.checks import Check

JobSource = Iterable[str | Job] | AsyncIterable[str | Job]
"""Plain URL strings, ready-made jobs, or a mix; sync or async."""


async def job_stream(
    items: JobSource, *, put_back: Job | None = None, defaults: tuple[Check, ...] = ()
) -> AsyncIterator[Job]:
    """Jobs from ``items``, lazily: a string becomes the job ``item:N`` (1-based) at its place.

    ``put_back`` is a job the caller already took from ``items`` (to look at the first one)
    and that comes first again. ``defaults`` are checks every job gets (``--expect``), so that
    a job carries all its checks from here on.
    """
    if defaults:
        async for job in job_stream(items, put_back=put_back):
            yield with_defaults(job, defaults)
        return
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


def with_defaults(job: Job, defaults: tuple[Check, ...]) -> Job:
    """``job`` with the default checks it does not replace by its own, defaults first.

    An invalid line keeps no checks: it is never fetched.
    """
    if job.problem is not None or not defaults:
        return job
    if not job.checks:  # most lines: the defaults as they are, with no merging to do
        return Job(job.index, job.url, job.source, None, defaults)
    from fetchall.checks import merge_checks  # noqa: PLC0415 (only with --expect)

    return replace(job, checks=merge_checks(defaults, job.checks))
