"""``github``: for GitHub Actions, failures as annotations on the lines of the URL files.

Standard output gets one ``::error`` workflow command per failure, at most
:data:`MAX_ANNOTATIONS` (GitHub shows no more than ten error annotations of a step), then a
``::notice::`` saying how many more failures the job summary holds, then the grouped error
report and summary line of the ``text`` format. A job that succeeded with a warning gets a
``::warning`` line, ten at most counted apart from the errors, then its own ``::notice::``::

    ::error file=urls.txt,line=3,title=fetchall 404::HTTP 404 Not Found https://example.com/x
    ::error title=fetchall timeout::timed out after 30.0 s https://slow.example/
    errors:
      http_status 404 (1)
        https://example.com/x
      timeout (1)
        https://slow.example/
    3 ok, 2 failed, 0 cancelled in 1.23 s

A failure is annotated when the ``text`` format would show its line: in ``first`` mode, only
when no job succeeded (the failures before a winner are the race's cost, not its outcome).

The formatter reads no environment: the CLI hands it the workspace (``GITHUB_WORKSPACE``) and
its working directory, appends :meth:`GitHubFormat.step_summary` to ``GITHUB_STEP_SUMMARY``
and :func:`github_outputs` to ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

from collections.abc import Iterable

from fetchall.formats import FormatContext
from fetchall.formats.base import RaceFilter
from fetchall.formats.groups import ErrorGroups, WarningGroups
from fetchall.formats.markdown import MAX_BYTES, MarkdownFormat
from fetchall.formats.sources import Origin, parse_source, workspace_path
from fetchall.formats.text import MAX_URLS_PER_GROUP, error_report
from fetchall.models import ErrorKind, Mode, Result, Summary
from fetchall.shown import (
    escape_command_data,
    escape_command_property,
    for_command_message,
    for_command_property,
    for_terminal_url,
)

escape_data = escape_command_data
"""fetchall's own text as a workflow command's message (``escapeData``)."""
escape_property = escape_command_property
"""fetchall's own text as a workflow command's property (``escapeProperty``)."""

MAX_ANNOTATIONS = 10
"""Error annotations written; GitHub drops those past ten in one step."""


def workflow_command(command: str, message: str, properties: dict[str, str]) -> str:
    """One workflow command line, ``::command key=value,key=value::message``, of values
    already escaped: :func:`~fetchall.shown.for_command_message` and
    :func:`~fetchall.shown.for_command_property` for outside text, :func:`escape_data` and
    :func:`escape_property` for fetchall's own."""
    listed = ",".join(f"{key}={value}" for key, value in properties.items())
    return f"::{command}{' ' if listed else ''}{listed}::{message}\n"


def github_outputs(summary: Summary) -> str:
    """The lines to append to the file ``GITHUB_OUTPUT`` names, for later steps to read as
    ``steps.<id>.outputs.failed`` and so on."""
    return (
        f"ok={summary.ok}\nfailed={summary.failed}\n"
        f"cancelled={summary.cancelled}\ntotal={summary.total}\n"
        f"warnings={summary.warnings}\n"
    )


class GitHubFormat:
    """Annotations as failures arrive; the error report and summary line at the end."""

    def __init__(
        self,
        mode: Mode,
        *,
        workspace: str | None = None,
        cwd: str | None = None,
        color: bool = False,
    ) -> None:
        """``workspace`` is the checkout the annotations' paths are made relative to (None:
        paths as given); ``cwd`` is the directory relative paths were given from (None: the
        workspace, a job's default working directory)."""
        self._workspace = workspace
        self._cwd = cwd
        self._color = color
        self._filter = RaceFilter(mode)
        self._errors = ErrorGroups(keep_urls=MAX_URLS_PER_GROUP)
        self._warnings = WarningGroups(keep_urls=MAX_URLS_PER_GROUP)
        self._summary = MarkdownFormat(mode)
        # Errors and warnings each get their ten: a page of warnings hides no failure.
        self._annotated = {"error": 0, "warning": 0}
        self._not_annotated = {"error": 0, "warning": 0}

    def result(self, result: Result) -> str:
        """An ``::error`` line for a failure this mode shows now, or a ``::warning`` line for
        a success with a warning, while fewer than ten of its command are out."""
        self._errors.add(result)
        self._warnings.add(result)
        self._summary.result(result)
        return self._annotate(self._filter.shown_on_arrival(result))

    def end(self, summary: Summary) -> str:
        """A lost race's annotations, the notices of the failures and warnings left
        unannotated, then the grouped error and warning report and the summary line."""
        lines = self._annotate(self._filter.shown_at_end())
        for command, one, many in (
            ("error", "failure", "failures"),
            ("warning", "warning", "warnings"),
        ):
            if more := self._not_annotated[command]:
                lines += workflow_command(
                    "notice",
                    escape_data(
                        f"fetchall: {more} more {one if more == 1 else many} not annotated"
                        f" (at most {MAX_ANNOTATIONS} are); the job summary lists them"
                    ),
                    {},
                )
        # Every outside text in the report is inert already (the text format's lines).
        report = error_report(self._errors, summary, color=self._color, warnings=self._warnings)
        return lines + report

    def step_summary(self, summary: Summary, *, max_bytes: int = MAX_BYTES) -> str:
        """The markdown report of the run, for the file ``GITHUB_STEP_SUMMARY`` names, in
        fewer than ``max_bytes`` (the room that file has left)."""
        return self._summary.end(summary, max_bytes=max_bytes)

    def annotation(self, result: Result) -> str:
        """The ``::error`` line for one failure, the ``::warning`` line for one success with a
        warning (by its first warning, every warning's message in it)."""
        if result.warnings is not None:
            first = result.warnings[0]
            message = "; ".join(warning.message for warning in result.warnings)
            return self._command("warning", result, first.kind, message)
        assert result.error is not None
        return self._command("error", result, result.error.kind, result.error.message)

    def _command(self, command: str, result: Result, kind: ErrorKind, message: str) -> str:
        properties: dict[str, str] = {}
        where = parse_source(result.source)
        if where.origin is Origin.FILE:
            assert where.path is not None
            path = workspace_path(where.path, self._workspace, self._cwd)
            properties["file"] = for_command_property(path)
            properties["line"] = str(where.line)
        http_status = kind is ErrorKind.HTTP_STATUS and result.status is not None
        shown_kind = result.status if http_status else kind.value
        properties["title"] = escape_property(f"fetchall {shown_kind}")
        message = for_command_message(f"{message} {for_terminal_url(result.url)}")
        return workflow_command(command, message, properties)

    def _annotate(self, shown: Iterable[Result]) -> str:
        lines = ""
        for result in shown:
            if result.warnings is not None:
                command = "warning"
            elif result.failed:
                command = "error"
            else:
                continue
            if self._annotated[command] < MAX_ANNOTATIONS:
                self._annotated[command] += 1
                lines += self.annotation(result)
            else:
                self._not_annotated[command] += 1
        return lines


def formatter(mode: Mode, context: FormatContext) -> GitHubFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return GitHubFormat(mode, workspace=context.workspace, cwd=context.cwd, color=context.color)
