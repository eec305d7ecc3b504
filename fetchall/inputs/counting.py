"""How many jobs the inputs hold, found without fetching them: the progress line's total.

A URL given as an argument is one job. A regular file is counted by a daemon thread that
starts with the run and reads the file again from its start, in fixed-size chunks, so that
neither the first request waits for it nor does a file of any size sit in memory. Standard
input and pipes can be read only once: their total is known when the run's own reader has read
them to their end.

The count follows the reader's rules to the line: blank lines and comments are no job, a UTF-8
byte-order mark opens a file, a line is judged by its first ``MAX_LINE_BYTES + 1`` bytes, and
with ``--shard`` only the jobs the shard keeps count. Most lines are judged from their bytes;
a line that starts with a byte outside ASCII, or with ``--shard`` every line, is decoded as the
reader decodes it (about 1 s more per million lines, in the counting thread).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from fetchall.inputs.reader import is_literal_url
from fetchall.urls import MAX_LINE_BYTES

if TYPE_CHECKING:
    from fetchall.inputs.reader import JobReader, Shard

_CHUNK = 256 * 1024
_JUDGED = MAX_LINE_BYTES + 1  # the reader judges a line by this many bytes at most
_BOM = b"\xef\xbb\xbf"
_HASH = ord("#")


def count_jobs(
    read: Callable[[int], bytes],
    shard: Shard | None = None,
    stopped: Callable[[], bool] = lambda: False,
) -> int | None:
    """The jobs in one input read through ``read(size)`` to its end; None if ``stopped()``
    turned true first."""
    count = 0
    head = b""  # the start of the line not ended yet, at most _JUDGED bytes
    first_line = True
    while chunk := read(_CHUNK):
        if stopped():
            return None
        lines = chunk.split(b"\n")
        lines[0] = head + lines[0][: _JUDGED - len(head)]
        head = lines.pop()[:_JUDGED]
        if lines and first_line:
            lines[0], first_line = lines[0].removeprefix(_BOM), False
        count += sum(1 for line in lines if _is_job(line[:_JUDGED], shard))
    if head and _is_job(head.removeprefix(_BOM) if first_line else head, shard):
        count += 1
    return count


def _is_job(line: bytes, shard: Shard | None) -> bool:
    stripped = line.strip()
    if not stripped or stripped[0] == _HASH:
        return False
    first = stripped[0]
    # Python's str.strip() also strips \x1c-\x1f and non-ASCII spaces: those lines, and the
    # URLs a shard hashes, are decoded as the reader decodes them.
    if shard is None and first < 0x80 and not 0x1C <= first <= 0x1F:
        return True
    text = line.decode("utf-8", "surrogateescape").strip()
    return (
        bool(text)
        and not text.startswith("#")
        and (shard is None or shard.keeps(text.split(None, 1)[0]))
    )


def _count_file(path: str, shard: Shard | None, stopped: Callable[[], bool]) -> int | None:
    """The jobs in the regular file at ``path``; None if it is not one or cannot be read."""
    try:
        # A FIFO is never opened here: its one reader is the run's.
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
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
        urls = [name for name in inputs if is_literal_url(name)]
        self._urls = sum(1 for url in urls if shard is None or shard.keeps(url))
        self._files = [name for name in inputs if not is_literal_url(name)]
        self._counted: int | None = self._urls if not self._files else None
        self._reader: JobReader | None = None
        self._closed = threading.Event()

    def start(self, reader: JobReader) -> None:
        """Begin counting beside the run, whose input ``reader`` may also tell the total."""
        self._reader = reader
        if self._counted is None and "-" not in self._files:
            thread = threading.Thread(target=self._count, name="fetchall-count", daemon=True)
            thread.start()

    def close(self) -> None:
        """Stop counting: the run is over."""
        self._closed.set()

    def get(self) -> int | None:
        """The total, or None while it is not known."""
        if self._counted is not None:
            return self._counted
        return None if self._reader is None else _total_read_by(self._reader)

    def _count(self) -> None:
        total = self._urls
        for path in self._files:
            count = _count_file(path, self._shard, self._closed.is_set)
            if count is None:
                return
            total += count
        self._counted = total


def _total_read_by(reader: JobReader) -> int | None:
    # Standard input and pipes are read once, by the run's reader: it knows their total at
    # their end.
    return reader.total
