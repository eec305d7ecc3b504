"""Where a body goes under ``--save``'s DIR: ``<host>/<path>``, every name made safe.

Every path segment is decoded, then sanitised (no ``..``, no separators, no control characters,
no reserved or overlong names), so no URL names a place outside DIR.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

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


def usual_folder_mode() -> int:
    """The mode a new folder gets from ``mkdir()``: 0777 less the umask."""
    return 0o777 & ~_umask()


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


def numbered(name: str) -> Iterator[str]:
    """``name``, then ``name-2``, ``name-3`` … (before the extension): the names a body may
    take when the ones before are taken."""
    yield name
    stem, dot, suffix = name.rpartition(".")
    number = 1
    while True:
        number += 1
        yield f"{stem}-{number}.{suffix}" if dot and stem else f"{name}-{number}"


def flattened(relative: PurePosixPath) -> PurePosixPath:
    """``host/a/b/c`` as ``host/a_b_c``: for a body whose folders cannot be made (a file or a
    link holds one of their names)."""
    return PurePosixPath(relative.parts[0], safe_name("_".join(relative.parts[1:])))


def shortened(relative: PurePosixPath, limit: int = 80) -> str:
    """``relative`` for a message: long ones keep their start and end."""
    text = str(relative)
    if len(text) <= limit:
        return text
    half = (limit - 1) // 2
    return f"{text[:half]}…{text[-half:]}"
