"""The bodies of one run on their way into DIR: each one a hidden temporary file until it is
complete, then given its name, through :mod:`fetchall.saving.nofollow` only.

A body is written to a temporary file at the top of the root (DIR, or ``all`` mode's staging
folder) and only when complete are its folders made and its name taken, so a failed,
cancelled or interrupted download leaves no file and no folder. The name is taken without
replacing anything of this run (``name-2``, ``name-3`` … otherwise), so two jobs never write
the same file, and nothing is kept per saved body: memory stays O(limit) however many bodies a
run saves. A plain file left there by an earlier run is replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import time
from pathlib import Path, PurePosixPath

from fetchall.saving import nofollow
from fetchall.saving.names import flattened, numbered, shortened

CLOCK_SLACK_NS = 50_000_000
"""File systems stamp times from a coarse clock (a few ms behind): a file changed this long
before the run started may be the run's own, so it is never replaced, only numbered past."""

_NO_HARD_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK)


class SaveFailed(Exception):
    """A body could not be saved (disk full, name too long, no permission): kind ``save``."""

    def __init__(self, relative: PurePosixPath, exc: OSError) -> None:
        self.message = f"cannot save {shortened(relative)}: {exc.strerror or exc}"
        super().__init__(self.message)


class Namer:
    """Gives complete bodies their names in a root folder, creating their folders then.

    ``final`` is DIR when the root is ``all`` mode's staging folder: a name that DIR holds
    already (but for an earlier run's plain file) is taken too, so that moving the staged
    bodies in at the end replaces nothing of the user's but those files.
    """

    def __init__(self, started_ns: int, final: Path | None = None) -> None:
        self._started_ns = started_ns - CLOCK_SLACK_NS
        self._final = final

    def place(self, root: int, temporary: str, relative: PurePosixPath) -> PurePosixPath:
        """Move ``temporary`` (in ``root``) to ``relative`` or the nearest free name; return
        the name it took. A folder that a file or a link holds already flattens the path."""
        for tried in (relative, flattened(relative), PurePosixPath("_".join(relative.parts))):
            try:
                with nofollow.folder_at(root, tried.parts[:-1], create=True) as folder:
                    name = self._take(root, temporary, folder, tried)
            except nofollow.NotAFolder:
                continue
            return tried.with_name(name)
        raise AssertionError("unreachable: the last path tried is a name in the root itself")

    def _take(self, root: int, temporary: str, folder: int, relative: PurePosixPath) -> str:
        for name in numbered(relative.name):
            entry = nofollow.entry_of(folder, name)
            if entry is None and self._taken_in_final(relative.parts[:-1], name):
                continue
            if entry is None:
                try:
                    self._move_new(root, temporary, folder, name)
                except FileExistsError:
                    continue  # taken in the meantime (another worker process)
                return name
            if self._from_earlier_run(entry):
                nofollow.move(root, temporary, folder, name)  # an earlier run's: replaced
                return name
        raise AssertionError("unreachable: numbered() never ends")  # pragma: no cover

    def _from_earlier_run(self, entry: os.stat_result | None) -> bool:
        return (
            entry is not None
            and nofollow.is_plain_file(entry)
            and (entry.st_ctime_ns < self._started_ns)
        )

    def _taken_in_final(self, folders: tuple[str, ...], name: str) -> bool:
        """Whether DIR holds ``folders/name`` already, as anything but an earlier run's file;
        raise NotAFolder when one of ``folders`` is not a folder there."""
        if self._final is None:
            return False
        try:
            root = nofollow.open_folder(self._final)
        except FileNotFoundError:
            return False
        try:
            with nofollow.folder_at(root, folders, create=False) as folder:
                entry = nofollow.entry_of(folder, name)
        except FileNotFoundError:
            return False
        finally:
            os.close(root)
        return entry is not None and not self._from_earlier_run(entry)

    @staticmethod
    def _move_new(root: int, temporary: str, folder: int, name: str) -> None:
        try:
            nofollow.link_new(root, temporary, folder, name)
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            nofollow.move(root, temporary, folder, name)  # no hard links here: checked above
        else:
            nofollow.remove_file(root, temporary)


class FileSink:
    """One body on its way to disk: a temporary file until :meth:`commit` names it."""

    def __init__(self, root: Path, relative: PurePosixPath, namer: Namer, shown_in: Path) -> None:
        self._relative = relative
        self._namer = namer
        self._shown_in = shown_in
        self._temporary = f".fetchall-{secrets.token_hex(8)}.part"
        try:
            self._root = nofollow.open_folder(root)
        except OSError as exc:
            raise SaveFailed(relative, exc) from None
        try:
            # The umask applies: a saved body gets the usual mode, as curl's would.
            fd = nofollow.create_file(self._root, self._temporary)
        except OSError as exc:
            os.close(self._root)
            raise SaveFailed(relative, exc) from None
        self._file = os.fdopen(fd, "wb")
        self._open = True

    def write(self, data: bytes) -> None:
        """Append a chunk of the body; raise :class:`SaveFailed` when the disk refuses it."""
        try:
            self._file.write(data)
        except OSError as exc:
            raise SaveFailed(self._relative, exc) from None

    def commit(self) -> str:
        """The body is complete: give it its name and return the path to report."""
        try:
            self._file.close()
            taken = self._namer.place(self._root, self._temporary, self._relative)
        except OSError as exc:
            self.discard()
            raise SaveFailed(self._relative, exc) from None
        self._open = False
        os.close(self._root)
        return str(self._shown_in / taken)

    def discard(self) -> None:
        """The body is not wanted: remove the temporary file (once; later calls do nothing)."""
        if not self._open:
            return
        self._open = False
        with contextlib.suppress(OSError):  # the disk that was full is full at close too
            self._file.close()
        nofollow.remove_file(self._root, self._temporary)
        os.close(self._root)


def started_now() -> int:
    """The wall clock now, in the file system's terms (ns since the epoch)."""
    return time.time_ns()
