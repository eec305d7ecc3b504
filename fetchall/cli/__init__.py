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

import sys

from fetchall.cli.definition import FORMATS, MODES, command
from fetchall.cli.signals import exit_at_once_on_signals
from fetchall.cli.status import ExitStatus


def main() -> None:
    """Console entry point (``fetchall`` and ``python -m fetchall``)."""
    # Outside the run's own handling, a signal ends the process at once with its status.
    exit_at_once_on_signals()
    try:
        command(prog_name="fetchall")
    except KeyboardInterrupt:  # a Ctrl-C that came before the handlers were in place
        sys.exit(ExitStatus.SIGINT)


__all__ = ["FORMATS", "MODES", "ExitStatus", "command", "main"]
