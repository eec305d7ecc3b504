"""The interface every output format implements.

Formatters are pure: they turn results into text and never write. The CLI decides where the
text goes and when to flush. ``text`` and ``jsonl`` return a line per result as it arrives;
``json`` and ``junit`` keep what they need and return one document from :meth:`end`.
"""

from __future__ import annotations

import re
from typing import Protocol

from fetchall.models import Mode, Result, Summary
from fetchall.shown import printable

LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""A line break in a message: the formats that can show several lines keep them."""
_LINE_BREAK_KEPT = re.compile(r"(\r\n|\r|\n)")


class Formatter(Protocol):
    """Turns a run's results into output text."""

    def result(self, result: Result) -> str:
        """Text to write now for ``result``; empty when nothing is shown for it yet."""

    def end(self, summary: Summary) -> str:
        """Text to write once the run is over."""


class RaceFilter:
    """What a line-per-result format (``text``, ``jsonl``) shows of a ``first``-mode race.

    The winner is the only line: the losers are the race's cost, not its outcome. Failures
    are held back until the race ends, and shown only when nobody won. Other modes show
    every result as it comes.
    """

    def __init__(self, mode: Mode) -> None:
        self._racing = mode is Mode.FIRST
        self._held: list[Result] = []
        self._won = False

    def shown_on_arrival(self, result: Result) -> list[Result]:
        """The results to show as ``result`` arrives."""
        if not self._racing:
            return [result]
        if result.ok:
            self._won = True
            return [result]
        if result.failed:
            self._held.append(result)
        return []

    def shown_at_end(self) -> list[Result]:
        """The results still to show once the race is over."""
        held, self._held = self._held, []
        return [] if self._won else held


def printable_lines(text: str) -> str:
    """``text`` made printable line by line, its line breaks (CR, LF, CRLF) kept as they are."""
    parts = _LINE_BREAK_KEPT.split(text)  # the breaks at the odd places
    return "".join(part if place % 2 else printable(part) for place, part in enumerate(parts))
