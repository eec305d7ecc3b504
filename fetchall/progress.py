"""The progress line on stderr (contract §9): done/total, rate and failures, redrawn in place.

click's own progress bar wants a known length and owns the line; a fetch run often has no
total until its input ends, and result lines must be able to pass between redraws. So this is
one status line that the CLI clears before each result line it writes to the same terminal
and draws again after.
"""

from __future__ import annotations

import time
from typing import TextIO

from fetchall.models import Result

_REDRAW_EVERY = 0.1


class Progress:
    """A status line: ``[ 120/1000] 85.3/s  2 failed``, or a running count without a total."""

    def __init__(self, stream: TextIO, total: int | None = None, *, color: bool = False) -> None:
        self._stream = stream
        self._total = total
        self._color = color
        self._done = 0
        self._failed = 0
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._shown = False

    def add(self, result: Result) -> None:
        """Count a result; redraw at most ten times a second."""
        self._done += 1
        self._failed += result.failed
        now = time.monotonic()
        if now - self._drawn_at >= _REDRAW_EVERY:
            self.draw(now)

    def draw(self, now: float | None = None) -> None:
        """Write the status line over the previous one."""
        now = time.monotonic() if now is None else now
        self._drawn_at = now
        rate = self._done / max(now - self._started, 1e-9)
        done = f"{self._done}/{self._total}" if self._total is not None else f"{self._done} done"
        failed = f"{self._failed} failed"
        if self._color and self._failed:
            failed = f"\x1b[31m{failed}\x1b[0m"
        self._stream.write(f"\r\x1b[K[{done}] {rate:.1f}/s  {failed}")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Remove the status line so that another line can take its place."""
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False
