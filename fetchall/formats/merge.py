"""``--merge``: combine the ``json`` or ``jsonl`` reports of shards into the report of one run.

Each job keeps the ``index`` it had in the whole input, so merged results line up in input
order whatever shard ran them. Every result stays as it was reported, its warnings included:
``--warn-on`` and ``--strict`` shape a run, not a merge.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fetchall.models import Mode, Result, Summary


class ReportError(ValueError):
    """A file that is not a fetchall ``json`` or ``jsonl`` report."""


@dataclass(frozen=True, slots=True)
class Merged:
    """The combined run: its results in input order and a summary recounted from them."""

    mode: Mode
    results: tuple[Result, ...]
    summary: Summary


def read_report(path: Path) -> tuple[Mode | None, float, list[Result]]:
    """The mode (json only), elapsed seconds (json only) and results of one report file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and "results" in document:
        return _json_report(path, document)
    results = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                results.append(_result(path, json.loads(line)))
            except json.JSONDecodeError:
                raise ReportError(f"{path}:{number}: not a json or jsonl report") from None
    return None, 0.0, results


def _json_report(path: Path, document: dict[str, Any]) -> tuple[Mode, float, list[Result]]:
    results, summary = document["results"], document.get("summary", {})
    if not isinstance(results, list) or not isinstance(summary, dict):
        raise ReportError(f"{path}: not a fetchall json report")
    try:
        mode = Mode(document.get("mode", Mode.INDEPENDENT))
        elapsed = float(summary.get("elapsed_s", 0.0))
    except (TypeError, ValueError):
        raise ReportError(f"{path}: not a fetchall json report (mode or summary)") from None
    return mode, elapsed, [_result(path, item) for item in results]


def _result(path: Path, item: Any) -> Result:
    if not isinstance(item, dict):
        raise ReportError(f"{path}: not a fetchall result: {str(item)[:60]!r}")
    try:
        return Result.from_dict(item)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"{path}: not a fetchall result: {exc!r}") from None


def merge(paths: Iterable[Path]) -> Merged:
    """Read every report and combine them; a job reported twice keeps its first result."""
    modes: set[Mode] = set()
    elapsed = 0.0
    by_index: dict[int, Result] = {}
    for path in paths:
        mode, seconds, results = read_report(path)
        if mode is not None:
            modes.add(mode)
        elapsed = max(elapsed, seconds)  # shards run side by side
        for result in results:
            by_index.setdefault(result.index, result)
    if len(modes) > 1:
        raise ReportError(f"reports of different modes: {', '.join(sorted(modes))}")
    mode = modes.pop() if modes else Mode.INDEPENDENT
    merged = tuple(by_index[index] for index in sorted(by_index))
    ok = sum(r.ok for r in merged)
    cancelled = sum(r.cancelled for r in merged)
    warned = sum(r.ok and r.warnings is not None for r in merged)
    summary = Summary(mode, ok, len(merged) - ok - cancelled, cancelled, elapsed, warned)
    return Merged(mode, merged, summary)
