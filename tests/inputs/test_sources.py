"""The kinds of INPUT, each checked before anything is fetched."""

from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path

import pytest

from fetchall.inputs.sources import InputError, SourceKind, jobs_of, kind_of, open_sources
from fetchall.models import Job


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


class TestKinds:
    """Each kind of INPUT, told from its text and read by its own function."""

    @pytest.mark.parametrize(
        ("arg", "kind"),
        [
            ("http://a/", SourceKind.URL),
            ("not-a-scheme://x", SourceKind.URL),
            ("-", SourceKind.STDIN),
            ("urls.txt", SourceKind.FILE),
            ("./-", SourceKind.FILE),
            ("http:/one-slash", SourceKind.FILE),
        ],
    )
    def test_kind_of(self, arg: str, kind: SourceKind) -> None:
        """``scheme://`` makes a URL, ``-`` standard input, anything else a path."""
        assert kind_of(arg) is kind

    def test_a_url_argument_is_one_job(self) -> None:
        """A URL argument is one job, named ``arg``, at the index it is given."""
        (source,) = open_sources(["http://a/"])
        assert list(jobs_of(source, 7)) == [[Job(7, "http://a/", "arg")]]

    def test_a_file_is_read_and_closed(self, tmp_path: Path) -> None:
        """A regular file's jobs, numbered from the index given; its descriptor is closed."""
        path = tmp_path / "urls.txt"
        path.write_bytes(b"http://a/\n# c\nhttp://b/\n")
        (source,) = open_sources([str(path)])
        assert source.fd is not None
        assert list(jobs_of(source, 2)) == [
            [Job(2, "http://a/", f"{path}:1"), Job(3, "http://b/", f"{path}:3")]
        ]
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(source.fd)

    def test_a_fifo_is_opened_when_read(self, tmp_path: Path) -> None:
        """A FIFO is opened by its reader, which then sees what the writer wrote."""
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        (source,) = open_sources([str(fifo)])
        writer = threading.Thread(target=fifo.write_bytes, args=(b"http://a/\n",))
        writer.start()
        try:
            assert list(jobs_of(source, 0)) == [[Job(0, "http://a/", f"{fifo}:1")]]
        finally:
            writer.join(timeout=10)
        assert not writer.is_alive()

    def test_stdin_without_a_descriptor_is_read_through_its_buffer(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Standard input with no file descriptor (a test runner's) is read by its buffer."""
        stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"http://a/\r\nhttp://b/")))
        monkeypatch.setattr(sys, "stdin", stdin)
        (source,) = open_sources(["-"])
        assert list(jobs_of(source, 0)) == [
            [Job(0, "http://a/", "-:1")],
            [Job(1, "http://b/", "-:2")],
        ]

    def test_stdin_by_its_descriptor(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Standard input with a descriptor is read from it directly."""
        read_fd, write_fd = os.pipe()
        os.write(write_fd, b"http://a/\n")
        os.close(write_fd)
        with os.fdopen(read_fd) as stdin:
            monkeypatch.setattr(sys, "stdin", stdin)
            (source,) = open_sources(["-"])
            assert list(jobs_of(source, 5)) == [[Job(5, "http://a/", "-:1")]]

    def test_closed_stdin_is_an_input_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A process started with standard input closed has none to read: an InputError."""
        monkeypatch.setattr(sys, "stdin", None)
        (source,) = open_sources(["-"])
        batches = jobs_of(source, 0)
        with pytest.raises(InputError, match=r"^cannot read input -: standard input is closed$"):
            next(batches)

    def test_unreadable_fifo(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A FIFO this process may not read is refused up front, like an unreadable file."""
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo, 0o200)
        # Root may read any FIFO: the refusal is what os.access() answers, so ask it to refuse.
        monkeypatch.setattr(os, "access", lambda path, mode: False)
        with pytest.raises(InputError) as info:
            open_sources([str(fifo)])
        assert str(info.value) == f"cannot read input {fifo}: permission denied"
