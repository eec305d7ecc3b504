"""The no-follow file operations under DIR: a link planted at any level, before or between two
steps, is never followed; nothing is created, written or replaced outside DIR."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from fetchall.saving import nofollow
from fetchall.saving.store import FileSink, Namer, SaveFailed, started_now


@pytest.fixture(name="outside")
def _outside(tmp_path: Path) -> Path:
    """A folder outside DIR with a precious file, that every test checks stays as it was."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("precious", encoding="utf-8")
    return outside


@pytest.fixture(name="directory")
def _directory(tmp_path: Path) -> Path:
    directory = tmp_path / "dir"
    directory.mkdir()
    return directory


@pytest.fixture(name="root")
def _root(directory: Path) -> Iterator[int]:
    fd = nofollow.open_folder(directory)
    yield fd
    os.close(fd)


def untouched(outside: Path) -> bool:
    entries = sorted(p.name for p in outside.iterdir())
    return entries == ["victim"] and (outside / "victim").read_text(encoding="utf-8") == "precious"


def sink_with(directory: Path, body: bytes, relative: str) -> FileSink:
    sink = FileSink(directory, PurePosixPath(relative), Namer(started_now()), directory)
    sink.write(body)
    return sink


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_a_link_at_any_level_is_not_entered(
    directory: Path, root: int, outside: Path, depth: int
) -> None:
    """A link where a folder is needed reads as "not a folder", at every depth, even with
    create: nothing is made through it."""
    parents = ["a", "b", "c"][:depth]
    (directory.joinpath(*parents)).mkdir(parents=True, exist_ok=True)
    directory.joinpath(*parents, "link").symlink_to(outside)
    with (
        pytest.raises(nofollow.NotAFolder),
        nofollow.folder_at(root, [*parents, "link", "made"], create=True),
    ):
        pass  # pragma: no cover (never entered)
    assert untouched(outside)


def test_a_new_file_is_never_made_through_a_link(root: int, directory: Path, outside: Path) -> None:
    """create_file refuses a name that a link holds, even one whose target does not exist."""
    (directory / "victim").symlink_to(outside / "victim")
    (directory / "dangling").symlink_to(outside / "new")
    for name in ("victim", "dangling"):
        with pytest.raises(FileExistsError):
            nofollow.create_file(root, name)
    assert untouched(outside)


@pytest.mark.parametrize("where", ["host", "middle", "name"])
def test_a_body_never_lands_outside_through_a_planted_link(
    directory: Path, outside: Path, where: str
) -> None:
    """Links planted at the host folder, a middle folder or the file's own name: the body is
    saved inside DIR under another name, and the outside stays as it was."""
    match where:
        case "host":
            (directory / "h").symlink_to(outside)
        case "middle":
            (directory / "h").mkdir()
            (directory / "h" / "a").symlink_to(outside)
        case "name":
            (directory / "h" / "a").mkdir(parents=True)
            (directory / "h" / "a" / "victim").symlink_to(outside / "victim")
    saved = Path(sink_with(directory, b"body", "h/a/victim").commit())
    assert saved.read_bytes() == b"body"
    assert not saved.is_symlink()
    assert saved.parent.resolve().is_relative_to(directory.resolve())
    assert untouched(outside)


def test_a_link_swapped_in_between_two_steps(directory: Path, outside: Path) -> None:
    """The body's folder is replaced by a link after its sink opened and before it commits:
    the commit does not follow it."""
    (directory / "h" / "a").mkdir(parents=True)
    sink = sink_with(directory, b"body", "h/a/victim")
    (directory / "h" / "a").rmdir()
    (directory / "h" / "a").symlink_to(outside)
    saved = Path(sink.commit())
    assert saved.read_bytes() == b"body"
    assert saved == directory / "h" / "a_victim"
    assert untouched(outside)


def test_a_folder_swapped_for_a_link_while_entered(
    directory: Path, root: int, outside: Path
) -> None:
    """A folder already open stays the folder it was: swapping a link in under its name
    afterwards sends nothing outside (the descriptor, not the name, is used)."""
    (directory / "h").mkdir()
    with nofollow.folder_at(root, ["h"], create=False) as folder:
        os.rename(directory / "h", directory / "moved")
        (directory / "h").symlink_to(outside)
        fd = nofollow.create_file(folder, "x")
        os.close(fd)
    assert (directory / "moved" / "x").is_file()
    assert untouched(outside)


def test_move_replaces_a_link_not_its_target(root: int, directory: Path, outside: Path) -> None:
    """move() over a name that a link holds replaces the link itself."""
    os.close(nofollow.create_file(root, "temp"))
    (directory / "victim").symlink_to(outside / "victim")
    nofollow.move(root, "temp", root, "victim")
    assert not (directory / "victim").is_symlink()
    assert untouched(outside)


def test_remove_tree_does_not_follow_links(root: int, directory: Path, outside: Path) -> None:
    """Removing a staging folder removes the links in it, never what they point at."""
    (directory / "staging" / "h").mkdir(parents=True)
    (directory / "staging" / "h" / "link").symlink_to(outside)
    (directory / "staging" / "file").write_bytes(b"x")
    (directory / "staging" / "h" / "file-link").symlink_to(outside / "victim")
    nofollow.remove_tree(root, "staging")
    assert list(directory.iterdir()) == []
    assert untouched(outside)


def test_remove_tree_of_a_link_removes_the_link(root: int, directory: Path, outside: Path) -> None:
    (directory / "staging").symlink_to(outside)
    nofollow.remove_tree(root, "staging")
    assert list(directory.iterdir()) == []
    assert untouched(outside)


def test_entering_a_missing_folder_without_create(root: int) -> None:
    with pytest.raises(FileNotFoundError):
        nofollow.enter(root, "missing", create=False)


def test_an_earlier_runs_file_is_replaced_this_runs_is_not(directory: Path) -> None:
    """A plain file from before the run is replaced; one the run wrote is numbered past."""
    (directory / "h").mkdir()
    (directory / "h" / "old").write_bytes(b"old")
    os.utime(directory / "h" / "old", ns=(0, 0))
    namer = Namer(started_now() + 10**12)  # everything on disk is older than this run
    first = FileSink(directory, PurePosixPath("h/old"), namer, directory)
    first.write(b"new")
    assert first.commit() == str(directory / "h" / "old")
    assert (directory / "h" / "old").read_bytes() == b"new"
    again = FileSink(directory, PurePosixPath("h/old"), Namer(started_now() - 10**12), directory)
    again.write(b"again")
    assert again.commit() == str(directory / "h" / "old-2")
    assert (directory / "h" / "old").read_bytes() == b"new"


def test_no_hard_links_falls_back_to_a_checked_rename(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system without hard links the body is renamed into its free name."""

    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(nofollow.os, "link", no_links)
    saved = Path(sink_with(directory, b"body", "h/x").commit())
    assert saved.read_bytes() == b"body"
    assert sorted(p.name for p in directory.iterdir()) == ["h"]


def test_a_failed_commit_is_a_save_failure_and_leaves_nothing(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nofollow.os, "link", full)
    sink = sink_with(directory, b"body", "h/x")
    with pytest.raises(SaveFailed, match="cannot save h/x: No space left on device"):
        sink.commit()
    sink.discard()  # as the body reader does on every failure: harmless twice
    assert [p.name for p in directory.iterdir()] == ["h"]
    assert list((directory / "h").iterdir()) == []


def test_a_root_that_cannot_be_opened_is_a_save_failure(tmp_path: Path) -> None:
    with pytest.raises(SaveFailed, match="No such file"):
        FileSink(tmp_path / "gone", PurePosixPath("h/x"), Namer(0), tmp_path / "gone")


def test_a_root_that_cannot_be_written_is_a_save_failure(directory: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder: no permission error to provoke")
    directory.chmod(0o500)
    try:
        with pytest.raises(SaveFailed, match="Permission denied"):
            FileSink(directory, PurePosixPath("h/x"), Namer(0), directory)
    finally:
        directory.chmod(0o700)
