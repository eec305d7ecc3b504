"""The interface every output format implements.

Formatters are pure: they turn results into text and never write. The CLI decides where the
text goes and when to flush. ``text`` and ``jsonl`` return a line per result as it arrives;
``json`` and ``junit`` keep what they need and return one document from :meth:`end`.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections.abc import Iterator
from typing import IO, Protocol

from fetchall.models import Mode, Result, Summary

LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""A line break in a message: the formats that can show several lines keep them."""


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
    every result as it comes. Past :data:`HELD_IN_MEMORY` failures, the held ones wait in a
    temporary file, so a long race that nobody wins does not grow with its input.
    """

    def __init__(self, mode: Mode) -> None:
        self._racing = mode is Mode.FIRST
        self._held: list[Result] = []
        self._spilled: IO[bytes] | None = None
        self._won = False

    def shown_on_arrival(self, result: Result) -> list[Result]:
        """The results to show as ``result`` arrives."""
        if not self._racing:
            return [result]
        if result.ok:
            self._won = True
            self._forget_held()  # never to be shown now
            return [result]
        if result.failed and not self._won:
            self._held.append(result)
            if len(self._held) >= HELD_IN_MEMORY:
                self._spill()
        return []

    def shown_at_end(self) -> Iterator[Result]:
        """The results still to show once the race is over, in the order they came."""
        if self._won:
            return iter(())
        return self._held_in_order()

    def _spill(self) -> None:
        if self._spilled is None:
            self._spilled = tempfile.TemporaryFile()  # noqa: SIM115 (closed in _forget_held)
        for result in self._held:
            pickle.dump(result, self._spilled, protocol=pickle.HIGHEST_PROTOCOL)
        self._held = []

    def _held_in_order(self) -> Iterator[Result]:
        if self._spilled is not None:
            self._spilled.seek(0)
            while True:
                try:
                    yield pickle.load(self._spilled)
                except EOFError:
                    break
        yield from self._held
        self._forget_held()

    def _forget_held(self) -> None:
        self._held = []
        if self._spilled is not None:
            self._spilled.close()
            self._spilled = None


HELD_IN_MEMORY = 1000
"""Held failures kept as objects before the rest go to a temporary file."""
