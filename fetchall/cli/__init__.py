"""The ``fetchall`` command: parse options, run the engine, write the report, exit.

Nothing here fetches or formats: the command wires inputs → engine → formatter → stdout and
turns signals, a closed pipe and bad options into exit statuses. By role:

- ``definition``: the click command and its option table;
- ``argtypes``: the types of option values, and the ``--shard`` spec;
- ``settings``: the checked command line, one frozen value;
- ``console``: the standard streams and the environment, read in one place;
- ``session``: one run (inputs, engine, signals) and its exit status;
- ``output``: the report on stdout, batched, a closed pipe, the progress line kept apart;
- ``merging``: ``--merge`` of shard reports;
- ``signals`` and ``status``: how signals and errors end the process, and with what status.

Only ``definition`` and what it needs load for ``--help``; the rest waits for a run.
"""

from __future__ import annotations

import os
import sys

from fetchall.cli.definition import FORMATS, MODES, command
from fetchall.cli.signals import exit_at_once_on_signals
from fetchall.cli.status import ExitStatus


def main() -> None:
    """Console entry point (``fetchall`` and ``python -m fetchall``)."""
    _fill_closed_standard_streams()
    # Outside the run's own handling, a signal ends the process at once with its status.
    exit_at_once_on_signals()
    try:
        command(prog_name="fetchall")
    except KeyboardInterrupt:  # a Ctrl-C that came before the handlers were in place
        sys.exit(ExitStatus.SIGINT)


def _fill_closed_standard_streams() -> None:
    """Put /dev/null on a standard descriptor the process was started without (``<&-``).

    Otherwise the next file or socket opened takes its number, and the event loop, or a
    write meant for the terminal, would use it. Python already set ``sys.stdin`` (or
    ``sys.stdout``) to None for it: reading ``-`` then says standard input is closed, and
    output goes nowhere, as the caller asked.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)


__all__ = ["FORMATS", "MODES", "ExitStatus", "command", "main"]
