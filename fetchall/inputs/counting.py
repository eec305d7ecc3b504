"""How many jobs the inputs hold, found without fetching them: the progress line's total.

A URL given as an argument is one job. A regular file is counted by a daemon thread that
starts with the run and reads the file again from its start, in fixed-size chunks, so that
neither the first request waits for it nor does a file of any size sit in memory. Standard
input and pipes can be read only once: their total is known when the run's own reader has read
them to their end.

The count follows the reader's rules to the line, taken from :mod:`fetchall.inputs.lines`:
blank lines and comments are no job, a UTF-8 byte-order mark opens a file, a line is judged by
its first ``JUDGED_BYTES``, and with ``--shard`` only the jobs the shard keeps count. Most lines
are judged from their bytes; a line that starts with a byte outside ASCII, or with ``--shard``
every line, is decoded as the reader decodes it (about 1 s more per million lines, in the
counting thread).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, assert_never

from fetchall.inputs.lines import BOM, JUDGED_BYTES, is_job, job_url
from fetchall.inputs.sharding import in_shard
from fetchall.inputs.sources import SourceKind, kind_of

if TYPE_CHECKING:
    from fetchall.inputs.reader import JobReader
    from fetchall.inputs.sharding import Shard

_CHUNK = 256 * 1024


def count_jobs(
    read: Callable[[int], bytes],
    shard: Shard | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> int | None:
    """The jobs in one input read through ``read(size)`` to its end; None if ``stopped()``
    turned true first."""
    counts = is_job if shard is None else _kept_by(shard)
    count = 0
    head = b""  # the start of the line not ended yet, at most JUDGED_BYTES
    first_line = True
    while chunk := read(_CHUNK):
        if stopped():
            return None
        lines = chunk.split(b"\n")
        lines[0] = head + lines[0][: JUDGED_BYTES - len(head)]
        head = lines.pop()[:JUDGED_BYTES]
        if lines and first_line:
            lines[0], first_line = lines[0].removeprefix(BOM), False
        count += sum(1 for line in lines if counts(line[:JUDGED_BYTES]))
    if head and counts(head.removeprefix(BOM) if first_line else head):
        count += 1
    return count


def _kept_by(shard: Shard) -> Callable[[bytes], bool]:
    """Whether a line holds a job ``shard`` keeps (every line of a shard is decoded to hash)."""

    def counts(line: bytes) -> bool:
        url = job_url(line)
        return url is not None and shard.keeps(url)

    return counts


def count_file(
    path: str, shard: Shard | None = None, stopped: Callable[[], bool] = lambda: False
) -> int | None:
    """The jobs in the regular file at ``path``; None if it is not one or cannot be read."""
    try:
        # A FIFO is never opened here: its one reader is the run's.
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # it was replaced since: not counted either
            return None
        return count_jobs(lambda size: os.read(fd, size), shard, stopped)
    except OSError:
        return None
    finally:
        os.close(fd)


class InputTotal:
    """The number of jobs in a run's inputs, once it is known; see the module's docstring.

    ``get()`` answers at once: None while the total is not known yet, or cannot be.
    """

    def __init__(self, inputs: Sequence[str], shard: Shard | None = None) -> None:
        self._shard = shard
        self._urls = 0
        self._files: list[str] = []
        self._reads_stdin = False
        for name in inputs:
            match kind_of(name):
                case SourceKind.URL:
                    self._urls += 1 if in_shard(shard, name) else 0
                case SourceKind.FILE:
                    self._files.append(name)
                case SourceKind.STDIN:
                    self._reads_stdin = True
                case kind:  # pragma: no cover (unreachable: mypy checks every kind has its case)
                    assert_never(kind)
        known_at_once = not self._files and not self._reads_stdin
        self._counted: int | None = self._urls if known_at_once else None
        self._reader: JobReader | None = None
        self._closed = threading.Event()

    def start(self, reader: JobReader) -> None:
        """Begin counting beside the run, whose input ``reader`` may also tell the total."""
        self._reader = reader
        # Standard input is read once, by the run's reader: the total is the reader's, at its end.
        if self._counted is None and not self._reads_stdin:
            thread = threading.Thread(target=self._count, name="fetchall-count", daemon=True)
            thread.start()

    def close(self) -> None:
        """Stop counting: the run is over."""
        self._closed.set()

    def get(self) -> int | None:
        """The total, or None while it is not known."""
        if self._counted is not None:
            return self._counted
        # Standard input and pipes are read once, by the run's reader: it knows their total at
        # their end.
        return None if self._reader is None else self._reader.total

    def _count(self) -> None:
        total = self._urls
        for path in self._files:
            count = count_file(path, self._shard, self._closed.is_set)
            if count is None:
                return
            total += count
        self._counted = total
