"""The ``junit`` format: a JUnit XML report CI systems can read (§7)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from support.results import make_result

from fetchall.formats import Format, JUnitFormat
from fetchall.models import ErrorKind, FetchError, Job, Mode, Result, Summary, failed_result


def _result(
    url: str,
    index: int,
    *,
    status: int | None = 200,
    elapsed_ms: int = 1500,
    error: FetchError | None = None,
    final_url: str | None = None,
) -> Result:
    """A result for the junit report: ok unless ``error`` is given."""
    attempts = 0 if status is None else 3
    return make_result(
        url,
        index,
        status=status,
        elapsed_ms=elapsed_ms,
        error=error,
        attempts=attempts,
        final_url=final_url,
    )


_RESULTS = [
    _result(
        "https://a/404",
        2,
        status=404,
        elapsed_ms=12,
        error=FetchError(ErrorKind.HTTP_STATUS, "HTTP 404 Not Found"),
        final_url="https://a/moved",
    ),
    _result("https://a/ok?x=1&y=<2>", 0, elapsed_ms=1500),
    _result(
        "https://a/slow",
        1,
        status=None,
        elapsed_ms=30_000,
        error=FetchError(ErrorKind.DEADLINE, "run deadline of 30 s reached"),
    ),
    _result(
        "https://a/c",
        3,
        status=None,
        elapsed_ms=0,
        error=FetchError(ErrorKind.CANCELLED, "a sibling failed"),
    ),
]
_SUMMARY = Summary(mode=Mode.ALL, ok=1, failed=2, cancelled=1, elapsed_s=31.5)


def _report(mode: Mode, results: list[Result], summary: Summary) -> str:
    junit = JUnitFormat(mode)
    for result in results:
        assert junit.result(result) == ""
    return junit.end(summary)


class TestJUnit:
    """One testsuite named fetchall, one testcase per job."""

    def test_declaration_and_single_suite(self) -> None:
        """The document is XML with a declaration and a single ``testsuite`` root."""
        text = _report(Mode.ALL, _RESULTS, _SUMMARY)
        assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuite ")
        assert text.endswith("</testsuite>\n")
        assert ET.fromstring(text.encode()).tag == "testsuite"

    def test_suite_counts(self) -> None:
        """The suite is named fetchall and carries the summary's counts and time."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        assert suite.attrib == {
            "name": "fetchall",
            "tests": "4",
            "failures": "2",
            "errors": "0",
            "skipped": "1",
            "time": "31.500",
        }

    def test_testcases(self) -> None:
        """One testcase per result, in input order, named by URL, timed in seconds."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        cases = suite.findall("testcase")
        assert [case.attrib for case in cases] == [
            {"name": "https://a/ok?x=1&y=<2>", "classname": "fetchall.all", "time": "1.500"},
            {"name": "https://a/slow", "classname": "fetchall.all", "time": "30.000"},
            {"name": "https://a/404", "classname": "fetchall.all", "time": "0.012"},
            {"name": "https://a/c", "classname": "fetchall.all", "time": "0.000"},
        ]
        assert list(cases[0]) == []

    def test_failures(self) -> None:
        """A failure element carries type = kind, the message, and details as text."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        deadline, http = suite.findall("testcase")[1:3]
        (failure,) = deadline
        assert failure.tag == "failure"
        assert failure.attrib == {"type": "deadline", "message": "run deadline of 30 s reached"}
        assert failure.text == "source: urls.txt:2\nattempts: 0"
        (failure,) = http
        assert failure.attrib == {"type": "http_status", "message": "HTTP 404 Not Found"}
        assert failure.text == (
            "source: urls.txt:3\nattempts: 3\nstatus: 404\nfinal_url: https://a/moved"
        )

    def test_cancelled_is_skipped(self) -> None:
        """A cancelled job is a ``skipped`` testcase with the reason, not a failure."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        (skipped,) = suite.findall("testcase")[3]
        assert skipped.tag == "skipped"
        assert skipped.attrib == {"message": "a sibling failed"}

    def test_empty_run(self) -> None:
        """A run without results is an empty suite with zero counts."""
        summary = Summary(mode=Mode.INDEPENDENT, ok=0, failed=0, cancelled=0, elapsed_s=0.0)
        suite = ET.fromstring(_report(Mode.INDEPENDENT, [], summary).encode())
        assert (suite.get("tests"), suite.get("time"), list(suite)) == ("0", "0.000", [])

    def test_url_with_xml_non_characters_still_parses(self) -> None:
        """A URL line holding U+FFFF (valid UTF-8, accepted by parse_url) that then fails
        still gives a well-formed report."""
        job = Job(0, "http://x/\uffff", "urls.txt:1")
        result = failed_result(job, FetchError(ErrorKind.CONNECT, "connection refused"))
        summary = Summary(mode=Mode.INDEPENDENT, ok=0, failed=1, cancelled=0, elapsed_s=0.1)
        suite = ET.fromstring(_report(Mode.INDEPENDENT, [result], summary).encode())
        assert len(suite.findall("testcase")) == 1

    def test_format_enum_builds_it(self) -> None:
        """``Format.JUNIT.formatter`` gives a junit formatter."""
        assert isinstance(Format.JUNIT.formatter(Mode.ALL), JUnitFormat)
