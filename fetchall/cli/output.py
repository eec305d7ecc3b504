"""Standard output for the report, and the progress line on stderr kept off its lines."""

from __future__ import annotations

import io
import os
import select
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import asyncio

    from fetchall.cli.progress import Progress
    from fetchall.formats.base import Formatter
    from fetchall.models import Result, Summary


class Output:
    """Writes a formatter's text to ``stdout`` as results come, and notices a closed pipe.

    ``loop`` is the running event loop, if any: the text of the results that complete in one
    turn of it is written and flushed together. ``shared_terminal`` says that stdout is the
    terminal the progress line is drawn on, so that the line must be cleared before a result
    line and drawn again after. ``on_closed`` is called once when the reader of stdout has
    gone; nothing is written after that.
    """

    def __init__(
        self,
        formatter: Formatter,
        stdout: TextIO,
        *,
        progress: Progress | None = None,
        shared_terminal: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        on_closed: Callable[[], object] = lambda: None,
    ) -> None:
        self.formatter = formatter
        self.progress = progress
        self.closed = False
        """Whether the reader of stdout went away."""
        self._stdout = stdout
        # Under PYTHONUNBUFFERED (python -u) stdout's text layer writes straight to the file
        # and drops what a short write left over (a pipe whose reader left mid-write): then
        # the bytes are written here, every one, so that a closed pipe shows as one.
        buffer = getattr(stdout, "buffer", None)
        self._raw = buffer if isinstance(buffer, io.RawIOBase) else None
        self._loop = loop
        self._on_closed = on_closed
        # Only when both streams are the same terminal can the two lines collide.
        self._shared_terminal = progress is not None and shared_terminal
        self._pending: list[str] = []
        self._watched: int | None = None

    def result(self, result: Result) -> None:
        """Write a result's text at once, so that results appear as they complete."""
        text = self.formatter.result(result)
        if self.progress is not None and text and self._shared_terminal:
            self.flush()
            self.progress.clear()
        self.write(text)
        if self._shared_terminal:
            self.flush()
        if self.progress is not None:
            self.progress.add(result)

    def end(self, summary: Summary) -> None:
        """The formatter's closing text, after the progress line is gone."""
        if self.progress is not None:
            self.progress.draw()
            self.progress.clear()
        self.write(self.formatter.end(summary))
        self.flush()

    def write(self, text: str) -> None:
        """Write once the event loop has handled what is ready.

        A pipe is block-buffered, so results must be flushed to appear as they complete,
        but a write and a flush per line would cost more than many a request: the results
        that complete in one turn of the loop share one write and one flush.
        """
        if not text or self.closed:
            return
        self._pending.append(text)
        if len(self._pending) == 1:
            if self._loop is None:
                self.flush()
            else:
                self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Push written text out to the reader."""
        text, self._pending = "".join(self._pending), []
        if self.closed:
            return
        try:
            if self._raw is None:
                self._stdout.write(text)
                self._stdout.flush()
            else:
                self._write_all(self._raw, text)
        except BrokenPipeError:
            self._pipe_closed()

    def _write_all(self, raw: io.RawIOBase, text: str) -> None:
        self._stdout.flush()  # anything written to the text layer before goes first
        data = memoryview(text.encode(self._stdout.encoding, self._stdout.errors or "strict"))
        while data:
            written = raw.write(data)
            if written is None:  # a non-blocking stdout that is full: wait until it drains
                select.select([], [raw], [])
                continue
            data = data[written:]

    def watch_for_reader_gone(self) -> None:
        """Notice at once when the reader of a stdout pipe goes away (``| head``), not only at
        the next write, which a quiet run or a held-back race may not make for a long time."""
        if self._loop is None:
            return
        try:
            fd = self._stdout.fileno()
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                return
        except (AttributeError, OSError, ValueError):  # not a real descriptor (a test's stream)
            return
        # The write end of a pipe polls as readable only once its read end is closed (an
        # error condition): that is when the callback runs.
        self._watched = fd
        self._loop.add_reader(fd, self._check_reader_gone)
        # uvloop (libuv) makes a polled descriptor non-blocking; stdout must stay blocking, or
        # a large write to a full pipe would be cut short. Polling works either way.
        os.set_blocking(fd, True)

    def stop_watching(self) -> None:
        """Stop watching the pipe (the run is over)."""
        if self._watched is not None and self._loop is not None:
            self._loop.remove_reader(self._watched)
            self._watched = None

    def _check_reader_gone(self) -> None:
        assert self._watched is not None
        poller = select.poll()
        poller.register(self._watched, select.POLLOUT)
        if any(events & select.POLLERR for _, events in poller.poll(0)):
            self.stop_watching()
            if not self.closed:
                self._pipe_closed()

    def _pipe_closed(self) -> None:
        self.closed = True
        # Python would report the broken pipe again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stdout.fileno())
        os.close(devnull)
        self._on_closed()
