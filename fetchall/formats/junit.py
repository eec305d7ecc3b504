"""``junit``: a JUnit XML report, the format CI systems show as test results.

One ``testsuite`` named ``fetchall``, one ``testcase`` per job named by its URL; a failure is a
``failure`` element whose ``type`` is the error kind, a cancelled job is ``skipped``. The
informal schema CI tools follow is the one Jenkins and testmo.com document (testmoapp/junitxml).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

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
        for result in sorted(self._results, key=lambda r: r.index):
            case = ET.SubElement(
                suite,
                "testcase",
                name=result.url,
                classname=f"fetchall.{self._mode.value}",
                time=f"{result.elapsed_ms / 1000:.3f}",
            )
            if result.error is None:
                continue
            if result.cancelled:
                ET.SubElement(case, "skipped", message=printable(result.error.message))
                continue
            failure = ET.SubElement(
                case,
                "failure",
                type=result.error.kind.value,
                message=printable(result.error.message),
            )
            failure.text = _details(result)
        ET.indent(suite)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _details(result: Result) -> str:
    lines = [f"source: {result.source}", f"attempts: {result.attempts}"]
    if result.status is not None:
        lines.append(f"status: {result.status}")
    if result.final_url is not None and result.final_url != result.url:
        lines.append(f"final_url: {result.final_url}")
    return "\n".join(printable(line) for line in lines)
