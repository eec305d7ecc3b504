"""The library API: the three modes over any iterable or async iterable of URLs.

    import asyncio, fetchall

    report = asyncio.run(fetchall.fetch_all(["https://example.com/"], limit=5))
    print(report.summary.ok, [r.status for r in report.results])

:func:`fetch_all` collects a :class:`Report`; :func:`stream` hands results over as they
complete, for runs too large to hold.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from fetchall.engine.jobstream import JobSource
from fetchall.engine.run import Run
from fetchall.engine.stopping import StopReason
from fetchall.formats.groups import ErrorGroup, ErrorGroups
from fetchall.models import Mode, Result, Summary
from fetchall.options import Options

URLs = JobSource


@dataclass(frozen=True, slots=True)
class Report:
    """A finished run: its summary, every result in input order, and the failures grouped."""

    mode: Mode
    summary: Summary
    results: tuple[Result, ...]
    errors: tuple[ErrorGroup, ...]


def _options(options: Options | None, overrides: dict[str, Any]) -> Options:
    """The run's options; a wrong one raises TypeError or ValueError naming it, now."""
    if options is not None and not isinstance(options, Options):
        raise TypeError(f"options must be an Options or None, not {type(options).__name__}")
    try:
        return replace(options or Options(), **overrides)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            unknown = sorted(set(overrides) - {f.name for f in fields(Options)})
            raise TypeError(f"{', '.join(unknown)}: not an option of fetchall") from None
        raise


def _mode(mode: Mode | str) -> Mode:
    try:
        return Mode(mode)
    except ValueError:
        names = ", ".join(m.value for m in Mode)
        raise ValueError(f"mode must be one of {names}, not {mode!r}") from None


def _urls(urls: URLs) -> URLs:
    """``urls`` itself, once it is known to be an iterable of URLs (a str is one URL, which
    would be read as one URL per character)."""
    if isinstance(urls, (str, bytes)) or not isinstance(urls, (Iterable, AsyncIterable)):
        what = type(urls).__name__
        raise TypeError(f"urls must be an iterable or async iterable of URLs, not {what}")
    return urls


async def fetch_all(
    urls: URLs,
    *,
    mode: Mode | str = Mode.INDEPENDENT,
    options: Options | None = None,
    **overrides: Any,
) -> Report:
    """Fetch every URL by the rule of ``mode`` and return the whole report.

    ``options`` (or keyword overrides of its fields, e.g. ``limit=50, timeout=5``) shape the
    run. Failures are values in the report, never exceptions; only a bad option raises,
    before any request: ``TypeError`` or ``ValueError`` naming it.
    """
    run_mode = _mode(mode)
    run_options = _options(options, overrides)
    urls = _urls(urls)
    results: list[Result] = []
    errors = ErrorGroups()

    def collect(result: Result) -> None:
        results.append(result)
        errors.add(result)

    summary = await Run(run_mode, run_options, collect).execute(urls)
    results.sort(key=lambda r: r.index)
    return Report(run_mode, summary, tuple(results), tuple(errors.groups()))


@contextlib.asynccontextmanager
async def stream(
    urls: URLs,
    *,
    mode: Mode | str = Mode.INDEPENDENT,
    options: Options | None = None,
    **overrides: Any,
) -> AsyncIterator[AsyncIterator[Result]]:
    """Results as they complete, inside a scope that owns the run::

        async with fetchall.stream(urls, limit=20) as results:
            async for result in results:
                print(result.url, result.ok)

    Leaving the ``async with`` early stops the run: every fetch still going is cancelled,
    and no task or connection outlives the block.
    """
    run_mode, run_options, urls = _mode(mode), _options(options, overrides), _urls(urls)
    queue: asyncio.Queue[Result | None] = asyncio.Queue()
    run = Run(run_mode, run_options, queue.put_nowait)

    async def execute() -> None:
        try:
            await run.execute(urls)
        finally:
            queue.put_nowait(None)

    async def results() -> AsyncIterator[Result]:
        while (result := await queue.get()) is not None:
            yield result

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(execute())
            try:
                yield results()
            finally:
                run.stopper.stop(StopReason.INTERRUPTED)
    except BaseExceptionGroup as group_error:
        # The caller's own exception comes back as itself, not wrapped by the group.
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise  # pragma: no cover (the block and the run failing at once: both are kept)
