"""``--save DIR``: stream each successful body to ``DIR/<host>/<path>``.

Three promises shape this module:

* Nothing is written outside DIR, whatever the URL: every path segment is decoded, then
  sanitised (no ``..``, no separators, no control characters, no reserved or overlong names).
* A body appears under its name only once complete: it is written to a temporary file beside
  its final place and renamed, so a failed, cancelled or interrupted download leaves nothing.
* In ``all`` mode nothing appears in DIR unless every job succeeded: bodies are staged in a
  hidden folder beside DIR (same file system, so the final moves are renames) and moved in by
  :meth:`BodyStore.finish`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from yarl import URL

INDEX_NAME = "index.html"
MAX_NAME_BYTES = 200
"""Below the usual 255-byte file-name limit, leaving room for suffixes."""

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


@functools.cache
def _umask() -> int:
    # The only way to read the umask is to set it; done once, before any file is written.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def usual_file_mode() -> int:
    """The mode a new file gets from ``open()``: 0666 less the umask (as curl's would)."""
    return 0o666 & ~_umask()


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()


def safe_name(segment: str) -> str:
    """One path segment made safe as a file name on any common file system."""
    name = _UNSAFE.sub("_", segment).strip(" ")
    if name in {"", ".", ".."}:
        name = name.replace(".", "_") or "_"
    if _RESERVED.match(name):
        name = "_" + name
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[: MAX_NAME_BYTES - 9].decode("utf-8", "ignore") + "-" + _short_hash(name)
    return name


def host_folder(url: URL) -> str:
    """``<host>``, with ``_<port>`` when the URL names a port, made safe."""
    host = url.raw_host or "_"
    if url.explicit_port is not None:
        host = f"{host}_{url.explicit_port}"
    return safe_name(host.strip("[]").replace(":", "_"))


def relative_path(url: URL) -> PurePosixPath:
    """Where the body of ``url`` goes, relative to DIR; never escapes it."""
    segments = url.path.split("/")[1:]  # decoded, so %2e%2e arrives here as ".."
    if not segments or segments[-1] == "":
        segments = [*segments[:-1], INDEX_NAME]
    names = [safe_name(segment) for segment in segments]
    if url.raw_query_string:
        stem, dot, suffix = names[-1].rpartition(".")
        tag = _short_hash(url.raw_query_string)
        names[-1] = f"{stem}-{tag}.{suffix}" if dot and stem else f"{names[-1]}-{tag}"
    return PurePosixPath(host_folder(url), *names)


class FileSink:
    """One body on its way to disk: a temporary file beside its final place until
    :meth:`commit` renames it."""

    def __init__(self, final: Path, reported: Path) -> None:
        self._final = final
        self._reported = reported
        fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=".fetchall-", suffix=".part")
        # mkstemp makes the file private (0600); a saved body gets the usual mode, as curl's.
        os.fchmod(fd, usual_file_mode())
        self._temporary = Path(temporary)
        self._file: BinaryIO = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        """Append a chunk of the body."""
        self._file.write(data)

    def commit(self) -> str:
        """The body is complete: move it into place and return the path to report."""
        self._file.close()
        os.replace(self._temporary, self._final)
        return str(self._reported)

    def discard(self) -> None:
        """The body is not wanted: remove the temporary file."""
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._temporary.unlink()


class BodyStore:
    """Claims a path per job and hands out a :class:`FileSink` for its successful body.

    With ``staged=True`` (``all`` mode) bodies go to a hidden folder beside ``directory``
    and :meth:`finish` moves them in, or throws them away. Paths are claimed in the order jobs
    start, so a run names its files the same way with one worker process or several.
    """

    def __init__(self, directory: Path, *, staged: bool = False, root: Path | None = None) -> None:
        self.directory = directory
        """Where bodies end up; ``saved_to`` names paths here."""
        self._staged = staged
        self._root = root
        self._claimed: set[PurePosixPath] = set()

    @property
    def root(self) -> Path:
        """Where bodies are written now: DIR itself, or the staging folder beside it."""
        if self._root is None:
            if self._staged:
                parent = self.directory.absolute().parent
                parent.mkdir(parents=True, exist_ok=True)
                prefix = f".{self.directory.name}.fetchall-staging-"
                self._root = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
            else:
                self._root = self.directory
        return self._root

    def claim(self, url: URL) -> PurePosixPath:
        """The path, relative to DIR, that the body of ``url`` will have if it succeeds."""
        return self._claim(relative_path(url))

    def open(self, relative: PurePosixPath) -> FileSink:
        """A sink writing to the claimed path ``relative``."""
        root = self.root
        final = root / relative
        try:
            self._make_parents(root, final)
        except (FileExistsError, NotADirectoryError):
            # A file already holds a name this path needs as a folder (/a, then /a/b).
            relative = self._claim(
                PurePosixPath(relative.parts[0], safe_name("_".join(relative.parts[1:])))
            )
            final = root / relative
            self._make_parents(root, final)
        if final.is_dir():
            relative = self._claim(relative.with_name(relative.name + "_"))
            final = root / relative
        return FileSink(final, self.directory / relative)

    def finish(self, keep: bool) -> None:
        """``all`` mode's end: move staged bodies into DIR when ``keep``; drop them otherwise."""
        if not self._staged or self._root is None:
            return
        staging, self._root = self._root, None
        try:
            if keep:
                for path in sorted(staging.rglob("*")):
                    if path.is_file() and not path.name.endswith(".part"):
                        target = self.directory / path.relative_to(staging)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(path, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _claim(self, relative: PurePosixPath) -> PurePosixPath:
        """``relative``, or ``name-2``, ``name-3`` … when another job has it already."""
        candidate, number = relative, 1
        while candidate in self._claimed:
            number += 1
            stem, dot, suffix = relative.name.rpartition(".")
            name = f"{stem}-{number}.{suffix}" if dot and stem else f"{relative.name}-{number}"
            candidate = relative.with_name(name)
        self._claimed.add(candidate)
        return candidate

    @staticmethod
    def _make_parents(root: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        # A symbolic link left inside DIR must not carry a body outside it.
        if not final.parent.resolve().is_relative_to(root.resolve()):
            raise FileExistsError(f"{final.parent} leads outside {root}")
