"""``jsonl``: one JSON object per result, one per line, as results complete."""

from __future__ import annotations

import json

from fetchall.formats.base import RaceFilter
from fetchall.models import Mode, Result, Summary


class JsonLinesFormat:
    """Nothing but result objects on stdout, so ``jq`` and friends can read it as it streams."""

    def __init__(self, mode: Mode) -> None:
        self._filter = RaceFilter(mode)

    def result(self, result: Result) -> str:
        """One line per result the mode shows now (cancelled jobs included)."""
        return "".join(_line(shown) for shown in self._filter.shown_on_arrival(result))

    def end(self, summary: Summary) -> str:
        """A lost race's failures; otherwise nothing (the exit status says how it went)."""
        return "".join(_line(shown) for shown in self._filter.shown_at_end())


def _line(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"
