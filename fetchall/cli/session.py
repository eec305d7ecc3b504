"""One run of the command: read the inputs, run the engine, write the report, say how it ended.

Heavy modules (aiohttp, asyncio's machinery) are imported only here, once a run starts, so
that ``--version`` and ``--help`` stay quick.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import click

from fetchall import process
from fetchall.cli.console import Console
from fetchall.cli.github import publish_to_github
from fetchall.cli.output import Output
from fetchall.cli.reports import ReportFiles
from fetchall.cli.settings import Settings
from fetchall.cli.signals import SignalsStopRun
from fetchall.cli.status import ExitStatus, OneLineUsageError, exit_status
from fetchall.inputs.reader import InputError, JobReader, open_sources
from fetchall.transport.logs import stderr_handler

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from fetchall.engine.run import Run
    from fetchall.formats import FormatContext
    from fetchall.inputs.sources import Source as _Source
    from fetchall.models import Job, Result, Summary


def run(settings: Settings, console: Console) -> ExitStatus:
    """Fetch what ``settings`` say and return the exit status."""
    logging.basicConfig(
        level=logging.INFO if settings.verbose else logging.WARNING,
        handlers=[stderr_handler(console.stderr)],  # every log line made inert
        force=True,  # each run logs to the stderr it has, also when called more than once
    )
    if settings.options.insecure:
        click.echo(
            "fetchall: warning: --insecure: TLS certificates are not verified", file=console.stderr
        )
    try:
        sources = open_sources(settings.inputs)
    except InputError as exc:
        raise OneLineUsageError(str(exc)) from None
    return process.run(_fetch(settings, console, sources))


async def _fetch(settings: Settings, console: Console, sources: list[_Source]) -> ExitStatus:
    # aiohttp is imported once the inputs are known to be usable.
    from fetchall.engine.run import Run  # noqa: PLC0415
    from fetchall.engine.stopping import StopReason  # noqa: PLC0415

    progress = _ProgressLine(settings, console) if settings.progress else None
    formatter_context = console.format_context(quiet=settings.quiet)
    formatter = settings.format.formatter(settings.mode, formatter_context)
    output = Output(
        formatter,
        console.stdout,
        progress=None if progress is None else progress.line,
        shared_terminal=console.stdout_is_terminal,
        loop=asyncio.get_running_loop(),
        on_closed=lambda: engine.stopper.stop(StopReason.OUTPUT_CLOSED),
    )
    report_files = _open_reports(settings, formatter_context)
    emit = _emit_to(output, report_files if settings.reports else None)
    engine = Run(settings.mode, settings.options, emit)
    output.watch_for_reader_gone()
    # Signals first: once the input thread exists, Ctrl-C is handled (tests rely on it).
    with report_files, SignalsStopRun(engine.stopper) as signals:
        summary = await _run_on_inputs(engine, settings, sources, output, progress)
        report_files.end(summary)
    output.end(summary)
    publish_to_github(formatter, summary, console.environ)
    for failure in report_files.failures:
        click.echo(f"fetchall: error: {failure}", file=console.stderr)
    status = exit_status(
        summary,
        signum=signals.received,
        output_closed=output.closed,
        deadline_reached=engine.stopper.reason is StopReason.DEADLINE,
    )
    if report_files.failures and status is ExitStatus.SUCCESS:
        return ExitStatus.FAILURE  # a report that CI reads is missing: not a success
    return status


def _open_reports(settings: Settings, context: FormatContext) -> ReportFiles:
    try:
        return ReportFiles(settings.reports, settings.mode, context).open()
    except ValueError as exc:
        raise OneLineUsageError(str(exc)) from None


def _emit_to(output: Output, report_files: ReportFiles | None) -> Callable[[Result], None]:
    """What the engine calls once per result: without --report, straight to the output."""
    if report_files is None:
        return output.result

    def emit(result: Result) -> None:
        output.result(result)
        report_files.result(result)

    return emit


async def _run_on_inputs(
    engine: Run,
    settings: Settings,
    sources: list[_Source],
    output: Output,
    progress: _ProgressLine | None,
) -> Summary:
    """Run ``engine`` on the jobs of ``sources``; an input that cannot be read before its
    first job, or that holds no job at all, is a usage error once the run is over."""
    reader = JobReader(sources, settings.shard)
    if progress is not None:
        progress.start(reader, asyncio.get_running_loop())
    inputs = _Inputs(reader)
    try:
        summary = await engine.execute(inputs)
    finally:
        reader.close()
        output.stop_watching()
        if progress is not None:
            progress.stop()
    if inputs.error is not None:
        raise OneLineUsageError(str(inputs.error)) from None
    # An empty shard of a non-empty input is a run with nothing to do, not an error.
    if reader.jobs_read == 0 and not engine.stopper.stopped:
        raise OneLineUsageError(f"no URLs in input: {', '.join(settings.inputs)}")
    return summary


class _Inputs:
    """The reader as the engine's source of jobs (an ``InputWithArguments``).

    The URLs given as arguments count as read from the start. An input that fails before its
    first job ends the stream instead, and :attr:`error` keeps why, for the usage error the
    session raises once the run is over: nothing has been written then. The reader itself is
    the session's to open and close; iterating it holds nothing more.
    """

    def __init__(self, reader: JobReader) -> None:
        self._reader = reader
        self.error: InputError | None = None
        """Why the input could not be read before its first job, if it could not."""

    async def __aiter__(self) -> AsyncIterator[Job]:
        jobs = aiter(self._reader)
        try:
            first = await anext(jobs, None)
        except InputError as exc:
            self.error = exc
            return
        if first is None:
            return
        yield first
        async for job in jobs:
            yield job

    def read_from_start(self) -> list[Job]:
        """Stop reading; the jobs of the argument URLs the run never took."""
        return self._reader.untaken_arguments()


class _ProgressLine:
    """The progress line on stderr, and the count of the inputs' jobs that gives its total."""

    def __init__(self, settings: Settings, console: Console) -> None:
        from fetchall.cli.progress import Progress  # noqa: PLC0415
        from fetchall.inputs.counting import InputTotal  # noqa: PLC0415 (only with the line)

        self.total = InputTotal(settings.inputs, settings.shard)
        self.line = Progress(
            console.stderr, self.total.get, color=console.colour_on(console.stderr)
        )

    def start(self, reader: JobReader, loop: asyncio.AbstractEventLoop) -> None:
        """Count beside the run that ``reader`` reads for, and keep the line fresh."""
        self.total.start(reader)
        self.line.refresh_on(loop)

    def stop(self) -> None:
        """The run is over: stop counting and redrawing, and take the line away (a usage error
        may follow; the report draws it once more)."""
        self.total.close()
        self.line.stop()
        self.line.clear()
