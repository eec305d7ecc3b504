"""The progress line's total: the jobs in the inputs, counted as the reader would read them."""

from __future__ import annotations

import asyncio
import errno
import io
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fetchall.inputs.counting import InputTotal, count_file, count_jobs
from fetchall.inputs.lines import read_jobs_with
from fetchall.inputs.reader import JobReader
from fetchall.inputs.sharding import Shard
from fetchall.inputs.sources import open_sources
from fetchall.urls import MAX_LINE_BYTES

# Pieces of lines that the reader treats in different ways: URLs, comments, every kind of
# blank (ASCII, \x1c-\x1f, non-ASCII spaces), a byte-order mark, bytes that are not UTF-8.
PIECES = [
    b"https://example.com/a", b"http://h/x?y=1", b"ftp://x", b"#", b"# note", b" ", b"\t",
    b"\r", b"\x0b", b"\x1c", b"\x1f", "\u00a0".encode(), "\u3000".encode(), b"\xef\xbb\xbf",
    b"\xff", b"\xc2\x85", b"x", "\u00e9".encode(),
]  # fmt: skip
LONG = b" " * (MAX_LINE_BYTES - 2)  # with a piece or two, a line crosses the reader's cut


def reader_of(data: bytes, most: int) -> Callable[[int], bytes]:
    """``read(size)`` over ``data`` that never returns more than ``most`` bytes at once."""
    stream = io.BytesIO(data)
    return lambda size: stream.read(min(size, most))


def jobs_read(data: bytes, shard: Shard | None) -> int:
    """How many jobs the run's own reader finds in ``data``, with ``shard``."""
    batches = read_jobs_with(reader_of(data, 1 << 16), "f", 0)
    return sum(1 for batch in batches for job in batch if shard is None or shard.keeps(job.url))


lines = st.lists(st.lists(st.sampled_from([*PIECES, LONG]), max_size=4).map(b"".join), max_size=30)


class TestCountJobs:
    @settings(max_examples=300, deadline=None)
    @given(
        lines=lines,
        end=st.sampled_from([b"", b"\n", b"\r\n"]),
        most=st.integers(1, 40),
        shard=st.sampled_from([None, Shard(1, 2), Shard(2, 3)]),
    )
    def test_same_count_as_the_reader(
        self, lines: list[bytes], end: bytes, most: int, shard: Shard | None
    ) -> None:
        """Whatever the lines and however the reads cut them, the count is the reader's."""
        data = b"\n".join(lines) + end
        assert count_jobs(reader_of(data, most), shard) == jobs_read(data, shard)

    def test_blank_and_comment_lines_are_no_jobs(self) -> None:
        """Comments, blank lines and a byte-order mark are skipped; CRLF ends work."""
        data = b"\xef\xbb\xbf# list\r\nhttp://a/\r\n\r\n   \n\t# x\nhttp://b/\nnot a url"
        assert count_jobs(reader_of(data, 1 << 16)) == 3

    def test_a_huge_line_is_one_job_and_not_held(self) -> None:
        """A line of 50 MB without a newline counts once; it is read in chunks."""
        chunks = [b"http://a/\n", *[b"x" * (1 << 20)] * 50]
        sizes: list[int] = []

        def read(size: int) -> bytes:
            sizes.append(size)
            return chunks.pop(0) if chunks else b""

        assert count_jobs(read) == 2
        assert max(sizes) <= 1 << 20

    def test_stops_when_asked(self) -> None:
        """``stopped()`` true: the count gives up with None."""
        assert count_jobs(reader_of(b"http://a/\n" * 10, 5), stopped=lambda: True) is None


def wait_for_total(total: InputTotal, timeout: float = 10) -> int | None:
    """The total once the counting thread has it (None after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while (value := total.get()) is None and time.monotonic() < deadline:
        time.sleep(0.001)
    return value


def started(total: InputTotal, sources: list[str], shard: Shard | None = None) -> InputTotal:
    """``total`` started beside a reader of ``sources`` (as the run reads them: with the same
    shard) that is closed at once."""

    async def start() -> None:
        reader = JobReader(open_sources(sources), shard)
        total.start(reader)
        reader.close()

    asyncio.run(start())
    return total


class TestInputTotal:
    def test_arguments_are_known_at_once(self) -> None:
        """URLs given as arguments count one each, before anything starts."""
        assert InputTotal(["http://a/", "http://b/"]).get() == 2

    def test_arguments_in_a_shard(self) -> None:
        """With --shard, only the URLs the shard keeps count."""
        urls = [f"http://h/{i}" for i in range(40)]
        shard = Shard(2, 3)
        assert InputTotal(urls, shard).get() == sum(map(shard.keeps, urls))

    def test_files_and_arguments_are_counted_beside_the_run(self, tmp_path: Path) -> None:
        """Regular files are counted by a thread, arguments added."""
        first, second = tmp_path / "a.txt", tmp_path / "b.txt"
        first.write_text("# two\nhttp://a/1\nhttp://a/2\n", encoding="utf-8")
        second.write_text("\n".join(f"http://b/{i}" for i in range(5000)), encoding="utf-8")
        total = InputTotal([str(first), "http://c/", str(second)])
        assert total.get() is None  # nothing counted before the run starts
        assert wait_for_total(started(total, [str(first), "http://c/", str(second)])) == 5003

    def test_a_file_in_a_shard(self, tmp_path: Path) -> None:
        """A file's count with --shard is the share the reader keeps."""
        urls = [f"http://h/{i}" for i in range(300)]
        path = tmp_path / "urls.txt"
        path.write_text("\n".join(urls) + "\n", encoding="utf-8")
        shard = Shard(1, 4)
        total = started(InputTotal([str(path)], shard), [str(path)], shard)
        assert wait_for_total(total) == sum(map(shard.keeps, urls))

    def test_a_pipe_is_known_when_the_reader_reaches_its_end(self, tmp_path: Path) -> None:
        """A FIFO is never opened by the count: its total is the reader's, at its end."""
        fifo = tmp_path / "urls.fifo"
        os.mkfifo(fifo)

        async def read_all() -> tuple[int | None, int | None]:
            reader = JobReader(open_sources([str(fifo), "http://x/"]))
            total = InputTotal([str(fifo), "http://x/"])
            total.start(reader)
            # No writer yet: the reader thread is still waiting to open the FIFO.
            before = total.get()
            with open(fifo, "wb") as writer:  # noqa: ASYNC230 (the reader thread opens it too)
                writer.write(b"http://a/\n# c\nhttp://b/\n")
            async for _ in reader:
                pass
            return before, total.get()

        before, after = asyncio.run(read_all())
        assert before is None
        assert after == 3


class TestCountFile:
    """``count_file`` counts regular files only, and gives up on anything else."""

    def test_a_regular_file(self, tmp_path: Path) -> None:
        """A regular file's jobs, comments and blanks left out."""
        path = tmp_path / "urls.txt"
        path.write_bytes(b"# list\nhttp://a/\n\nhttp://b/\n")
        assert count_file(str(path)) == 2

    def test_a_missing_file(self, tmp_path: Path) -> None:
        """A file gone since the run checked it: no count."""
        assert count_file(str(tmp_path / "gone.txt")) is None

    def test_a_fifo_is_not_opened(self, tmp_path: Path) -> None:
        """A FIFO is left to the run's reader, its one reader."""
        fifo = tmp_path / "urls.fifo"
        os.mkfifo(fifo)
        assert count_file(str(fifo)) is None

    def test_a_file_replaced_by_a_fifo_after_the_check(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """What was opened is checked again: a FIFO there now is not counted."""
        fifo = tmp_path / "urls.fifo"
        os.mkfifo(fifo)
        regular = os.stat(__file__)
        monkeypatch.setattr(os, "stat", lambda path: regular)
        assert count_file(str(fifo)) is None

    def test_a_read_error(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file that fails while being read: no count."""
        path = tmp_path / "urls.txt"
        path.write_bytes(b"http://a/\n")

        def fail(fd: int, size: int) -> bytes:
            raise OSError(errno.EIO, "I/O error")

        monkeypatch.setattr(os, "read", fail)
        assert count_file(str(path)) is None


def counting_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """The counting threads started since ``before``."""
    return [t for t in threading.enumerate() if t not in before and t.name == "fetchall-count"]


@pytest.fixture(name="stuck_fifo")
def _stuck_fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO no one writes to until the test ends: a reader of it never knows a total."""
    fifo = tmp_path / "stuck.fifo"
    os.mkfifo(fifo)
    yield fifo
    with open(fifo, "wb"):  # the reader thread waits in open(): let it go
        pass


def counted_beside(total: InputTotal, stuck_fifo: Path) -> InputTotal:
    """``total`` once its counting thread is done, started beside a reader that knows none."""
    before = set(threading.enumerate())
    started(total, [str(stuck_fifo)])
    for thread in counting_threads(before):
        thread.join(timeout=10)
        assert not thread.is_alive()
    return total


class TestInputTotalGivesUp:
    """A total that cannot be known stays None: the progress line shows no total."""

    def test_counted_beside_a_reader_that_knows_none(
        self, tmp_path: Path, stuck_fifo: Path
    ) -> None:
        """The count alone gives the total when the reader cannot."""
        path = tmp_path / "urls.txt"
        path.write_text("http://a/\nhttp://b/\n", encoding="utf-8")
        assert counted_beside(InputTotal([str(path), "http://c/"]), stuck_fifo).get() == 3

    def test_closed_before_counting(self, tmp_path: Path, stuck_fifo: Path) -> None:
        """A run over before the count began: the count stops at its first read."""
        path = tmp_path / "urls.txt"
        path.write_text("http://a/\n", encoding="utf-8")
        total = InputTotal([str(path)])
        total.close()
        assert counted_beside(total, stuck_fifo).get() is None

    def test_a_file_that_cannot_be_counted(self, tmp_path: Path, stuck_fifo: Path) -> None:
        """A file gone before it is counted: no total, though the other inputs count."""
        path = tmp_path / "urls.txt"
        path.write_text("http://a/\n", encoding="utf-8")
        total = InputTotal([str(path), str(tmp_path / "gone.txt")])
        assert counted_beside(total, stuck_fifo).get() is None

    def test_standard_input_is_counted_by_the_reader(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """With ``-`` among the inputs nothing is counted beside the run: the total is the
        reader's, once it has read standard input to its end."""
        path = tmp_path / "urls.txt"
        path.write_text("http://a/\nhttp://b/\n", encoding="utf-8")
        stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"http://c/\n# c\n")))
        monkeypatch.setattr(sys, "stdin", stdin)
        before = set(threading.enumerate())

        async def read_all() -> tuple[int, int | None]:
            reader = JobReader(open_sources([str(path), "-", "http://d/"]))
            total = InputTotal([str(path), "-", "http://d/"])
            total.start(reader)
            counting = len(counting_threads(before))
            async for _ in reader:
                pass
            return counting, total.get()

        counting, after = asyncio.run(read_all())
        assert counting == 0
        assert after == 4
