"""Every format shows a job that succeeded with a warning where people look."""

from __future__ import annotations

import json
import pickle
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.results import make_result

from fetchall.checks import CheckKey, CheckOutcome
from fetchall.formats import Format, FormatContext
from fetchall.formats.github import GitHubFormat, github_outputs
from fetchall.formats.groups import WarningGroups, first_failed_check
from fetchall.formats.markdown import MarkdownFormat
from fetchall.formats.merge import merge
from fetchall.models import (
    ErrorKind,
    FetchError,
    Job,
    JobWarning,
    Mode,
    Response,
    Result,
    Summary,
    result_for,
)

SLOW = JobWarning(ErrorKind.EXPECTATION, "warn:time<800ms", "warn:time<800ms: took 1.21 s")
CERT = JobWarning(ErrorKind.EXPECTATION, "warn:cert>=30", "warn:cert>=30: expires in 9 days")
BUSY = JobWarning(ErrorKind.HTTP_STATUS, None, "HTTP 429 Too Many Requests")
TIMEOUT = JobWarning(ErrorKind.TIMEOUT, None, "timed out after 30.0 s")


def warned(url: str, index: int, *warnings: JobWarning, status: int | None = 200) -> Result:
    job = Job(index, url, f"urls.txt:{index + 1}")
    response = None if status is None else Response(status, url, "text/html", 3)
    outcomes = (CheckOutcome("warn:time<800ms", False, "took 1.21 s", CheckKey.TIME, True),)
    return result_for(
        job, response=response, attempts=1, elapsed_ms=9, checks=outcomes, warnings=warnings
    )


RESULTS = [
    make_result("https://a.example/", 0),
    warned("https://slow.example/", 1, SLOW, CERT),
    warned("https://busy.example/", 2, BUSY, status=429),
    warned("https://hang.example/", 3, TIMEOUT, status=None),
    make_result("https://gone.example/", 4, status=404, error=(ErrorKind.HTTP_STATUS, "HTTP 404")),
]
SUMMARY = Summary(Mode.INDEPENDENT, ok=4, failed=1, cancelled=0, elapsed_s=1.234, warnings=3)


def render(format: Format, *, quiet: bool = False, results: list[Result] = RESULTS) -> str:
    formatter = format.formatter(Mode.INDEPENDENT, FormatContext(quiet=quiet))
    text = "".join(formatter.result(result) for result in results)
    return text + formatter.end(SUMMARY)


class TestResult:
    """``warnings`` is the last field of a result, a list of ``{kind, check, message}``."""

    def test_a_warned_result_is_ok_with_no_error(self) -> None:
        result = RESULTS[1]
        assert (result.ok, result.error, result.failed) == (True, None, False)
        assert result.to_dict()["warnings"] == [
            {"kind": "expectation", "check": "warn:time<800ms", "message": SLOW.message},
            {"kind": "expectation", "check": "warn:cert>=30", "message": CERT.message},
        ]
        assert list(result.to_dict())[-1] == "warnings"

    def test_every_other_result_has_warnings_null(self) -> None:
        assert RESULTS[0].to_dict()["warnings"] is None
        assert RESULTS[4].to_dict()["warnings"] is None

    def test_warnings_survive_pickling_and_the_json_round_trip(self) -> None:
        for result in RESULTS:
            assert pickle.loads(pickle.dumps(result)) == result
            assert Result.from_dict(json.loads(json.dumps(result.to_dict()))) == result

    def test_warnings_never_go_with_a_failure_built_by_result_for(self) -> None:
        # A failure carries no warning list: its failed warn: checks show in its checks only.
        failure = RESULTS[4]
        assert failure.warnings is None


def test_expectation_groups_go_by_the_first_failed_plain_check_then_any() -> None:
    job = Job(0, "https://x/", "urls.txt:1")
    slow = CheckOutcome("warn:time<1ms", False, "took 5 ms", CheckKey.TIME, True)
    body = CheckOutcome("body~x", False, "not found", CheckKey.BODY)
    error = FetchError(ErrorKind.EXPECTATION, "body~x: not found")
    assert first_failed_check(result_for(job, error=error, checks=(slow, body))) == "body~x"
    # Read back from a --strict report, a warn: check may be all that failed.
    assert first_failed_check(result_for(job, error=error, checks=(slow,))) == "warn:time<1ms"


class TestGroups:
    """Warnings are grouped by each job's first warning."""

    def test_groups_by_first_warning(self) -> None:
        groups = WarningGroups()
        for result in RESULTS:
            groups.add(result)
        assert [(g.label, g.count, g.urls) for g in groups.groups()] == [
            ("expectation warn:time<800ms", 1, ["https://slow.example/"]),
            ("http_status 429", 1, ["https://busy.example/"]),
            ("timeout", 1, ["https://hang.example/"]),
        ]


class TestText:
    """``WARN`` lines, a ``warnings:`` group report, and the count in the summary."""

    def test_warn_lines_groups_and_summary(self) -> None:
        lines = render(Format.TEXT).splitlines()
        assert lines[1] == (
            "WARN  expectation  warn:time<800ms: took 1.21 s; warn:cert>=30: expires in 9 days"
            "  https://slow.example/"
        )
        assert lines[2] == "WARN  429  HTTP 429 Too Many Requests  https://busy.example/"
        assert lines[3] == "WARN  timeout  timed out after 30.0 s  https://hang.example/"
        assert lines[5:] == [
            "errors:",
            "  http_status 404 (1)",
            "    https://gone.example/",
            "warnings:",
            "  expectation warn:time<800ms (1)",
            "    https://slow.example/",
            "  http_status 429 (1)",
            "    https://busy.example/",
            "  timeout (1)",
            "    https://hang.example/",
            "4 ok (3 with warnings), 1 failed, 0 cancelled in 1.23 s",
        ]

    def test_quiet_drops_ok_lines_but_keeps_warn_lines(self) -> None:
        lines = render(Format.TEXT, quiet=True).splitlines()
        assert [line.split()[0] for line in lines[:4]] == ["WARN", "WARN", "WARN", "FAIL"]

    def test_a_run_without_warnings_reads_as_before(self) -> None:
        plain = [RESULTS[0]]
        formatter = Format.TEXT.formatter(Mode.INDEPENDENT)
        formatter.result(plain[0])
        end = formatter.end(Summary(Mode.INDEPENDENT, 1, 0, 0, 0.5))
        assert end == "1 ok, 0 failed, 0 cancelled in 0.50 s\n"


class TestJson:
    """The summary counts the jobs with a warning; ``warnings`` lists the groups."""

    def test_summary_and_groups(self) -> None:
        document = json.loads(render(Format.JSON))
        assert document["summary"]["warnings"] == 3
        assert document["warnings"][0] == {
            "kind": "expectation",
            "status": None,
            "check": "warn:time<800ms",
            "count": 1,
            "urls": ["https://slow.example/"],
        }
        assert [g["kind"] for g in document["warnings"]] == [
            "expectation",
            "http_status",
            "timeout",
        ]
        assert document["warnings"][1]["status"] == 429
        assert document["results"][2]["warnings"][0]["kind"] == "http_status"
        assert [g["kind"] for g in document["errors"]] == ["http_status"]


class TestJUnit:
    """A warned testcase passes; its ``system-out`` holds a ``warning:`` line per warning."""

    def test_passing_testcase_with_system_out(self) -> None:
        suite = ET.fromstring(render(Format.JUNIT))
        assert suite.get("failures") == "1"
        slow = suite.findall("testcase")[1]
        assert slow.find("failure") is None
        system_out = slow.find("system-out")
        assert system_out is not None
        assert system_out.text == f"warning: {SLOW.message}\nwarning: {CERT.message}"
        assert suite.findall("testcase")[0].find("system-out") is None


class TestMarkdown:
    """A table of the warnings after the failures; ⚠️ when warnings and no failure."""

    def test_table_after_failures(self) -> None:
        report = render(Format.MARKDOWN)
        assert report.startswith("## ❌ fetchall: 4 ok (3 with warnings), 1 failed,")
        failures, _, rest = report.partition("### ⚠️ Warnings\n\n")
        assert "gone.example" in failures
        assert "slow.example" not in failures
        # A table of the warning groups first, then each group's URLs with their messages.
        assert "| expectation | `warn:time<800ms` | 1 |\n" in rest
        assert "| http_status | 429 | 1 |\n" in rest
        assert "| timeout |  | 1 |\n" in rest
        assert "- `https://slow.example/` `urls.txt:2`: `warn:time<800ms: took 1.21 s" in rest
        assert "- `https://hang.example/` `urls.txt:4`: `timed out after 30.0 s`\n" in rest
        # A warned job passed: it is listed with the passes too, a timeout with no status.
        assert "- `https://hang.example/` `urls.txt:4`: no response, 0 B, 9 ms" in rest

    def test_heading_shows_warning_sign_without_failures(self) -> None:
        markdown = MarkdownFormat(Mode.INDEPENDENT)
        markdown.result(RESULTS[1])
        report = markdown.end(Summary(Mode.INDEPENDENT, 1, 0, 0, 0.1, warnings=1))
        assert report.startswith("## ⚠️ fetchall: 1 ok (1 with warnings), 0 failed")

    def test_a_tight_report_leaves_out_warned_urls_and_says_so(self) -> None:
        markdown = MarkdownFormat(Mode.INDEPENDENT, max_bytes=2000)
        many = [warned(f"https://w{i}.example/{'x' * 40}", i, SLOW) for i in range(60)]
        for result in many:
            markdown.result(result)
        report = markdown.end(Summary(Mode.INDEPENDENT, 60, 0, 0, 0.1, warnings=60))
        assert len(report.encode()) < 2000
        assert "0 failed, " in report
        assert "This report lists fewer URLs to stay under 2,000 bytes" in report
        listed = report.split("### ⚠️ Warnings")[1].split("<details>")[0]
        assert 0 < listed.count("- `https://w") < 60


class TestGitHub:
    """``::warning`` annotations, ten at most apart from the errors, then a notice."""

    def test_warning_annotations_beside_errors(self) -> None:
        lines = render(Format.GITHUB).splitlines()
        annotations = [line for line in lines if line.startswith("::")]
        assert annotations == [
            "::warning file=urls.txt,line=2,title=fetchall expectation::"
            f"{SLOW.message}; {CERT.message} https://slow.example/",
            "::warning file=urls.txt,line=3,title=fetchall 429::"
            "HTTP 429 Too Many Requests https://busy.example/",
            "::warning file=urls.txt,line=4,title=fetchall timeout::"
            "timed out after 30.0 s https://hang.example/",
            "::error file=urls.txt,line=5,title=fetchall 404::HTTP 404 https://gone.example/",
        ]
        assert "warnings:" in lines
        assert lines[-1] == "4 ok (3 with warnings), 1 failed, 0 cancelled in 1.23 s"

    def test_ten_warnings_then_a_notice_counted_apart_from_errors(self) -> None:
        github = GitHubFormat(Mode.INDEPENDENT)
        out = "".join(github.result(warned(f"https://w{i}/", i, TIMEOUT)) for i in range(13))
        failures = [
            make_result(f"https://f{i}/", 20 + i, status=None, error=(ErrorKind.DNS, "no host"))
            for i in range(11)
        ]
        out += "".join(github.result(f) for f in failures)
        out += github.end(Summary(Mode.INDEPENDENT, 13, 11, 0, 0.1, warnings=13))
        lines = out.splitlines()
        assert sum(line.startswith("::warning ") for line in lines) == 10
        assert sum(line.startswith("::error ") for line in lines) == 10
        notices = [line for line in lines if line.startswith("::notice::")]
        assert notices == [
            "::notice::fetchall: 1 more failure not annotated (at most 10 are);"
            " the job summary lists them",
            "::notice::fetchall: 3 more warnings not annotated (at most 10 are);"
            " the job summary lists them",
        ]

    def test_github_outputs_count_warnings(self) -> None:
        assert github_outputs(SUMMARY).splitlines() == [
            "ok=4",
            "failed=1",
            "cancelled=0",
            "total=5",
            "warnings=3",
        ]


class TestMerge:
    """``--merge`` keeps every warning as it was reported, and counts them."""

    def test_merge_keeps_warnings(self, tmp_path: Path) -> None:
        shard = tmp_path / "a.jsonl"
        shard.write_text(render(Format.JSONL), encoding="utf-8")
        merged = merge([shard])
        assert merged.results == tuple(RESULTS)
        assert merged.summary.warnings == 3
        assert merged.summary.ok == 4


def test_a_warn_status_group_is_named_by_status_and_check() -> None:
    warning = JobWarning(ErrorKind.HTTP_STATUS, "warn:status=200", "warn:status=200: got 204")
    groups = WarningGroups()
    groups.add(warned("https://empty.example/", 0, warning, status=204))
    (group,) = groups.groups()
    assert group.label == "http_status 204 warn:status=200"
    assert group.to_dict()["status"] == 204
    assert group.to_dict()["check"] == "warn:status=200"


def test_a_long_warning_is_cut_in_the_markdown_list() -> None:
    long = JobWarning(ErrorKind.EXPECTATION, "warn:body~x", "w" * 400)
    markdown = MarkdownFormat(Mode.INDEPENDENT)
    markdown.result(warned("https://long.example/", 0, long))
    report = markdown.end(Summary(Mode.INDEPENDENT, 1, 0, 0, 0.1, warnings=1))
    assert f": `{'w' * 300}…`\n" in report
    assert "w" * 301 not in report


def test_a_check_that_is_no_check_is_refused_when_read_back() -> None:
    data = RESULTS[1].to_dict()
    data["checks"] = [{"check": "warn:nope=1", "ok": False, "message": "?"}]
    with pytest.raises(ValueError, match="not a check: 'warn:nope=1'"):
        Result.from_dict(data)


def test_a_warning_from_the_server_reaches_the_terminal_inert() -> None:
    # A reason phrase is the server's text: its escape sequences must not reach a terminal.
    hostile = JobWarning(ErrorKind.HTTP_STATUS, None, "HTTP 503 \x1b[2J\x1b]0;title\x07")
    formatter = Format.TEXT.formatter(Mode.INDEPENDENT)
    line = formatter.result(warned("https://x.example/", 0, hostile, status=503))
    assert line == "WARN  503  HTTP 503 \\x1b[2J\\x1b]0;title\\x07  https://x.example/\n"
