"""A line of input text → a job: the rules every input follows, whatever its source.

A line may end in LF or CRLF; a UTF-8 byte-order mark may open the first line; surrounding
whitespace is dropped; a blank line or one whose first character is ``#`` is no job. The first
word is the URL, and any words after it are the line's checks. A line is judged by its first
``JUDGED_BYTES`` bytes: a longer one is rejected as too long, never fetched cut. Bytes that are
not UTF-8 are kept (as surrogate escapes) for the validator to reject.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator

from fetchall.models import Job
from fetchall.urls import LINE_TOO_LONG, MAX_LINE_BYTES

BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark: dropped where it opens an input, part of the line elsewhere."""
JUDGED_BYTES = MAX_LINE_BYTES + 1
"""A line is judged by this many bytes at most: one over the limit tells it is too long."""

_CHUNK = 64 * 1024
_HASH = ord("#")


class LineSplitter:
    """Split a byte stream into (1-based line number, line) pairs, CRLF or LF, chunk by chunk.

    A line longer than the URL limit is cut to ``JUDGED_BYTES``, so that a binary file or a
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
            lines.append((self._number, bytes(self._pending[:JUDGED_BYTES])))
            self._pending.clear()
            self._overlong = False
            start = end + 1
        if not self._overlong:
            self._pending += chunk[start:]
            if len(self._pending) > MAX_LINE_BYTES:
                del self._pending[JUDGED_BYTES:]
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
        line = raw[len(BOM) :] if number == 1 and raw.startswith(BOM) else raw
        line = line.removesuffix(b"\r")
        # What job_url() decides, written out: this loop runs once per URL of every run.
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


def job_url(line: bytes) -> str | None:
    """The URL of the job ``line`` (without its newline or an opening BOM) holds, or None if
    it is blank or a comment: the rule of :func:`jobs_from_lines`, for counting."""
    text = line.decode("utf-8", "surrogateescape").strip()
    if not text or text.startswith("#"):
        return None
    return text.split(None, 1)[0]


def is_job(line: bytes) -> bool:
    """Whether ``line`` holds a job, as :func:`job_url` decides, mostly from its bytes alone."""
    stripped = line.strip()
    if not stripped or stripped[0] == _HASH:
        return False
    first = stripped[0]
    # str.strip() also strips \x1c-\x1f and non-ASCII spaces, which bytes.strip() keeps: a line
    # that starts with one of those is decoded to be sure.
    return (first < 0x80 and not 0x1C <= first <= 0x1F) or job_url(line) is not None


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
