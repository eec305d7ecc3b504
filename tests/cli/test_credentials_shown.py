"""Passwords with unencoded special characters stay hidden in every format, report and log."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.fault_server import FaultServer

_PASSWORDS = ("Se#cret1", "Se?cret2", "Se/cret3", "Se@cret4")
_FORMATS = ("text", "jsonl", "json", "junit", "markdown", "github")


def _url_file(tmp_path: Path, server: FaultServer) -> Path:
    path = tmp_path / "urls.txt"
    lines = [f"http://alice:{password}@127.0.0.1:{server.port}/ok" for password in _PASSWORDS]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("fmt", _FORMATS)
def test_no_password_in_any_format(tmp_path: Path, server: FaultServer, fmt: str) -> None:
    """Standard output and a report of the same run, in each format, hold none of them."""
    report = tmp_path / "report.out"
    args = [str(_url_file(tmp_path, server)), "--format", fmt]
    if fmt not in ("github",):
        args += ["--report", f"{fmt}:{report}"]
    result = invoke(args)
    assert result.exit_code in (0, 1), result.output
    written = result.stdout + result.stderr + (report.read_text() if report.exists() else "")
    assert "127.0.0.1" in written  # the results are there, their credentials are not
    for password in _PASSWORDS:
        assert password not in written
    assert "cret" not in written


def test_no_password_in_verbose_logs(server: FaultServer) -> None:
    """``-v`` logs a retry with the URL: shown without its password."""
    url = f"http://alice:Se@cret4@127.0.0.1:{server.port}/status/503"
    result = invoke([url, "-v", "--retries", "1", "--retry-backoff", "0"])
    assert result.exit_code == 1
    assert "retry 1/1" in result.stderr
    assert f"http://***@127.0.0.1:{server.port}/status/503" in result.stderr
    assert "cret" not in result.stdout + result.stderr
