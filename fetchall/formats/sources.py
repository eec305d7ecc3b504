"""Where a job came from, read back from its ``source`` so that reports can point at it.

A job's source is ``path:line`` for a line of a file (the path as given), ``-:line`` for a line
of standard input, ``arg`` for a URL given as an argument, and ``item:N`` for the N-th item of
an iterable handed to the library. A path may itself hold ``:`` (``C:\\urls.txt:3``), so the
line is what follows the *last* colon.
"""

from __future__ import annotations

import enum
import os.path
from dataclasses import dataclass
from pathlib import PurePath


class Origin(enum.StrEnum):
    """The kind of place a job was read from."""

    FILE = "file"
    STDIN = "stdin"
    ARGUMENTS = "arguments"
    ITEMS = "items"
    """An iterable handed to the library (``item:N``): there is no file to point at."""
    OTHER = "other"
    """A source in none of the shapes above (a hand-made job or report): shown as it is."""


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A job's source, taken apart."""

    origin: Origin
    source: str
    """The source as the result gives it."""
    path: str | None = None
    """The file's path as given, for :attr:`Origin.FILE` only."""
    line: int | None = None
    """The 1-based line (of the file or of standard input), or the item's number."""

    @property
    def group(self) -> str:
        """The name reports group jobs under: the file's path, ``stdin``, ``arguments``,
        ``items``, or the source itself when it has none of the known shapes."""
        if self.path is not None:
            return self.path
        return self.source if self.origin is Origin.OTHER else self.origin.value


def parse_source(source: str) -> SourceLine:
    """Take ``source`` apart: ``urls.txt:3`` is line 3 of the file ``urls.txt``."""
    if source == "arg":
        return SourceLine(Origin.ARGUMENTS, source)
    head, colon, tail = source.rpartition(":")
    if not colon or not head or not (tail.isascii() and tail.isdigit()) or int(tail) < 1:
        return SourceLine(Origin.OTHER, source)
    line = int(tail)
    if head == "-":
        return SourceLine(Origin.STDIN, source, line=line)
    if head == "item":
        # The library's numbering of an iterable's items. A file that is really named ``item``
        # (no extension, in the working directory) is taken for one too: that is the rarer case.
        return SourceLine(Origin.ITEMS, source, line=line)
    return SourceLine(Origin.FILE, source, path=head, line=line)


def workspace_path(path: str, workspace: str | None, cwd: str | None = None) -> str:
    """``path`` relative to ``workspace`` when it lies inside it, with ``/`` between its parts;
    outside it, the whole path (a relative one would be read as inside).

    A relative ``path`` is taken from ``cwd``, or from the workspace itself when ``cwd`` is
    None (a CI job's default working directory). Only the text of the paths is compared:
    the file system is not asked. Without a workspace, ``path`` is returned as it is.
    """
    if not workspace:
        return path
    root = os.path.normpath(workspace)
    full = os.path.normpath(os.path.join(cwd if cwd is not None else root, path))
    try:
        inside = PurePath(full).relative_to(root)
    except ValueError:
        return full
    return inside.as_posix()
