"""The ``markdown`` format: a report for a CI page, escaped, and always under its size limit."""

from __future__ import annotations

import re

import pytest
from support.results import make_result, summary_of

from fetchall.formats.markdown import MAX_BYTES, MarkdownFormat
from fetchall.models import ErrorKind, Mode, Result
from fetchall.shown import for_markdown, for_markdown_url


def _report(
    results: list[Result], *, mode: Mode = Mode.INDEPENDENT, max_bytes: int = MAX_BYTES
) -> str:
    """The markdown report of ``results``, with a summary that counts them."""
    markdown = MarkdownFormat(mode, max_bytes=max_bytes)
    for result in results:
        assert markdown.result(result) == ""
    return markdown.end(summary_of(results, mode, elapsed_s=2.345))


def _cells(row: str) -> list[str]:
    """A table row's cells, split as GitHub splits them: on every ``|`` not escaped."""
    cells, cell, escaped = [], "", False
    for char in row.strip()[1:-1]:
        if char == "|" and not escaped:
            cells.append(cell.strip())
            cell = ""
            continue
        escaped = char == "\\" and not escaped
        cell += char
    return [*cells, cell.strip()]


def _rows(report: str) -> list[list[str]]:
    """The cells of each body row of the report's group table."""
    lines = [line for line in report.splitlines() if line.startswith("| ")]
    return [_cells(line) for line in lines[2:]]


_OK = make_result("https://example.com/", 0, size=1234, elapsed_ms=35)
_MISSING = make_result(
    "https://example.com/missing", 1, status=404, error=(ErrorKind.HTTP_STATUS, "HTTP 404")
)
_GONE = make_result(
    "https://example.com/gone", 4, status=404, error=(ErrorKind.HTTP_STATUS, "HTTP 404")
)
_REFUSED = make_result(
    "https://down.example/",
    2,
    status=None,
    error=(ErrorKind.CONNECT, "connection refused"),
    source="-:3",
)
_CANCELLED = make_result(
    "https://later.example/", 3, status=None, error=(ErrorKind.CANCELLED, "a sibling failed")
)


class TestDocument:
    """A heading with counts and time, a table of the groups, their URLs, the passes folded."""

    def test_whole_document(self) -> None:
        """Groups largest first in a table with no URL, then each group's URLs with their
        source in input order; no message where the status says it; cancelled jobs only
        counted; a blank line after every block."""
        report = _report([_GONE, _OK, _REFUSED, _MISSING, _CANCELLED])
        assert report == (
            "## ❌ fetchall: 1 ok, 3 failed, 1 cancelled in 2.35 s\n"
            "\n"
            "| Kind | Status or check | Count |\n"
            "| --- | --- | ---: |\n"
            "| http_status | 404 | 2 |\n"
            "| connect |  | 1 |\n"
            "\n"
            "**http_status** 404 (2)\n"
            "\n"
            "- `https://example.com/missing` `urls.txt:2`\n"
            "- `https://example.com/gone` `urls.txt:5`\n"
            "\n"
            "**connect** (1)\n"
            "\n"
            "- `https://down.example/` `-:3`: `connection refused`\n"
            "\n"
            "<details><summary>1 passed</summary>\n"
            "\n"
            "- `https://example.com/` `urls.txt:1`: 200, 1.2 KiB, 35 ms\n"
            "\n"
            "</details>\n"
            "\n"
        )

    def test_all_passed(self) -> None:
        """Without failures the heading is a check mark and the table gives way to a line."""
        report = _report([_OK])
        assert report.startswith("## ✅ fetchall: 1 ok, 0 failed, 0 cancelled in 2.35 s\n\n")
        assert "No failures.\n" in report
        assert "| Kind |" not in report

    def test_no_passes_no_details(self) -> None:
        """A run where nothing passed has no details element, and ends with a blank line."""
        report = _report([_MISSING])
        assert "<details>" not in report
        assert report.endswith("- `https://example.com/missing` `urls.txt:2`\n\n")

    def test_cancelled_counted_not_listed(self) -> None:
        """An all-mode run stopped by one failure counts the cancelled jobs and lists only the
        failure."""
        report = _report([_MISSING, _CANCELLED, _CANCELLED], mode=Mode.ALL)
        assert report.startswith("## ❌ fetchall: 0 ok, 1 failed, 2 cancelled in 2.35 s\n")
        assert "later.example" not in report
        assert _rows(report) == [["http_status", "404", "1"]]

    def test_invalid_line_source_not_repeated(self) -> None:
        """An invalid line's message names its source; the entry shows it once."""
        invalid = make_result(
            "ftp://x",
            6,
            status=None,
            error=(ErrorKind.INVALID_URL, "urls.txt:7 not an http(s) URL"),
        )
        assert "- `ftp://x` `urls.txt:7`: `not an http(s) URL`\n" in _report([invalid])

    def test_first_mode_won_race_says_failures_do_not_count(self) -> None:
        """A won race lists the failures before the winner and says they do not fail it."""
        report = _report([_REFUSED, _OK, _CANCELLED], mode=Mode.FIRST)
        assert report.startswith(
            "## ✅ fetchall: 1 ok, 1 failed, 1 cancelled in 2.35 s\n\n"
            "First success won the race: the failures below came before it and do not fail"
            " the run.\n\n| Kind |"
        )

    def test_first_mode_lost_race_has_no_such_note(self) -> None:
        """A lost race's failures are its outcome."""
        report = _report([_REFUSED], mode=Mode.FIRST)
        assert report.startswith("## ❌ fetchall: 0 ok, 1 failed, 0 cancelled in 2.35 s\n\n| ")

    def test_table_of_groups_before_any_url(self) -> None:
        """20,000 failures: the first lines say every group's kind and count, and no URL comes
        before the table ends."""
        results = [
            make_result(f"https://h/{i}", i, status=503, error=(ErrorKind.HTTP_STATUS, "HTTP 503"))
            for i in range(20_000)
        ]
        results.append(make_result("https://t/", 20_000, status=None, error=_TIMEOUT))
        report = _report(results)
        table_end = report.index("\n\n", report.index("| Kind |"))
        assert "https://" not in report[:table_end]
        assert _rows(report[:table_end]) == [["http_status", "503", "20000"], ["timeout", "", "1"]]

    def test_at_most_fifty_urls_a_group(self) -> None:
        """A group lists 50 URLs and says how many more it has; so do the passes."""
        failures = [
            make_result(f"https://f/{i}", i, status=None, error=_TIMEOUT) for i in range(120)
        ]
        passes = [make_result(f"https://p/{i}", 120 + i) for i in range(60)]
        report = _report(failures + passes)
        assert len(re.findall(r"^- `https://f/", report, flags=re.MULTILINE)) == 50
        assert "- `https://f/49` `urls.txt:50`: `timed out`\n- … and 70 more\n" in report
        assert len(re.findall(r"^- `https://p/", report, flags=re.MULTILINE)) == 50
        assert "- … and 10 more\n\n</details>" in report
        assert "to stay under" not in report  # nothing was cut for size


_TIMEOUT = (ErrorKind.TIMEOUT, "timed out")
_HOSTILE = "<img src=x onerror=alert(1)> @octocat [l](https://e.example/) www.e.example a@b.io"


def _html(markdown: str) -> str:
    """The document rendered by GitHub's own Markdown parser (cmark-gfm, with its
    extensions: tables, autolinks, strikethrough, tag filter)."""
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options  # noqa: PLC0415 (only with cmarkgfm)

    # Unsafe: raw HTML kept, as GitHub keeps <details> and <br> (then sanitises).
    return str(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


def _outside_code(html: str) -> str:
    """The rendered text that is not inside a ``<code>`` element."""
    return re.sub(r"<code>.*?</code>", "", html, flags=re.DOTALL)


class TestEscaping:
    """Text from the input or the network never changes the document's shape, and makes no
    link, HTML or mention."""

    def test_outside_text_is_code(self) -> None:
        """A message, a URL and a source are code spans: HTML, Markdown, autolinks and ``@``
        stay literal there; line breaks become <br> between spans."""
        assert for_markdown(_HOSTILE + "\r\nnext") == f"`{_HOSTILE}`<br>`next`"

    def test_controls_are_shown_escaped(self) -> None:
        """Control characters and bidi overrides are escaped, not dropped."""
        assert for_markdown("a\x1b[31mb\x00\u202e") == "`a\\x1b[31mb\\x00\\u202e`"

    @pytest.mark.parametrize(
        ("url", "in_table", "shown"),
        [
            ("https://a/", True, "`https://a/`"),
            ("https://a/x|y", True, "`https://a/x\\|y`"),
            ("https://a/x|y", False, "`https://a/x|y`"),
            ("https://a/x\\|y|z", True, "`https://a/x\\%7Cy%7Cz`"),
            ("https://a/`b`", True, "`` https://a/`b` ``"),
            ("https://a/``b", True, "```https://a/``b```"),
            ("https://a/<b>&c", True, "`https://a/<b>&c`"),
            ("https://a/\x1b", True, "`https://a/%1B`"),
            ("", True, "` `"),
        ],
    )
    def test_url_code_spans(self, url: str, in_table: bool, shown: str) -> None:
        """A URL is a code span fenced by more backticks than it holds; in a table its pipes
        are escaped, or percent-encoded when a backslash precedes one."""
        assert for_markdown_url(url, in_table=in_table) == shown

    def test_rendered_report_has_no_outside_link_html_or_mention(self) -> None:
        """Rendered by cmark-gfm: no element but those fetchall writes, no link, and no
        ``@octocat`` outside code (GitHub looks for mentions in the rendered text)."""
        results = [
            make_result(
                f"https://a/@octocat/{_HOSTILE}",
                0,
                status=None,
                error=(ErrorKind.INVALID_URL, _HOSTILE),
                source=f"{_HOSTILE}:1",
            ),
            make_result(
                "https://b/",
                1,
                status=None,
                error=(ErrorKind.EXPECTATION, _HOSTILE),
                source="@octocat.txt:2",
            ),
            make_result("https://c/@octocat", 2, source="www.e.example:3"),
        ]
        html = _html(_report(results))
        assert "<a " not in html
        assert "<img" not in html
        outside = _outside_code(html)
        assert "octocat" not in outside
        assert "e.example" not in outside
        assert set(re.findall(r"</?([a-z0-9]+)", html)) <= {
            "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "br", "strong",
            "ul", "li", "details", "summary",
        }  # fmt: skip

    def test_tricky_results_keep_three_cells_per_row(self) -> None:
        """Pipes, backslashes and backticks in checks leave every row with three cells."""
        results = [
            make_result(
                "https://a/x|y\\|z`",
                0,
                status=None,
                error=(ErrorKind.INVALID_URL, "a|b\\|c\n| d |"),
                source="dir|x\\:1",
            ),
            make_result(
                "https://a/|", 1, status=None, error=(ErrorKind.TIMEOUT, "\\"), source="a\\|b:2"
            ),
            make_result("https://a/\\", 2, status=500, error=(ErrorKind.HTTP_STATUS, "x")),
        ]
        rows = _rows(_report(results))
        assert rows == [["http_status", "500", "1"], ["invalid_url", "", "1"], ["timeout", "", "1"]]


def _long_url(i: int) -> str:
    return f"https://host{i % 97}.example/{'long-path-segment/' * 12}{i}"


class TestSizeLimit:
    """The report always fits under its budget and says when it listed fewer URLs."""

    def test_small_budget(self) -> None:
        """Long URLs in a small budget: under it, every group in the table, fewer URLs listed
        (failures first) and a note saying so."""
        results = []
        for i in range(2_000):
            if i % 4 == 0:
                error = (ErrorKind.HTTP_STATUS, "HTTP 503")
                results.append(make_result(_long_url(i), i, status=503, error=error))
            elif i % 4 == 1:
                results.append(make_result(_long_url(i), i, status=None, error=_TIMEOUT))
            else:
                results.append(make_result(_long_url(i), i))
        report = _report(results, max_bytes=12_000)
        assert 9_000 < len(report.encode("utf-8")) < 12_000
        assert _rows(report) == [["http_status", "503", "500"], ["timeout", "", "500"]]
        listed = len(re.findall(r"^- `", report, flags=re.MULTILINE))
        assert 10 < listed < 100
        assert "This report lists fewer URLs to stay under 12,000 bytes" in report
        assert "- … and 1000 more\n\n</details>" in report  # failures first: no pass fits

    @pytest.mark.parametrize("max_bytes", [5_000, 20_000, 60_000, 200_000])
    def test_never_over_budget(self, max_bytes: int) -> None:
        """Whatever the budget, the report is shorter than it."""
        results = [make_result(_long_url(i), i, status=None, error=_TIMEOUT) for i in range(300)]
        results += [make_result(_long_url(i), i) for i in range(300, 600)]
        assert len(_report(results, max_bytes=max_bytes).encode("utf-8")) < max_bytes

    def test_no_room_gives_the_heading_and_where_the_report_is(self) -> None:
        """When not even the table fits, the heading line and a sentence pointing elsewhere;
        when not even that fits, nothing."""
        results = [_OK, _MISSING, _REFUSED]
        markdown = MarkdownFormat(Mode.INDEPENDENT)
        for result in results:
            markdown.result(result)
        summary = summary_of(results, Mode.INDEPENDENT, elapsed_s=1.0)
        short = markdown.end(summary, max_bytes=400)
        assert short.startswith("## ❌ fetchall: 1 ok, 2 failed, 0 cancelled in 1.00 s\n\n")
        assert "the job's other outputs" in short
        assert "https://" not in short
        assert len(short.encode("utf-8")) < 400
        assert markdown.end(summary, max_bytes=10) == ""

    def test_small_run_has_no_note(self) -> None:
        """A report that fits lists everything and has no note."""
        assert "to stay under" not in _report([_OK, _MISSING, _REFUSED])
