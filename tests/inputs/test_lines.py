"""A line of input text → a job: splitting, skipping, stripping, and the 8 KiB bound."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from fetchall.inputs.lines import (
    LineSplitter,
    is_job,
    job_url,
    jobs_from_lines,
    read_jobs,
)
from fetchall.models import Job
from fetchall.urls import MAX_LINE_BYTES, invalid_result

_MIXED = b"http://a/1\r\nhttp://a/2\n\n  # comment\r\nhttp://a/3\r\n\r\nhttp://a/4"
_MIXED_LINES = [
    (1, b"http://a/1\r"),
    (2, b"http://a/2"),
    (3, b""),
    (4, b"  # comment\r"),
    (5, b"http://a/3\r"),
    (6, b"\r"),
    (7, b"http://a/4"),
]


def _split(data: bytes, *cuts: int) -> list[tuple[int, bytes]]:
    """Feed ``data`` to a fresh LineSplitter in pieces cut at ``cuts``, then finish."""
    splitter = LineSplitter()
    lines: list[tuple[int, bytes]] = []
    bounds = [0, *cuts, len(data)]
    for start, end in itertools.pairwise(bounds):
        lines += splitter.feed(data[start:end])
    return lines + splitter.finish()


def _all_jobs(fd: int, name: str, first_index: int = 0) -> list[Job]:
    return [job for batch in read_jobs(fd, name, first_index) for job in batch]


class TestLineSplitter:
    """``LineSplitter`` cuts a byte stream into numbered lines whatever the chunking."""

    def test_lf(self) -> None:
        """LF-terminated lines come out numbered from 1, without the newline."""
        assert _split(b"a\nb\n") == [(1, b"a"), (2, b"b")]

    def test_crlf_keeps_carriage_return_for_the_stripper(self) -> None:
        """With CRLF the line keeps its ``\\r``; ``jobs_from_lines`` strips it later."""
        assert _split(b"a\r\nb\r\n") == [(1, b"a\r"), (2, b"b\r")]

    def test_no_trailing_newline(self) -> None:
        """A last line without newline is returned by ``finish``."""
        splitter = LineSplitter()
        assert splitter.feed(b"a\nb") == [(1, b"a")]
        assert splitter.finish() == [(2, b"b")]

    def test_finish_after_trailing_newline_is_empty(self) -> None:
        """``finish`` returns nothing when the stream ended with a newline."""
        splitter = LineSplitter()
        splitter.feed(b"a\n")
        assert splitter.finish() == []

    def test_empty_stream(self) -> None:
        """An empty stream has no lines."""
        assert _split(b"") == []

    def test_mixed_in_one_chunk(self) -> None:
        """CRLF, LF, blank lines and a missing final newline in one chunk."""
        assert _split(_MIXED) == _MIXED_LINES

    def test_every_single_cut(self) -> None:
        """Cutting the stream in two at any position gives the same lines."""
        for cut in range(len(_MIXED) + 1):
            assert _split(_MIXED, cut) == _MIXED_LINES, cut

    def test_every_pair_of_cuts(self) -> None:
        """Cutting the stream in three at any two positions gives the same lines."""
        for first in range(len(_MIXED) + 1):
            for second in range(first, len(_MIXED) + 1):
                assert _split(_MIXED, first, second) == _MIXED_LINES, (first, second)

    def test_byte_by_byte(self) -> None:
        """Feeding one byte at a time gives the same lines."""
        assert _split(_MIXED, *range(1, len(_MIXED))) == _MIXED_LINES

    def test_overlong_line_is_cut(self) -> None:
        """A line over the limit is cut to MAX_LINE_BYTES + 1 bytes, and later lines keep
        their numbers."""
        long_line = b"http://x/" + b"a" * (MAX_LINE_BYTES * 3)
        data = b"first\n" + long_line + b"\nthird\nfourth"
        expected = [
            (1, b"first"),
            (2, long_line[: MAX_LINE_BYTES + 1]),
            (3, b"third"),
            (4, b"fourth"),
        ]
        assert _split(data) == expected

    def test_overlong_line_cut_anywhere(self) -> None:
        """The overlong cut is the same wherever chunk boundaries fall, near the limit too."""
        long_line = b"b" * (MAX_LINE_BYTES + 50)
        data = b"a\n" + long_line + b"\r\nc\n"
        expected = [(1, b"a"), (2, long_line[: MAX_LINE_BYTES + 1]), (3, b"c")]
        near_limit = range(MAX_LINE_BYTES - 5, MAX_LINE_BYTES + 60)
        for cut in [*range(0, len(data) + 1, 97), *near_limit]:
            assert _split(data, cut) == expected, cut
        assert _split(data, *range(1000, len(data), 1000)) == expected

    def test_overlong_last_line_without_newline(self) -> None:
        """An overlong last line without newline is cut too."""
        data = b"x" * (MAX_LINE_BYTES * 2)
        assert _split(data, 100, MAX_LINE_BYTES) == [(1, data[: MAX_LINE_BYTES + 1])]

    def test_line_of_exactly_the_limit_is_whole(self) -> None:
        """A line of exactly MAX_LINE_BYTES bytes is kept whole."""
        line = b"y" * MAX_LINE_BYTES
        assert _split(line + b"\nz", MAX_LINE_BYTES) == [(1, line), (2, b"z")]


class TestJobsFromLines:
    """``jobs_from_lines`` turns numbered lines into jobs, skipping blanks and comments."""

    def test_mixed(self) -> None:
        """Blank and comment lines are skipped; whitespace is stripped; lines keep numbers."""
        jobs = jobs_from_lines(_MIXED_LINES, "urls.txt", 0)
        assert jobs == [
            Job(0, "http://a/1", "urls.txt:1"),
            Job(1, "http://a/2", "urls.txt:2"),
            Job(2, "http://a/3", "urls.txt:5"),
            Job(3, "http://a/4", "urls.txt:7"),
        ]

    def test_first_index(self) -> None:
        """Indexes start at ``first_index`` and count only jobs."""
        lines = [(1, b"# c"), (2, b"http://a/"), (3, b""), (4, b"http://b/")]
        assert jobs_from_lines(lines, "-", 7) == [
            Job(7, "http://a/", "-:2"),
            Job(8, "http://b/", "-:4"),
        ]

    def test_bom_on_first_line_stripped(self) -> None:
        """A UTF-8 BOM at the start of line 1 is dropped."""
        assert jobs_from_lines([(1, b"\xef\xbb\xbfhttp://a/")], "f", 0) == [
            Job(0, "http://a/", "f:1")
        ]

    def test_bom_before_comment_on_first_line(self) -> None:
        """A BOM followed by a comment still makes line 1 a comment."""
        assert jobs_from_lines([(1, b"\xef\xbb\xbf# c"), (2, b"http://a/")], "f", 0) == [
            Job(0, "http://a/", "f:2")
        ]

    def test_bom_on_later_line_kept(self) -> None:
        """A BOM on a later line is part of the line (and makes it invalid)."""
        jobs = jobs_from_lines([(1, b"http://a/"), (2, b"\xef\xbb\xbfhttp://b/")], "f", 0)
        assert jobs[1] == Job(1, "\ufeffhttp://b/", "f:2")

    @pytest.mark.parametrize(
        "line", [b"#", b"# comment", b"  # indented", b"\t#tab", b"#http://a/"]
    )
    def test_comments_skipped(self, line: bytes) -> None:
        """Lines whose first non-blank character is ``#`` are skipped."""
        assert jobs_from_lines([(1, line)], "f", 0) == []

    @pytest.mark.parametrize("line", [b"", b"   ", b"\t", b"\r", b" \t\r"])
    def test_blank_lines_skipped(self, line: bytes) -> None:
        """Empty and whitespace-only lines are skipped."""
        assert jobs_from_lines([(1, line)], "f", 0) == []

    def test_hash_inside_url_kept(self) -> None:
        """A ``#`` after the start of the line is a fragment, not a comment."""
        assert jobs_from_lines([(1, b"  http://a/#frag\t")], "f", 0) == [
            Job(0, "http://a/#frag", "f:1")
        ]

    def test_undecodable_bytes_kept_for_the_validator(self) -> None:
        """Undecodable bytes survive as surrogate escapes, so the line is rejected later."""
        jobs = jobs_from_lines([(1, b"http://x/\xff")], "f", 0)
        assert jobs == [Job(0, "http://x/\udcff", "f:1")]


class TestReadJobs:
    """``read_jobs`` reads numbered jobs from a file descriptor."""

    def test_pipe(self) -> None:
        """Jobs are read from a pipe until its writer closes it."""
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, b"\xef\xbb\xbfhttp://a/\r\n# c\n\nhttp://b/")
            os.close(write_fd)
            assert _all_jobs(read_fd, "-", 3) == [
                Job(3, "http://a/", "-:1"),
                Job(4, "http://b/", "-:4"),
            ]
        finally:
            os.close(read_fd)

    def test_temp_file_across_read_chunks(self, tmp_path: Path) -> None:
        """A file larger than one read keeps counting lines and indexes across reads."""
        path = tmp_path / "urls.txt"
        path.write_bytes(b"".join(b"# skip\nhttp://h/%d\n" % i for i in range(20_000)))
        fd = os.open(path, os.O_RDONLY)
        try:
            jobs = _all_jobs(fd, "urls.txt")
        finally:
            os.close(fd)
        assert len(jobs) == 20_000
        assert [job.index for job in jobs] == list(range(20_000))
        assert jobs[-1] == Job(19_999, "http://h/19999", "urls.txt:40000")

    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file yields no batch at all."""
        path = tmp_path / "empty.txt"
        path.write_bytes(b"")
        fd = os.open(path, os.O_RDONLY)
        try:
            assert list(read_jobs(fd, "empty.txt", 0)) == []
        finally:
            os.close(fd)

    def test_overlong_line_is_rejected_and_later_lines_numbered(self, tmp_path: Path) -> None:
        """An overlong line becomes an invalid job and the next lines keep their numbers."""
        path = tmp_path / "long.txt"
        path.write_bytes(b"http://x/" + b"a" * (3 * MAX_LINE_BYTES) + b"\nhttp://y/\n")
        fd = os.open(path, os.O_RDONLY)
        try:
            jobs = _all_jobs(fd, "long.txt")
        finally:
            os.close(fd)
        assert [(job.index, job.source) for job in jobs] == [(0, "long.txt:1"), (1, "long.txt:2")]
        first = invalid_result(jobs[0])
        assert first is not None
        assert first.error is not None
        assert first.error.message == "long.txt:1 line longer than 8 KiB"
        assert invalid_result(jobs[1]) is None

    @pytest.mark.parametrize(
        "line",
        [
            # Over 8 KiB with spaces inside: cutting at the limit must not make it valid.
            b"http://x/" + b"a" * (MAX_LINE_BYTES - 12) + b"    tail",
            # Leading blanks push a short URL past the cut: it must not be fetched truncated.
            b" " * (MAX_LINE_BYTES - 200) + b"http://x/" + b"a" * 500,
        ],
    )
    def test_cut_line_is_never_fetched_truncated(self, tmp_path: Path, line: bytes) -> None:
        """A line over 8 KiB is either rejected or fetched whole, never cut to a shorter URL."""
        path = tmp_path / "long.txt"
        path.write_bytes(line + b"\n")
        fd = os.open(path, os.O_RDONLY)
        try:
            (job,) = _all_jobs(fd, "long.txt")
        finally:
            os.close(fd)
        whole = line.decode().strip()
        accepted = invalid_result(job) is None
        assert not accepted or job.url == whole, (
            f"accepted a {len(job.url)}-byte cut of a {len(whole)}-byte URL"
        )


class TestLineRules:
    """Each rule a line follows, with the exact job it gives."""

    def test_crlf_is_not_part_of_the_url(self) -> None:
        """The ``\\r`` of a CRLF line is dropped with the newline."""
        assert jobs_from_lines([(3, b"http://a/\r")], "f", 0) == [Job(0, "http://a/", "f:3")]

    def test_a_line_of_the_limit_and_a_carriage_return_is_not_too_long(self) -> None:
        """The limit counts the line without its CRLF: 8 KiB plus ``\\r`` is still whole."""
        url = b"http://x/" + b"a" * (MAX_LINE_BYTES - 9)
        (job,) = jobs_from_lines([(1, url + b"\r")], "f", 0)
        assert job == Job(0, url.decode(), "f:1")

    def test_a_line_over_the_limit_names_its_problem(self) -> None:
        """One byte over the limit: the job carries the first word and the problem."""
        line = b"http://x/" + b"a" * (MAX_LINE_BYTES - 8)
        assert len(line) == MAX_LINE_BYTES + 1
        assert jobs_from_lines([(2, line)], "f", 4) == [
            Job(4, line.decode(), "f:2", "line longer than 8 KiB")
        ]

    def test_words_after_the_url_are_its_checks(self) -> None:
        """``URL status=200`` is a job for the URL with one check."""
        (job,) = jobs_from_lines([(1, b"http://a/ status=200")], "f", 0)
        assert (job.index, job.url, job.source, job.problem) == (0, "http://a/", "f:1", None)
        assert [str(check) for check in job.checks] == ["status=200"]

    def test_a_bad_check_is_the_lines_problem(self) -> None:
        """A word after the URL that is no check: the job names it, and has no checks."""
        (job,) = jobs_from_lines([(1, b"http://a/ nonsense")], "f", 0)
        assert job == Job(
            0,
            "http://a/",
            "f:1",
            "bad check 'nonsense': unknown key 'nonsense'; "
            "keys are status, body, header:NAME, json:PATH, time, cert, final",
        )


class TestJobUrl:
    """``job_url`` and ``is_job``: the same rule, for the count that reads no jobs."""

    @pytest.mark.parametrize(
        ("line", "url"),
        [
            (b"http://a/", "http://a/"),
            (b"  http://a/ status=200\r", "http://a/"),
            (b"", None),
            (b" \t\r", None),
            (b"# comment", None),
            (b"\x1c\x1f", None),  # blanks to str.strip(), not to bytes.strip()
            ("\u3000#x".encode(), None),
            ("\u00a0http://a/".encode(), "http://a/"),
            (b"\xffhttp://a/", "\udcffhttp://a/"),
        ],
    )
    def test_each_kind_of_line(self, line: bytes, url: str | None) -> None:
        """The URL a line's job fetches, or None for no job; ``is_job`` agrees."""
        assert job_url(line) == url
        assert is_job(line) is (url is not None)
        jobs = jobs_from_lines([(2, line)], "f", 0)
        assert [job.url for job in jobs] == ([] if url is None else [url])
