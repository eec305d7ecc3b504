"""``text``: a line per result as it completes, then the grouped errors and a summary line.

ok    200   1.2 KiB    35 ms  https://example.com/
FAIL  404   0 B        12 ms  https://example.com/missing
FAIL  timeout  timed out after 30.0 s  https://slow.example/
WARN  expectation  warn:time<800ms: took 1.21 s  https://example.com/slow
"""

from __future__ import annotations

from collections.abc import Iterable

from fetchall.formats import FormatContext
from fetchall.formats.base import RaceFilter
from fetchall.formats.groups import ErrorGroup, ErrorGroups, WarningGroups
from fetchall.models import ErrorKind, Mode, Result, Summary
from fetchall.shown import for_terminal, for_terminal_url

MAX_URLS_PER_GROUP = 10

_GREEN, _RED, _DIM, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[2m", "\x1b[0m"
_YELLOW = "\x1b[33m"


def human_size(size: int) -> str:
    """``0 B``, ``512 B``, ``1.2 KiB``, ``3.4 MiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_time(ms: int) -> str:
    """``35 ms`` under a second, ``1.2 s`` above."""
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


class TextFormat:
    """For people: aligned result lines, failures grouped by kind, one summary line."""

    def __init__(self, mode: Mode, *, quiet: bool = False, color: bool = False) -> None:
        self._quiet = quiet
        self._color = color
        self._errors = ErrorGroups(keep_urls=MAX_URLS_PER_GROUP)
        self._warnings = WarningGroups(keep_urls=MAX_URLS_PER_GROUP)
        self._filter = RaceFilter(mode)

    def result(self, result: Result) -> str:
        """The line for ``result``, or nothing for the results this mode does not show."""
        self._errors.add(result)
        self._warnings.add(result)
        return self._lines(self._filter.shown_on_arrival(result))

    def end(self, summary: Summary) -> str:
        """The grouped error report, the grouped warnings, then the summary line."""
        held = self._lines(self._filter.shown_at_end())
        return held + error_report(
            self._errors, summary, color=self._color, warnings=self._warnings
        )

    def _lines(self, results: Iterable[Result]) -> str:
        # Cancelled jobs get no line of their own in text: the summary counts them. A warning
        # is worth reading even under -q, which drops only the plain ok lines.
        return "".join(
            self._line(result) + "\n"
            for result in results
            if not result.cancelled and not (self._quiet and result.ok and result.warnings is None)
        )

    def _line(self, result: Result) -> str:
        if result.warnings is not None:
            return self._warn_line(result)
        # A status says it all for ok and http_status lines; any other failure (too_large and
        # expectation come with a status too) shows its kind and message.
        error = result.error
        if error is None or (result.status is not None and error.kind is ErrorKind.HTTP_STATUS):
            word = self._paint("ok   ", _GREEN) if result.ok else self._paint("FAIL ", _RED)
            return (
                f"{word} {result.status!s:<5} {human_size(result.bytes):<10}"
                f" {human_time(result.elapsed_ms):>7}  {for_terminal_url(result.url)}"
            )
        word = self._paint("FAIL ", _RED)
        # The message may quote a server (a reason phrase) or an input line.
        message = for_terminal(error.message)
        return f"{word} {error.kind.value}  {message}  {for_terminal_url(result.url)}"

    def _warn_line(self, result: Result) -> str:
        """``WARN  <status or kind>  <messages>  URL``, by the first warning."""
        assert result.warnings is not None
        first = result.warnings[0]
        shown = result.status if first.kind is ErrorKind.HTTP_STATUS else first.kind.value
        message = for_terminal("; ".join(warning.message for warning in result.warnings))
        return f"{self._paint('WARN ', _YELLOW)} {shown}  {message}  {for_terminal_url(result.url)}"

    def _paint(self, text: str, color: str) -> str:
        return _paint(text, color) if self._color else text


def error_report(
    errors: ErrorGroups,
    summary: Summary,
    *,
    color: bool = False,
    warnings: WarningGroups | None = None,
) -> str:
    """The end of a text report: the failures grouped by kind, then the warnings grouped the
    same way, at most :data:`MAX_URLS_PER_GROUP` URLs each (give groups that bound), then the
    summary line.

    Other formats that end the way ``text`` does (``github``) call this rather than copy it.
    """
    lines: list[str] = []
    # A race that was won reports its winner; the losers' failures are not the outcome.
    won_race = summary.mode is Mode.FIRST and summary.ok > 0
    _grouped(lines, "errors:", [] if won_race else errors.groups(), _RED if color else None)
    if warnings is not None:
        _grouped(lines, "warnings:", warnings.groups(), _YELLOW if color else None)
    lines.append(summary_line(summary))
    return "\n".join(lines) + "\n"


def summary_line(summary: Summary) -> str:
    """``7 ok (2 with warnings), 1 failed, 0 cancelled in 1.23 s``; without warnings, no
    parenthesis."""
    warned = f" ({summary.warnings} with warnings)" if summary.warnings else ""
    return (
        f"{summary.ok} ok{warned}, {summary.failed} failed, {summary.cancelled} cancelled"
        f" in {summary.elapsed_s:.2f} s"
    )


def _grouped(lines: list[str], title: str, groups: list[ErrorGroup], color: str | None) -> None:
    if not groups:
        return
    lines.append(title if color is None else _paint(title, color))
    for group in groups:
        # A group's check is text from the input.
        lines.append(f"  {for_terminal(group.label)} ({group.count})")
        lines.extend(f"    {for_terminal_url(url)}" for url in group.urls)
        if group.count > len(group.urls):
            lines.append(f"    … and {group.count - len(group.urls)} more")


def _paint(text: str, color: str) -> str:
    return f"{color}{text}{_RESET}"


def formatter(mode: Mode, context: FormatContext) -> TextFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return TextFormat(mode, quiet=context.quiet, color=context.color)
