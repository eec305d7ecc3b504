"""``json``: one document at the end with the mode, the summary, every result, the errors and
the warnings (grouped as the errors are)."""

from __future__ import annotations

import json

from fetchall.formats import FormatContext
from fetchall.formats.groups import ErrorGroups, WarningGroups
from fetchall.models import Mode, Result, Summary
from fetchall.shown import for_json


class JsonFormat:
    """Every job's result in input order, and the failures grouped by kind."""

    def __init__(self, mode: Mode) -> None:
        self._mode = mode
        self._results: list[Result] = []
        self._errors = ErrorGroups()
        self._warnings = WarningGroups()

    def result(self, result: Result) -> str:
        """Nothing yet: the document is written whole at the end."""
        self._results.append(result)
        self._errors.add(result)
        self._warnings.add(result)
        return ""

    def end(self, summary: Summary) -> str:
        """The whole report as one JSON document."""
        document = {
            "mode": self._mode.value,
            "summary": summary.to_dict(),
            "results": [r.to_dict() for r in sorted(self._results, key=lambda r: r.index)],
            "errors": [group.to_dict() for group in self._errors.groups()],
            "warnings": [group.to_dict() for group in self._warnings.groups()],
        }
        return for_json(json.dumps(document, ensure_ascii=False, indent=2)) + "\n"


def formatter(mode: Mode, context: FormatContext) -> JsonFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return JsonFormat(mode)
