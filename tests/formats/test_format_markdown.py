"""The ``markdown`` format: a report for a CI page, escaped, and always under its size limit."""

from __future__ import annotations

import re

import pytest
from support.results import make_result, summary_of

from fetchall.formats.markdown import MAX_BYTES, MarkdownFormat, markdown_text, markdown_url
from fetchall.models import ErrorKind, Mode, Result


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
    """The cells of each body row of the report's table."""
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
    """A heading with counts and time, a table of failures, the passes folded away."""

    def test_whole_document(self) -> None:
        """Groups largest first, each URL with its source in input order; no message where
        the status says it; cancelled jobs only counted."""
        report = _report([_GONE, _OK, _REFUSED, _MISSING, _CANCELLED])
        assert report == (
            "## ❌ fetchall: 1 ok, 3 failed, 1 cancelled in 2.35 s\n"
            "\n"
            "| Kind | Status or check | Count | URLs |\n"
            "| --- | --- | ---: | --- |\n"
            "| http_status | 404 | 2 | `https://example.com/missing` urls.txt:2"
            "<br>`https://example.com/gone` urls.txt:5 |\n"
            "| connect |  | 1 | `https://down.example/` -:3: connection refused |\n"
            "\n"
            "<details><summary>1 passed</summary>\n"
            "\n"
            "- `https://example.com/` urls.txt:1: 200, 1.2 KiB, 35 ms\n"
            "\n"
            "</details>\n"
        )

    def test_all_passed(self) -> None:
        """Without failures the heading is a check mark and the table gives way to a line."""
        report = _report([_OK])
        assert report.startswith("## ✅ fetchall: 1 ok, 0 failed, 0 cancelled in 2.35 s\n\n")
        assert "No failures.\n" in report
        assert "| Kind |" not in report

    def test_no_passes_no_details(self) -> None:
        """A run where nothing passed has no details element."""
        report = _report([_MISSING])
        assert "<details>" not in report
        assert report.endswith(
            "| http_status | 404 | 1 | `https://example.com/missing` urls.txt:2 |\n\n"
        )

    def test_cancelled_counted_not_listed(self) -> None:
        """An all-mode run stopped by one failure counts the cancelled jobs and lists only the
        failure."""
        report = _report([_MISSING, _CANCELLED, _CANCELLED], mode=Mode.ALL)
        assert report.startswith("## ❌ fetchall: 0 ok, 1 failed, 2 cancelled in 2.35 s\n")
        assert "later.example" not in report
        assert _rows(report) == [
            ["http_status", "404", "1", "`https://example.com/missing` urls.txt:2"]
        ]

    def test_invalid_line_source_not_repeated(self) -> None:
        """An invalid line's message names its source; the entry shows it once."""
        invalid = make_result(
            "ftp://x",
            6,
            status=None,
            error=(ErrorKind.INVALID_URL, "urls.txt:7 not an http(s) URL"),
        )
        assert _rows(_report([invalid])) == [
            ["invalid_url", "", "1", "`ftp://x` urls.txt:7: not an http(s) URL"]
        ]

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


class TestEscaping:
    """Text from the input or the network never changes the document's shape."""

    def test_message_characters_are_literal(self) -> None:
        """HTML becomes entities, Markdown punctuation is backslashed, line breaks become
        <br>, and link starts (``://``, ``www.``, ``@``) are broken."""
        message = "<b>x</b> & *y* _z_ `c` | [l](u) ~s~ #1 !$5 https://h/p www.h.io a@b\r\nnext"
        assert markdown_text(message) == (
            "&lt;b&gt;x&lt;/b&gt; &amp; \\*y\\* \\_z\\_ \\`c\\` \\| \\[l\\](u) \\~s\\~ \\#1"
            " \\!\\$5 https\\://h/p www\\.h.io a\\@b<br>next"
        )

    def test_controls_become_replacement_characters(self) -> None:
        """Control characters other than line breaks are shown as U+FFFD."""
        assert markdown_text("a\x1b[31mb\x00") == "a\ufffd\\[31mb\ufffd"

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
            ("", True, "` `"),
        ],
    )
    def test_url_code_spans(self, url: str, in_table: bool, shown: str) -> None:
        """A URL is a code span fenced by more backticks than it holds; in a table its pipes
        are escaped, or percent-encoded when a backslash precedes one."""
        assert markdown_url(url, in_table=in_table) == shown

    def test_tricky_results_keep_four_cells_per_row(self) -> None:
        """Pipes, backslashes and backticks in URLs, sources and messages leave every row
        with exactly four cells."""
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
        assert [len(row) for row in rows] == [4, 4, 4]
        assert [row[:3] for row in rows] == [
            ["http_status", "500", "1"],
            ["invalid_url", "", "1"],
            ["timeout", "", "1"],
        ]
        assert rows[1][3] == (
            "`` https://a/x%7Cy\\%7Cz` `` dir\\|x\\\\:1: a\\|b\\\\\\|c<br>\\| d \\|"
        )


def _long_url(i: int) -> str:
    return f"https://host{i % 97}.example/{'long-path-segment/' * 12}{i}"


class TestSizeLimit:
    """The report always fits under MAX_BYTES and says how many URLs it left out."""

    def test_huge_run(self) -> None:
        """200,000 results with long URLs: under 1,000,000 bytes, every group present, and
        the URLs listed plus those left out add up to each count."""
        results = []
        for i in range(200_000):
            if i % 4 == 0:
                error = (ErrorKind.HTTP_STATUS, "HTTP 503")
                results.append(make_result(_long_url(i), i, status=503, error=error))
            elif i % 4 == 1:
                error = (ErrorKind.TIMEOUT, "timed out after 30.0 s")
                results.append(make_result(_long_url(i), i, status=None, error=error))
            else:
                results.append(make_result(_long_url(i), i))
        report = _report(results)
        size = len(report.encode("utf-8"))
        assert 900_000 < size < 1_000_000
        rows = _rows(report)
        assert [row[:3] for row in rows] == [
            ["http_status", "503", "50000"],
            ["timeout", "", "50000"],
        ]
        for row in rows:
            parts = row[3].split("<br>")
            more = re.fullmatch(r"… and (\d+) more", parts[-1])
            assert more is not None
            listed = len(parts) - 1
            assert listed > 100
            assert listed + int(more[1]) == 50_000
        listed_failed = sum(len(row[3].split("<br>")) - 1 for row in rows)
        listed_passed = len(re.findall(r"^- `", report, flags=re.MULTILINE))
        note = re.search(r"This report leaves out (\d+) failed and (\d+) passed URLs", report)
        assert note is not None
        assert (int(note[1]), int(note[2])) == (
            100_000 - listed_failed,
            100_000 - listed_passed,
        )
        assert "to stay under 1,000,000 bytes; the json and junit reports list every one." in report
        # Failures come first: the passes get only what is left, here next to nothing.
        assert listed_passed < 5
        assert f"- … and {100_000 - listed_passed} more\n\n</details>\n" in report

    def test_passes_fill_what_failures_leave(self) -> None:
        """With room after the failures, passes are listed in input order up to the limit."""
        results = [make_result(_long_url(i), i) for i in range(500)]
        results.append(
            make_result("https://x/", 500, status=None, error=(ErrorKind.DNS, "no such host"))
        )
        report = _report(results, max_bytes=20_000)
        assert len(report.encode("utf-8")) < 20_000
        listed = re.findall(r"^- `(https://[^`]+)`", report, flags=re.MULTILINE)
        assert 50 < len(listed) < 500
        assert listed == [_long_url(i) for i in range(len(listed))]
        assert f"- … and {500 - len(listed)} more\n" in report
        assert f"leaves out 0 failed and {500 - len(listed)} passed URLs" in report
        assert "under 20,000 bytes" in report

    def test_small_run_has_no_note(self) -> None:
        """A report that fits lists everything and has no note."""
        assert "leaves out" not in _report([_OK, _MISSING, _REFUSED])
