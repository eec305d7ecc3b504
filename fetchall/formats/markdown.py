"""``markdown``: a report for people reading a CI page or a pull request.

A heading with the counts and the time; a table of the failure groups (kind, status or check,
count), so the first screen says what went wrong; then each group's URLs with where they were
read (``path:line``), at most :data:`MAX_URLS_PER_GROUP` of them; then the jobs that passed
with a warning the same way, under a ⚠️ heading (the report's heading shows ⚠️ when there are
warnings and no failure); the URLs that passed folded inside a ``<details>`` element.
Cancelled jobs are counted in the heading, not listed. Every block ends with a blank line, so
that Markdown written after the report renders too.

GitHub drops a job summary of more than 1 MiB whole, so the report stays under its byte
budget (:data:`MAX_BYTES`, less what a step summary already holds): past that it lists fewer
URLs (every failure group keeps the same share, failures before passes) and says so; when not
even the group table fits, it is the heading and a sentence saying where the report is.

Text from the input or the network never changes the document's shape nor makes a link, HTML
or a mention: it is shown as code (:func:`~fetchall.shown.for_markdown`).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence

from fetchall.formats import FormatContext
from fetchall.formats.groups import ErrorGroup, ErrorGroups, WarningGroups
from fetchall.formats.text import human_size, human_time
from fetchall.models import ErrorKind, Mode, Result, Summary
from fetchall.shown import for_markdown, for_markdown_url

MAX_BYTES = 1_000_000
"""The report is always shorter than this, in UTF-8 bytes (GitHub's limit is 1 MiB)."""

MAX_URLS_PER_GROUP = 50
"""URLs listed per failure group, and passed URLs listed; the rest are counted."""

_MAX_MESSAGE_CHARS = 300
_NOTE_RESERVE = 300
"""Bytes kept aside for the sentence that says URLs were left out to fit."""


class MarkdownFormat:
    """Collects the failures and passes worth listing, writes the document at the end."""

    def __init__(self, mode: Mode, *, max_bytes: int = MAX_BYTES) -> None:
        """The report will be shorter than ``max_bytes`` (unless :meth:`end` is given less)."""
        self._mode = mode
        self._max_bytes = max_bytes
        # Never more entries than are listed: memory stays bounded on a run of any size.
        self._errors = ErrorGroups(keep_urls=MAX_URLS_PER_GROUP, keep_results=True)
        self._warnings = WarningGroups(keep_urls=MAX_URLS_PER_GROUP, keep_results=True)
        self._passed: list[Result] = []
        self._passed_count = 0

    def result(self, result: Result) -> str:
        """Nothing yet: the document is written whole at the end."""
        self._errors.add(result)
        self._warnings.add(result)
        if result.ok:
            self._passed_count += 1
            if len(self._passed) < MAX_URLS_PER_GROUP:
                self._passed.append(result)
        return ""

    def end(self, summary: Summary, *, max_bytes: int | None = None) -> str:
        """The whole report, shorter than ``max_bytes`` in UTF-8 (default: the formatter's);
        when not even the heading and the group table fit, the heading line and a sentence
        saying where the report is, or nothing when that does not fit either."""
        limit = self._max_bytes if max_bytes is None else max_bytes
        groups, warned = self._errors.groups(), self._warnings.groups()
        head = _heading(summary)
        table = self._race_note(summary, groups) + _table(groups)
        warnings_table = _WARNINGS_HEAD + _table(warned) if warned else ""
        budget = limit - 1 - _size(head + table + warnings_table) - _NOTE_RESERVE
        if budget < 0:
            return _no_room(head, limit)
        failures = [[_failure_entry(r) for r in _in_order(g.results)] for g in groups]
        warnings = [[_warning_entry(r) for r in _in_order(g.results)] for g in warned]
        passes = [_pass_entry(r) for r in _in_order(self._passed)]
        # Failures first, then warnings, then passes: each gets what the ones before left.
        shown = _failures_that_fit(groups, failures, budget)
        sections = "".join(_section(g, f[:shown]) for g, f in zip(groups, failures, strict=True))
        budget -= _size(sections)
        warned_shown = _failures_that_fit(warned, warnings, budget)
        warning_sections = "".join(
            _section(g, w[:warned_shown]) for g, w in zip(warned, warnings, strict=True)
        )
        listed = _passes_that_fit(self._passed_count, passes, budget - _size(warning_sections))
        details = _details(self._passed_count, passes[:listed])
        cut = (
            listed < len(passes)
            or any(shown < len(f) for f in failures)
            or any(warned_shown < len(w) for w in warnings)
        )
        note = _left_out_note(limit) if cut else ""
        return head + table + sections + warnings_table + warning_sections + note + details

    def _race_note(self, summary: Summary, groups: list[ErrorGroup]) -> str:
        # The text format hides a won race's failures; a report of the whole run lists them,
        # and says that they do not count against it.
        if self._mode is not Mode.FIRST or summary.ok == 0 or not groups:
            return ""
        return (
            "First success won the race: the failures below came before it"
            " and do not fail the run.\n\n"
        )


_WARNINGS_HEAD = "### ⚠️ Warnings\n\n"


def _heading(summary: Summary) -> str:
    mark = "✅" if summary.succeeded else "❌"
    if summary.warnings and not summary.failed:
        mark = "⚠️"
    warned = f" ({summary.warnings} with warnings)" if summary.warnings else ""
    return (
        f"## {mark} fetchall: {summary.ok} ok{warned}, {summary.failed} failed,"
        f" {summary.cancelled} cancelled in {summary.elapsed_s:.2f} s\n\n"
    )


def _no_room(head: str, limit: int) -> str:
    text = (
        head + "The report does not fit in what is left of this summary: the job's other"
        " outputs (its log, the json and junit reports) hold it.\n\n"
    )
    if _size(text) < limit:
        return text
    return head if _size(head) < limit else ""


def _in_order(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: r.index)


def _failure_entry(result: Result) -> str:
    entry = f"{for_markdown_url(result.url)} {for_markdown(result.source)}"
    # An http_status group's status already says what its message would.
    if result.error is not None and result.error.kind is not ErrorKind.HTTP_STATUS:
        # An invalid line's message starts with its source, which the entry shows already.
        message = result.error.message.removeprefix(f"{result.source} ")
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[:_MAX_MESSAGE_CHARS] + "…"
        entry += f": {for_markdown(message)}"
    return entry


def _warning_entry(result: Result) -> str:
    assert result.warnings is not None
    message = "; ".join(warning.message for warning in result.warnings)
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[:_MAX_MESSAGE_CHARS] + "…"
    return f"{for_markdown_url(result.url)} {for_markdown(result.source)}: {for_markdown(message)}"


def _pass_entry(result: Result) -> str:
    return (
        f"{for_markdown_url(result.url)} {for_markdown(result.source)}:"
        f" {'no response' if result.status is None else result.status},"
        f" {human_size(result.bytes)}, {human_time(result.elapsed_ms)}"
    )


def _more(count: int) -> str:
    return f"… and {count} more"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _detail(group: ErrorGroup, *, in_table: bool = False) -> str:
    # A status is fetchall's own; a check is text from the input.
    if not group.detail:
        return ""
    if group.status is not None:
        return group.detail
    return for_markdown(group.detail, in_table=in_table)


def _table(groups: list[ErrorGroup]) -> str:
    if not groups:
        return "No failures.\n\n"
    rows = "".join(
        f"| {g.kind.value} | {_detail(g, in_table=True)} | {g.count} |\n" for g in groups
    )
    return "| Kind | Status or check | Count |\n| --- | --- | ---: |\n" + rows + "\n"


def _section(group: ErrorGroup, entries: Sequence[str]) -> str:
    detail = _detail(group)
    lines = [f"- {entry}\n" for entry in entries]
    if group.count > len(entries):
        lines.append(f"- {_more(group.count - len(entries))}\n")
    return f"**{group.kind.value}**{' ' if detail else ''}{detail} ({group.count})\n\n" + (
        "".join(lines) + "\n"
    )


def _failures_that_fit(groups: list[ErrorGroup], failures: list[list[str]], budget: int) -> int:
    """The most URLs each group may list for the sections to fit in ``budget`` bytes."""
    costs = [list(itertools.accumulate((_size(e) + 3 for e in f), initial=0)) for f in failures]
    # Every section counted with its "… and N more", so the size only grows with the share.
    fixed = sum(_size(_section(g, [])) for g in groups) + len("- \n") * len(groups)

    def size(share: int) -> int:
        return fixed + sum(c[min(share, len(c) - 1)] for c in costs)

    low, high = 0, max((len(f) for f in failures), default=0)
    while low < high:
        middle = (low + high + 1) // 2
        if size(middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _passes_that_fit(count: int, passes: list[str], budget: int) -> int:
    """The most passed URLs the details may list in ``budget`` bytes."""
    costs = list(itertools.accumulate((_size(e) + 3 for e in passes), initial=0))
    room = budget - _size(_details(count, [])) - _size(f"- {_more(count)}\n")
    return max(0, bisect.bisect_right(costs, room) - 1)


def _details(count: int, entries: list[str]) -> str:
    if count == 0:
        return ""
    lines = [f"- {entry}\n" for entry in entries]
    if count > len(entries):
        lines.append(f"- {_more(count - len(entries))}\n")
    return f"<details><summary>{count} passed</summary>\n\n{''.join(lines)}\n</details>\n\n"


def _left_out_note(max_bytes: int) -> str:
    return (
        f"This report lists fewer URLs to stay under {max_bytes:,} bytes;"
        " the json and junit reports list every one.\n\n"
    )


def formatter(mode: Mode, context: FormatContext) -> MarkdownFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return MarkdownFormat(mode)
