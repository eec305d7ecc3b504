"""Bad input gets a clear answer, and nothing else in the run breaks.

Every bad line becomes its own ``invalid_url`` result naming ``path:line``; every bad option
or unusable input is a usage error: exit 2, one ``fetchall: error:`` line, nothing fetched.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import assert_one_line_usage_error, invoke, run_process
from support.fault_server import FaultServer

from fetchall.urls import parse_url

MIB = 1024 * 1024


def by_source(stdout: str) -> dict[str, dict[str, object]]:
    """The results of a ``json`` report, keyed by their ``source``."""
    return {r["source"]: r for r in json.loads(stdout)["results"]}


def bad_lines(server: FaultServer) -> dict[str, tuple[bytes, str]]:
    """Lines that must each become an ``invalid_url`` result, and a word of the reason."""
    base = server.url("/ok").encode()
    return {
        "nul bytes": (base + b"\x00evil", "control characters"),
        "only nul bytes": (b"\x00\x00\x00", "control characters"),
        "invalid utf-8": (base + b"\xff\xfe", "UTF-8"),
        "file scheme": (b"file:///etc/passwd", "http(s)"),
        "ftp scheme": (b"ftp://example.invalid/file", "http(s)"),
        "javascript": (b"javascript:alert(1)", "scheme"),
        "mailto": (b"mailto:someone@example.invalid", "scheme"),
        "scheme-less host": (b"example.invalid/path", "scheme"),
        "scheme-less host and port": (base.removeprefix(b"http://"), "scheme"),
        "protocol-relative": (b"//example.invalid/x", "scheme"),
        "space inside": (base + b"/a b", "bad check 'b': unknown key"),
        "tab inside": (base + b"\tx", "bad check 'x': unknown key"),
        "no host": (b"http://", "host"),
        "empty host with path": (b"http:///path", "host"),
        "userinfo without host": (b"http://user:pw@/x", "host"),
        "port out of range": (b"http://127.0.0.1:99999/", "unparsable"),
        "port not a number": (b"http://127.0.0.1:abc/", "unparsable"),
        "broken ipv6 literal": (b"http://[::1/", "unparsable"),
        "line of 1 MiB": (b"x" * MIB, "line longer than 8 KiB"),
        "url just over 8 KiB": (b"http://h.invalid/" + b"a" * (8 * 1024), "line longer than 8 KiB"),
    }


@pytest.fixture(name="mixed")
def _mixed(tmp_path: Path, server: FaultServer) -> tuple[Path, dict[str, str], list[str]]:
    """A file with each bad line followed by a good one.

    Returns the path, the bad lines' sources mapped to their reason word, and the good lines'
    sources.
    """
    path = tmp_path / "mixed.txt"
    bad: dict[str, str] = {}
    good: list[str] = []
    with path.open("wb") as out:
        number = 0
        for i, (line, reason) in enumerate(bad_lines(server).values()):
            out.write(line + b"\n" + f"{server.url('/ok')}?i={i}\n".encode())
            bad[f"{path}:{number + 1}"] = reason
            good.append(f"{path}:{number + 2}")
            number += 2
    return path, bad, good


class TestInvalidLines:
    def test_each_bad_line_is_its_own_invalid_url_result(
        self, mixed: tuple[Path, dict[str, str], list[str]], server: FaultServer
    ) -> None:
        """Every bad line: invalid_url naming path:line; every good line beside it: ok; exit 1."""
        path, bad, good = mixed
        result = invoke([str(path), "--format", "json"])
        assert result.exit_code == 1
        results = by_source(result.stdout)
        assert set(results) == set(bad) | set(good)
        for source, reason in bad.items():
            error = results[source]["error"]
            assert isinstance(error, dict), source
            assert error["kind"] == "invalid_url", (source, error)
            assert error["message"].startswith(f"{source} "), (source, error)
            assert reason in error["message"], (source, error)
        assert all(results[source]["ok"] for source in good)
        assert server.total_requests == len(good)

    def test_summary_and_groups_count_the_invalid_lines(
        self, mixed: tuple[Path, dict[str, str], list[str]]
    ) -> None:
        """The json summary and error groups count the bad lines as invalid_url failures."""
        path, bad, good = mixed
        document = json.loads(invoke([str(path), "--format", "json"]).stdout)
        summary = document["summary"]
        assert (summary["ok"], summary["failed"], summary["total"]) == (
            len(good),
            len(bad),
            len(good) + len(bad),
        )
        assert [(g["kind"], g["count"]) for g in document["errors"]] == [("invalid_url", len(bad))]

    def test_text_lines_name_the_source_and_hold_no_control_bytes(
        self, mixed: tuple[Path, dict[str, str], list[str]]
    ) -> None:
        """In text each bad line's FAIL line names path:line; NUL and other controls never
        reach the terminal."""
        path, bad, _ = mixed
        result = invoke([str(path)])
        assert result.exit_code == 1
        fail_lines = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
        assert len(fail_lines) == len(bad)
        for source in bad:
            assert sum(f"invalid_url  {source} " in line for line in fail_lines) == 1, source
        assert "\x00" not in result.stdout
        assert "\t" not in result.stdout

    def test_long_line_is_cut_in_the_report(self, tmp_path: Path, server: FaultServer) -> None:
        """A 1 MiB line is reported without being echoed whole; the next line still works."""
        path = tmp_path / "long.txt"
        path.write_bytes(b"y" * MIB + b"\n" + server.url("/ok").encode() + b"\n")
        result = invoke([str(path), "--format", "jsonl"])
        assert result.exit_code == 1
        rows = sorted(
            (json.loads(line) for line in result.stdout.splitlines()), key=lambda r: r["index"]
        )
        assert [(r["source"], r["ok"]) for r in rows] == [(f"{path}:1", False), (f"{path}:2", True)]
        assert rows[0]["error"]["message"] == f"{path}:1 line longer than 8 KiB"
        assert len(rows[0]["url"]) < 10_000
        assert len(result.stdout) < 20_000

    def test_long_line_without_newline_at_end(self, tmp_path: Path, server: FaultServer) -> None:
        """A good line then 1 MiB with no final newline: ok, then invalid_url for line 2."""
        path = tmp_path / "tail.txt"
        path.write_bytes(server.url("/ok").encode() + b"\n" + b"z" * MIB)
        results = by_source(invoke([str(path), "--format", "json"]).stdout)
        assert results[f"{path}:1"]["ok"] is True
        assert results[f"{path}:2"]["error"] == {
            "kind": "invalid_url",
            "message": f"{path}:2 line longer than 8 KiB",
        }

    def test_invalid_line_on_stdin_names_dash_line(self, server: FaultServer) -> None:
        """Standard input's bad lines are named -:line."""
        result = invoke(["--format", "json"], stdin=f"ftp://x.invalid/\n{server.url('/ok')}\n")
        results = by_source(result.stdout)
        assert results["-:1"]["error"]["message"].startswith("-:1 ")
        assert results["-:2"]["ok"] is True

    def test_invalid_literal_argument_names_arg(self, server: FaultServer) -> None:
        """A literal bad URL argument is an invalid_url result with source `arg`."""
        result = invoke(["javascript://alert(1)", server.url("/ok"), "--format", "json"])
        assert result.exit_code == 1
        rows = json.loads(result.stdout)["results"]
        assert rows[0]["source"] == "arg"
        assert rows[0]["error"]["kind"] == "invalid_url"
        assert rows[0]["error"]["message"].startswith("arg ")
        assert rows[1]["ok"] is True


class TestUnusualButValidURLs:
    def test_userinfo_is_fetched_and_redacted(self, server: FaultServer) -> None:
        """user:password@host works and never shows the credentials."""
        url = server.url("/ok").replace("http://", "http://alice:s3cr3t@")
        for fmt in ("text", "jsonl", "json", "junit"):
            result = invoke([url, "--format", fmt])
            assert result.exit_code == 0, result.output
            assert "s3cr3t" not in result.output
            assert "alice" not in result.output
            assert "***@127.0.0.1" in result.stdout

    def test_ipv6_literal_is_not_invalid(self, tmp_path: Path, server: FaultServer) -> None:
        """An IPv6 literal is a URL: it fails to connect (nothing listens on [::1]:9), no more."""
        path = tmp_path / "v6.txt"
        path.write_text(f"http://[::1]:9/\n{server.url('/ok')}\n", encoding="utf-8")
        result = invoke([str(path), "--format", "json", "--connect-timeout", "2"])
        results = by_source(result.stdout)
        assert results[f"{path}:1"]["error"]["kind"] == "connect"
        assert results[f"{path}:2"]["ok"] is True

    @pytest.mark.parametrize(
        ("url", "host"),
        [
            ("http://bücher.example/ok", "xn--bcher-kva.example"),
            ("http://xn--bcher-kva.example/ok", "xn--bcher-kva.example"),
            ("http://[::1]:9/ok", "[::1]:9"),
            ("http://例え.テスト/ok", "xn--r8jz45g.xn--zckzah"),
        ],
    )
    def test_unicode_and_ipv6_hosts_reach_the_server(
        self, server: FaultServer, url: str, host: str
    ) -> None:
        """IDN and IPv6 hosts are fetched as written (through a local proxy: no DNS leaves)."""
        result = invoke(
            [url, "--format", "jsonl"],
            HTTP_PROXY=server.base,
            http_proxy=server.base,
            NO_PROXY="",
            no_proxy="",
        )
        assert result.exit_code == 0, result.output
        row = json.loads(result.stdout)
        assert (row["url"], row["ok"], row["status"]) == (url, True, 200)
        [(_, _, _, headers)] = server.request_log
        assert headers.get("Host") == host

    @pytest.mark.parametrize(
        "url",
        [
            "http://bücher.example/",
            "https://xn--bcher-kva.example/",
            "http://[::1]:8080/",
            "http://[2001:db8::1]/path?q=1",
            "http://user:pw@127.0.0.1:1/",
            "HTTPS://EXAMPLE.INVALID/",
        ],
    )
    def test_parse_url_accepts(self, url: str) -> None:
        """The validator accepts IDN hosts, IPv6 literals, userinfo and upper-case schemes."""
        assert parse_url(url).host


class TestBinaryInput:
    def test_random_bytes_finish_without_traceback(self, tmp_path: Path) -> None:
        """64 KiB of random bytes: a finished run, exit 1, every job invalid_url, nothing leaks."""
        path = tmp_path / "random.bin"
        path.write_bytes(random.Random(0).randbytes(64 * 1024))
        completed = run_process([str(path), "--format", "json"])
        assert completed.returncode == 1, completed.stderr
        results = json.loads(completed.stdout)["results"]
        assert results
        assert {r["error"]["kind"] for r in results} == {"invalid_url"}
        assert all(r["error"]["message"].startswith(f"{path}:") for r in results)

    def test_random_bytes_in_text_format(self, tmp_path: Path) -> None:
        """The text report of a binary file is valid UTF-8 with no control characters."""
        path = tmp_path / "random.bin"
        path.write_bytes(random.Random(1).randbytes(64 * 1024))
        completed = run_process([str(path)])
        assert completed.returncode == 1
        assert not any(c < " " and c != "\n" for c in completed.stdout)
        assert "failed, 0 cancelled" in completed.stdout.splitlines()[-1]

    def test_binary_file_with_a_good_url_inside(self, tmp_path: Path, server: FaultServer) -> None:
        """A URL line between binary blobs is still fetched."""
        blob = random.Random(2).randbytes(16 * 1024).replace(b"\n", b"")
        path = tmp_path / "mixed.bin"
        path.write_bytes(blob + b"\n" + server.url("/ok").encode() + b"\n" + blob)
        results = by_source(invoke([str(path), "--format", "json"]).stdout)
        assert results[f"{path}:2"]["ok"] is True
        assert results[f"{path}:1"]["error"]["kind"] == "invalid_url"
        assert results[f"{path}:3"]["error"]["kind"] == "invalid_url"


@pytest.fixture(name="fifo")
def _fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "urls.fifo"
    os.mkfifo(path)
    yield path
    # A writer thread still waiting for a reader is let go by opening the read side once.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return
    os.close(fd)


class TestFifo:
    def test_urls_written_to_a_fifo_are_fetched(self, fifo: Path, server: FaultServer) -> None:
        """A FIFO as input: lines written by another thread are read and fetched."""
        lines = [server.url("/ok"), "ftp://bad.invalid/", server.url("/status/404")]

        def write() -> None:
            with fifo.open("w", encoding="utf-8") as out:
                for line in lines:
                    out.write(line + "\n")
                    out.flush()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        completed = run_process([str(fifo), "--format", "json"], timeout=30)
        writer.join(timeout=5)
        assert not writer.is_alive()
        assert completed.returncode == 1
        results = by_source(completed.stdout)
        assert results[f"{fifo}:1"]["ok"] is True
        assert results[f"{fifo}:2"]["error"]["kind"] == "invalid_url"
        assert results[f"{fifo}:2"]["error"]["message"].startswith(f"{fifo}:2 ")
        assert results[f"{fifo}:3"]["status"] == 404


class TestUnusableInputs:
    def test_directory_is_one_line_and_nothing_is_fetched(
        self, tmp_path: Path, server: FaultServer
    ) -> None:
        """A directory among the inputs: exit 2, one line naming it, no request sent."""
        result = invoke([server.url("/ok"), str(tmp_path)])
        assert_one_line_usage_error(result, str(tmp_path), "directory")
        assert server.total_requests == 0

    def test_directory_as_a_process(self, tmp_path: Path) -> None:
        """The real process says the same in one line, without a traceback."""
        completed = run_process([str(tmp_path)])
        assert completed.returncode == 2
        assert completed.stderr.startswith("fetchall: error: ")
        assert completed.stderr.count("\n") == 1
        assert str(tmp_path) in completed.stderr
        assert completed.stdout == ""

    def test_unreadable_file(self, tmp_path: Path, server: FaultServer) -> None:
        """A file without read permission: exit 2, one line naming it."""
        if os.geteuid() == 0:
            pytest.skip("root reads any file")
        path = tmp_path / "secret.txt"
        path.write_text(server.url("/ok") + "\n", encoding="utf-8")
        path.chmod(0)
        result = invoke([str(path)])
        assert_one_line_usage_error(result, str(path))
        assert server.total_requests == 0

    def test_empty_file(self, tmp_path: Path) -> None:
        """A zero-byte file holds no job: exit 2, one line naming it."""
        path = tmp_path / "empty.txt"
        path.write_bytes(b"")
        assert_one_line_usage_error(invoke([str(path)]), str(path))

    def test_only_bom_and_comments(self, tmp_path: Path) -> None:
        """A BOM, CRLF blanks and comments hold no job: exit 2."""
        path = tmp_path / "comments.txt"
        path.write_bytes(b"\xef\xbb\xbf# only a comment\r\n\r\n   # another\r\n")
        assert_one_line_usage_error(invoke([str(path)]), "no URLs")


NUMERIC_OPTIONS = [
    # (option, whether 0 is a valid value)
    ("--limit", False),
    ("--per-host", False),
    ("--rate", False),
    ("--timeout", False),
    ("--connect-timeout", False),
    ("--deadline", False),
    ("--retries", True),
    ("--retry-backoff", True),
    ("--max-failures", False),
    ("--stagger", True),
    ("--max-redirects", True),
    ("--max-size", True),
]
BAD_NUMERIC_VALUES = [
    (option, value)
    for option, zero_ok in NUMERIC_OPTIONS
    for value in ["-1", "abc", "", *([] if zero_ok else ["0"])]
]


class TestBadOptions:
    @pytest.mark.parametrize(("option", "value"), BAD_NUMERIC_VALUES)
    def test_bad_numeric_value(self, server: FaultServer, option: str, value: str) -> None:
        """A negative, zero (where it makes no sense), empty or non-numeric value: exit 2, one
        line naming the option, nothing fetched."""
        result = invoke([server.url("/ok"), option, value])
        assert_one_line_usage_error(result, option)
        assert server.total_requests == 0

    @pytest.mark.parametrize(("option", "value"), [("--limit", "-1"), ("--timeout", "0")])
    def test_equals_form(self, server: FaultServer, option: str, value: str) -> None:
        """`--option=value` is checked the same way."""
        assert_one_line_usage_error(invoke([server.url("/ok"), f"{option}={value}"]), option)
        assert server.total_requests == 0

    @pytest.mark.parametrize(("option", "zero_ok"), NUMERIC_OPTIONS)
    def test_zero_where_it_is_allowed(
        self, server: FaultServer, option: str, zero_ok: bool
    ) -> None:
        """0 is accepted exactly where it means something (no retries, no backoff, …)."""
        result = invoke([server.url("/ok"), option, "0", "--format", "jsonl"])
        assert (result.exit_code != 2) is zero_ok, result.output

    @pytest.mark.parametrize(
        ("variable", "value"),
        [("FETCHALL_LIMIT", "0"), ("FETCHALL_TIMEOUT", "-5"), ("FETCHALL_RETRIES", "many")],
    )
    def test_bad_value_from_the_environment(
        self, server: FaultServer, variable: str, value: str
    ) -> None:
        """A bad FETCHALL_<OPTION> is a usage error too."""
        option = "--" + variable.removeprefix("FETCHALL_").lower()
        result = invoke([server.url("/ok")], **{variable: value})
        assert_one_line_usage_error(result, option)
        assert server.total_requests == 0

    @pytest.mark.parametrize(
        "spec", ["999-100", "299-200", "abc", "200-", "-200", "", "200,,300", "99", "1000", "2xx"]
    )
    def test_bad_accept(self, server: FaultServer, spec: str) -> None:
        """A malformed or empty --accept list: exit 2, one line naming --accept."""
        result = invoke([server.url("/ok"), "--accept", spec])
        assert_one_line_usage_error(result, "--accept")
        assert server.total_requests == 0

    def test_reversed_accept_range_says_what_to_fix(self, server: FaultServer) -> None:
        """999-100 is reported as an empty range, with the fix (low-high)."""
        result = invoke([server.url("/ok"), "--accept", "999-100"])
        assert "'999-100' is an empty range; write it low-high" in result.stderr

    @pytest.mark.parametrize("header", ["NoColon", ": no-name", "Bad Name: x", ""])
    def test_bad_header(self, server: FaultServer, header: str) -> None:
        """A header without a colon or a name: exit 2, one line naming -H/--header."""
        result = invoke([server.url("/ok"), "-H", header])
        assert_one_line_usage_error(result, "--header", "Name: value")
        assert server.total_requests == 0

    @pytest.mark.parametrize("method", ["", "GET /x", "G3T"])
    def test_bad_method(self, server: FaultServer, method: str) -> None:
        """A method that is not a word: exit 2, one line."""
        assert_one_line_usage_error(invoke([server.url("/ok"), "-X", method]))
        assert server.total_requests == 0

    @pytest.mark.parametrize("spec", ["0/3", "4/3", "1/0", "a/b", "1/2/3", "-1/2"])
    def test_bad_shard(self, server: FaultServer, spec: str) -> None:
        """A shard spec outside 1 <= K <= N or not K/N: exit 2, one line naming --shard."""
        result = invoke([server.url("/ok"), "--shard", spec])
        assert_one_line_usage_error(result, "--shard")
        assert server.total_requests == 0

    def test_unknown_option(self, server: FaultServer) -> None:
        """A misspelt option: exit 2, one line naming it."""
        assert_one_line_usage_error(invoke([server.url("/ok"), "--limt", "3"]), "--limt")
        assert server.total_requests == 0
