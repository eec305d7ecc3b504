"""``--report FORMAT:PATH``: the run's report in more formats, each to its own file.

Each file is written to a temporary file beside PATH as results come and renamed over PATH at
the end, so that a reader never sees half a report: PATH holds the previous report or the
whole new one. A run stopped by SIGINT or SIGTERM still ends here, so its reports are complete.

A report that cannot be written as the run goes or at its end (disk full, permission) is
given up alone: its temporary file is removed, PATH keeps the previous report, and
:attr:`ReportFiles.failures` says why, for one line on stderr; the other reports and standard
output go on. An existing PATH that is not a regular file (a folder, FIFO, device or symbolic
link) is refused before the run, as renaming over it would replace it.
"""

from __future__ import annotations

import contextlib
import os
import stat
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
        self._open: list[tuple[Formatter, IO[str], ReportSpec]] = []
        self.failures: list[str] = []
        """One line for each report that could not be written, naming it."""

    def open(self) -> ReportFiles:
        """Create every temporary file now, so that an unwritable PATH fails before any
        request; raise ValueError naming the report."""
        if not self._specs:
            return self
        from fetchall.saving import usual_file_mode  # noqa: PLC0415 (only with --report)

        try:
            for spec in self._specs:
                _refuse_what_is_not_a_file(spec)
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
                self._open.append((spec.format.formatter(self._mode, self._context), handle, spec))
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
        """Add ``result`` to every report (a report the disk refuses is given up)."""
        for entry in tuple(self._open):
            formatter, handle, _ = entry
            if text := formatter.result(result):
                try:
                    handle.write(text)
                except OSError as exc:
                    self._give_up(entry, exc)

    def end(self, summary: Summary) -> None:
        """Finish every report and move it into place."""
        while self._open:
            entry = self._open[0]
            formatter, handle, spec = entry
            try:
                handle.write(formatter.end(summary))
                handle.close()
                os.replace(handle.name, spec.path)
            except OSError as exc:
                self._give_up(entry, exc)
            else:
                self._open.pop(0)

    def discard(self) -> None:
        """Remove the temporary files of reports not finished."""
        while self._open:
            _, handle, _ = self._open.pop()
            _remove(handle)

    def _give_up(self, entry: tuple[Formatter, IO[str], ReportSpec], exc: OSError) -> None:
        self._open.remove(entry)
        _, handle, spec = entry
        _remove(handle)
        name = f"{spec.format.value}:{spec.path}"
        self.failures.append(f"--report {name} was not written: {_reason(exc)}")


def _refuse_what_is_not_a_file(spec: ReportSpec) -> None:
    """Renaming over PATH would replace a link, FIFO or device with a file: refuse it."""
    try:
        mode = os.lstat(spec.path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "special file")
        raise OSError(0, f"is a {kind}, not a regular file")


_KINDS = {
    stat.S_IFLNK: "symbolic link",
    stat.S_IFDIR: "folder",
    stat.S_IFIFO: "FIFO",
    stat.S_IFCHR: "device",
    stat.S_IFBLK: "device",
    stat.S_IFSOCK: "socket",
}


def _remove(handle: IO[str]) -> None:
    # The disk that was full is full at close too: the buffered text is lost with the file.
    with contextlib.suppress(OSError):
        handle.close()
    with contextlib.suppress(OSError):
        os.unlink(handle.name)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
