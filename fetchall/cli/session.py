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
from fetchall.cli.logs import stderr_handler
from fetchall.cli.output import Output
from fetchall.cli.reports import ReportFiles
from fetchall.cli.settings import Settings
from fetchall.cli.signals import SignalsStopRun
from fetchall.cli.status import ExitStatus, OneLineUsageError, exit_status
from fetchall.formats import Format
from fetchall.inputs.reader import InputError, JobReader, open_sources

if TYPE_CHECKING:
    from fetchall.inputs.reader import _Source
    from fetchall.models import Result


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
    from fetchall.engine.jobstream import job_stream  # noqa: PLC0415
    from fetchall.engine.run import Run  # noqa: PLC0415
    from fetchall.engine.stopping import StopReason  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    progress = _ProgressLine(settings, console) if settings.progress else None
    formatter_context = console.format_context(quiet=settings.quiet)
    formatter = settings.format.formatter(settings.mode, formatter_context)

    def stop_when_output_closed() -> None:
        engine.stopper.stop(StopReason.OUTPUT_CLOSED)

    output = Output(
        formatter,
        console.stdout,
        progress=None if progress is None else progress.line,
        shared_terminal=console.stdout_is_terminal,
        loop=loop,
        on_closed=stop_when_output_closed,
    )
    try:
        report_files = ReportFiles(settings.reports, settings.mode, formatter_context).open()
    except ValueError as exc:
        raise OneLineUsageError(str(exc)) from None

    def emit(result: Result) -> None:
        output.result(result)
        report_files.result(result)

    # Called once per result: without --report, straight to the output.
    engine = Run(settings.mode, settings.options, emit if settings.reports else output.result)
    output.watch_for_reader_gone()
    # Signals first: once the input thread exists, Ctrl-C is handled (tests rely on it).
    with report_files, SignalsStopRun(engine.stopper) as signals:
        reader = JobReader(sources, settings.shard)
        if progress is not None:
            progress.start(reader, loop)
        try:
            jobs = aiter(reader)
            try:
                # Waiting for the first line of a pipe can take a while: a signal ends it.
                first = await engine.stopper.unless_stopped(anext(jobs, None))
            except InputError as exc:
                raise OneLineUsageError(str(exc)) from None
            if first is None and reader.jobs_read == 0 and not engine.stopper.stopped:
                raise OneLineUsageError(f"no URLs in input: {', '.join(settings.inputs)}")
            # An empty shard of a non-empty input is a run with nothing to do, not an error.
            summary = await engine.execute(
                job_stream(jobs, put_back=first), read_from_start=reader.untaken_arguments
            )
        finally:
            reader.close()
            output.stop_watching()
            if progress is not None:
                progress.stop()
        report_files.end(summary)
    output.end(summary)
    if settings.format is Format.GITHUB:
        from fetchall.cli.github import publish_to_github  # noqa: PLC0415 (GitHub Actions only)

        publish_to_github(formatter, summary, console.environ)
    return exit_status(summary, signum=signals.received, output_closed=output.closed)


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
