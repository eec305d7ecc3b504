"""The ``github`` format: annotations GitHub's runner reads back exactly, at most ten, then the
text format's grouped report; and the helpers the CLI uses for the step summary and outputs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from support.results import make_result, summary_of

from fetchall.formats import Format, FormatContext
from fetchall.formats.github import (
    MAX_ANNOTATIONS,
    GitHubFormat,
    escape_data,
    escape_property,
    github_outputs,
)
from fetchall.formats.groups import ErrorGroups
from fetchall.formats.markdown import MarkdownFormat
from fetchall.formats.sources import workspace_path
from fetchall.formats.text import TextFormat, error_report
from fetchall.models import ErrorKind, Mode, Result, Summary


@dataclass
class Command:
    """A workflow command as the runner reads it."""

    name: str
    properties: dict[str, str]
    data: str


def _unescape(text: str, mappings: list[tuple[str, str]]) -> str:
    # As the runner (ActionCommand.cs) does: each escape in turn, ``%25`` last.
    for escaped, char in mappings:
        text = text.replace(escaped, char)
    return text


_DATA = [("%0D", "\r"), ("%0A", "\n"), ("%25", "%")]
_PROPERTY = [("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")]


def parse_command(line: str) -> Command | None:
    """``line`` read as GitHub's runner reads a workflow command (ActionCommand.TryParseV2):
    ``::name k=v,k=v::data``, properties split on ``,`` then on the first ``=``."""
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    info = line[2:end]
    name, _, listed = info.partition(" ")
    properties = {}
    for pair in filter(None, listed.strip().split(",")):
        key, equals, value = pair.partition("=")
        if equals and key and value:
            properties[key] = _unescape(value, _PROPERTY)
    return Command(name, properties, _unescape(line[end + 2 :], _DATA))


def _commands(output: str) -> list[Command]:
    """Every workflow command in ``output``, one per line as the runner splits it."""
    return [c for line in output.splitlines() if (c := parse_command(line)) is not None]


def _failure(
    url: str = "https://a/",
    index: int = 0,
    *,
    kind: ErrorKind = ErrorKind.CONNECT,
    message: str = "connection refused",
    status: int | None = None,
    source: str = "arg",
) -> Result:
    """A failure of a URL given as an argument, unless ``source`` says otherwise."""
    return make_result(url, index, status=status, error=(kind, message), source=source)


def _run(
    results: list[Result],
    *,
    mode: Mode = Mode.INDEPENDENT,
    workspace: str | None = None,
    cwd: str | None = None,
) -> tuple[str, GitHubFormat, Summary]:
    """The whole standard output of a github-format run of ``results``."""
    github = GitHubFormat(mode, workspace=workspace, cwd=cwd)
    output = "".join(github.result(result) for result in results)
    summary = summary_of(results, mode, elapsed_s=1.5)
    return output + github.end(summary), github, summary


class TestEscaping:
    """Values are escaped as GitHub documents and its toolkit does."""

    def test_data_and_property(self) -> None:
        """Data escapes %, CR, LF; a property also : and ,."""
        assert escape_data("50% a:b,c\r\nd") == "50%25 a:b,c%0D%0Ad"
        assert escape_property("50% a:b,c\r\nd") == "50%25 a%3Ab%2Cc%0D%0Ad"

    @pytest.mark.parametrize(
        "message",
        [
            "100% done",
            "literal %0A and %25 and %3A stay literal",
            "a:b, c::d",
            "line one\nline two\nline three",
            "ünïcødé ✓ 日本語",
            "ends with %",
        ],
    )
    def test_message_round_trips(self, message: str) -> None:
        """The runner reads back exactly the message and URL that were written."""
        url = "https://h.example/p%2C1?q=a:b,c&r=%25#f"
        output, _, _ = _run([_failure(url, message=message)])
        (annotation,) = [c for c in _commands(output) if c.name == "error"]
        assert annotation.data == f"{message} {url}"
        assert output.count("\n") == len(output.splitlines())  # every command on one line

    @pytest.mark.parametrize(
        "path",
        ["dir,with,commas/urls.txt", "a:b/c:d.txt", "50%/urls.txt", "ünï/urls ✓.txt"],
    )
    def test_file_property_round_trips(self, path: str) -> None:
        """A path with commas, colons, percent signs or unicode reads back whole, and the
        properties after it are intact."""
        output, _, _ = _run([_failure(source=f"{path}:12")])
        (annotation,) = _commands(output)
        assert annotation.properties == {"file": path, "line": "12", "title": "fetchall connect"}

    def test_exact_line(self) -> None:
        """The line itself, as GitHub's workflow commands spell it."""
        result = _failure(
            "https://a/x",
            kind=ErrorKind.HTTP_STATUS,
            message="HTTP 404 Not Found",
            status=404,
            source="urls.txt:3",
        )
        output, _, _ = _run([result])
        assert output.startswith(
            "::error file=urls.txt,line=3,title=fetchall 404::HTTP 404 Not Found https://a/x\n"
        )

    def test_other_controls_are_not_passed_on(self) -> None:
        """Control characters other than line breaks are shown escaped in the message, in a
        URL percent-encoded; CR LF and CR become LF."""
        output, _, _ = _run([_failure("https://a/\x1b", message="bad\x1b[0m\x00e\r\nnd")])
        (annotation,) = _commands(output)
        assert annotation.data == "bad\\x1b[0m\\x00e\nnd https://a/%1B"


class TestWhatIsAnnotated:
    """One annotation per failure the text format would show, at most ten."""

    def test_titles_and_locations(self) -> None:
        """http_status is titled by its status, other kinds by kind; jobs from arguments,
        standard input and library items have no file or line."""
        results = [
            _failure(kind=ErrorKind.HTTP_STATUS, message="HTTP 503", status=503, source="u.txt:1"),
            _failure(kind=ErrorKind.TIMEOUT, message="timed out", source="arg"),
            _failure(kind=ErrorKind.DNS, message="no such host", source="-:4"),
            _failure(kind=ErrorKind.DEADLINE, message="deadline", source="item:2"),
            make_result("https://ok/"),
            make_result("https://c/", status=None, error=(ErrorKind.CANCELLED, "stopped")),
        ]
        output, _, _ = _run(results)
        assert [(c.name, c.properties) for c in _commands(output)] == [
            ("error", {"file": "u.txt", "line": "1", "title": "fetchall 503"}),
            ("error", {"title": "fetchall timeout"}),
            ("error", {"title": "fetchall dns"}),
            ("error", {"title": "fetchall deadline"}),
        ]

    def test_annotations_come_as_failures_arrive(self) -> None:
        """Each failure's annotation is returned with it; successes return nothing."""
        github = GitHubFormat(Mode.INDEPENDENT)
        assert github.result(make_result("https://ok/")) == ""
        assert github.result(_failure()).startswith("::error title=fetchall connect::")

    def test_at_most_ten_then_a_notice(self) -> None:
        """25 failures: 10 annotations, then one notice counting the 15 others."""
        results = [_failure(f"https://a/{i}", i) for i in range(25)]
        output, _, _ = _run(results)
        commands = _commands(output)
        assert [c.name for c in commands] == ["error"] * MAX_ANNOTATIONS + ["notice"]
        assert [c.data for c in commands[:10]] == [
            f"connection refused https://a/{i}" for i in range(10)
        ]
        assert commands[-1].data == (
            "fetchall: 15 more failures not annotated (at most 10 are); the job summary lists them"
        )
        assert commands[-1].properties == {}

    def test_one_more(self) -> None:
        """Eleven failures: the notice speaks of one failure."""
        output, _, _ = _run([_failure(f"https://a/{i}", i) for i in range(11)])
        assert _commands(output)[-1].data.startswith("fetchall: 1 more failure not annotated")

    def test_exactly_ten_no_notice(self) -> None:
        """Ten failures are all annotated, and no notice follows."""
        output, _, _ = _run([_failure(f"https://a/{i}", i) for i in range(10)])
        assert [c.name for c in _commands(output)] == ["error"] * 10

    def test_first_mode_won_race_annotates_nothing(self) -> None:
        """Failures before the winner are the race's cost: no annotation, no notice."""
        results = [
            *(_failure(f"https://a/{i}", i) for i in range(12)),
            make_result("https://win/", 12),
            make_result("https://c/", 13, status=None, error=(ErrorKind.CANCELLED, "lost")),
        ]
        output, _, _ = _run(results, mode=Mode.FIRST)
        assert _commands(output) == []
        assert output == "1 ok, 12 failed, 1 cancelled in 1.50 s\n"

    def test_first_mode_lost_race_annotates_at_the_end(self) -> None:
        """When nobody won, the held failures are annotated when the run ends."""
        github = GitHubFormat(Mode.FIRST)
        assert github.result(_failure("https://a/", 0)) == ""
        assert github.result(_failure("https://b/", 1)) == ""
        end = github.end(Summary(Mode.FIRST, ok=0, failed=2, cancelled=0, elapsed_s=1.0))
        assert [c.data for c in _commands(end)] == [
            "connection refused https://a/",
            "connection refused https://b/",
        ]

    def test_all_mode_annotates_the_failure_not_the_cancelled(self) -> None:
        """An all-mode run stopped by one failure annotates that failure only."""
        results = [
            _failure("https://a/", 0),
            make_result("https://b/", 1, status=None, error=(ErrorKind.CANCELLED, "sibling")),
        ]
        output, _, _ = _run(results, mode=Mode.ALL)
        assert [c.data for c in _commands(output)] == ["connection refused https://a/"]


class TestWorkspace:
    """An annotation's file is relative to the workspace when it lies inside it."""

    @pytest.mark.parametrize(
        ("path", "cwd", "file"),
        [
            ("urls.txt", None, "urls.txt"),
            ("./checks/../urls.txt", None, "urls.txt"),
            ("/home/runner/work/site/site/checks/urls.txt", None, "checks/urls.txt"),
            ("urls.txt", "/home/runner/work/site/site/deploy", "deploy/urls.txt"),
            ("../urls.txt", "/home/runner/work/site/site/deploy", "urls.txt"),
            ("/tmp/urls.txt", None, "/tmp/urls.txt"),
            (
                "/home/runner/work/site/site2/urls.txt",
                None,
                "/home/runner/work/site/site2/urls.txt",
            ),
            ("../../elsewhere.txt", None, "/home/runner/work/elsewhere.txt"),
            ("urls.txt", "/tmp", "/tmp/urls.txt"),
        ],
    )
    def test_paths(self, path: str, cwd: str | None, file: str) -> None:
        """Inside: relative, normalised; outside (or in a sibling whose name merely starts
        the same): the whole path, which GitHub cannot mistake for one in the checkout."""
        workspace = "/home/runner/work/site/site"
        output, _, _ = _run([_failure(source=f"{path}:2")], workspace=workspace, cwd=cwd)
        (annotation,) = _commands(output)
        assert annotation.properties["file"] == file

    def test_no_workspace_keeps_the_path(self) -> None:
        """Without a workspace the path is written as given."""
        assert workspace_path("./a/../urls.txt", None) == "./a/../urls.txt"
        output, _, _ = _run([_failure(source="./a/../urls.txt:2")])
        assert _commands(output)[0].properties["file"] == "./a/../urls.txt"

    def test_workspace_with_trailing_slash(self) -> None:
        """A workspace given with a final slash works the same."""
        assert workspace_path("/w/x/urls.txt", "/w/x/") == "urls.txt"


class TestReportAfterTheAnnotations:
    """After the annotations, the same grouped error report and summary line as text."""

    def test_same_as_text(self) -> None:
        """The report is the text format's end, character for character."""
        results = [
            *(_failure(f"https://a/{i}", i) for i in range(3)),
            make_result("https://ok/", 3),
            _failure("https://s/", 4, kind=ErrorKind.HTTP_STATUS, message="HTTP 500", status=500),
        ]
        output, _, summary = _run(results)
        text = TextFormat(Mode.INDEPENDENT, quiet=True)
        for result in results:
            text.result(result)
        report = text.end(summary)
        assert report.startswith("errors:\n  connect (3)\n")
        assert output.endswith(report)
        assert (
            output
            == "".join(
                f"::error title=fetchall connect::connection refused https://a/{i}\n"
                for i in range(3)
            )
            + "::error title=fetchall 500::HTTP 500 https://s/\n"
            + report
        )

    def test_url_that_looks_like_a_command_is_inert(self) -> None:
        """An input line ``::add-mask::…`` shown in the report starts no line with ``::``:
        its first colon is percent-encoded, in the annotation and in the report."""
        invalid = _failure(
            "::add-mask::secret",
            kind=ErrorKind.INVALID_URL,
            message="urls.txt:1 not a URL",
            source="urls.txt:1",
        )
        output, _, _ = _run([invalid])
        lines = output.splitlines()
        assert parse_command(lines[0]) == Command(
            "error",
            {"file": "urls.txt", "line": "1", "title": "fetchall invalid_url"},
            "urls.txt:1 not a URL %3A:add-mask::secret",
        )
        assert lines[1:] == [
            "errors:",
            "  invalid_url (1)",
            "    %3A:add-mask::secret",
            "0 ok, 1 failed, 0 cancelled in 1.50 s",
        ]

    def test_ordinary_text_left_alone(self) -> None:
        """A ``::`` inside a line is no command: the URL is shown as it is."""
        errors = ErrorGroups()
        errors.add(_failure("https://a/::b"))
        summary = Summary(Mode.INDEPENDENT, ok=0, failed=1, cancelled=0, elapsed_s=1.0)
        assert "    https://a/::b\n" in error_report(errors, summary)

    def test_old_form_commands_from_a_server_are_inert(self) -> None:
        """A reason phrase ``##[stop-commands]tok`` and a Location ``##[add-mask]…`` never
        reach stdout as ``##[``: not in the annotation, not in the report lines."""
        failures = [
            _failure("https://a/", message="HTTP 503 ##[stop-commands]tok"),
            _failure("https://b/##[add-mask]word", kind=ErrorKind.TOO_MANY_REDIRECTS),
        ]
        output, _, _ = _run(failures)
        assert "##[" not in output
        assert "HTTP 503 #\u200b#[stop-commands]tok https://a/" in output
        assert "https://b/#%23[add-mask]word" in output
        assert all(
            not line.lstrip().startswith("::") or line.startswith("::error ")
            for line in output.splitlines()
        )


class TestHelpers:
    """What the CLI appends to GITHUB_OUTPUT and GITHUB_STEP_SUMMARY."""

    def test_outputs(self) -> None:
        """Four name=value lines."""
        summary = Summary(Mode.INDEPENDENT, ok=7, failed=2, cancelled=1, elapsed_s=3.0)
        assert github_outputs(summary) == "ok=7\nfailed=2\ncancelled=1\ntotal=10\nwarnings=0\n"

    def test_step_summary_is_the_markdown_report(self) -> None:
        """The step summary is the markdown format's report of the same run."""
        results = [_failure(f"https://a/{i}", i) for i in range(12)] + [make_result("https://b/")]
        _, github, summary = _run(results)
        markdown = MarkdownFormat(Mode.INDEPENDENT)
        for result in results:
            markdown.result(result)
        assert github.step_summary(summary) == markdown.end(summary)
        assert "| connect |  | 12 |\n" in github.step_summary(summary)
        assert "- `https://a/0` `arg`: `connection refused`\n" in github.step_summary(summary)

    def test_format_enum_builds_them(self) -> None:
        """``Format`` builds both new formats; github gets the workspace and cwd; every format
        but github can go to a --report file."""
        github = Format.GITHUB.formatter(Mode.ALL, FormatContext(workspace="/w", cwd="/w/sub"))
        assert isinstance(github, GitHubFormat)
        (annotation,) = _commands(github.result(_failure(source="urls.txt:4")))
        assert annotation == Command(
            "error",
            {"file": "sub/urls.txt", "line": "4", "title": "fetchall connect"},
            "connection refused https://a/",
        )
        assert isinstance(Format.MARKDOWN.formatter(Mode.ALL), MarkdownFormat)
        assert [f.value for f in Format if f.for_reports] == [
            "text",
            "jsonl",
            "json",
            "junit",
            "markdown",
        ]
