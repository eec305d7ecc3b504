"""The ``fetchall`` click command: its arguments, its option table and what it does with them.

Parameters that shape fetching are named after the fields of :class:`fetchall.options.Options`
(the settings pass them on by name); click reads each from ``FETCHALL_<OPTION>`` too.
"""

from __future__ import annotations

from typing import Any

import click

from fetchall._version import __version__
from fetchall.cli import argtypes
from fetchall.cli.status import OneLineErrorsCommand
from fetchall.cli.tls_options import tls_options
from fetchall.formats import Format

# Spelled out rather than read from the enum, so that --help and --version need not import
# the package's models (a test checks that they match).
MODES = ("independent", "all", "first")
FORMATS = tuple(format.value for format in Format)

POSITIVE_SECONDS = click.FloatRange(min=0, min_open=True)


@click.command(
    "fetchall",
    cls=OneLineErrorsCommand,
    context_settings={
        "auto_envvar_prefix": "FETCHALL",
        "show_default": True,
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
    },
    epilog="Every option can also be set as FETCHALL_<OPTION> in the environment "
    "(FETCHALL_LIMIT=50; FETCHALL_HEADER holds one header per line, FETCHALL_HEADER_FOR "
    "one PATTERN per line, each followed by a line with its header). "
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
@click.option(
    "--report",
    "reports",
    type=argtypes.ReportType(),
    multiple=True,
    show_default="none",
    help="Also write the report in FORMAT (text, jsonl, json, junit, markdown) to PATH, "
    "whole or not at all; repeatable.",
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
    "--wait",
    type=argtypes.duration,
    metavar="DURATION",
    show_default="no waiting",
    help="Try failed URLs again until DURATION (90s, 2m) has passed since the start: "
    "waiting for a deploy.",
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
    type=argtypes.codes,
    default="200-299",
    help="Statuses that count as success, e.g. 200-299,304.",
)
@click.option(
    "--expect",
    envvar="FETCHALL_EXPECT",
    type=argtypes.CheckType(),
    multiple=True,
    metavar="CHECK",
    show_default="none",
    help="A check every URL must pass (body~Welcome, json:status=ok, time<2s); repeatable. "
    "A line's own check with the same key and operator replaces it.",
)
@click.option(
    "--warn-on",
    envvar="FETCHALL_WARN_ON",
    type=argtypes.warn_on,
    metavar="LIST",
    show_default="none",
    help="Final failures that only warn: kinds and statuses, e.g. timeout,429,500-599.",
)
@click.option(
    "--strict",
    is_flag=True,
    show_default="off",
    help="No warnings: warn: checks are plain checks and --warn-on is ignored.",
)
@click.option(
    "--max-redirects", type=click.IntRange(min=0), default=10, help="Redirects to follow."
)
@click.option("-X", "--method", type=argtypes.HttpMethod(), default="GET", help="HTTP method.")
@click.option(
    "-H",
    "--header",
    "headers",
    envvar="FETCHALL_HEADER",
    type=argtypes.Header(),
    multiple=True,
    show_default="none",
    help="'Name: value', sent on every request and redirect hop (Authorization, Cookie and "
    "Proxy-Authorization: to the URL's own origin only); ${NAME} is the variable NAME's value; "
    "repeatable.",
)
@click.option(
    "--header-for",
    "header_for",
    envvar="FETCHALL_HEADER_FOR",
    type=argtypes.HeaderForType(),
    multiple=True,
    metavar="PATTERN HEADER",
    show_default="none",
    help="Send HEADER ('Name: value', ${NAME} as for -H) only to URLs, redirect hops included, "
    "that PATTERN matches: a host (any port), *.domain (its subdomains) or "
    "scheme://host[:port]; the value is never shown; repeatable.",
)
@click.option(
    "--user-agent",
    type=argtypes.user_agent,
    metavar="TEXT",
    default=f"fetchall/{__version__}",
    help="User-Agent header.",
)
@tls_options
@click.option(
    "--max-size",
    type=argtypes.size,
    show_default="no bound",
    help="Largest body: 500K, 10M, 1G.",
)
@click.option(
    "--workers",
    type=argtypes.workers,
    metavar="N|AUTO",
    default="1",
    help="Processes that fetch; auto = the CPUs this process may use, for input files of 2 MiB"
    " or more (one process below that).",
)
@click.option(
    "--save",
    "save_dir",
    envvar="FETCHALL_SAVE",
    type=argtypes.Directory(),
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
def command(inputs: tuple[str, ...], merge: bool, **params: Any) -> int:
    """Fetch every URL in the INPUTs concurrently and report each result.

    Each INPUT is a file of URLs (one per line, # comments), - for standard input, or a URL.
    With no INPUT, standard input is read.
    """
    # What only a run needs is imported once a run starts, so that --help stays quick.
    from fetchall.cli.console import Console  # noqa: PLC0415

    console = Console.of_process()
    if merge:
        from fetchall.cli.merging import print_merged  # noqa: PLC0415

        return print_merged(inputs, params["format"], quiet=params["quiet"], console=console)
    from fetchall.cli.session import run  # noqa: PLC0415
    from fetchall.cli.settings import Settings  # noqa: PLC0415

    return run(Settings.from_params(inputs, params, console), console)
