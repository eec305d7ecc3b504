"""``markdown``: a report for people reading a CI page or a pull request.

A heading with the counts and the time; a table of the failures grouped by kind, each with its
URLs and where they were read (``path:line``); the URLs that passed folded inside a
``<details>`` element. Cancelled jobs are counted in the heading, not listed.

GitHub drops a job summary of more than 1 MiB whole, so the report stays under
:data:`MAX_BYTES`: past that it lists fewer URLs (every failure group keeps the same share,
failures before passes) and says how many it left out.

Text from the input or the network never changes the document's shape: URLs and paths are
shown as code, and messages have every character Markdown or HTML would read escaped.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence

from fetchall.formats import FormatContext
from fetchall.formats.base import LINE_BREAK, printable_lines
from fetchall.formats.groups import ErrorGroup, ErrorGroups, WarningGroups
from fetchall.formats.text import human_size, human_time
from fetchall.models import ErrorKind, Mode, Result, Summary
from fetchall.shown import printable

MAX_BYTES = 1_000_000
"""The report is always shorter than this, in UTF-8 bytes (GitHub's limit is 1 MiB)."""

_MAX_MESSAGE_CHARS = 300
_SMALLEST_ENTRY = 10
"""Bytes of the shortest listed URL with its source; bounds how many are worth keeping."""
_NOTE_RESERVE = 300
"""Bytes kept aside for the sentence that says how many URLs were left out."""
_BREAK = "<br>"

# Characters with a meaning in GitHub Markdown text: a backslash makes each one literal.
# ``<``, ``>`` and ``&`` become entities instead. ``$`` would start a formula; ``://``, ``@`` and
# ``www.`` would start a link, whose text GitHub shows with the backslashes in it.
_SIGNIFICANT = re.compile(r"([\\`*_\[\]~|#!$@]|:(?=//)|(?<=www)\.)", re.IGNORECASE)
_BACKTICKS = re.compile(r"`+")


class MarkdownFormat:
    """Collects the failures and passes worth listing, writes the document at the end."""

    def __init__(self, mode: Mode, *, max_bytes: int = MAX_BYTES) -> None:
        """The report will be shorter than ``max_bytes``, provided they hold its heading and
        a row per failure group (a few dozen kilobytes at the very most)."""
        self._mode = mode
        self._max_bytes = max_bytes
        # Never more entries than could fit: memory stays bounded on a run of any size.
        self._keep = max_bytes // _SMALLEST_ENTRY
        self._errors = ErrorGroups(keep_urls=self._keep, keep_results=True)
        self._warnings = WarningGroups(keep_urls=self._keep, keep_results=True)
        self._passed: list[Result] = []
        self._passed_count = 0

    def result(self, result: Result) -> str:
        """Nothing yet: the document is written whole at the end."""
        self._errors.add(result)
        self._warnings.add(result)
        if result.ok:
            self._passed_count += 1
            if len(self._passed) < self._keep:
                self._passed.append(result)
        return ""

    def end(self, summary: Summary) -> str:
        """The whole report, shorter than ``max_bytes`` in UTF-8."""
        groups = self._errors.groups()
        failures = [[_failure_entry(r) for r in _in_order(g.results)] for g in groups]
        warned = self._warnings.groups()
        warnings = [[_warning_entry(r) for r in _in_order(g.results)] for g in warned]
        passes = [_pass_entry(r) for r in _in_order(self._passed)]
        head = _heading(summary) + self._race_note(summary, groups)
        budget = self._max_bytes - 1 - _size(head) - _NOTE_RESERVE
        shown = _failures_that_fit(groups, failures, budget)
        table = _table(groups, failures, shown)
        budget -= _size(table)
        warned_shown = _failures_that_fit(warned, warnings, budget, _WARNINGS_HEAD)
        warning_table = _table(warned, warnings, warned_shown, _WARNINGS_HEAD) if warned else ""
        listed = _passes_that_fit(self._passed_count, passes, budget - _size(warning_table))
        details = _details(self._passed_count, passes[:listed])
        failed_out = _left_out(groups, failures, shown)
        warned_out = _left_out(warned, warnings, warned_shown)
        note = _left_out_note(failed_out, self._passed_count - listed, self._max_bytes, warned_out)
        return head + table + warning_table + note + details

    def _race_note(self, summary: Summary, groups: list[ErrorGroup]) -> str:
        # The text format hides a won race's failures; a report of the whole run lists them,
        # and says that they do not count against it.
        if self._mode is not Mode.FIRST or summary.ok == 0 or not groups:
            return ""
        return (
            "First success won the race: the failures below came before it"
            " and do not fail the run.\n\n"
        )


def markdown_text(text: str) -> str:
    """``text`` as Markdown that shows it as it is, on one line (line breaks become ``<br>``)."""
    lines = LINE_BREAK.split(printable_lines(text))
    return _BREAK.join(_escape_line(line) for line in lines)


def markdown_url(url: str, *, in_table: bool = False) -> str:
    """``url`` as a Markdown code span, which shows it as it is, with no link or formatting.

    In a table cell a ``|`` must be written ``\\|`` even inside a code span, and GitHub then
    has no way to show a backslash right before a ``|``: in such a URL the pipes are shown
    percent-encoded (``%7C``), which a URL may always do.
    """
    url = printable(url)
    if not url:
        return "` `"
    if in_table:
        url = url.replace("|", "%7C" if "\\|" in url else "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(url)), default=0) + 1)
    # One space inside each fence is dropped by the reader; it lets the text start or end
    # with a backtick or a space.
    pad = " " if url[0] in "` " or url[-1] in "` " else ""
    return f"{fence}{pad}{url}{pad}{fence}"


def _escape_line(line: str) -> str:
    line = _SIGNIFICANT.sub(r"\\\1", line)
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _heading(summary: Summary) -> str:
    mark = "✅" if summary.succeeded else "❌"
    if summary.warnings and not summary.failed:
        mark = "⚠️"
    warned = f" ({summary.warnings} with warnings)" if summary.warnings else ""
    return (
        f"## {mark} fetchall: {summary.ok} ok{warned}, {summary.failed} failed,"
        f" {summary.cancelled} cancelled in {summary.elapsed_s:.2f} s\n\n"
    )


def _in_order(results: list[Result]) -> list[Result]:
    return sorted(results, key=lambda r: r.index)


def _failure_entry(result: Result) -> str:
    entry = f"{markdown_url(result.url, in_table=True)} {markdown_text(result.source)}"
    # An http_status group's status already says what its message would.
    if result.error is not None and result.error.kind is not ErrorKind.HTTP_STATUS:
        # An invalid line's message starts with its source, which the entry shows already.
        message = result.error.message.removeprefix(f"{result.source} ")
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[:_MAX_MESSAGE_CHARS] + "…"
        entry += f": {markdown_text(message)}"
    return entry


def _warning_entry(result: Result) -> str:
    assert result.warnings is not None
    message = "; ".join(warning.message for warning in result.warnings)
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[:_MAX_MESSAGE_CHARS] + "…"
    return f"{markdown_url(result.url, in_table=True)} {markdown_text(result.source)}: " + (
        markdown_text(message)
    )


def _left_out(groups: list[ErrorGroup], entries: list[list[str]], shown: int) -> int:
    return sum(g.count - min(shown, len(e)) for g, e in zip(groups, entries, strict=True))


def _pass_entry(result: Result) -> str:
    return (
        f"{markdown_url(result.url)} {markdown_text(result.source)}:"
        f" {'no response' if result.status is None else result.status},"
        f" {human_size(result.bytes)}, {human_time(result.elapsed_ms)}"
    )


def _more(count: int) -> str:
    return f"… and {count} more"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _row(group: ErrorGroup, entries: Sequence[str]) -> str:
    cells = list(entries)
    if group.count > len(cells):
        cells.append(_more(group.count - len(cells)))
    detail = markdown_text(group.detail)
    return f"| {group.kind.value} | {detail} | {group.count} | {_BREAK.join(cells)} |\n"


_TABLE_HEAD = "| Kind | Status or check | Count | URLs |\n| --- | --- | ---: | --- |\n"
_WARNINGS_HEAD = "### ⚠️ Warnings\n\n" + _TABLE_HEAD


def _table(
    groups: list[ErrorGroup], failures: list[list[str]], shown: int, head: str = _TABLE_HEAD
) -> str:
    if not groups:
        return "No failures.\n\n"
    rows = "".join(_row(g, f[:shown]) for g, f in zip(groups, failures, strict=True))
    return head + rows + "\n"


def _failures_that_fit(
    groups: list[ErrorGroup], failures: list[list[str]], budget: int, head: str = _TABLE_HEAD
) -> int:
    """The most URLs each group may list for the table to fit in ``budget`` bytes."""
    costs = [
        list(itertools.accumulate((_size(e) + len(_BREAK) for e in f), initial=0)) for f in failures
    ]
    # Every row counted with its "… and N more", so the size only grows with the share.
    fixed = _size(_table(groups, [[] for _ in groups], 0, head)) + len(_BREAK) * len(groups)

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
    return f"<details><summary>{count} passed</summary>\n\n{''.join(lines)}\n</details>\n"


def _left_out_note(failures: int, passes: int, max_bytes: int, warned: int = 0) -> str:
    if failures == passes == warned == 0:
        return ""
    with_warnings = f", {warned} with warnings" if warned else ""
    return (
        f"This report leaves out {failures} failed{with_warnings} and {passes} passed URLs"
        " to stay under"
        f" {max_bytes:,} bytes; the json and junit reports list every one.\n\n"
    )


def formatter(mode: Mode, context: FormatContext) -> MarkdownFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return MarkdownFormat(mode)
