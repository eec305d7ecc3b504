"""The process's standard streams and environment, read in one place and handed on.

The rest of the CLI writes to and asks about these streams, never to ``sys.stdout`` or
``os.environ`` directly, so a test can hand it any streams and any environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from fetchall.formats import FormatContext


@dataclass(frozen=True, slots=True)
class Console:
    """Where the command reads and writes, and the environment it runs in."""

    stdin: TextIO | None
    stdout: TextIO
    stderr: TextIO
    environ: Mapping[str, str]

    @classmethod
    def of_process(cls) -> Console:
        """The streams and environment this process has now (click's test runner swaps them)."""
        return cls(sys.stdin, sys.stdout, sys.stderr, os.environ)

    @property
    def stdin_is_terminal(self) -> bool:
        return _is_terminal(self.stdin)

    @property
    def stdout_is_terminal(self) -> bool:
        return _is_terminal(self.stdout)

    @property
    def stderr_is_terminal(self) -> bool:
        return _is_terminal(self.stderr)

    def format_context(self, *, quiet: bool) -> FormatContext:
        """How standard output's format is shaped here: colour when stdout may have it, and
        the GitHub workspace and working directory that place annotations."""
        return FormatContext(
            quiet=quiet,
            color=self.colour_on(self.stdout),
            workspace=self.environ.get("GITHUB_WORKSPACE") or None,
            cwd=os.getcwd(),
        )

    def colour_on(self, stream: TextIO) -> bool:
        """Whether text for ``stream`` may be coloured: on a terminal, unless NO_COLOR is set."""
        return _is_terminal(stream) and not self.environ.get("NO_COLOR")


def _is_terminal(stream: TextIO | None) -> bool:
    return stream is not None and stream.isatty()
