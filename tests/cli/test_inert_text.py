"""Text a hostile server or URL file sends stays inert on stdout, stderr and in reports.

The server here writes raw HTTP on 127.0.0.1: a reason phrase with terminal escapes and an
old-form workflow command, a ``Location`` holding ``##[add-mask]``, a ``Content-Type`` with a
byte that is not UTF-8. Each run is a real process, so what reaches the streams is checked
as bytes.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import assert_clean_stderr

_EVIL_REASON = b"\x1b[2J\x1b[31mPWNED\x1b]0;title\x07\xe2\x80\xae ##[stop-commands]tok"
_RESPONSES = {
    b"/evil-503": b"HTTP/1.1 503 " + _EVIL_REASON + b"\r\nContent-Length: 0\r\n\r\n",
    b"/mask-redirect": (
        b"HTTP/1.1 302 Found\r\nLocation: /ok##[add-mask]hidden\r\nContent-Length: 0\r\n\r\n"
    ),
    b"/bad-type": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=\xff\xfe\r\n"
        b"Content-Length: 3\r\n\r\nok\n"
    ),
}
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"


class _HostileServer:
    """A raw HTTP/1.1 server on 127.0.0.1 in a thread, answering by path."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                path = line.split(b" ")[1]
                writer.write(_RESPONSES.get(path, _OK))
                await writer.drain()
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> _HostileServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(name="hostile", scope="module")
def _hostile() -> Iterator[_HostileServer]:
    with _HostileServer() as server:
        yield server


@pytest.fixture(name="url_file")
def _url_file(hostile: _HostileServer, tmp_path: Path) -> Path:
    path = tmp_path / "urls.txt"
    lines = [
        hostile.url("/evil-503"),
        hostile.url("/mask-redirect"),
        hostile.url("/bad-type"),
        hostile.url("/ok#x##[add-mask]fragment"),
        "x##[add-mask]invalid-line",
        "::add-mask::another",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the real command; stdout and stderr checked to be UTF-8 and returned decoded."""
    completed = subprocess.run(
        [sys.executable, "-m", "fetchall", *map(str, args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
        env=env,
    )
    stdout, stderr = completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8")
    assert_clean_stderr(stderr)
    return completed.returncode, stdout, stderr


def _assert_inert(text: str) -> None:
    """No raw escape or bidi override, no old-form command, no line starting a command but
    fetchall's own."""
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\x07" not in text
    assert "##[" not in text
    for line in text.splitlines():
        if line.lstrip().startswith("::"):
            assert line.startswith(("::error ", "::notice::")), line


_VERBOSE = ("-v", "--retries", "1", "--retry-backoff", "0.01")


@pytest.mark.parametrize("format_name", ["text", "jsonl", "json", "junit", "markdown", "github"])
def test_every_format_on_both_streams_is_inert(format_name: str, url_file: Path) -> None:
    """With -v logs on: stdout and stderr are UTF-8 and hold nothing that acts."""
    status, stdout, stderr = _run(url_file, "--format", format_name, *_VERBOSE)
    assert status == 1
    _assert_inert(stdout)
    _assert_inert(stderr)


def test_text_shows_the_escapes(url_file: Path, hostile: _HostileServer) -> None:
    """``text`` shows a server's escapes as ``\\x1b`` and a bidi override as ``\\u202e``;
    commands get a zero-width space; URLs are percent-encoded."""
    _, stdout, stderr = _run(url_file, *_VERBOSE)
    evil = "HTTP 503 \\x1b[2J\\x1b[31mPWNED\\x1b]0;title\\x07\\u202e #\u200b#[stop-commands]tok"
    assert "FAIL  503" in stdout
    assert f"  {hostile.url('/ok#x#%23[add-mask]fragment')}\n" in stdout
    assert "/urls.txt:5 not an absolute URL (no scheme://)  x#%23[add-mask]invalid-line\n" in stdout
    assert "    %3A:add-mask::another\n" in stdout
    assert f"retry 1/1 in 0.01 s: {hostile.url('/evil-503')} ({evil})\n" in stderr
    assert "-> /ok#\u200b#[add-mask]hidden\n" in stderr


def test_worker_processes_log_inert_lines(url_file: Path, hostile: _HostileServer) -> None:
    """Under --workers the retry lines come from worker processes: made inert the same way."""
    status, _, stderr = _run(url_file, "--workers", "2", *_VERBOSE)
    assert status == 1
    _assert_inert(stderr)
    assert f"retry 1/1 in 0.01 s: {hostile.url('/evil-503')} (HTTP 503 \\x1b[2J" in stderr


def test_jsonl_with_an_undecodable_header_is_merged_back(
    url_file: Path, tmp_path: Path, hostile: _HostileServer
) -> None:
    """A Content-Type with bytes that are not UTF-8: stdout and the report are valid UTF-8,
    the bytes shown as U+FFFD, ``##[`` escaped in JSON; ``--merge`` reads both back."""
    report = tmp_path / "r.jsonl"
    _, stdout, _ = _run(url_file, "--format", "jsonl", "--report", f"jsonl:{report}")
    written = report.read_bytes().decode("utf-8")
    assert sorted(written.splitlines()) == sorted(stdout.splitlines())
    by_url = {item["url"]: item for item in map(json.loads, stdout.splitlines())}
    assert by_url[hostile.url("/bad-type")]["content_type"] == "text/html; charset=\ufffd\ufffd"
    assert by_url[hostile.url("/evil-503")]["error"]["message"] == (
        "HTTP 503 \x1b[2J\x1b[31mPWNED\x1b]0;title\x07\u202e ##[stop-commands]tok"
    )
    assert "#\\u0023[stop-commands]" in stdout
    status, merged, _ = _run("--merge", report, "--format", "json")
    assert status == 1
    results = json.loads(merged)["results"]
    assert [r["url"] for r in results] == [
        r["url"] for r in sorted(by_url.values(), key=lambda r: r["index"])
    ]


def test_junit_report_parses_and_is_inert(url_file: Path, tmp_path: Path) -> None:
    """The JUnit report parses; neither its bytes nor its decoded texts hold a command."""
    report = tmp_path / "r.xml"
    _run(url_file, "--report", f"junit:{report}")
    raw = report.read_bytes().decode("utf-8")
    assert "##[" not in raw
    suite = ET.fromstring(raw.encode("utf-8"))
    texts = [suite.itertext()] + [iter(e.attrib.values()) for e in suite.iter()]
    for values in texts:
        for value in values:
            _assert_inert(value)


def test_usage_errors_are_inert() -> None:
    """A usage error quoting its input (a missing file's name) escapes the name's control
    characters and neutralises a workflow command in it, on one line."""
    name = "missing\x1b[2J##[add-mask]secret\u202e.txt"
    result = subprocess.run(
        [sys.executable, "-m", "fetchall", name], capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 2
    stderr = result.stderr.decode("utf-8")
    assert stderr.count("\n") == 1
    for raw in ("\x1b", "\u202e", "##["):
        assert raw not in stderr
    for escaped in ("\\x1b[2J", "\\u202e"):
        assert escaped in stderr
