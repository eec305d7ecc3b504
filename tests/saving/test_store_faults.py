"""The store's rarer paths, in this process: a root that cannot be made, a disk that refuses
a write, a body whose job is dropped, staging merges that meet a changed DIR."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path, PurePosixPath

import pytest
from support.fault_server import FaultServer
from yarl import URL

import fetchall
from fetchall.saving import BodyStore, SaveFailed
from fetchall.saving import store as saving_store


def test_a_dir_that_cannot_be_made_fails_each_job_as_save(
    server: FaultServer, tmp_path: Path
) -> None:
    """The library has no usage check: the job fails with kind save, one request, no retry."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    report = asyncio.run(
        fetchall.fetch_all([server.url("/ok")], save_dir=blocker / "out", retries=3)
    )
    (result,) = report.results
    assert result.error is not None
    assert result.error.kind == "save"
    assert result.error.message.startswith(f"cannot save 127.0.0.1_{server.port}/ok: ")
    assert result.attempts == 1
    assert server.total_requests == 1


def test_a_write_the_disk_refuses_fails_the_job_as_save(
    server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: saving_store.FileSink, data: bytes) -> None:
        raise SaveFailed(PurePosixPath("h/x"), OSError(28, "No space left on device"))

    monkeypatch.setattr(saving_store.FileSink, "write", full)
    directory = tmp_path / "out"
    report = asyncio.run(fetchall.fetch_all([server.url("/bytes/100000")], save_dir=directory))
    (result,) = report.results
    assert result.error is not None
    assert (result.error.kind, result.error.message) == (
        "save",
        "cannot save h/x: No space left on device",
    )
    assert [p.name for p in directory.iterdir()] == []


class FullDisk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        raise OSError(28, "No space left on device")


def test_a_write_error_is_a_save_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int, mode: str) -> FullDisk:
        os.close(fd)
        return FullDisk()

    monkeypatch.setattr(saving_store.os, "fdopen", full_disk)
    store = BodyStore(tmp_path)
    sink = store.open(store.claim(URL("http://h/x")))
    with pytest.raises(SaveFailed, match="cannot save h/x: No space left on device"):
        sink.write(b"body")
    monkeypatch.undo()
    sink.discard()
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_file_that_cannot_be_made(tmp_path: Path) -> None:
    store = BodyStore(tmp_path)
    real = saving_store.nofollow.create_file

    def refuse(folder: int, name: str, mode: int = 0o666) -> int:
        raise OSError(24, "Too many open files")

    saving_store.nofollow.create_file = refuse  # type: ignore[assignment]
    try:
        with pytest.raises(SaveFailed, match="Too many open files"):
            store.open(store.claim(URL("http://h/x")))
    finally:
        saving_store.nofollow.create_file = real


def test_dropping_a_body(tmp_path: Path) -> None:
    """drop() removes a saved body; in all mode it leaves it to finish()."""
    store = BodyStore(tmp_path)
    sink = store.open(store.claim(URL("http://h/a/x")))
    sink.write(b"1")
    saved = sink.commit()
    store.drop(saved)
    assert not Path(saved).exists()
    store.drop(saved)  # gone already: nothing to do
    staged = BodyStore(tmp_path / "all", staged=True)
    sink = staged.open(staged.claim(URL("http://h/x")))
    sink.write(b"1")
    staged.drop(sink.commit())
    staged.finish(keep=True)
    assert (tmp_path / "all" / "h" / "x").read_bytes() == b"1"


def test_staging_beside_the_nearest_existing_folder(tmp_path: Path) -> None:
    staged = BodyStore(tmp_path / "a" / "b" / "out", staged=True)
    sink = staged.open(staged.claim(URL("http://h/x")))
    sink.write(b"1")
    sink.commit()
    assert [p.name.startswith(".out.fetchall-staging-") for p in tmp_path.iterdir()] == [True]
    staged.finish(keep=True)
    assert (tmp_path / "a" / "b" / "out" / "h" / "x").read_bytes() == b"1"
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_a_dir_made_while_staging_is_merged_into(tmp_path: Path) -> None:
    """DIR appears during the run (another process): the staged bodies are merged into it."""
    directory = tmp_path / "out"
    staged = BodyStore(directory, staged=True)
    sink = staged.open(staged.claim(URL("http://h/x")))
    sink.write(b"1")
    sink.commit()
    (directory / "h").mkdir(parents=True)
    (directory / "h" / "other").write_bytes(b"theirs")
    staged.finish(keep=True)
    assert (directory / "h" / "x").read_bytes() == b"1"
    assert (directory / "h" / "other").read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_planted_where_a_staged_body_goes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder put in DIR after the body was staged: that body is left out, with a warning,
    and nothing of DIR's is replaced; the staging folder is removed all the same."""
    directory = tmp_path / "out"
    (directory / "h").mkdir(parents=True)
    staged = BodyStore(directory, staged=True)
    sink = staged.open(staged.claim(URL("http://h/x")))
    sink.write(b"1")
    sink.commit()
    (directory / "h" / "x").mkdir()
    (directory / "h" / "x" / "keep").write_bytes(b"k")
    staged.finish(keep=True)
    assert (directory / "h" / "x" / "keep").read_bytes() == b"k"
    assert "not moved into place" in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_name_taken_by_another_process_in_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Free when looked at, taken when linked (another worker): the next name is used."""
    store = BodyStore(tmp_path)
    sink = store.open(store.claim(URL("http://h/x")))
    sink.write(b"1")
    real = saving_store.nofollow.link_new
    calls = []

    def raced(source_folder: int, source: str, folder: int, name: str) -> None:
        calls.append(name)
        if len(calls) == 1:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT, dir_fd=folder))
            raise FileExistsError(17, "File exists")
        real(source_folder, source, folder, name)

    monkeypatch.setattr(saving_store.nofollow, "link_new", raced)
    assert sink.commit() == str(tmp_path / "h" / "x-2")
    assert calls == ["x", "x-2"]


def test_a_staged_name_dir_holds_already_is_numbered_past(tmp_path: Path) -> None:
    directory = tmp_path / "out"
    (directory / "h" / "x").mkdir(parents=True)
    staged = BodyStore(directory, staged=True)
    sink = staged.open(staged.claim(URL("http://h/x")))
    sink.write(b"1")
    assert sink.commit() == str(directory / "h" / "x-2")
    staged.finish(keep=True)
    assert (directory / "h" / "x-2").read_bytes() == b"1"
