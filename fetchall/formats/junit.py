"""``junit``: a JUnit XML report, the format CI systems show as test results.

One ``testsuite`` named ``fetchall``, one ``testcase`` per job named by its URL; a failure is a
``failure`` element whose ``type`` is the error kind, a cancelled job is ``skipped``; a job that
passed with warnings passes, and its ``system-out`` holds a ``warning: MESSAGE`` line for each. The
informal schema CI tools follow is the one Jenkins and testmo.com document (testmoapp/junitxml).

Each testcase points at the line it came from, in the attributes the CI readers use:

- ``classname`` is the file's path as given (``stdin`` for standard input, ``arguments`` for
  URLs given as arguments, ``items`` for an iterable handed to the library). GitLab shows it as
  the test's suite.
- ``file`` and ``line`` (for a job read from a file) are where mikepenz/action-junit-report
  puts its annotation; GitLab shows ``file`` and ignores ``line``.
- ``name`` is the URL, unique within the suite: a URL that occurs more than once gets
  `` [source]`` after it, every time. GitLab keeps only one testcase per classname and name,
  and the action takes repeated names for retries of one test.
- The ``failure`` text starts with the message and holds the details: GitLab shows the text
  only, the action shows the ``message`` attribute and keeps the text as raw details.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from fetchall.formats import FormatContext
from fetchall.formats.sources import Origin, parse_source, workspace_path
from fetchall.models import Mode, Result, Summary
from fetchall.shown import for_terminal_url, for_xml


class JUnitFormat:
    """Collects results, writes the XML document at the end."""

    def __init__(self, mode: Mode, *, workspace: str | None = None, cwd: str | None = None) -> None:
        """``workspace`` is the checkout that files' paths are made relative to, as the
        annotations' are (None: paths as given); ``cwd`` is where relative paths were given
        from (None: the workspace)."""
        self._mode = mode
        self._workspace = workspace
        self._cwd = cwd
        self._results: list[Result] = []

    def result(self, result: Result) -> str:
        """Nothing yet: the document is written whole at the end."""
        self._results.append(result)
        return ""

    def end(self, summary: Summary) -> str:
        """The report as an XML document."""
        # A won race passed: a CI page must not show it red. The failures before the winner
        # are skipped, saying why they lost.
        won_race = self._mode is Mode.FIRST and summary.ok > 0
        results = sorted(self._results, key=lambda r: r.index)
        lost = summary.failed if won_race else 0
        suite = ET.Element(
            "testsuite",
            name="fetchall",
            tests=str(summary.total),
            failures=str(summary.failed - lost),
            errors="0",
            skipped=str(summary.cancelled + lost),
            time=f"{summary.elapsed_s:.3f}",
        )
        for result, name in zip(results, testcase_names(results), strict=True):
            where = parse_source(result.source)
            group = where.group
            if where.origin is Origin.FILE:
                assert where.path is not None
                group = workspace_path(where.path, self._workspace, self._cwd)
            case = ET.SubElement(suite, "testcase", name=name, classname=for_xml(group))
            if where.origin is Origin.FILE:
                case.set("file", for_xml(group))
                case.set("line", str(where.line))
            case.set("time", f"{result.elapsed_ms / 1000:.3f}")
            if result.warnings is not None:  # a pass, with what to look at beside it
                ET.SubElement(case, "system-out").text = warning_text(result)
            if result.error is None:
                continue
            message = for_xml(result.error.message)
            if result.cancelled:
                ET.SubElement(case, "skipped", message=message).text = message
                continue
            if won_race:
                why = f"lost the race to the first success: {result.error.kind.value}: {message}"
                skipped = ET.SubElement(case, "skipped", message=why)
                skipped.text = failure_text(result)
                continue
            failure = ET.SubElement(case, "failure", type=result.error.kind.value, message=message)
            failure.text = failure_text(result)
        ET.indent(suite)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def testcase_names(results: list[Result]) -> list[str]:
    """Each result's testcase name, unique among ``results``: the URL, with `` [source]``
    after every URL that occurs more than once (and, should URL and source both repeat, as
    they may in a hand-merged report, `` [source #index]``)."""
    by_url = Counter(result.url for result in results)
    names = [
        result.url if by_url[result.url] == 1 else f"{result.url} [{result.source}]"
        for result in results
    ]
    by_name = Counter(names)
    return [
        _name(result, "" if by_name[name] == 1 else f" #{result.index}", by_url[result.url] > 1)
        for name, result in zip(names, results, strict=True)
    ]


def _name(result: Result, number: str, with_source: bool) -> str:
    url = for_terminal_url(result.url)
    return for_xml(f"{url} [{result.source}{number}]") if with_source else url


def failure_text(result: Result) -> str:
    """The text of a ``failure`` element: the message, then what else is known of the job.
    A message of several lines (every failed check) keeps them."""
    assert result.error is not None
    lines = [
        for_xml(result.error.message),
        f"url: {for_terminal_url(result.url)}",
        f"source: {for_xml(result.source)}",
        f"attempts: {result.attempts}",
    ]
    if result.status is not None:
        lines.append(f"status: {result.status}")
    if result.final_url is not None and result.final_url != result.url:
        lines.append(f"final_url: {for_terminal_url(result.final_url)}")
    return "\n".join(lines)


def warning_text(result: Result) -> str:
    """The ``system-out`` of a testcase that passed with warnings: ``warning: MESSAGE`` each."""
    assert result.warnings is not None
    return "\n".join(
        f"warning: {part}"
        for warning in result.warnings
        for part in for_xml(warning.message).splitlines() or [""]
    )


def formatter(mode: Mode, context: FormatContext) -> JUnitFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return JUnitFormat(mode, workspace=context.workspace, cwd=context.cwd)
