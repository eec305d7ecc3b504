"""The ``text`` format: a line per shown result, the grouped errors, a summary."""

from __future__ import annotations

from support.results import make_result

from fetchall.formats import Format, FormatContext
from fetchall.formats.base import HELD_IN_MEMORY
from fetchall.formats.text import TextFormat
from fetchall.models import ErrorKind, Mode, Result, Summary


def _result(
    url: str,
    index: int = 0,
    *,
    status: int | None = 200,
    size: int = 0,
    elapsed_ms: int = 10,
    error: tuple[ErrorKind, str] | None = None,
) -> Result:
    """A result for the text lines: ok unless ``error`` is given."""
    return make_result(url, index, status=status, size=size, elapsed_ms=elapsed_ms, error=error)


_OK = _result("https://example.com/", 0, size=1234, elapsed_ms=35)
_NOT_FOUND = _result(
    "https://example.com/missing",
    1,
    status=404,
    elapsed_ms=12,
    error=(ErrorKind.HTTP_STATUS, "HTTP 404 Not Found"),
)
_TIMEOUT = _result(
    "https://slow.example/",
    2,
    status=None,
    elapsed_ms=30_000,
    error=(ErrorKind.TIMEOUT, "timed out after 30.0 s"),
)
_INVALID = _result(
    "ftp://x",
    6,
    status=None,
    elapsed_ms=0,
    error=(ErrorKind.INVALID_URL, "urls.txt:7 not an http(s) URL"),
)
_CANCELLED = _result(
    "https://later.example/",
    3,
    status=None,
    error=(ErrorKind.CANCELLED, "a sibling failed"),
)


class TestResultLines:
    """Each result the mode shows is one aligned line."""

    def test_ok_line(self) -> None:
        """An ok result shows status, size, time and URL."""
        text = TextFormat(Mode.INDEPENDENT)
        assert text.result(_OK) == "ok    200   1.2 KiB      35 ms  https://example.com/\n"

    def test_http_status_line(self) -> None:
        """An HTTP status failure shows the status in place of the kind."""
        text = TextFormat(Mode.INDEPENDENT)
        assert text.result(_NOT_FOUND) == (
            "FAIL  404   0 B          12 ms  https://example.com/missing\n"
        )

    def test_other_failure_line(self) -> None:
        """A failure without response shows its kind and message."""
        text = TextFormat(Mode.INDEPENDENT)
        assert text.result(_TIMEOUT) == (
            "FAIL  timeout  timed out after 30.0 s  https://slow.example/\n"
        )

    def test_failures_that_came_with_a_status_show_kind_and_message(self) -> None:
        """too_large and expectation have a 200 status, which alone would read as a success."""
        text = TextFormat(Mode.INDEPENDENT)
        big = _result(
            "https://big/",
            status=200,
            error=(ErrorKind.TOO_LARGE, "body is over --max-size 10 bytes"),
        )
        wrong = _result(
            "https://x/", status=200, error=(ErrorKind.EXPECTATION, "body~Welcome: not found")
        )
        assert (
            text.result(big) == "FAIL  too_large  body is over --max-size 10 bytes  https://big/\n"
        )
        assert text.result(wrong) == "FAIL  expectation  body~Welcome: not found  https://x/\n"

    def test_invalid_url_line(self) -> None:
        """An invalid line shows ``invalid_url``, the message naming its source, and the text."""
        text = TextFormat(Mode.INDEPENDENT)
        assert (
            text.result(_INVALID) == "FAIL  invalid_url  urls.txt:7 not an http(s) URL  ftp://x\n"
        )

    def test_sizes_and_times(self) -> None:
        """Bytes scale to KiB/MiB/GiB and times over a second are shown in seconds."""
        text = TextFormat(Mode.INDEPENDENT)
        lines = [
            text.result(_result("http://a/", size=512, elapsed_ms=999)),
            text.result(_result("http://b/", size=5 * 1024**2, elapsed_ms=1500)),
            text.result(_result("http://c/", size=3 * 1024**3, elapsed_ms=61_000)),
        ]
        assert lines == [
            "ok    200   512 B       999 ms  http://a/\n",
            "ok    200   5.0 MiB      1.5 s  http://b/\n",
            "ok    200   3.0 GiB     61.0 s  http://c/\n",
        ]

    def test_cancelled_has_no_line(self) -> None:
        """A cancelled result gets no line of its own."""
        assert TextFormat(Mode.ALL).result(_CANCELLED) == ""

    def test_quiet_drops_ok_lines_only(self) -> None:
        """With quiet, ok lines are dropped and failures still shown."""
        text = TextFormat(Mode.INDEPENDENT, quiet=True)
        assert [text.result(r) for r in (_OK, _NOT_FOUND)] == [
            "",
            "FAIL  404   0 B          12 ms  https://example.com/missing\n",
        ]

    def test_first_mode_shows_only_the_winner(self) -> None:
        """In first mode the failures before the winner and the cancelled have no line."""
        text = TextFormat(Mode.FIRST)
        lines = [text.result(r) for r in (_TIMEOUT, _NOT_FOUND, _OK, _CANCELLED)]
        assert lines == ["", "", "ok    200   1.2 KiB      35 ms  https://example.com/\n", ""]

    def test_color(self) -> None:
        """With colour on, the ok and FAIL words are painted green and red."""
        text = TextFormat(Mode.INDEPENDENT, color=True)
        assert text.result(_OK).startswith("\x1b[32mok   \x1b[0m 200 ")
        assert text.result(_TIMEOUT).startswith("\x1b[31mFAIL \x1b[0m timeout ")

    def test_format_enum_builds_it(self) -> None:
        """``Format.TEXT.formatter`` gives a text formatter with the given options."""
        text = Format.TEXT.formatter(Mode.INDEPENDENT, FormatContext(quiet=True))
        assert isinstance(text, TextFormat)
        assert text.result(_OK) == ""


class TestEnd:
    """The end of the report: failures grouped by kind, then the summary line."""

    def test_summary_only_when_all_ok(self) -> None:
        """Without failures only the summary line is written."""
        text = TextFormat(Mode.INDEPENDENT)
        text.result(_OK)
        summary = Summary(mode=Mode.INDEPENDENT, ok=1, failed=0, cancelled=0, elapsed_s=1.234)
        assert text.end(summary) == "1 ok, 0 failed, 0 cancelled in 1.23 s\n"

    def test_grouped_errors(self) -> None:
        """Groups are largest first, at most 10 URLs each then ``… and N more``; cancelled
        results and successes are not errors."""
        text = TextFormat(Mode.INDEPENDENT)
        results = [
            *(
                _result(
                    f"https://h.example/{i}",
                    i,
                    status=404,
                    error=(ErrorKind.HTTP_STATUS, "HTTP 404 Not Found"),
                )
                for i in range(12)
            ),
            _result(
                "https://h.example/e", 12, status=500, error=(ErrorKind.HTTP_STATUS, "HTTP 500")
            ),
            _TIMEOUT,
            _INVALID,
            _result("bad", 20, status=None, error=(ErrorKind.INVALID_URL, "urls.txt:21 x")),
            _OK,
            _CANCELLED,
        ]
        for result in results:
            text.result(result)
        summary = Summary(mode=Mode.INDEPENDENT, ok=1, failed=16, cancelled=1, elapsed_s=98.765)
        assert text.end(summary) == (
            "errors:\n"
            "  http_status 404 (12)\n"
            + "".join(f"    https://h.example/{i}\n" for i in range(10))
            + "    … and 2 more\n"
            "  invalid_url (2)\n"
            "    ftp://x\n"
            "    bad\n"
            "  http_status 500 (1)\n"
            "    https://h.example/e\n"
            "  timeout (1)\n"
            "    https://slow.example/\n"
            "1 ok, 16 failed, 1 cancelled in 98.77 s\n"
        )

    def test_first_mode_all_failed_prints_groups(self) -> None:
        """In first mode, when every job failed, the held failures and the groups are printed."""
        text = TextFormat(Mode.FIRST)
        for result in (_TIMEOUT, _NOT_FOUND):
            assert text.result(result) == ""
        summary = Summary(mode=Mode.FIRST, ok=0, failed=2, cancelled=0, elapsed_s=0.5)
        assert text.end(summary) == (
            "FAIL  timeout  timed out after 30.0 s  https://slow.example/\n"
            "FAIL  404   0 B          12 ms  https://example.com/missing\n"
            "errors:\n"
            "  http_status 404 (1)\n"
            "    https://example.com/missing\n"
            "  timeout (1)\n"
            "    https://slow.example/\n"
            "0 ok, 2 failed, 0 cancelled in 0.50 s\n"
        )

    def test_all_mode_cancelled_counted_in_summary_only(self) -> None:
        """In all mode the failure is grouped; the cancelled jobs only count in the summary."""
        text = TextFormat(Mode.ALL)
        for result in (_NOT_FOUND, _CANCELLED, _CANCELLED):
            text.result(result)
        summary = Summary(mode=Mode.ALL, ok=0, failed=1, cancelled=2, elapsed_s=0.0)
        assert text.end(summary) == (
            "errors:\n"
            "  http_status 404 (1)\n"
            "    https://example.com/missing\n"
            "0 ok, 1 failed, 2 cancelled in 0.00 s\n"
        )


class TestSummary:
    """``Summary`` counts a run and applies the mode's rule for success."""

    def test_total_and_dict(self) -> None:
        """The total adds all three counts and elapsed_s is rounded to milliseconds."""
        summary = Summary(mode=Mode.INDEPENDENT, ok=3, failed=2, cancelled=1, elapsed_s=1.23456)
        assert summary.total == 6
        assert summary.to_dict() == {
            "ok": 3,
            "failed": 2,
            "cancelled": 1,
            "total": 6,
            "elapsed_s": 1.235,
            "warnings": 0,
        }

    def test_independent_and_all(self) -> None:
        """In independent and all modes, success means no job failed or was cancelled (a shard
        that kept no job of its input has nothing that failed)."""
        for mode in (Mode.INDEPENDENT, Mode.ALL):
            assert Summary(mode=mode, ok=2, failed=0, cancelled=0, elapsed_s=1.0).succeeded
            assert not Summary(mode=mode, ok=2, failed=1, cancelled=0, elapsed_s=1.0).succeeded
            assert not Summary(mode=mode, ok=2, failed=0, cancelled=1, elapsed_s=1.0).succeeded
            assert Summary(mode=mode, ok=0, failed=0, cancelled=0, elapsed_s=1.0).succeeded

    def test_first(self) -> None:
        """In first mode, success means one job succeeded, whatever else happened."""
        assert Summary(mode=Mode.FIRST, ok=1, failed=5, cancelled=9, elapsed_s=1.0).succeeded
        assert not Summary(mode=Mode.FIRST, ok=0, failed=5, cancelled=0, elapsed_s=1.0).succeeded
        assert not Summary(mode=Mode.FIRST, ok=0, failed=0, cancelled=0, elapsed_s=1.0).succeeded


class TestLongLostRace:
    def test_every_held_failure_shows_in_order_past_the_memory_bound(self) -> None:
        """A race nobody wins shows all its failures at the end, in the order they came,
        however many there were (past HELD_IN_MEMORY they wait in a temporary file)."""
        count = HELD_IN_MEMORY * 2 + 7
        text = TextFormat(Mode.FIRST)
        for index in range(count):
            failure = _result(f"https://x/{index}", index, status=None, error=(ErrorKind.DNS, "no"))
            assert text.result(failure) == ""
        summary = Summary(mode=Mode.FIRST, ok=0, failed=count, cancelled=0, elapsed_s=1.0)
        lines = text.end(summary).splitlines()
        shown = [line.rsplit(" ", 1)[1] for line in lines[:count]]
        assert shown == [f"https://x/{index}" for index in range(count)]
        assert lines[count] == "errors:"

    def test_a_won_race_forgets_what_it_held(self) -> None:
        text = TextFormat(Mode.FIRST)
        for index in range(HELD_IN_MEMORY + 5):
            text.result(
                _result(f"https://x/{index}", index, status=None, error=(ErrorKind.DNS, "no"))
            )
        assert text.result(_result("https://win/", 99999)).startswith("ok ")
        summary = Summary(
            mode=Mode.FIRST, ok=1, failed=HELD_IN_MEMORY + 5, cancelled=0, elapsed_s=1
        )
        assert text.end(summary) == f"1 ok, {HELD_IN_MEMORY + 5} failed, 0 cancelled in 1.00 s\n"
