"""The run's ``--save`` store: where each body goes, and ``all`` mode's staging folder.

In ``all`` mode nothing appears in DIR unless every job succeeded: bodies are staged in a
hidden folder beside DIR (same file system, so the final moves are renames) and moved in by
:meth:`BodyStore.finish`, or thrown away with the folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import weakref
from pathlib import Path, PurePosixPath

from yarl import URL

from fetchall.saving import nofollow
from fetchall.saving.names import numbered, relative_path, usual_folder_mode
from fetchall.saving.store import FileSink, Namer, SaveFailed, started_now

log = logging.getLogger("fetchall")


class Claim(PurePosixPath):
    """A path claimed for a body while its job runs; the claim ends with the last reference
    to it (the job's fetch), so a store holds claims only for the jobs in flight."""

    __slots__ = ("__weakref__",)


class BodyStore:
    """Hands out a :class:`FileSink` for each successful body, named when it is complete.

    With ``staged=True`` (``all`` mode) bodies go to a hidden folder beside ``directory`` and
    :meth:`finish` moves them in, or throws them away. ``root`` is that folder when another
    process made it already (a worker of ``--workers``).
    """

    def __init__(self, directory: Path, *, staged: bool = False, root: Path | None = None) -> None:
        self.directory = directory
        """Where bodies end up; ``saved_to`` names paths here."""
        self._staged = staged or (root is not None and root != directory)
        self._root = root
        self._namer = Namer(started_now(), directory if self._staged else None)
        self._in_flight: weakref.WeakValueDictionary[PurePosixPath, Claim] = (
            weakref.WeakValueDictionary()
        )

    @property
    def root(self) -> Path:
        """Where bodies are written now: DIR itself, or the staging folder beside it."""
        if self._root is None:
            if self._staged:
                self._root = _make_staging(self.directory)
            else:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._root = self.directory
        return self._root

    def claim(self, url: URL) -> PurePosixPath:
        """The path, relative to DIR, that the body of ``url`` is meant to have: ``name-2``,
        ``name-3`` … when a job in flight has claimed it, so that jobs running together are
        named in the order they started. The name is taken when the body is complete, past
        any that a body of this run took meanwhile."""
        meant = relative_path(url)
        for name in numbered(meant.name):
            candidate = meant.with_name(name)
            if candidate not in self._in_flight:
                break
        claim = Claim(candidate)
        self._in_flight[candidate] = claim
        return claim

    def open(self, relative: PurePosixPath) -> FileSink:
        """A sink for the body meant for ``relative``; raise :class:`SaveFailed`."""
        try:
            root = self.root
        except OSError as exc:
            raise SaveFailed(relative, exc) from None
        return FileSink(root, relative, self._namer, self.directory)

    def drop(self, saved_to: str) -> None:
        """Remove a body saved for a job that is reported failed or cancelled after all."""
        if self._staged:
            return  # finish() throws it away with the rest, as the run did not succeed
        relative = PurePosixPath(Path(saved_to).relative_to(self.directory))
        with contextlib.suppress(OSError):
            root = nofollow.open_folder(self.directory)
            try:
                with nofollow.folder_at(root, relative.parts[:-1], create=False) as folder:
                    nofollow.remove_file(folder, relative.name)
            finally:
                os.close(root)

    def finish(self, keep: bool) -> None:
        """``all`` mode's end: move staged bodies into DIR when ``keep``; drop them otherwise."""
        if not self._staged or self._root is None:
            return
        staging, self._root = self._root, None
        try:
            if keep:
                _move_in(staging, self.directory)
        finally:
            parent = nofollow.open_folder(staging.parent)
            try:
                nofollow.remove_tree(parent, staging.name)
            finally:
                os.close(parent)


def _make_staging(directory: Path) -> Path:
    """A hidden folder beside DIR (beside its nearest existing ancestor when DIR's folder does
    not exist yet), so that DIR itself appears only with the bodies."""
    parent = directory.absolute().parent
    while not parent.is_dir():
        parent = parent.parent
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.fetchall-staging-", dir=parent))
    # mkdtemp makes it private; it may become DIR itself, an ordinary folder.
    os.chmod(staging, usual_folder_mode())
    return staging


def _move_in(staging: Path, directory: Path) -> None:
    if not os.path.lexists(directory):
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, directory)
        except OSError:
            directory.mkdir(exist_ok=True)  # made in the meantime: merged into below
        else:
            return
    source = nofollow.open_folder(staging)
    try:
        target = nofollow.open_folder(directory)
        try:
            _merge(source, target)
        finally:
            os.close(target)
    finally:
        os.close(source)


def _merge(source: int, target: int) -> None:
    """Move everything in ``source`` into ``target``, folder by folder, following no link."""
    for entry in os.scandir(source):
        try:
            if entry.is_dir(follow_symlinks=False):
                inner = nofollow.enter(source, entry.name, create=False)
                try:
                    # A folder made for a path that DIR refused (a link there) stays empty.
                    with os.scandir(inner) as entries:
                        holds_any = any(entries)
                    if holds_any:
                        with nofollow.folder_at(target, [entry.name], create=True) as into:
                            _merge(inner, into)
                finally:
                    os.close(inner)
            else:
                nofollow.move(source, entry.name, target, entry.name)
        except OSError as exc:
            # Changed in DIR since the body was staged: that body is left out, not forced in.
            log.warning("--save: %s not moved into place: %s", entry.name, exc.strerror or exc)
