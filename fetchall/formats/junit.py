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
from fetchall.formats.base import LINE_BREAK, printable_lines
from fetchall.formats.sources import Origin, parse_source
from fetchall.models import Mode, Result, Summary
from fetchall.shown import printable


class JUnitFormat:
    """Collects results, writes the XML document at the end."""

    def __init__(self, mode: Mode) -> None:
        self._mode = mode
        self._results: list[Result] = []

    def result(self, result: Result) -> str:
        """Nothing yet: the document is written whole at the end."""
        self._results.append(result)
        return ""

    def end(self, summary: Summary) -> str:
        """The report as an XML document."""
        suite = ET.Element(
            "testsuite",
            name="fetchall",
            tests=str(summary.total),
            failures=str(summary.failed),
            errors="0",
            skipped=str(summary.cancelled),
            time=f"{summary.elapsed_s:.3f}",
        )
        results = sorted(self._results, key=lambda r: r.index)
        for result, name in zip(results, testcase_names(results), strict=True):
            where = parse_source(result.source)
            case = ET.SubElement(suite, "testcase", name=name, classname=printable(where.group))
            if where.origin is Origin.FILE:
                case.set("file", printable(where.group))
                case.set("line", str(where.line))
            case.set("time", f"{result.elapsed_ms / 1000:.3f}")
            if result.warnings is not None:  # a pass, with what to look at beside it
                ET.SubElement(case, "system-out").text = warning_text(result)
            if result.error is None:
                continue
            message = printable(result.error.message)
            if result.cancelled:
                ET.SubElement(case, "skipped", message=message).text = message
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
        printable(name if by_name[name] == 1 else f"{result.url} [{result.source} #{result.index}]")
        for name, result in zip(names, results, strict=True)
    ]


def failure_text(result: Result) -> str:
    """The text of a ``failure`` element: the message, then what else is known of the job."""
    assert result.error is not None
    lines = [
        result.error.message,
        f"url: {result.url}",
        f"source: {result.source}",
        f"attempts: {result.attempts}",
    ]
    if result.status is not None:
        lines.append(f"status: {result.status}")
    if result.final_url is not None and result.final_url != result.url:
        lines.append(f"final_url: {result.final_url}")
    # A message of several lines (every failed check) keeps them.
    return "\n".join(part for line in lines for part in LINE_BREAK.split(printable_lines(line)))


def warning_text(result: Result) -> str:
    """The ``system-out`` of a testcase that passed with warnings: ``warning: MESSAGE`` each."""
    assert result.warnings is not None
    return "\n".join(
        f"warning: {part}"
        for warning in result.warnings
        for part in LINE_BREAK.split(printable_lines(warning.message))
    )


def formatter(mode: Mode, context: FormatContext) -> JUnitFormat:
    """This format's formatter for one run (its entry in the format registry)."""
    return JUnitFormat(mode)
