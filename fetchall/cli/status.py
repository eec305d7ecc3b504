"""How the process ends: its exit statuses, and usage errors as one line.

Scripts read the exit status, so every way a run can end maps to one: 0 and 1 by the mode's
rule, 2 for a usage error (click's own number), 141 when the reader of standard output went
away (as for a process ended by SIGPIPE), 130 and 143 when interrupted by SIGINT and SIGTERM.
"""

from __future__ import annotations

import enum
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from fetchall.models import Summary


class ExitStatus(enum.IntEnum):
    """The exit statuses of the ``fetchall`` command."""

    SUCCESS = 0
    FAILURE = 1
    USAGE = 2
    SIGPIPE = 141
    SIGINT = 130
    SIGTERM = 143


def exit_status(
    summary: Summary,
    *,
    signum: int | None = None,
    output_closed: bool = False,
    deadline_reached: bool = False,
) -> ExitStatus:
    """The exit status after a run, or after ``--merge`` of shard reports.

    A closed standard output comes first, then a signal that stopped the run, then a
    ``--deadline`` that ran out (a failure even when the input it never read held no job).
    Otherwise the run, or the merged reports, are judged by the mode's rule,
    :attr:`Summary.succeeded`.
    """
    if output_closed:
        return ExitStatus.SIGPIPE
    if signum == signal.SIGINT:
        return ExitStatus.SIGINT
    if signum == signal.SIGTERM:
        return ExitStatus.SIGTERM
    if deadline_reached:
        return ExitStatus.FAILURE
    return ExitStatus.SUCCESS if summary.succeeded else ExitStatus.FAILURE


class OneLineUsageError(click.UsageError):
    """A usage error whose message already says what to fix: shown without the --help hint."""


class OneLineErrorsCommand(click.Command):
    """A click command that ends the process itself: usage errors are a single
    ``fetchall: error: …`` line on stderr with exit status 2, as scripts expect, and the
    callback's return value is the exit status."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        try:
            status = super().main(*args, **kwargs)
        except click.UsageError as exc:
            message = exc.format_message()
            if not isinstance(exc, OneLineUsageError):
                message += " (see fetchall --help)"
            # The message may quote the input (a file name, a check): made inert like any
            # other line on a terminal or a CI log. Imported here: --help needs none of it.
            from fetchall.shown import for_terminal  # noqa: PLC0415

            click.echo(f"fetchall: error: {for_terminal(message)}", err=True)
            sys.exit(ExitStatus.USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            sys.exit(ExitStatus.SIGINT)
        sys.exit(status or 0)
