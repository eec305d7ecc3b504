"""The interface every output format implements.

Formatters are pure: they turn results into text and never write. The CLI decides where the
text goes and when to flush. ``text`` and ``jsonl`` return a line per result as it arrives;
``json`` and ``junit`` keep what they need and return one document from :meth:`end`.
"""

from __future__ import annotations

from typing import Protocol

from fetchall.models import Mode, Result, Summary


class Formatter(Protocol):
    """Turns a run's results into output text."""

    def result(self, result: Result) -> str:
        """Text to write now for ``result``; empty when nothing is shown for it yet."""

    def end(self, summary: Summary) -> str:
        """Text to write once the run is over."""


def shown_in_stream(mode: Mode, result: Result) -> bool:
    """Whether a line-per-result format shows ``result``.

    Cancelled jobs have no line of their own (the summary counts them), and in ``first`` mode
    the winner is the only line: the race's losers are its cost, not its outcome.
    """
    if result.cancelled:
        return False
    return result.ok or mode is not Mode.FIRST
