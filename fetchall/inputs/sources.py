"""The kinds of INPUT a run reads, each resolved up front and read by one function.

An INPUT naming a scheme (``scheme://``) is a literal URL, ``-`` is standard input, anything
else is a path. Every INPUT is checked before anything is fetched, so that a typo in the last
of ten paths is a usage error, not a surprise after the first nine. A new kind of source is one
more :class:`SourceKind`, a branch in :func:`open_sources` if it needs checking, and one reading
function in :func:`jobs_of`.
"""

from __future__ import annotations

import enum
import functools
import io
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import assert_never

from fetchall.inputs.lines import read_jobs, read_jobs_with
from fetchall.models import Job
from fetchall.urls import scheme_of

ARGUMENT = "arg"
"""The ``source`` of a job given as a URL argument, where a file's jobs name ``path:line``."""


class InputError(Exception):
    """An input that cannot be used at all: missing, a directory, unreadable, or empty."""


class SourceKind(enum.StrEnum):
    """What one INPUT argument is."""

    URL = "url"
    STDIN = "stdin"
    FILE = "file"


def kind_of(arg: str) -> SourceKind:
    """The kind of source the INPUT argument ``arg`` names."""
    if scheme_of(arg) is not None:
        return SourceKind.URL
    if arg == "-":
        return SourceKind.STDIN
    return SourceKind.FILE


@dataclass(frozen=True, slots=True)
class Source:
    """One INPUT argument, resolved: a literal URL, standard input, or a file path."""

    name: str
    kind: SourceKind
    fd: int | None = None
    """A regular file's descriptor, opened up front so that errors surface before fetching."""


def open_sources(args: Iterable[str]) -> list[Source]:
    """Check every INPUT before anything is fetched; raise InputError naming the bad ones."""
    sources: list[Source] = []
    problems: list[str] = []
    for arg in args:
        kind = kind_of(arg)
        if kind is not SourceKind.FILE:
            sources.append(Source(arg, kind))
            continue
        try:
            sources.append(_open_path(arg))
        except OSError as exc:
            problems.append(f"{arg}: {exc.strerror or exc}")
    if problems:
        for source in sources:
            if source.fd is not None:
                os.close(source.fd)
        raise InputError("cannot read input " + "; ".join(problems))
    return sources


def _open_path(path: str) -> Source:
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "is a directory")
    if stat.S_ISREG(info.st_mode):
        return Source(path, SourceKind.FILE, os.open(path, os.O_RDONLY))
    # A FIFO or device: opening may block until a writer appears, so the reader thread does it.
    if not os.access(path, os.R_OK):
        raise PermissionError(13, "permission denied")
    return Source(path, SourceKind.FILE)


def jobs_of(source: Source, first_index: int) -> Iterator[list[Job]]:
    """Batches of the jobs ``source`` holds, numbered from ``first_index``; may block."""
    match source.kind:
        case SourceKind.URL:
            return _argument_jobs(source.name, first_index)
        case SourceKind.STDIN:
            return _stdin_jobs(first_index)
        case SourceKind.FILE:
            return _file_jobs(source, first_index)
        case _:  # pragma: no cover (unreachable: mypy checks that every kind has its case)
            assert_never(source.kind)


def _argument_jobs(url: str, index: int) -> Iterator[list[Job]]:
    yield [Job(index, url, ARGUMENT)]


def _stdin_jobs(first_index: int) -> Iterator[list[Job]]:
    yield from read_jobs_with(_stdin_reader(), "-", first_index)


def _stdin_reader() -> Callable[[int], bytes]:
    """Read standard input by its descriptor, or through its buffer when it has none
    (as under click's test runner)."""
    if sys.stdin is None:  # the process was started with standard input closed
        raise InputError("cannot read input -: standard input is closed")
    try:
        return functools.partial(os.read, sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):
        buffer: io.BufferedIOBase = sys.stdin.buffer  # type: ignore[assignment]  # typeshed: BinaryIO
        return buffer.read1


def _file_jobs(source: Source, first_index: int) -> Iterator[list[Job]]:
    fd = os.open(source.name, os.O_RDONLY) if source.fd is None else source.fd
    try:
        yield from read_jobs(fd, source.name, first_index)
    finally:
        os.close(fd)
