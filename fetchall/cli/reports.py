"""``--report FORMAT:PATH``: the run's report in more formats, each to its own file.

Each file is written to a temporary file beside PATH as results come and renamed over PATH at
the end, so that a reader never sees half a report: PATH holds the previous report or the
whole new one. A run stopped by SIGINT or SIGTERM still ends here, so its reports are complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from fetchall.formats import FormatContext

if TYPE_CHECKING:
    from fetchall.formats import Format
    from fetchall.formats.base import Formatter
    from fetchall.models import Mode, Result, Summary


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """One ``--report FORMAT:PATH``."""

    format: Format
    path: Path


class ReportFiles:
    """The open ``--report`` files of one run; use as a context manager around the run."""

    def __init__(
        self, specs: tuple[ReportSpec, ...], mode: Mode, context: FormatContext | None = None
    ) -> None:
        """``context`` places the reports' paths (the GitHub workspace, the working
        directory); files get no colour and every result, whatever it says of them."""
        self._specs = specs
        self._mode = mode
        self._context = FormatContext(
            workspace=None if context is None else context.workspace,
            cwd=None if context is None else context.cwd,
        )
        self._open: list[tuple[Formatter, IO[str], Path]] = []

    def open(self) -> ReportFiles:
        """Create every temporary file now, so that an unwritable PATH fails before any
        request; raise ValueError naming the report."""
        if not self._specs:
            return self
        from fetchall.saving import usual_file_mode  # noqa: PLC0415 (only with --report)

        try:
            for spec in self._specs:
                # Closed in end() or discard(), not in this block.
                handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
                    "w",
                    encoding="utf-8",
                    dir=spec.path.parent,
                    prefix=f".{spec.path.name}.",
                    suffix=".partial",
                    delete=False,
                )
                # A private temporary file, but the report itself is an ordinary file.
                os.fchmod(handle.fileno(), usual_file_mode())
                self._open.append(
                    (spec.format.formatter(self._mode, self._context), handle, spec.path)
                )
        except OSError as exc:
            self.discard()
            raise ValueError(f"--report {spec.format.value}:{spec.path}: {_reason(exc)}") from None
        return self

    def __enter__(self) -> ReportFiles:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # end() renamed every file on the way out of a finished run; anything left is partial.
        self.discard()

    def result(self, result: Result) -> None:
        """Add ``result`` to every report."""
        for formatter, handle, _ in self._open:
            if text := formatter.result(result):
                handle.write(text)

    def end(self, summary: Summary) -> None:
        """Finish every report and move it into place."""
        while self._open:
            formatter, handle, path = self._open.pop(0)
            handle.write(formatter.end(summary))
            handle.close()
            os.replace(handle.name, path)

    def discard(self) -> None:
        """Remove the temporary files of reports not finished."""
        while self._open:
            _, handle, _ = self._open.pop()
            handle.close()
            with contextlib.suppress(OSError):
                os.unlink(handle.name)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
