"""The one adapter from whatever a caller holds to the async stream of jobs the engine reads."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fetchall.models import Job

if TYPE_CHECKING:
    from fetchall.checks import Check

JobSource = Iterable[str | Job] | AsyncIterable[str | Job]
"""Plain URL strings, ready-made jobs, or a mix; sync or async."""


@runtime_checkable
class InputWithArguments(Protocol):
    """A source of jobs some of which count as read from the start (the command's argument
    URLs): a run that stops early reports those too, although it never took them."""

    def __aiter__(self) -> AsyncIterator[Job]:
        """The jobs, in input order."""
        ...

    def read_from_start(self) -> Iterable[Job]:
        """Stop reading, and return the jobs that count as read but were never taken."""
        ...


async def job_stream(
    items: JobSource, *, defaults: tuple[Check, ...] = ()
) -> AsyncGenerator[Job, None]:
    """Jobs from ``items``, lazily: a string becomes the job ``item:N`` (1-based) at its place.

    ``defaults`` are checks every job gets (``--expect``), so that a job carries all its checks
    from here on. An iterator this opens on ``items`` is closed when the stream is.
    """
    if not isinstance(items, AsyncIterable):
        for index, item in enumerate(items):
            job = item if isinstance(item, Job) else Job(index, item, f"item:{index + 1}")
            yield with_defaults(job, defaults) if defaults else job
        return
    iterator = aiter(items)
    index = 0
    try:
        async for item in iterator:
            job = item if isinstance(item, Job) else Job(index, item, f"item:{index + 1}")
            yield with_defaults(job, defaults) if defaults else job
            index += 1
    finally:
        # An iterator the caller handed over is theirs to close; one opened here is closed here.
        aclose = getattr(iterator, "aclose", None)
        if iterator is not items and aclose is not None:
            await aclose()


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
