"""``jsonl``: one JSON object per result, one per line, as results complete."""

from __future__ import annotations

import json

from fetchall.formats.base import RaceFilter
from fetchall.models import Mode, Result, Summary


class JsonLinesFormat:
    """Nothing but result objects on stdout, so ``jq`` and friends can read it as it streams."""

    def __init__(self, mode: Mode) -> None:
        self._filter = RaceFilter(mode) if mode is Mode.FIRST else None

    def result(self, result: Result) -> str:
        """One line per result the mode shows now (cancelled jobs included)."""
        if self._filter is None:  # every result shows as it comes: once per result, kept short
            return _line(result)
        return "".join(_line(shown) for shown in self._filter.shown_on_arrival(result))

    def end(self, summary: Summary) -> str:
        """A lost race's failures; otherwise nothing (the exit status says how it went)."""
        if self._filter is None:
            return ""
        return "".join(_line(shown) for shown in self._filter.shown_at_end())


# json.dumps builds an encoder on every call with these options; one made once does the same.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _line(result: Result) -> str:
    return _encode(result.to_dict()) + "\n"
