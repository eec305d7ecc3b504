"""Turn input files, standard input and literal URLs into a stream of jobs.

Reading happens in a daemon thread that hands batches of jobs to the event loop. Why a thread:
a pipe or FIFO may block for ever, and a run that stops early (``first`` mode, a signal, a closed
stdout) must be able to leave while a writer still holds standard input open. Why daemon: such a
thread may sit in ``read()`` when the process exits, and nothing should wait for it.
Backpressure keeps at most a few batches in memory, so a million-line file costs what a
thousand-line one does.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import os
import re
import stat
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass

from fetchall.models import Job
from fetchall.urls import LINE_TOO_LONG, MAX_LINE_BYTES

_CHUNK = 64 * 1024
_BATCHES_AHEAD = 4
_BOM = b"\xef\xbb\xbf"


class InputError(Exception):
    """An input that cannot be used at all: missing, a directory, unreadable, or empty."""


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``k`` of ``n`` (1-based): keep the URLs whose stable hash falls in it."""

    k: int
    n: int

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n:
            raise ValueError(f"shard {self.k}/{self.n}: need 1 <= K <= N")

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """Parse ``K/N``; raise ValueError saying what is wrong."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", spec, re.ASCII)
        if not match:
            raise ValueError(f"{spec!r} is not K/N, e.g. 2/4")
        return cls(int(match[1]), int(match[2]))

    def keeps(self, url: str) -> bool:
        """Whether this shard owns ``url``; the same answer on every machine and Python."""
        digest = hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.n == self.k - 1


@dataclass(frozen=True, slots=True)
class _Source:
    """One INPUT argument, resolved: a literal URL, standard input, or a file path."""

    name: str
    kind: str  # "url" | "stdin" | "file"
    fd: int | None = None  # regular files are opened up front so errors surface before fetching


def is_literal_url(arg: str) -> bool:
    """An INPUT containing ``://`` is a URL, not a path."""
    return "://" in arg


def open_sources(args: Iterable[str]) -> list[_Source]:
    """Check every INPUT before anything is fetched; raise InputError naming the bad ones."""
    sources: list[_Source] = []
    problems: list[str] = []
    for arg in args:
        if is_literal_url(arg):
            sources.append(_Source(arg, "url"))
        elif arg == "-":
            sources.append(_Source("-", "stdin"))
        else:
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


def _open_path(path: str) -> _Source:
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(21, "is a directory")
    if stat.S_ISREG(info.st_mode):
        return _Source(path, "file", os.open(path, os.O_RDONLY))
    # A FIFO or device: opening may block until a writer appears, so the reader thread does it.
    if not os.access(path, os.R_OK):
        raise PermissionError(13, "permission denied")
    return _Source(path, "file")


class LineSplitter:
    """Split a byte stream into (1-based line number, line) pairs, CRLF or LF, chunk by chunk.

    A line longer than the URL limit is cut to one byte over it, so that a binary file or a
    gigabyte without a newline never sits whole in memory; the cut line is still rejected.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._overlong = False
        self._number = 0

    def feed(self, chunk: bytes) -> list[tuple[int, bytes]]:
        """The lines that ``chunk`` completes."""
        lines: list[tuple[int, bytes]] = []
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not self._overlong:
                self._pending += chunk[start:end]
            self._number += 1
            lines.append((self._number, bytes(self._pending[: MAX_LINE_BYTES + 1])))
            self._pending.clear()
            self._overlong = False
            start = end + 1
        if not self._overlong:
            self._pending += chunk[start:]
            if len(self._pending) > MAX_LINE_BYTES:
                del self._pending[MAX_LINE_BYTES + 1 :]
                self._overlong = True
        return lines

    def finish(self) -> list[tuple[int, bytes]]:
        """The last line, when the stream does not end with a newline."""
        if not self._pending:
            return []
        self._number += 1
        line = bytes(self._pending)
        self._pending.clear()
        return [(self._number, line)]


def jobs_from_lines(lines: Iterable[tuple[int, bytes]], name: str, first_index: int) -> list[Job]:
    """Jobs from numbered lines: skip blanks and comments, strip a BOM and whitespace."""
    jobs: list[Job] = []
    index = first_index
    for number, raw in lines:
        line = raw[len(_BOM) :] if number == 1 and raw.startswith(_BOM) else raw
        line = line.removesuffix(b"\r")
        # surrogateescape keeps undecodable bytes visible to the validator, which rejects them.
        text = line.decode("utf-8", "surrogateescape").strip()
        if not text or text.startswith("#"):
            continue
        source = f"{name}:{number}"
        parts = text.split(None, 1)
        if len(line) > MAX_LINE_BYTES:
            # Judged before stripping: a line cut at the limit must never pass as a shorter URL.
            jobs.append(Job(index, parts[0], source, LINE_TOO_LONG))
        elif len(parts) == 2:
            jobs.append(_job_with_checks(index, parts[0], text, source))
        else:
            jobs.append(Job(index, text, source))
        index += 1
    return jobs


def _job_with_checks(index: int, url: str, text: str, source: str) -> Job:
    """The job of a line with text after its URL: checks, or an invalid line naming the token."""
    from fetchall.checks import CheckSyntaxError, split_line  # noqa: PLC0415 (lines with checks)

    try:
        return Job(index, url, source, checks=split_line(text)[1])
    except CheckSyntaxError as exc:
        return Job(index, url, source, problem=str(exc))


def read_jobs(fd: int, name: str, first_index: int) -> Iterator[list[Job]]:
    """Batches of jobs from a file descriptor, one batch per read, so a slow pipe's lines
    are handed on as soon as they arrive."""
    return read_jobs_with(functools.partial(os.read, fd), name, first_index)


def read_jobs_with(
    read: Callable[[int], bytes], name: str, first_index: int
) -> Iterator[list[Job]]:
    """Like :func:`read_jobs`, from any ``read(size)`` that returns what is available."""
    splitter = LineSplitter()
    index = first_index
    while chunk := read(_CHUNK):
        if batch := jobs_from_lines(splitter.feed(chunk), name, index):
            index = batch[-1].index + 1
            yield batch
    if batch := jobs_from_lines(splitter.finish(), name, index):
        yield batch


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


class JobReader:
    """An async iterator of jobs read from the given sources, in order, by a daemon thread.

    ``close()`` stops the thread at its next batch; jobs not read by then are never read.
    URLs given as arguments are the exception: they count as read from the start, and
    :meth:`untaken_arguments` gives those the consumer never took.
    """

    def __init__(self, sources: list[_Source], shard: Shard | None = None) -> None:
        self._sources = sources
        self._shard = shard
        self._queue: asyncio.Queue[list[Job] | BaseException | None] = asyncio.Queue()
        self._room = threading.Semaphore(_BATCHES_AHEAD)
        self._closed = threading.Event()
        self.jobs_read = 0
        """Jobs read so far, before sharding: tells an empty input from an empty shard."""
        self.total: int | None = None
        """How many jobs this reader yields in all (after the shard): set once every source has
        been read to its end, before the end is handed over; None until then, and for good if
        the reader is closed or fails first."""
        self._kept = 0
        # What the thread has numbered, shared with the loop: the next free index, and the jobs
        # of the argument URLs it reached. Once frozen, the thread numbers nothing more.
        self._numbering = threading.Lock()
        self._frozen = False
        self._argument_jobs: dict[int, Job] = {}
        self._arguments = [
            position
            for position, source in enumerate(sources)
            if source.kind == "url" and (shard is None or shard.keeps(source.name))
        ]
        self._arguments_taken = 0
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="fetchall-input", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop reading; a thread blocked in read() is left to die with the process."""
        self._closed.set()
        self._room.release()

    async def __aiter__(self) -> AsyncIterator[Job]:
        while True:
            batch = await self._queue.get()
            self._room.release()
            if batch is None:
                return
            if isinstance(batch, BaseException):
                raise batch
            for job in batch:
                if job.source == "arg":
                    self._arguments_taken += 1
                yield job

    def untaken_arguments(self) -> list[Job]:
        """Stop reading, and return the jobs of the argument URLs never taken from this reader.

        An argument the reader had not reached yet is numbered after the last job it read,
        since the lines between are never read.
        """
        self.close()
        with self._numbering:
            self._frozen = True
            next_index = self.jobs_read
            untaken = []
            for position in self._arguments[self._arguments_taken :]:
                job = self._argument_jobs.get(position)
                if job is None:
                    job = Job(next_index, self._sources[position].name, "arg")
                    next_index += 1
                untaken.append(job)
        return untaken

    def _hand_over(self, item: list[Job] | BaseException | None) -> bool:
        self._room.acquire()
        if self._closed.is_set():
            return False
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            return False
        return True

    def _run(self) -> None:
        try:
            for batch in self._batches():
                if not self._hand_over(batch):
                    return
            if not self._closed.is_set():
                self.total = self._kept
            self._hand_over(None)
        except InputError as exc:
            self._hand_over(exc)
        except OSError as exc:
            self._hand_over(InputError(f"cannot read input: {exc}"))
        except Exception as exc:
            self._hand_over(exc)

    def _batches(self) -> Iterator[list[Job]]:
        for position, source in enumerate(self._sources):
            if source.kind == "url":
                with self._numbering:
                    if self._frozen:
                        return
                    job = self._argument_jobs[position] = Job(self.jobs_read, source.name, "arg")
                batches: Iterator[list[Job]] = iter([[job]])
            else:
                batches = self._file_batches(source, self.jobs_read)
            for batch in batches:
                with self._numbering:
                    if self._frozen:
                        return
                    self.jobs_read = batch[-1].index + 1
                kept = [job for job in batch if self._shard is None or self._shard.keeps(job.url)]
                if kept:
                    self._kept += len(kept)
                    yield kept
                if self._closed.is_set():
                    return

    def _file_batches(self, source: _Source, first_index: int) -> Iterator[list[Job]]:
        if source.kind == "stdin":
            yield from read_jobs_with(_stdin_reader(), "-", first_index)
            return
        if source.fd is None:
            fd, name, owned = os.open(source.name, os.O_RDONLY), source.name, True
        else:
            fd, name, owned = source.fd, source.name, True
        try:
            yield from read_jobs(fd, name, first_index)
        finally:
            if owned:
                os.close(fd)
