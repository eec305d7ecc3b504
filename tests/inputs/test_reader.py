"""The run's stream of jobs: every input in order, numbered in the whole input."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fetchall.inputs.reader import InputError, JobReader
from fetchall.inputs.sharding import Shard
from fetchall.inputs.sources import Source as _Source
from fetchall.inputs.sources import open_sources
from fetchall.models import Job


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

    def test_total_is_what_the_shard_keeps(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Read to its end, a reader knows how many jobs it yielded: the shard's share."""
        monkeypatch.chdir(tmp_path)
        Path("a.txt").write_text("".join(f"http://a/{i}\n" for i in range(40)))
        shard = Shard(2, 3)

        async def read() -> tuple[int, int | None, int]:
            reader = JobReader(open_sources(["a.txt", "http://arg/"]), shard)
            jobs = [job async for job in reader]
            return len(jobs), reader.total, reader.jobs_read

        kept, total, read_in_all = asyncio.run(read())
        urls = [f"http://a/{i}" for i in range(40)] + ["http://arg/"]
        assert kept == total == sum(map(shard.keeps, urls))
        assert read_in_all == 41


def _new_input_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """The reader threads started since ``before`` that are still running."""
    return [t for t in threading.enumerate() if t not in before and t.name == "fetchall-input"]


def _new_input_thread(before: set[threading.Thread]) -> threading.Thread:
    (thread,) = _new_input_threads(before)
    return thread


@pytest.fixture(name="fifo")
def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "urls.fifo"
    os.mkfifo(path)
    return path


@pytest.fixture(name="held_open")
def _held_open(fifo: Path) -> Iterator[threading.Event]:
    """A writer that writes one line to ``fifo`` and holds it open until the event is set."""
    release = threading.Event()

    def write() -> None:
        fd = os.open(fifo, os.O_WRONLY)
        try:
            os.write(fd, b"http://a/\n")
            release.wait(timeout=60)
        finally:
            os.close(fd)

    writer = threading.Thread(target=write)
    writer.start()
    yield release
    release.set()
    writer.join(timeout=10)
    assert not writer.is_alive()


class TestStopping:
    """A run can leave while its input is still open, and a broken input says so."""

    def test_stops_while_a_pipe_stays_open(self, fifo: Path, held_open: threading.Event) -> None:
        """The first job of a pipe whose writer stays: the run takes it and leaves, the
        argument after the pipe is numbered next, and the blocked thread ends at EOF."""
        before = set(threading.enumerate())

        async def first_job() -> tuple[Job | None, list[Job], int]:
            reader = JobReader(open_sources([str(fifo), "http://after/"]))
            first = await asyncio.wait_for(anext(aiter(reader), None), timeout=10)
            return first, reader.untaken_arguments(), reader.jobs_read

        first, untaken, read_in_all = asyncio.run(first_job())
        assert first == Job(0, "http://a/", f"{fifo}:1")
        assert untaken == [Job(1, "http://after/", "arg")]
        assert read_in_all == 1
        thread = _new_input_thread(before)
        assert thread.is_alive()  # still in read(): the writer holds the pipe open
        held_open.set()
        thread.join(timeout=10)
        assert not thread.is_alive()

    def test_a_loop_gone_before_the_input_ends_the_thread(
        self, fifo: Path, held_open: threading.Event
    ) -> None:
        """A run that ended without closing its reader: the thread hands over nothing more."""
        before = set(threading.enumerate())

        async def start() -> None:
            JobReader(open_sources([str(fifo)]))

        asyncio.run(start())
        thread = _new_input_thread(before)
        held_open.set()
        thread.join(timeout=10)
        assert not thread.is_alive()

    def test_an_untaken_argument_keeps_the_index_it_was_read_at(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An argument the reader reached but the run never took keeps its index."""
        monkeypatch.chdir(tmp_path)
        Path("a.txt").write_text("http://f/1\nhttp://f/2\nhttp://f/3\n")

        before = set(threading.enumerate())

        async def take_one() -> tuple[Job | None, list[Job]]:
            reader = JobReader(open_sources(["http://a/", "a.txt", "http://c/"]))
            first = await anext(aiter(reader), None)
            # The thread ends once it has read every source (four batches fit ahead), if it
            # has not already.
            for thread in _new_input_threads(before):
                await asyncio.to_thread(thread.join, 10)
            assert reader.total == 5
            return first, reader.untaken_arguments()

        first, untaken = asyncio.run(take_one())
        assert first == Job(0, "http://a/", "arg")
        assert untaken == [Job(4, "http://c/", "arg")]

    def test_a_vanished_fifo_is_an_input_error(self, fifo: Path) -> None:
        """A FIFO gone before its reader opens it: an InputError naming it."""
        sources = open_sources([str(fifo)])
        fifo.unlink()
        with pytest.raises(InputError) as info:
            asyncio.run(_read_sources(sources))
        assert str(info.value) == (
            f"cannot read input: [Errno 2] No such file or directory: '{fifo}'"
        )

    def test_closed_stdin_is_an_input_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Standard input closed from the start: the consumer gets the InputError."""
        monkeypatch.setattr(sys, "stdin", None)
        with pytest.raises(InputError) as info:
            asyncio.run(_read_sources(open_sources(["http://a/", "-"])))
        assert str(info.value) == "cannot read input -: standard input is closed"

    def test_an_unexpected_error_reaches_the_consumer(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An error no input should raise is raised where the jobs are taken, as it is."""
        stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"http://a/\n")))
        stdin.close()
        monkeypatch.setattr(sys, "stdin", stdin)
        with pytest.raises(ValueError, match="closed file"):
            asyncio.run(_read_sources(open_sources(["-"])))


async def _read_sources(sources: list[_Source]) -> list[Job]:
    reader = JobReader(sources)
    try:
        return [job async for job in reader]
    finally:
        reader.close()
