"""The progress line on stderr: done/total with a percentage and the time left, the rate and
the failures, redrawn in place.

click's own progress bar wants a known length and owns the line; a fetch run often learns its
total only while it goes (a file is counted beside the run, a pipe is known at its end), and
result lines must be able to pass between redraws. So this is one status line that the CLI
clears before each result line it writes to the same terminal and draws again after.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from fetchall.models import Result

if TYPE_CHECKING:
    import asyncio

_REDRAW_EVERY = 0.1
"""Seconds between two drawings of the line as results come, at least."""
_REFRESH_EVERY = 0.25
"""Seconds between drawings while no result comes, so that a total just found shows."""


def _unknown() -> int | None:
    return None


class Progress:
    """A status line: ``[120/1000 12%] 85.3/s  2 failed  ETA 11s``, or ``[120 done] …`` while
    the total is not known; ``1 warned`` follows the failures once a job has a warning.

    ``total`` is asked at each drawing; it answers None while the total is not known.
    """

    def __init__(
        self,
        stream: TextIO,
        total: Callable[[], int | None] = _unknown,
        *,
        color: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._total = total
        self._color = color
        self._clock = clock
        self._done = 0
        self._failed = 0
        self._warned = 0
        self._started = clock()
        self._drawn_at = -math.inf
        self._shown = False
        self._refresh: asyncio.TimerHandle | None = None

    def add(self, result: Result) -> None:
        """Count a result; redraw at most ten times a second."""
        self._done += 1
        self._failed += result.failed
        self._warned += result.warnings is not None
        now = self._clock()
        if now - self._drawn_at >= _REDRAW_EVERY:
            self.draw(now)

    def text(self, now: float | None = None) -> str:
        """The status line, without the codes that draw it."""
        now = self._clock() if now is None else now
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        failed = f"{self._failed} failed"
        if self._color and self._failed:
            failed = f"\x1b[31m{failed}\x1b[0m"
        if self._warned:  # only once there is one: a run without warnings reads as before
            warned = f"{self._warned} warned"
            failed += f"  \x1b[33m{warned}\x1b[0m" if self._color else f"  {warned}"
        total = self._total()
        if total is None:
            return f"[{self._done} done] {rate:.1f}/s  {failed}"
        share = min(self._done * 100 // total, 100) if total else 100
        line = f"[{self._done}/{total} {share}%] {rate:.1f}/s  {failed}"
        if 0 < self._done < total:
            line += f"  ETA {_duration((total - self._done) * elapsed / self._done)}"
        return line

    def draw(self, now: float | None = None) -> None:
        """Write the status line over the previous one."""
        now = self._clock() if now is None else now
        self._drawn_at = now
        self._stream.write(f"\r\x1b[K{self.text(now)}")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Remove the status line so that another line can take its place."""
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False

    def refresh_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Redraw on ``loop`` now and then while no result comes, until :meth:`stop`."""
        self._refresh = loop.call_later(_REFRESH_EVERY, self._refreshed, loop)

    def stop(self) -> None:
        """No more redraws but those asked for."""
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    def _refreshed(self, loop: asyncio.AbstractEventLoop) -> None:
        now = self._clock()
        if now - self._drawn_at >= _REFRESH_EVERY:
            self.draw(now)
        self.refresh_on(loop)


def _duration(seconds: float) -> str:
    """``8s``, ``3m05s``, ``2h07m``: rounded up, so that 0s never shows while work is left."""
    whole = math.ceil(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
