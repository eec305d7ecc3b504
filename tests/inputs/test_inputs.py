"""Turning input files, pipes and literal URLs into numbered jobs."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fetchall.inputs.reader import (
    InputError,
    JobReader,
    LineSplitter,
    Shard,
    jobs_from_lines,
    open_sources,
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


class TestOpenSources:
    """``open_sources`` checks every INPUT before anything is fetched."""

    def test_literal_url_stdin_and_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A URL argument, ``-`` and a file path each resolve to their kind, in order."""
        monkeypatch.chdir(tmp_path)
        Path("urls.txt").write_text("http://a/\n")
        sources = open_sources(["http://x/", "-", "urls.txt"])
        try:
            assert [(s.name, s.kind) for s in sources] == [
                ("http://x/", "url"),
                ("-", "stdin"),
                ("urls.txt", "file"),
            ]
            assert sources[0].fd is None
            assert sources[1].fd is None
            assert sources[2].fd is not None
        finally:
            if sources[2].fd is not None:
                os.close(sources[2].fd)

    def test_missing_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A missing file is an InputError naming it."""
        monkeypatch.chdir(tmp_path)
        with pytest.raises(InputError) as info:
            open_sources(["missing.txt"])
        assert str(info.value) == "cannot read input missing.txt: No such file or directory"

    def test_directory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A directory is an InputError naming it."""
        monkeypatch.chdir(tmp_path)
        Path("sub").mkdir()
        with pytest.raises(InputError) as info:
            open_sources(["sub"])
        assert str(info.value) == "cannot read input sub: is a directory"

    def test_several_problems_in_one_message(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every bad input is named in one message, good ones between them notwithstanding."""
        monkeypatch.chdir(tmp_path)
        Path("sub").mkdir()
        Path("good.txt").write_text("http://a/\n")
        with pytest.raises(InputError) as info:
            open_sources(["missing.txt", "good.txt", "http://x/", "sub"])
        assert str(info.value) == (
            "cannot read input missing.txt: No such file or directory; sub: is a directory"
        )

    def test_url_like_argument_is_not_a_path(self, tmp_path: Path) -> None:
        """An argument containing ``://`` is a URL even if invalid, never opened as a file."""
        sources = open_sources(["ftp://nowhere/x", "not-a-scheme://x"])
        assert [(s.name, s.kind) for s in sources] == [
            ("ftp://nowhere/x", "url"),
            ("not-a-scheme://x", "url"),
        ]

    def test_fifo_accepted_without_blocking(self, tmp_path: Path) -> None:
        """A FIFO with no writer is accepted at once; it is opened later by the reader."""
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        found: list[object] = []
        thread = threading.Thread(target=lambda: found.append(open_sources([str(fifo)])))
        thread.start()
        thread.join(timeout=5)
        if thread.is_alive():  # unblock the stuck open() so the test run can end
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            thread.join()
        assert len(found) == 1
        (sources,) = found
        assert isinstance(sources, list)
        assert [(s.name, s.kind, s.fd) for s in sources] == [(str(fifo), "file", None)]


class TestShard:
    """``Shard`` parses ``K/N`` and splits URLs by a stable hash."""

    def test_parse_valid(self) -> None:
        """``2/4`` is shard 2 of 4."""
        assert Shard.parse("2/4") == Shard(2, 4)

    def test_parse_single_shard(self) -> None:
        """``1/1`` is the one shard that keeps everything."""
        assert Shard.parse("1/1") == Shard(1, 1)
        assert Shard(1, 1).keeps("http://anything/")

    @pytest.mark.parametrize(
        ("spec", "message"),
        [
            ("0/3", "shard 0/3: need 1 <= K <= N"),
            ("4/3", "shard 4/3: need 1 <= K <= N"),
            ("a/b", "'a/b' is not K/N, e.g. 2/4"),
            ("3", "'3' is not K/N, e.g. 2/4"),
            ("", "'' is not K/N, e.g. 2/4"),
            ("-1/3", "'-1/3' is not K/N, e.g. 2/4"),
            ("1/0", "shard 1/0: need 1 <= K <= N"),
        ],
    )
    def test_parse_invalid(self, spec: str, message: str) -> None:
        """A malformed or out-of-range spec raises ValueError saying what is wrong."""
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            Shard.parse(spec)

    @pytest.mark.parametrize("n", [1, 2, 3, 7])
    def test_shards_are_disjoint_and_cover_all(self, n: int) -> None:
        """Each of 1,000 URLs is kept by exactly one of the N shards."""
        urls = [f"https://host{i % 13}.example/path/{i}?q={i * 7}" for i in range(1000)]
        owners = [[k for k in range(1, n + 1) if Shard(k, n).keeps(url)] for url in urls]
        assert all(len(owner) == 1 for owner in owners)
        if n > 1:
            sizes = [sum(owner == [k] for owner in owners) for k in range(1, n + 1)]
            assert min(sizes) > 1000 / n / 2  # no shard is starved

    # Computed once and hard-coded: if this changes, shard reports of different versions
    # no longer line up.
    _URLS = (
        "https://example.com/",
        "https://example.com/a",
        "http://[::1]:8080/x",
        "https://bücher.example/",
        "http://u:p@h/?q=1",
    )
    _OWNERS_OF_3 = (3, 2, 2, 1, 3)
    _OWNERS_OF_4 = (4, 1, 1, 4, 2)

    def test_stable_assignment(self) -> None:
        """Fixed URLs fall in the same shards as when this test was written."""
        assert tuple(self._owner(url, 3) for url in self._URLS) == self._OWNERS_OF_3
        assert tuple(self._owner(url, 4) for url in self._URLS) == self._OWNERS_OF_4

    @pytest.mark.parametrize("seed", ["1", "2"])
    def test_stable_across_hash_seeds(self, seed: str) -> None:
        """Another interpreter with a different PYTHONHASHSEED assigns the same shards."""
        code = (
            "import sys\n"
            "from fetchall.inputs.reader import Shard\n"
            f"urls = {list(self._URLS)!r}\n"
            "print([next(k for k in range(1, 4) if Shard(k, 3).keeps(u)) for u in urls])\n"
        )
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == str(list(self._OWNERS_OF_3))

    @staticmethod
    def _owner(url: str, n: int) -> int:
        return next(k for k in range(1, n + 1) if Shard(k, n).keeps(url))


async def _read_all(args: list[str], shard: Shard | None = None) -> list[Job]:
    reader = JobReader(open_sources(args), shard)
    try:
        return [job async for job in reader]
    finally:
        reader.close()


class TestJobReader:
    """``JobReader`` streams the jobs of every input, in order, with global indexes."""

    def test_files_and_literal_url(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Indexes continue across inputs; sources name the file and line, or ``arg``."""
        monkeypatch.chdir(tmp_path)
        Path("a.txt").write_bytes(b"http://a/1\n# comment\nhttp://a/2\n")
        Path("b.txt").write_bytes(b"\xef\xbb\xbf\nhttp://b/1\r\nftp://b/2")
        jobs = asyncio.run(_read_all(["a.txt", "http://arg/", "b.txt"]))
        assert jobs == [
            Job(0, "http://a/1", "a.txt:1"),
            Job(1, "http://a/2", "a.txt:3"),
            Job(2, "http://arg/", "arg"),
            Job(3, "http://b/1", "b.txt:2"),
            Job(4, "ftp://b/2", "b.txt:3"),
        ]

    def test_shard_keeps_global_index(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With a shard, the kept jobs keep the index they have in the whole input."""
        monkeypatch.chdir(tmp_path)
        Path("a.txt").write_text("".join(f"http://a/{i}\n" for i in range(40)))
        Path("b.txt").write_text("".join(f"# c\nhttp://b/{i}\n" for i in range(40)))
        args = ["a.txt", "http://arg/", "b.txt"]
        everything = asyncio.run(_read_all(args))
        assert len(everything) == 81
        merged: list[Job] = []
        for k in (1, 2, 3):
            shard = Shard(k, 3)
            kept = asyncio.run(_read_all(args, shard))
            assert kept == [job for job in everything if shard.keeps(job.url)]
            assert 0 < len(kept) < 81
            merged += kept
        assert sorted(merged, key=lambda job: job.index) == everything
