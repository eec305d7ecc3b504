"""``--save DIR``: where bodies go, that nothing escapes DIR, and that nothing half-done stays."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from support.cli import invoke
from support.fault_server import FaultServer
from yarl import URL

import fetchall
from fetchall.saving import BodyStore, relative_path, safe_name

# Every name here tries to leave DIR or to make an unusable file name.
ESCAPE_ATTEMPTS = [
    "http://h/../../etc/passwd",
    "http://h/%2e%2e/%2e%2e/etc/passwd",
    "http://h/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "http://h/..%5c..%5cwindows%5cwin.ini",
    "http://h/a\\..\\..\\b",
    "http://h//etc/passwd",
    "http://h/%2fetc%2fpasswd",
    "http://h/C:%5cWindows",
    "http://h/./././x",
    "http://h/" + "a" * 600,
    "http://h/" + "é" * 300,
    "http://h/CON",
    "http://h/nul.txt",
    "http://h/com1",
    "http://h/%00evil",
    "http://h/a%0a%0db",
    "http://h/...",
    "http://[::1]:8080/x",
    "http://user:pass@h/x",
]


def files_under(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


class TestPaths:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("http://example.com/a/b.txt", "example.com/a/b.txt"),
            ("http://example.com/", "example.com/index.html"),
            ("http://example.com", "example.com/index.html"),
            ("http://example.com/dir/", "example.com/dir/index.html"),
            ("http://example.com:8080/x", "example.com_8080/x"),
            ("http://[::1]:8080/x", "__1_8080/x"),
            ("http://example.com/a%20b", "example.com/a b"),
        ],
    )
    def test_layout(self, url: str, expected: str) -> None:
        """DIR/<host>[_<port>]/<path>, index.html for a trailing slash."""
        assert relative_path(URL(url)) == PurePosixPath(expected)

    def test_query_adds_a_stable_hash(self) -> None:
        """A query string adds a short hash to the name, before the extension, always the same."""
        one = relative_path(URL("http://h/page.html?id=1"))
        two = relative_path(URL("http://h/page.html?id=2"))
        assert one != two
        assert one == relative_path(URL("http://h/page.html?id=1"))
        assert one.suffix == ".html"
        assert one.name.startswith("page-")

    @pytest.mark.parametrize("url", ESCAPE_ATTEMPTS)
    def test_no_url_escapes_dir(self, url: str, tmp_path: Path) -> None:
        """Every tried name lands inside DIR, each part a plain, safe name."""
        relative = relative_path(URL(url))
        assert not relative.is_absolute()
        for part in relative.parts:
            assert part not in {"", ".", ".."}
            assert "/" not in part
            assert "\\" not in part
            assert "\x00" not in part
            assert len(part.encode()) <= 255
        target = (tmp_path / relative).resolve()
        assert target.is_relative_to(tmp_path.resolve())

    def test_reserved_names_are_prefixed(self) -> None:
        """Windows device names get a leading underscore."""
        assert safe_name("CON") == "_CON"
        assert safe_name("nul.txt") == "_nul.txt"
        assert safe_name("console") == "console"

    def test_symlink_in_dir_does_not_lead_out(self, tmp_path: Path) -> None:
        """A symbolic link left in DIR is not followed out of it."""
        outside = tmp_path / "outside"
        outside.mkdir()
        directory = tmp_path / "dir"
        (directory / "h").mkdir(parents=True)
        (directory / "h" / "link").symlink_to(outside)
        store = BodyStore(directory)
        sink = store.open(store.claim(URL("http://h/link/x")))
        sink.write(b"body")
        saved = Path(sink.commit())
        assert saved.resolve().is_relative_to(directory.resolve())
        assert list(outside.iterdir()) == []


class TestSaving:
    def test_bodies_are_saved_and_reported(self, server: FaultServer, tmp_path: Path) -> None:
        """Each successful body is on disk, byte for byte, and saved_to names it."""
        directory = tmp_path / "out"
        urls = [server.url("/bytes/100000"), server.url("/ok?x=1"), server.url("/status/404")]
        report = asyncio.run(fetchall.fetch_all(urls, save_dir=directory))
        saved = [r.saved_to for r in report.results]
        assert saved[2] is None
        assert saved[0] is not None
        assert Path(saved[0]).stat().st_size == 100000
        assert saved[1] is not None
        assert Path(saved[1]).read_bytes() == b"ok\n"
        host = f"127.0.0.1_{server.port}"
        assert files_under(directory) == sorted(
            [f"{host}/bytes/100000", saved[1][len(str(directory)) + 1 :]]
        )

    def test_two_jobs_never_share_a_file(self, server: FaultServer, tmp_path: Path) -> None:
        """The same URL twice gets two files."""
        directory = tmp_path / "out"
        report = asyncio.run(fetchall.fetch_all([server.url("/ok")] * 3, save_dir=directory))
        paths = {r.saved_to for r in report.results}
        assert len(paths) == 3
        assert len(files_under(directory)) == 3

    def test_file_and_folder_of_the_same_name(self, tmp_path: Path) -> None:
        """/a as a file, then /a/b needing /a as a folder: both bodies are kept, apart."""
        store = BodyStore(tmp_path)
        saved = []
        for url, body in (("http://h/a", b"1"), ("http://h/a/b", b"2"), ("http://h/a", b"3")):
            sink = store.open(store.claim(URL(url)))
            sink.write(body)
            saved.append(sink.commit())
        assert len(set(saved)) == 3
        assert [Path(p).read_bytes() for p in saved] == [b"1", b"2", b"3"]
        assert files_under(tmp_path) == ["h/a", "h/a-2", "h/a_b"]

    @pytest.mark.parametrize(
        "path", ["/reset", "/close-early", "/bytes/5000000"], ids=["reset", "short", "too-large"]
    )
    def test_failed_download_leaves_nothing(
        self, server: FaultServer, tmp_path: Path, path: str
    ) -> None:
        """A body cut short or over --max-size leaves no file, not even a temporary one."""
        directory = tmp_path / "out"
        report = asyncio.run(
            fetchall.fetch_all([server.url(path)], save_dir=directory, max_size=1000000)
        )
        assert not report.results[0].ok
        assert files_under(directory) == [] if directory.exists() else True

    def test_timed_out_download_leaves_nothing(self, server: FaultServer, tmp_path: Path) -> None:
        """A body that trickles past --timeout leaves no file."""
        directory = tmp_path / "out"
        report = asyncio.run(
            fetchall.fetch_all(
                [server.url("/trickle?bytes=50&interval=0.2")], save_dir=directory, timeout=0.5
            )
        )
        assert report.results[0].error is not None
        assert files_under(directory) == [] if directory.exists() else True


class TestAllMode:
    def test_nothing_appears_unless_all_succeed(self, server: FaultServer, tmp_path: Path) -> None:
        """A failure in all mode leaves no DIR at all, and no staging folder beside it."""
        directory = tmp_path / "out"
        urls = [server.url("/ok"), server.url("/bytes/1000"), server.url("/status/500")]
        report = asyncio.run(fetchall.fetch_all(urls, mode="all", save_dir=directory, limit=1))
        assert report.summary.failed == 1
        assert not directory.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == []

    def test_everything_appears_when_all_succeed(self, server: FaultServer, tmp_path: Path) -> None:
        """When every job succeeds, every body is moved into DIR and the staging is gone."""
        directory = tmp_path / "out"
        urls = [server.url("/ok"), server.url("/bytes/1000")]
        report = asyncio.run(fetchall.fetch_all(urls, mode="all", save_dir=directory))
        assert report.summary.ok == 2
        host = f"127.0.0.1_{server.port}"
        assert files_under(directory) == [f"{host}/bytes/1000", f"{host}/ok"]
        assert [p.name for p in tmp_path.iterdir()] == ["out"]
        assert all(r.saved_to and Path(r.saved_to).exists() for r in report.results)

    def test_failure_leaves_existing_dir_as_it_was(
        self, server: FaultServer, tmp_path: Path
    ) -> None:
        """An existing DIR keeps exactly its old files after a failed all-mode run."""
        directory = tmp_path / "out"
        (directory / "old").mkdir(parents=True)
        (directory / "old" / "keep.txt").write_text("old", encoding="utf-8")
        asyncio.run(
            fetchall.fetch_all(
                [server.url("/ok"), server.url("/status/503")], mode="all", save_dir=directory
            )
        )
        assert files_under(directory) == ["old/keep.txt"]


class TestInterrupted:
    def test_sigint_leaves_no_partial_file(self, server: FaultServer, tmp_path: Path) -> None:
        """SIGINT during a download: the finished body stays, the partial one leaves nothing."""
        directory = tmp_path / "out"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fetchall",
                "--save",
                str(directory),
                "--format",
                "json",
                server.url("/ok"),
                server.url("/trickle?bytes=100000&interval=0.05"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        server.wait_until(lambda s: s.completed == 1 and s.in_flight == 1)
        # The trickling body has begun: its temporary file exists, at the top of DIR.
        server.wait_until(lambda s: any(p.name.endswith(".part") for p in directory.iterdir()))
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
        assert process.returncode == 130
        assert "Traceback" not in stderr
        assert json.loads(stdout)["summary"]["cancelled"] == 1
        assert files_under(directory) == [f"127.0.0.1_{server.port}/ok"]


def test_cli_save_option(server: FaultServer, tmp_path: Path) -> None:
    """--save on the command line reports saved_to in jsonl."""
    directory = tmp_path / "out"
    result = invoke([server.url("/ok"), "--save", str(directory), "--format", "jsonl"])
    assert result.exit_code == 0
    row = json.loads(result.stdout)
    assert row["saved_to"] == os.path.join(str(directory), f"127.0.0.1_{server.port}", "ok")


def test_saved_files_get_the_usual_mode(server: FaultServer, tmp_path: Path) -> None:
    """A saved body is readable as curl's would be (0666 less the umask), not private."""
    mask = os.umask(0o022)
    try:
        report = asyncio.run(fetchall.fetch_all([server.url("/ok")], save_dir=tmp_path / "out"))
    finally:
        os.umask(mask)
    saved = report.results[0].saved_to
    assert saved is not None
    assert Path(saved).stat().st_mode & 0o777 == 0o666 & ~0o022
