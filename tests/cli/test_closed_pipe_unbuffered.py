"""A closed stdout pipe ends the run with 141 whatever the environment: with
``PYTHONUNBUFFERED=1`` (many CI images set it) stdout writes straight to the pipe, and a write
cut short by the reader leaving must still count as a closed pipe, not as a cut document."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.fault_server import FaultServer

from fetchall.cli.output import Output
from fetchall.formats.json import JsonFormat
from fetchall.models import Mode

FORMATS = ["json", "junit", "jsonl", "text"]
"""Every format whose output grows with the results past what a pipe holds (``github`` and
``markdown`` list only so many URLs)."""


@pytest.mark.parametrize("unbuffered", ["1", None], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("format_", FORMATS)
def test_a_reader_leaving_mid_document_exits_141(
    server: FaultServer, tmp_path: Path, format_: str, unbuffered: str | None
) -> None:
    path = tmp_path / "urls.txt"
    # Enough for a document far larger than a pipe holds (64 KiB).
    path.write_text("".join(f"{server.url('/ok')}?i={i}\n" for i in range(1500)))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered is not None:
        env["PYTHONUNBUFFERED"] = unbuffered
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "fetchall", str(path), "--format", format_, "--limit", "20"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.readline() != b""  # one line read, then the reader goes (| head -1)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 141
    assert stderr == b""


class ShortWrites(io.RawIOBase):
    """A raw stdout that writes half of what it is given, after one "would block"."""

    def __init__(self, fileno: int) -> None:
        self.data = bytearray()
        self._fileno = fileno
        self._blocked = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fileno

    def write(self, b: memoryview) -> int | None:  # type: ignore[override]
        if not self._blocked:
            self._blocked = True
            return None
        chunk = bytes(b)[: max(1, len(memoryview(b)) // 2)]
        self.data += chunk
        return len(chunk)


def test_every_byte_is_written_through_short_writes() -> None:
    """Text given to Output reaches an unbuffered stdout whole, however it is cut."""
    read_end, write_end = os.pipe()  # only for select() to poll: always writable here
    try:
        raw = ShortWrites(write_end)
        stdout = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)  # type: ignore[type-var]
        output = Output(JsonFormat(Mode.INDEPENDENT), stdout)
        output.write("é" * 1000 + "\n")
        assert raw.data.decode("utf-8") == "é" * 1000 + "\n"
    finally:
        os.close(read_end)
        os.close(write_end)
