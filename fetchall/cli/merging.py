"""``--merge``: print the reports of shards as the report of one run."""

from __future__ import annotations

from pathlib import Path

from fetchall.cli.console import Console
from fetchall.cli.github import publish_to_github
from fetchall.cli.output import Output
from fetchall.cli.status import ExitStatus, OneLineUsageError, exit_status
from fetchall.formats import Format
from fetchall.formats.merge import ReportError, merge


def print_merged(
    reports: tuple[str, ...], format_name: str, *, quiet: bool, console: Console
) -> ExitStatus:
    """Print the merged report in ``format_name``; its exit status is a run's, by its mode."""
    if not reports:
        raise OneLineUsageError("--merge needs the report files to merge")
    try:
        merged = merge(Path(name) for name in reports)
    except ReportError as exc:
        raise OneLineUsageError(str(exc)) from None
    formatter = Format(format_name).formatter(merged.mode, console.format_context(quiet=quiet))
    output = Output(formatter, console.stdout)
    for result in merged.results:
        output.result(result)
    output.end(merged.summary)
    publish_to_github(formatter, merged.summary, console.environ)
    return exit_status(merged.summary, output_closed=output.closed)
