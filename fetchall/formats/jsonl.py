"""``jsonl``: one JSON object per result, one per line, as results complete."""

from __future__ import annotations

import json

from fetchall.formats.base import shown_in_stream
from fetchall.models import Mode, Result, Summary


class JsonLinesFormat:
    """Nothing but result objects on stdout, so ``jq`` and friends can read it as it streams."""

    def __init__(self, mode: Mode) -> None:
        self._mode = mode

    def result(self, result: Result) -> str:
        """One line for a result the mode shows."""
        if not shown_in_stream(self._mode, result):
            return ""
        return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"

    def end(self, summary: Summary) -> str:
        """Nothing: the exit status says how the run went."""
        return ""
