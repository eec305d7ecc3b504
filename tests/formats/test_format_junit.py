"""The ``junit`` format: a JUnit XML report CI systems can read."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from support.results import make_result

from fetchall.formats import Format, FormatContext
from fetchall.formats.junit import JUnitFormat
from fetchall.models import ErrorKind, FetchError, Job, Mode, Result, Summary, result_for


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
        """One testcase per result, in input order, named by URL, pointing at its file and
        line, timed in seconds."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        cases = suite.findall("testcase")
        file = {"classname": "urls.txt", "file": "urls.txt"}
        assert [case.attrib for case in cases] == [
            {"name": "https://a/ok?x=1&y=<2>", **file, "line": "1", "time": "1.500"},
            {"name": "https://a/slow", **file, "line": "2", "time": "30.000"},
            {"name": "https://a/404", **file, "line": "3", "time": "0.012"},
            {"name": "https://a/c", **file, "line": "4", "time": "0.000"},
        ]
        assert list(cases[0]) == []

    def test_failures(self) -> None:
        """A failure element carries type = kind and the message; its text starts with the
        message (GitLab shows only the text) and goes on with the details."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        deadline, http = suite.findall("testcase")[1:3]
        (failure,) = deadline
        assert failure.tag == "failure"
        assert failure.attrib == {"type": "deadline", "message": "run deadline of 30 s reached"}
        assert failure.text == (
            "run deadline of 30 s reached\nurl: https://a/slow\nsource: urls.txt:2\nattempts: 0"
        )
        (failure,) = http
        assert failure.attrib == {"type": "http_status", "message": "HTTP 404 Not Found"}
        assert failure.text == (
            "HTTP 404 Not Found\nurl: https://a/404\nsource: urls.txt:3\nattempts: 3\n"
            "status: 404\nfinal_url: https://a/moved"
        )

    def test_cancelled_is_skipped(self) -> None:
        """A cancelled job is a ``skipped`` testcase with the reason, not a failure."""
        suite = ET.fromstring(_report(Mode.ALL, _RESULTS, _SUMMARY).encode())
        (skipped,) = suite.findall("testcase")[3]
        assert skipped.tag == "skipped"
        assert skipped.attrib == {"message": "a sibling failed"}
        assert skipped.text == "a sibling failed"

    def test_empty_run(self) -> None:
        """A run without results is an empty suite with zero counts."""
        summary = Summary(mode=Mode.INDEPENDENT, ok=0, failed=0, cancelled=0, elapsed_s=0.0)
        suite = ET.fromstring(_report(Mode.INDEPENDENT, [], summary).encode())
        assert (suite.get("tests"), suite.get("time"), list(suite)) == ("0", "0.000", [])

    def test_url_with_xml_non_characters_still_parses(self) -> None:
        """A URL line holding U+FFFF (valid UTF-8, accepted by parse_url) that then fails
        still gives a well-formed report."""
        job = Job(0, "http://x/\uffff", "urls.txt:1")
        result = result_for(job, error=FetchError(ErrorKind.CONNECT, "connection refused"))
        summary = Summary(mode=Mode.INDEPENDENT, ok=0, failed=1, cancelled=0, elapsed_s=0.1)
        suite = ET.fromstring(_report(Mode.INDEPENDENT, [result], summary).encode())
        assert len(suite.findall("testcase")) == 1

    def test_format_enum_builds_it(self) -> None:
        """``Format.JUNIT.formatter`` gives a junit formatter."""
        assert isinstance(Format.JUNIT.formatter(Mode.ALL), JUnitFormat)


def _cases(results: list[Result]) -> list[ET.Element]:
    """The testcases of the report of ``results`` (an independent run)."""
    failed = sum(r.failed for r in results)
    cancelled = sum(r.cancelled for r in results)
    ok = len(results) - failed - cancelled
    summary = Summary(Mode.INDEPENDENT, ok=ok, failed=failed, cancelled=cancelled, elapsed_s=1.0)
    return ET.fromstring(_report(Mode.INDEPENDENT, results, summary).encode()).findall("testcase")


class TestWhereEachJobCameFrom:
    """Each testcase points at the line its job was read from, as GitLab and
    mikepenz/action-junit-report read it: ``classname``, ``file`` and ``line``."""

    @pytest.mark.parametrize(
        ("source", "where"),
        [
            ("urls.txt:3", {"classname": "urls.txt", "file": "urls.txt", "line": "3"}),
            (
                "checks/smoke urls.txt:12",
                {
                    "classname": "checks/smoke urls.txt",
                    "file": "checks/smoke urls.txt",
                    "line": "12",
                },
            ),
            (
                "C:\\ci\\urls.txt:7",
                {"classname": "C:\\ci\\urls.txt", "file": "C:\\ci\\urls.txt", "line": "7"},
            ),
            ("a:b:c.txt:40", {"classname": "a:b:c.txt", "file": "a:b:c.txt", "line": "40"}),
            (
                "/abs/urls.txt:1",
                {"classname": "/abs/urls.txt", "file": "/abs/urls.txt", "line": "1"},
            ),
            ("-:5", {"classname": "stdin"}),
            ("arg", {"classname": "arguments"}),
            ("item:9", {"classname": "items"}),
            ("hand-made", {"classname": "hand-made"}),
            ("urls.txt:0", {"classname": "urls.txt:0"}),
            ("urls.txt:", {"classname": "urls.txt:"}),
        ],
    )
    def test_classname_file_and_line(self, source: str, where: dict[str, str]) -> None:
        """A file's path is what precedes the last colon; stdin, arguments and the library's
        items have a classname and no file or line; an unknown shape is its own classname."""
        failed = make_result(
            "https://a/", status=500, error=(ErrorKind.HTTP_STATUS, "HTTP 500"), source=source
        )
        (case,) = _cases([failed])
        assert case.attrib == {"name": "https://a/", **where, "time": "0.010"}

    def test_passed_and_cancelled_point_at_their_line_too(self) -> None:
        """Every testcase of a job from a file has file and line, whatever its outcome."""
        cases = _cases(
            [
                make_result("https://a/", 0, source="urls.txt:1"),
                make_result(
                    "https://b/",
                    1,
                    status=None,
                    error=(ErrorKind.CANCELLED, "stopped"),
                    source="urls.txt:2",
                ),
            ]
        )
        assert [(c.get("file"), c.get("line")) for c in cases] == [
            ("urls.txt", "1"),
            ("urls.txt", "2"),
        ]


class TestUniqueNames:
    """Testcase names are unique within the suite: GitLab keeps one testcase per classname
    and name, and the action takes a repeated name for a retry of one test."""

    def test_repeated_url_gets_its_source_every_time(self) -> None:
        """A URL found twice in one file and once in another is named with its source each
        time; a URL found once keeps its plain name."""
        results = [
            make_result("https://a/", 0, source="urls.txt:1"),
            make_result("https://b/", 1, source="urls.txt:2"),
            make_result("https://a/", 2, source="urls.txt:9"),
            make_result("https://a/", 3, source="more.txt:1"),
            make_result("https://a/", 4, source="arg"),
        ]
        names = [case.get("name") for case in _cases(results)]
        assert names == [
            "https://a/ [urls.txt:1]",
            "https://b/",
            "https://a/ [urls.txt:9]",
            "https://a/ [more.txt:1]",
            "https://a/ [arg]",
        ]

    def test_same_url_and_source_fall_back_to_the_index(self) -> None:
        """Should a URL and its source both repeat (a hand-merged report), the index tells
        them apart."""
        results = [
            make_result("https://a/", 0, source="arg"),
            make_result("https://a/", 1, source="arg"),
        ]
        assert [case.get("name") for case in _cases(results)] == [
            "https://a/ [arg #0]",
            "https://a/ [arg #1]",
        ]

    def test_names_unique_for_many_repeats(self) -> None:
        """However often URLs repeat, (classname, name) pairs and names are all distinct."""
        results = [
            make_result(f"https://h/{i % 7}", i, source=f"f{i % 3}.txt:{i + 1}") for i in range(60)
        ]
        cases = _cases(results)
        names = [c.get("name") for c in cases]
        assert len(set(names)) == 60
        assert len({(c.get("classname"), c.get("name")) for c in cases}) == 60


class TestFailureText:
    """The failure text holds every detail, one per line."""

    def test_multi_line_message_keeps_its_lines(self) -> None:
        """A message of several lines (every failed check, say) keeps them, controls escaped."""
        failed = make_result(
            "https://a/",
            status=200,
            error=(ErrorKind.PROTOCOL, "first\r\nsecond\x1b[31m\nthird"),
        )
        (case,) = _cases([failed])
        (failure,) = case
        assert failure.text == (
            "first\nsecond\\x1b[31m\nthird\nurl: https://a/\nsource: urls.txt:1\nattempts: 1\n"
            "status: 200"
        )
        assert failure.get("message") == "first\nsecond\\x1b[31m\nthird"


class TestInert:
    """Outside text in the report: valid XML, escaped, no workflow command."""

    def test_controls_and_commands_in_every_text(self) -> None:
        """A message with escapes and ``##[``, a URL and a source with controls: the document
        parses, shows them escaped, and holds no ``##[``."""
        failed = make_result(
            "https://a/\x1b[2J##[add-mask]x",
            status=503,
            error=(ErrorKind.HTTP_STATUS, "HTTP 503 \x1b[31m\x00 ##[stop-commands]tok\n::error::x"),
            source="dir\x01/urls.txt:1",
        )
        document = _report(Mode.INDEPENDENT, [failed], Summary(Mode.INDEPENDENT, 0, 1, 0, 1.0))
        assert "##[" not in document
        (case,) = ET.fromstring(document.encode()).findall("testcase")
        assert case.get("name") == "https://a/%1B[2J#%23[add-mask]x"
        assert case.get("file") == "dir\\x01/urls.txt"
        (failure,) = case
        assert failure.get("message") == (
            "HTTP 503 \\x1b[31m\\x00 #\u200b#[stop-commands]tok\n:\u200b:error::x"
        )


class TestFirstMode:
    """A won race shows no failure on a CI page."""

    def test_won_race_skips_the_failures_before_the_winner(self) -> None:
        """Failures before the winner are skipped, saying they lost the race and why."""
        results = [
            make_result("https://a/", 0, status=None, error=(ErrorKind.TIMEOUT, "timed out")),
            make_result("https://b/", 1),
            make_result("https://c/", 2, status=None, error=(ErrorKind.CANCELLED, "won")),
        ]
        summary = Summary(Mode.FIRST, ok=1, failed=1, cancelled=1, elapsed_s=1.0)
        suite = ET.fromstring(_report(Mode.FIRST, results, summary).encode())
        assert suite.findall(".//failure") == []
        assert (suite.get("failures"), suite.get("skipped")) == ("0", "2")
        lost, won, cancelled = suite.findall("testcase")
        (skipped,) = lost
        assert skipped.tag == "skipped"
        assert skipped.get("message") == ("lost the race to the first success: timeout: timed out")
        assert list(won) == []
        assert cancelled[0].tag == "skipped"

    def test_lost_race_keeps_its_failures(self) -> None:
        """When nobody won, the failures are failures."""
        results = [make_result("https://a/", 0, status=None, error=(ErrorKind.TIMEOUT, "t"))]
        summary = Summary(Mode.FIRST, ok=0, failed=1, cancelled=0, elapsed_s=1.0)
        suite = ET.fromstring(_report(Mode.FIRST, results, summary).encode())
        assert len(suite.findall(".//failure")) == 1


class TestWorkspace:
    """``file`` and ``classname`` relative to the GitHub workspace, as annotations are."""

    @pytest.mark.parametrize(
        ("source", "cwd", "file"),
        [
            ("/ws/checks/urls.txt:3", None, "checks/urls.txt"),
            ("urls.txt:3", "/ws/sub", "sub/urls.txt"),
            ("/elsewhere/urls.txt:3", None, "/elsewhere/urls.txt"),
        ],
    )
    def test_relative_inside(self, source: str, cwd: str | None, file: str) -> None:
        """Inside the workspace: relative to it; outside: the whole path."""
        failed = make_result("https://a/", status=None, error=(ErrorKind.DNS, "x"), source=source)
        junit = Format.JUNIT.formatter(Mode.INDEPENDENT, FormatContext(workspace="/ws", cwd=cwd))
        junit.result(failed)
        suite = ET.fromstring(junit.end(Summary(Mode.INDEPENDENT, 0, 1, 0, 1.0)).encode())
        (case,) = suite.findall("testcase")
        assert (case.get("file"), case.get("classname"), case.get("line")) == (file, file, "3")
