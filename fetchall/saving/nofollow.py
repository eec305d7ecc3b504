"""The one place that creates, opens, moves and removes files and folders under ``--save``'s
DIR, never through a symbolic link.

Every operation works relative to an open folder (a directory file descriptor) and names a
single entry in it, so a link planted anywhere under DIR, before the run or during it, is
never followed: a folder is entered with ``O_DIRECTORY | O_NOFOLLOW`` one name at a time, a
file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW``, and moves name both ends relative to
folders already open. A link where a folder is needed reads as "not a folder here", exactly
like a file in the way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Sequence

_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class NotAFolder(OSError):
    """A name that must be a folder is a file, a link or something else."""


def open_folder(path: str | os.PathLike[str]) -> int:
    """Open the folder at ``path`` (DIR itself, as the user named it, or its parent)."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def enter(parent: int, name: str, *, create: bool) -> int:
    """Open the folder ``name`` in ``parent`` (made first when ``create``), never a link.

    Raise :class:`NotAFolder` when something else holds the name, FileNotFoundError when
    nothing does and ``create`` is false.
    """
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, dir_fd=parent)
    try:
        return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    except OSError as exc:
        # A link opened with O_NOFOLLOW | O_DIRECTORY fails as ENOTDIR (ELOOP on some systems).
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            raise NotAFolder(exc.errno, f"{name} is not a folder") from None
        raise


@contextlib.contextmanager
def folder_at(root: int, names: Sequence[str], *, create: bool) -> Iterator[int]:
    """The folder ``root/names[0]/names[1]/…``, entered one name at a time; closed on exit."""
    current = os.dup(root)
    try:
        for name in names:
            inner = enter(current, name, create=create)
            os.close(current)
            current = inner
        yield current
    finally:
        os.close(current)


def create_file(folder: int, name: str, mode: int = 0o666) -> int:
    """A new file ``name`` in ``folder``, open for writing; FileExistsError if the name is
    taken, by anything, a link included (it is not followed). ``mode`` is less the umask."""
    return os.open(name, _NEW_FILE_FLAGS, mode, dir_fd=folder)


def link_new(source_folder: int, source: str, folder: int, name: str) -> None:
    """Give the file ``source`` the new name ``folder/name`` as well; FileExistsError if the
    name is taken (never replaced, never followed)."""
    os.link(source, name, src_dir_fd=source_folder, dst_dir_fd=folder, follow_symlinks=False)


def move(source_folder: int, source: str, folder: int, name: str) -> None:
    """Rename ``source`` to ``folder/name``, replacing a file there (a link there is replaced
    itself: its target is never touched)."""
    os.rename(source, name, src_dir_fd=source_folder, dst_dir_fd=folder)


def entry_of(folder: int, name: str) -> os.stat_result | None:
    """What holds ``name`` in ``folder`` (a link is described, not followed), or None."""
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None


def is_plain_file(entry: os.stat_result | None) -> bool:
    """Whether ``entry`` is a regular file (not a link, folder, FIFO or device)."""
    return entry is not None and stat.S_ISREG(entry.st_mode)


def remove_file(folder: int, name: str) -> None:
    """Remove the file ``name`` from ``folder``, if it is still there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=folder)


def remove_tree(folder: int, name: str) -> None:
    """Remove the folder ``name`` in ``folder`` and everything in it, following no link."""
    try:
        inner = enter(folder, name, create=False)
    except (FileNotFoundError, NotAFolder):
        remove_file(folder, name)
        return
    try:
        for entry in os.scandir(inner):
            if entry.is_dir(follow_symlinks=False):
                remove_tree(inner, entry.name)
            else:
                remove_file(inner, entry.name)
    finally:
        os.close(inner)
    with contextlib.suppress(FileNotFoundError):
        os.rmdir(name, dir_fd=folder)
