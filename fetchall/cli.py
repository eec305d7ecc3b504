"""The ``fetchall`` command: parse options, run the engine, write the report, exit.

Nothing here fetches or formats: it wires inputs → engine → formatter → stdout, and turns
signals, a closed pipe and bad options into the exit statuses of contract §10. Heavy modules
(aiohttp, asyncio's machinery) are imported only once a run starts, so ``--version`` and
``--help`` stay quick.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

import click

from fetchall._version import __version__

if TYPE_CHECKING:
    import asyncio

    from fetchall.engine import Run
    from fetchall.formats import Format, Formatter
    from fetchall.inputs import Shard, _Source
    from fetchall.models import Job, Mode, Result, Summary
    from fetchall.options import Options
    from fetchall.progress import Progress

# Spelled out rather than read from the enums, so that --help and --version need not import
# the package's models (tests check that they match).
MODES = ("independent", "all", "first")
FORMATS = ("text", "jsonl", "json", "junit")


class ExitStatus(enum.IntEnum):
    """Exit statuses (contract §10). 2 is click's own for usage errors."""

    SUCCESS = 0
    FAILURE = 1
    USAGE = 2
    SIGPIPE = 141
    SIGINT = 130
    SIGTERM = 143


class OneLineUsageError(click.UsageError):
    """A usage error shown as a single ``fetchall: error: …`` line, as scripts expect."""

    def show(self, file: Any = None) -> None:
        click.echo(f"fetchall: error: {self.format_message()}", err=True)


class _Parsed(click.ParamType[Any, Any]):
    """A click type that parses with one of our ``parse`` functions (ValueError = bad value).

    ``parse`` is named as ``"module:function"`` when importing its module can wait until a
    value has to be parsed.
    """

    def __init__(self, name: str, parse: Callable[[str], Any] | str) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        parse = self._parse
        if isinstance(parse, str):
            module, _, function = parse.partition(":")
            parse = getattr(importlib.import_module(module), function)
        try:
            return parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


POSITIVE_SECONDS = click.FloatRange(min=0, min_open=True)


# A header value may hold spaces, so FETCHALL_HEADER holds one header per line.
class _HeaderType(_Parsed):
    # A header value may hold spaces, so FETCHALL_HEADER holds one header per line.
    envvar_list_splitter = "\n"


HEADER = _HeaderType("header", "fetchall.options:parse_header")


def _worker_count(text: str) -> int:
    """``--workers``: a positive count, or ``auto`` for the CPUs this process may run on."""
    if text.strip().lower() == "auto":
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"{text!r} is not a number of workers >= 1, or auto")
    return int(text)


class _Command(click.Command):
    """A click command whose usage errors are one line on stderr and exit 2 (contract §1)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            status = super().main(*args, **kwargs)
        except click.UsageError as exc:
            message = exc.format_message()
            if not isinstance(exc, OneLineUsageError):
                message += " (see fetchall --help)"
            click.echo(f"fetchall: error: {message}", err=True)
            sys.exit(ExitStatus.USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            sys.exit(ExitStatus.SIGINT)
        sys.exit(status or 0)


@click.command(
    "fetchall",
    cls=_Command,
    context_settings={
        "auto_envvar_prefix": "FETCHALL",
        "show_default": True,
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
    },
    epilog="Every option can also be set as FETCHALL_<OPTION> in the environment "
    "(FETCHALL_LIMIT=50; FETCHALL_HEADER holds one header per line). "
    "Exit status: 0 success, 1 failure, 2 usage error, 130/143 interrupted, 141 output closed.",
)
@click.argument("inputs", metavar="[INPUT]...", nargs=-1, envvar="FETCHALL_INPUT")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="independent",
    help="independent: every URL on its own; all: first failure cancels all; "
    "first: first success wins.",
)
@click.option(
    "--format",
    "format",
    type=click.Choice(FORMATS),
    default="text",
    help="Report format on standard output.",
)
@click.option("--limit", type=click.IntRange(min=1), default=10, help="Requests in flight at once.")
@click.option(
    "--per-host",
    type=click.IntRange(min=1),
    show_default="no bound but --limit",
    help="Requests in flight to one host.",
)
@click.option(
    "--rate",
    type=POSITIVE_SECONDS,
    show_default="no bound",
    help="Request starts per second, at most; retries and redirect hops count.",
)
@click.option("--timeout", type=POSITIVE_SECONDS, default=30.0, help="Seconds per attempt.")
@click.option("--connect-timeout", type=POSITIVE_SECONDS, default=10.0, help="Seconds to connect.")
@click.option(
    "--deadline", type=POSITIVE_SECONDS, show_default="none", help="Seconds for the whole run."
)
@click.option("--retries", type=click.IntRange(min=0), default=0, help="Retries per URL.")
@click.option(
    "--retry-backoff", type=click.FloatRange(min=0), default=0.5, help="First backoff, seconds."
)
@click.option(
    "--max-failures",
    type=click.IntRange(min=1),
    show_default="no bound",
    help="independent: stop after this many failures.",
)
@click.option(
    "--stagger", type=click.FloatRange(min=0), default=0.0, help="Seconds between racers (first)."
)
@click.option(
    "--accept",
    type=_Parsed("codes", "fetchall.options:parse_accept"),
    default="200-299",
    help="Statuses that count as success, e.g. 200-299,304.",
)
@click.option(
    "--max-redirects", type=click.IntRange(min=0), default=10, help="Redirects to follow."
)
@click.option("-X", "--method", default="GET", help="HTTP method.")
@click.option(
    "-H",
    "--header",
    "header",
    type=HEADER,
    multiple=True,
    show_default="none",
    help="'Name: value'; repeatable.",
)
@click.option("--user-agent", default=f"fetchall/{__version__}", help="User-Agent header.")
@click.option(
    "--insecure", is_flag=True, show_default="off", help="Do not verify TLS certificates."
)
@click.option(
    "--max-size",
    type=_Parsed("size", "fetchall.options:parse_size"),
    show_default="no bound",
    help="Largest body: 500K, 10M, 1G.",
)
@click.option(
    "--workers",
    type=_Parsed("N|auto", _worker_count),
    default="1",
    help="Processes that fetch; auto = the CPUs this process may use.",
)
@click.option(
    "--save",
    type=click.Path(file_okay=False),
    show_default="bodies not saved",
    help="Write each successful body under DIR/<host>/<path>.",
)
@click.option(
    "--shard",
    show_default="the whole input",
    help="Keep only shard K of N of the input (2/4); N alone takes K from "
    "JOB_COMPLETION_INDEX+1 (Kubernetes Indexed Job).",
)
@click.option(
    "--merge",
    is_flag=True,
    show_default="off",
    help="The INPUTs are json/jsonl reports of shards: print them as one report.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress line on stderr.  [default: when stderr is a terminal]",
)
@click.option(
    "-q", "--quiet", is_flag=True, show_default="off", help="text: leave out the ok lines."
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    show_default="off",
    help="Log retries and redirects to stderr.",
)
@click.version_option(
    __version__, "--version", prog_name="fetchall", message="%(prog)s %(version)s"
)
def command(inputs: tuple[str, ...], **params: Any) -> None:
    """Fetch every URL in the INPUTs concurrently and report each result.

    Each INPUT is a file of URLs (one per line, # comments), - for standard input, or a URL.
    With no INPUT, standard input is read.
    """
    if params["merge"]:
        sys.exit(_merge_reports(inputs, params))
    settings = _Settings.from_params(inputs, params)
    sys.exit(settings.execute())


def _shard(spec: str | None) -> Shard | None:
    """``K/N``; or ``N`` alone, K then being JOB_COMPLETION_INDEX + 1 (Kubernetes)."""
    if spec is None:
        return None
    from fetchall.inputs import Shard  # noqa: PLC0415 (keeps --help import-light)

    if "/" not in spec.strip():
        index = os.environ.get("JOB_COMPLETION_INDEX")
        if index is None or not index.isdigit():
            raise OneLineUsageError(
                f"--shard {spec!r}: give K/N, or N alone with JOB_COMPLETION_INDEX set"
            )
        spec = f"{int(index) + 1}/{spec.strip()}"
    try:
        return Shard.parse(spec)
    except ValueError as exc:
        raise OneLineUsageError(f"--shard: {exc}") from None


class _Settings(NamedTuple):
    """The command line, checked: what to read, how to fetch, how to report."""

    inputs: tuple[str, ...]
    mode: Mode
    format: Format
    options: Options
    shard: Shard | None
    quiet: bool
    verbose: bool
    progress: bool

    @classmethod
    def from_params(cls, inputs: tuple[str, ...], params: dict[str, Any]) -> _Settings:
        from pathlib import Path  # noqa: PLC0415 (import-light --help)

        from fetchall.formats import Format  # noqa: PLC0415
        from fetchall.models import Mode  # noqa: PLC0415
        from fetchall.options import Options  # noqa: PLC0415

        if not inputs:
            if sys.stdin is None or sys.stdin.isatty():
                raise OneLineUsageError("no INPUT given and standard input is a terminal")
            inputs = ("-",)
        try:
            options = Options(
                limit=params["limit"],
                per_host=params["per_host"],
                rate=params["rate"],
                timeout=params["timeout"],
                connect_timeout=params["connect_timeout"],
                deadline=params["deadline"],
                retries=params["retries"],
                retry_backoff=params["retry_backoff"],
                max_failures=params["max_failures"],
                stagger=params["stagger"],
                accept=params["accept"],
                max_redirects=params["max_redirects"],
                method=params["method"].upper(),
                headers=tuple(params["header"]),
                user_agent=params["user_agent"],
                insecure=params["insecure"],
                max_size=params["max_size"],
                save_dir=None if params["save"] is None else Path(params["save"]),
                workers=params["workers"],
            )
        except ValueError as exc:
            raise OneLineUsageError(str(exc)) from None
        progress = params["progress"]
        return cls(
            inputs=inputs,
            mode=Mode(params["mode"]),
            format=Format(params["format"]),
            options=options,
            shard=_shard(params["shard"]),
            quiet=params["quiet"],
            verbose=params["verbose"],
            progress=_isatty(sys.stderr) if progress is None else progress,
        )

    def execute(self) -> int:
        """Run and return the exit status."""
        import logging  # noqa: PLC0415 (kept out of --help and --version)

        from fetchall.inputs import InputError, open_sources  # noqa: PLC0415

        logging.basicConfig(
            level=logging.INFO if self.verbose else logging.WARNING,
            format="fetchall: %(message)s",
            stream=sys.stderr,
            force=True,  # each run logs to the stderr it has, also when called more than once
        )
        if self.options.insecure:
            click.echo("fetchall: warning: --insecure: TLS certificates are not verified", err=True)
        try:
            sources = open_sources(self.inputs)
        except InputError as exc:
            raise OneLineUsageError(str(exc)) from None
        from fetchall import eventloop  # noqa: PLC0415

        return eventloop.run(_Session(self).run(sources))


def _isatty(stream: TextIO | None) -> bool:
    return stream is not None and stream.isatty()


def _use_color(stream: TextIO | None) -> bool:
    return _isatty(stream) and not os.environ.get("NO_COLOR")


class _Output:
    """Standard output for results, and the progress line on stderr kept off their lines."""

    def __init__(self, formatter: Formatter, progress: Progress | None, on_closed: Any) -> None:
        self.formatter = formatter
        self.progress = progress
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        """Set once the run's loop is running, so flushes can wait for the end of its turn."""
        self._pending: list[str] = []
        self._on_closed = on_closed
        # Only when both streams are the same terminal can the two lines collide.
        self._shared_terminal = progress is not None and _isatty(sys.stdout)

    def result(self, result: Result) -> None:
        """Write a result's text at once, so that results appear as they complete."""
        text = self.formatter.result(result)
        if self.progress is not None and text and self._shared_terminal:
            self.flush()
            self.progress.clear()
        self.write(text)
        if self._shared_terminal:
            self.flush()
        if self.progress is not None:
            self.progress.add(result)

    def end(self, summary: Summary) -> None:
        """The formatter's closing text, after the progress line is gone."""
        if self.progress is not None:
            self.progress.draw()
            self.progress.clear()
        self.write(self.formatter.end(summary))
        self.flush()

    def write(self, text: str) -> None:
        """Write once the event loop has handled what is ready.

        A pipe is block-buffered, so results must be flushed to appear as they complete,
        but a write and a flush per line would cost more than many a request: the results
        that complete in one turn of the loop share one write and one flush.
        """
        if not text or self.closed:
            return
        self._pending.append(text)
        if len(self._pending) == 1:
            if self.loop is None:  # no event loop (--merge): at once
                self.flush()
            else:
                self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Push written text out to the reader."""
        text, self._pending = "".join(self._pending), []
        if self.closed:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self._pipe_closed()

    def _pipe_closed(self) -> None:
        self.closed = True
        # Python would report the pipe again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        self._on_closed()


class _Session:
    """One run of the command inside the event loop: signals, output, exit status."""

    def __init__(self, settings: _Settings) -> None:
        self.settings = settings
        formatter = settings.format.formatter(
            settings.mode, quiet=settings.quiet, color=_use_color(sys.stdout)
        )
        progress = None
        if settings.progress:
            from fetchall.progress import Progress  # noqa: PLC0415 (only on a terminal)

            total = len(settings.inputs) if all("://" in name for name in settings.inputs) else None
            if settings.shard is not None:
                total = None  # a shard's share is not known until its input is read
            progress = Progress(sys.stderr, total, color=_use_color(sys.stderr))
        self.output = _Output(formatter, progress, self._output_closed)
        self.signal: int | None = None
        self.run_: Run | None = None

    async def run(self, sources: list[_Source]) -> int:
        import asyncio  # noqa: PLC0415

        from fetchall.engine import Run  # noqa: PLC0415
        from fetchall.inputs import InputError, JobReader  # noqa: PLC0415

        self.output.loop = asyncio.get_running_loop()
        self.run_ = run = Run(self.settings.mode, self.settings.options, self.output.result)
        # Signals first: once the input thread exists, Ctrl-C is handled (tests rely on it).
        with self._signals_handled():
            reader = JobReader(sources, self.settings.shard)
            try:
                jobs = aiter(reader)
                try:
                    # Waiting for the first line of a pipe can take a while: a signal ends it.
                    first = await run.stopper.unless_stopped(anext(jobs, None))
                except InputError as exc:
                    raise OneLineUsageError(str(exc)) from None
                if first is None and reader.jobs_read == 0 and not run.stopper.stopped:
                    inputs = ", ".join(self.settings.inputs)
                    raise OneLineUsageError(f"no URLs in input: {inputs}")
                # An empty shard of a non-empty input is a run with nothing to do, not an error.
                pending = _chain(first, jobs) if first is not None else jobs
                summary = await run.execute(pending, read_from_start=reader.untaken_arguments)
            finally:
                reader.close()
        self.output.end(summary)
        return self._exit_status(summary)

    def _output_closed(self) -> None:
        """The reader of stdout went away: stop at once, quietly (contract §10)."""
        from fetchall.stopping import StopReason  # noqa: PLC0415

        if self.run_ is not None:
            self.run_.stopper.stop(StopReason.OUTPUT_CLOSED)

    def _exit_status(self, summary: Summary) -> int:
        if self.output.closed:
            return ExitStatus.SIGPIPE
        if self.signal == signal.SIGINT:
            return ExitStatus.SIGINT
        if self.signal == signal.SIGTERM:
            return ExitStatus.SIGTERM
        return ExitStatus.SUCCESS if summary.succeeded else ExitStatus.FAILURE

    @contextlib.contextmanager
    def _signals_handled(self) -> Iterator[None]:
        import asyncio  # noqa: PLC0415

        from fetchall.stopping import StopReason  # noqa: PLC0415

        loop = asyncio.get_running_loop()

        def on_signal(signum: int) -> None:
            if self.signal is not None and signum == signal.SIGINT:
                # A second Ctrl-C: the user does not want to wait for a clean stop.
                os._exit(ExitStatus.SIGINT)
            self.signal = signum
            if self.run_ is not None:
                self.run_.stopper.stop(StopReason.INTERRUPTED)

        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                handler = signal.getsignal(signum)
                loop.add_signal_handler(signum, on_signal, signum)
                previous[signum] = handler
        try:
            yield
        finally:
            for signum, handler in previous.items():
                loop.remove_signal_handler(signum)
                # The loop would put Python's default back; the caller's handler it is.
                signal.signal(signum, handler)


async def _chain(first: Job, rest: AsyncIterator[Job]) -> AsyncIterator[Job]:
    yield first
    async for job in rest:
        yield job


def _merge_reports(inputs: tuple[str, ...], params: dict[str, Any]) -> int:
    """``--merge``: print the shards' reports as one, exit by whether every job succeeded."""
    from pathlib import Path  # noqa: PLC0415

    from fetchall.formats import Format  # noqa: PLC0415
    from fetchall.merge import ReportError, merge  # noqa: PLC0415

    if not inputs:
        raise OneLineUsageError("--merge needs the report files to merge")
    try:
        merged = merge(Path(name) for name in inputs)
    except ReportError as exc:
        raise OneLineUsageError(str(exc)) from None
    formatter = Format(params["format"]).formatter(
        merged.mode, quiet=params["quiet"], color=_use_color(sys.stdout)
    )
    output = _Output(formatter, None, lambda: None)
    for result in merged.results:
        output.result(result)
    output.end(merged.summary)
    if output.closed:
        return ExitStatus.SIGPIPE
    summary = merged.summary
    return ExitStatus.SUCCESS if summary.failed == summary.cancelled == 0 else ExitStatus.FAILURE


def main() -> None:
    """Console entry point (``fetchall`` and ``python -m fetchall``)."""
    # Outside the run's own handling (while options are parsed, as the report is finished)
    # a signal ends the process at once with its status, not with a KeyboardInterrupt in
    # the middle of the interpreter's shutdown.
    signal.signal(signal.SIGINT, _exit_on_signal)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        command(prog_name="fetchall")
    except KeyboardInterrupt:  # a Ctrl-C that came before the line above
        sys.exit(ExitStatus.SIGINT)


def _exit_on_signal(signum: int, frame: object) -> None:
    with contextlib.suppress(OSError, ValueError):  # a closed or broken stdout
        sys.stdout.flush()
    os._exit(ExitStatus.SIGINT if signum == signal.SIGINT else ExitStatus.SIGTERM)


__all__ = ["ExitStatus", "command", "main"]
