"""The command's side of secrets: --header-for, ${NAME} values, --user-agent, and where
secrets never show (output, logs, messages, a worker's command line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import assert_clean_stderr, assert_one_line_usage_error, invoke
from support.fault_server import FaultServer

_SECRET = "t0p-s3cret-value"


def _headers_seen(server: FaultServer) -> list[dict[str, str]]:
    return [{k.lower(): v for k, v in h.items()} for _, _, _, h in server.request_log]


class TestUserAgent:
    """``--user-agent`` with a control character is a usage error, as for ``-H``."""

    @pytest.mark.parametrize("agent", ["ua\r\nX-Injected: 1", "ua\nx", "ua\x1b[31m"])
    def test_control_characters(self, server: FaultServer, agent: str) -> None:
        """Exit 2 with one line naming the option, and no request sent."""
        result = invoke([server.url("/ok"), "--user-agent", agent])
        assert_one_line_usage_error(result, "--user-agent", "control characters")
        assert server.total_requests == 0

    def test_from_the_environment(self, server: FaultServer) -> None:
        """``FETCHALL_USER_AGENT`` is checked the same way."""
        result = invoke([server.url("/ok")], FETCHALL_USER_AGENT="a\r\nb: c")
        assert_one_line_usage_error(result, "--user-agent")

    def test_sent(self, server: FaultServer) -> None:
        """A good one is sent as given."""
        assert invoke([server.url("/ok"), "--user-agent", "check/1"]).exit_code == 0
        assert _headers_seen(server)[0]["user-agent"] == "check/1"


class TestHeaderForOption:
    """``--header-for PATTERN 'Name: value'`` on the command line and from the environment."""

    def test_sent_only_to_the_host(self, server: FaultServer) -> None:
        """Repeatable; each header reaches the requests to its host and no other."""
        result = invoke(
            [
                server.url("/ok"),
                server.url_localhost("/ok"),
                "--limit",
                "1",
                "--header-for",
                "localhost",
                "X-Key: for-localhost",
                "--header-for",
                f"http://127.0.0.1:{server.port}",
                "X-Other: for-127",
            ]
        )
        assert result.exit_code == 0, result.output
        seen = [(h.get("x-key"), h.get("x-other")) for h in _headers_seen(server)]
        assert seen == [(None, "for-127"), ("for-localhost", None)]

    def test_from_the_environment(self, server: FaultServer) -> None:
        """``FETCHALL_HEADER_FOR``: one value a line, a PATTERN then its header."""
        env = "localhost\nX-Key: a b\n\n*.localhost\nX-Sub: c\n"
        result = invoke([server.url_localhost("/ok")], FETCHALL_HEADER_FOR=env)
        assert result.exit_code == 0, result.output
        assert [(h.get("x-key"), h.get("x-sub")) for h in _headers_seen(server)] == [("a b", None)]

    def test_odd_lines_in_the_environment(self, server: FaultServer) -> None:
        """A PATTERN without its header is a usage error."""
        result = invoke([server.url("/ok")], FETCHALL_HEADER_FOR="localhost\n")
        assert_one_line_usage_error(result, "--header-for")

    @pytest.mark.parametrize(
        ("pattern", "header", "mention"),
        [
            ("api.example.com:8443", "X: y", "a port needs a scheme"),
            ("a b", "X: y", "'a b' is not a host"),
            ("ftp://h", "X: y", "origin"),
            ("h", f"X-Key {_SECRET}", "is not a header"),
            ("h", f"X-Key: {_SECRET}\r\nY: z", "control characters"),
        ],
    )
    def test_malformed(self, server: FaultServer, pattern: str, header: str, mention: str) -> None:
        """One line naming what is wrong, never the value, and no request sent."""
        result = invoke([server.url("/ok"), "--header-for", pattern, header])
        assert_one_line_usage_error(result, "--header-for", mention)
        assert _SECRET not in result.stderr
        assert server.total_requests == 0

    def test_listed_in_help(self) -> None:
        """--help names the option and how the environment gives it."""
        result = invoke(["--help"])
        assert "--header-for PATTERN HEADER" in result.stdout
        assert "FETCHALL_HEADER_FOR" in result.stdout


class TestValuesFromTheEnvironment:
    """``${NAME}`` in a header value is the variable's value: a secret off the command line."""

    def test_filled_in(self, server: FaultServer) -> None:
        """In -H and --header-for values alike."""
        result = invoke(
            [
                server.url("/ok"),
                "-H",
                "Authorization: Bearer ${TOKEN}",
                "--header-for",
                "127.0.0.1",
                "X-Key: ${KEY}-${KEY}",
            ],
            TOKEN=_SECRET,
            KEY="k",
        )
        assert result.exit_code == 0, result.output
        [seen] = _headers_seen(server)
        assert (seen["authorization"], seen["x-key"]) == (f"Bearer {_SECRET}", "k-k")

    def test_unset_variable(self, server: FaultServer) -> None:
        """An unset variable is a usage error naming it, and nothing is sent."""
        result = invoke([server.url("/ok"), "-H", "Authorization: ${NO_SUCH_TOKEN}"])
        assert_one_line_usage_error(result, "NO_SUCH_TOKEN", "not set")
        assert server.total_requests == 0

    def test_variable_with_a_line_break(self, server: FaultServer) -> None:
        """A value that would break the header is refused without being shown."""
        result = invoke(
            [server.url("/ok"), "--header-for", "h", "X-Key: ${TOKEN}"], TOKEN=f"{_SECRET}\r\nX: y"
        )
        assert_one_line_usage_error(result, "TOKEN", "control characters")
        assert _SECRET not in result.stderr


class TestSecretsNeverShown:
    """Secret header values reach the server and nothing fetchall prints or writes."""

    @pytest.mark.parametrize("fmt", ["text", "jsonl", "json", "junit", "markdown", "github"])
    def test_not_in_output_reports_or_logs(
        self, tmp_path: Path, server: FaultServer, fmt: str
    ) -> None:
        """Redirects (logged with -v), a failure and a retry: the values are nowhere."""
        report = tmp_path / "report"
        redirect = server.url(f"/redirect-to?url={server.url_localhost('/ok')}")
        args = [redirect, server.url("/status/503"), "-v", "--retries", "1"]
        args += ["--retry-backoff", "0", "--format", fmt, "-H", f"Cookie: c={_SECRET}"]
        args += ["-H", f"Authorization: {_SECRET}", "--header-for", "localhost", f"X: {_SECRET}"]
        if fmt != "github":
            args += ["--report", f"{fmt}:{report}"]
        result = invoke(args)
        assert result.exit_code == 1, result.output
        assert "redirect 302" in result.stderr
        written = result.stdout + result.stderr + (report.read_text() if report.exists() else "")
        assert _SECRET not in written
        assert any(_SECRET in value for h in _headers_seen(server) for value in h.values())


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry))
    return children


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_not_on_a_worker_command_line(server: FaultServer) -> None:
    """With --workers 2 and secrets given as ${NAME}: on no process's command line."""
    gate = server.gate("secrets-workers")
    urls = [server.url(f"/gate/secrets-workers?n={i}") for i in range(4)]
    args = ["-H", "Authorization: ${TOKEN}", "--header-for", "127.0.0.1", "X: ${TOKEN}"]
    process = subprocess.Popen(
        [sys.executable, "-m", "fetchall", *urls, "--workers", "2", "--format", "json", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOKEN": _SECRET},
    )
    try:
        gate.wait_for_arrivals(4, timeout=30)
        command_lines = [
            Path(f"/proc/{pid}/cmdline").read_bytes()
            for pid in (process.pid, *_children_of(process.pid))
        ]
        assert any(b"fetchall.transport.worker" in line for line in command_lines[1:])
        for line in command_lines:
            assert _SECRET.encode() not in line
    finally:
        gate.release()
        stdout, stderr = process.communicate(timeout=30)
    assert_clean_stderr(stderr)
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["summary"]["ok"] == 4
    assert all(h.get("authorization") == _SECRET for h in _headers_seen(server))
